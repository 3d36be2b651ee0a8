"""A document's file is opened once when it is read for a job: the bytes whose hash is checked
are the bytes extracted, and a file without an extension is told text from binary by them."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from core.documents.extract import read_source

# Paths opened while a test listens; an audit hook sees every open() in the process, pathlib's
# and the standard library's too, without replacing anything.
_listening: list[str] | None = None
_hooked = False


def _on_event(event: str, args: tuple[object, ...]) -> None:
    if event == "open" and _listening is not None and isinstance(args[0], (str, os.PathLike)):
        _listening.append(os.fspath(args[0]))  # type: ignore[arg-type]


@pytest.fixture
def opened() -> Iterator[list[str]]:
    global _listening, _hooked
    if not _hooked:
        sys.addaudithook(_on_event)  # an audit hook cannot be removed: it is added once
        _hooked = True
    _listening = []
    try:
        yield _listening
    finally:
        _listening = None


@pytest.mark.parametrize("name", ["LICENSE", "Release notes 1.0", "notes.txt"])
def test_a_document_is_opened_once(opened: list[str], tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    path.write_text("Permission is hereby granted, free of charge, to any person.\n")
    opened.clear()  # writing it was an open too
    source, suffix = read_source(path)
    assert suffix == ".txt" and source.data.startswith(b"Permission")
    assert opened.count(str(path)) == 1


def test_a_binary_file_without_extension_is_refused_after_one_read(
    opened: list[str], tmp_path: Path
) -> None:
    from core.errors import DocumentError

    blob = tmp_path / "firmware"
    blob.write_bytes(b"\x7fELF\x02\x01\x01" + bytes(range(256)) * 4)
    opened.clear()
    with pytest.raises(DocumentError) as caught:
        read_source(blob)
    assert caught.value.kind == "unsupported" and "no extension" in caught.value.message
    assert opened.count(str(blob)) == 1
