"""Text extraction, run off the event loop. Each failure is a DocumentError with its kind."""

from __future__ import annotations

import asyncio
import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

from core.documents import quality, text_formats
from core.documents.source import Extractor, Limits, PageImage, Source
from core.errors import RAISE_SETTING, DocumentError

TEXT_SUFFIXES = frozenset({".txt", ".md", ".markdown", ".csv", ".tsv", ".json", ".log", ".rst"})


@dataclass(frozen=True)
class Document:
    path: str
    text: str
    format: str
    # What extraction noticed (a page skipped, a library's warnings): one line each, for the log.
    notes: tuple[str, ...] = ()
    # Why the text looks garbled (core/documents/quality.py), or None.
    doubt: str | None = None
    # Pages to be read by a model that reads images: scans, photos (Limits.render_images).
    images: tuple[PageImage, ...] = ()


_EXTRACTORS: dict[str, tuple[str, Extractor]] = {
    suffix: ("text", text_formats.read_text) for suffix in TEXT_SUFFIXES
}


def register(suffixes: frozenset[str] | set[str], fmt: str, extractor: Extractor) -> None:
    for suffix in suffixes:
        _EXTRACTORS[suffix] = (fmt, extractor)


def _load_optional_formats() -> None:
    # Each format module registers itself; a missing module just means fewer formats.
    import importlib

    for name in (
        "core.documents.html_format",
        "core.documents.pdf_format",
        "core.documents.docx_format",
        "core.documents.image_format",
    ):
        try:
            importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name != name:
                raise


def supported_suffixes() -> frozenset[str]:
    return frozenset(_EXTRACTORS)


# The rejection kind of a folder (and its subfolders) holding nothing Paceline reads.
NO_DOCUMENTS = "no_documents"

# How much of a file without an extension is read to tell text from binary.
SNIFF_BYTES = 8192


def reader_key(path: Path | str, data: bytes | None = None) -> str | None:
    """The suffix whose reader takes this file, or None if Paceline cannot read it.

    A file without an extension (LICENSE, README, CHANGES) is read as text when its first
    bytes are text: many plain documents are named that way. They are sniffed from ``data``
    when the file has been read already, else from the file.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix in _EXTRACTORS:
        return suffix
    if is_extension(suffix):
        return None
    if data is None:
        try:
            with open(path, "rb") as handle:
                data = handle.read(SNIFF_BYTES)
        except OSError:
            return None
    head = data[:SNIFF_BYTES]
    return ".txt" if head and text_formats.looks_like_text(head) else None


def is_extension(suffix: str) -> bool:
    """Whether a name's last dotted part names a file type: ".pdf" does; "" and the ".0" of
    "Release notes 1.0" or "backup.2024" do not (such files are sniffed like LICENSE)."""
    return bool(suffix) and any(c.isalpha() for c in suffix) and " " not in suffix


def is_supported(path: Path | str) -> bool:
    return reader_key(path) is not None


def _unsupported(path: Path) -> str:
    if not is_extension(path.suffix):
        return (
            f"{path.name} has no extension and does not look like text. If it is a PDF, "
            "Word or HTML document, add the matching extension (.pdf, .docx, .html)."
        )
    return (
        f"{path.name}: Paceline cannot read '{path.suffix}' files. "
        f"Supported: {', '.join(sorted(_EXTRACTORS))}."
    )


def fingerprint(path: Path) -> tuple[int, float, str]:
    """(size, mtime, sha256) of a file, read in blocks so big files use little memory."""
    stat = path.stat()
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while block := handle.read(1024 * 1024):
            digest.update(block)
    return stat.st_size, stat.st_mtime, digest.hexdigest()


def extract(
    path: Path | str,
    limits: Limits | None = None,
    *,
    expect_sha256: str | None = None,
) -> Document:
    """Read a document's text or raise a DocumentError a person can act on (in this process:
    the worker uses :func:`extract_async`, which reads in a sandbox)."""
    source, suffix = read_source(path, limits, expect_sha256=expect_sha256)
    return extract_bytes(source, str(path), suffix)


def read_source(
    path: Path | str, limits: Limits | None = None, *, expect_sha256: str | None = None
) -> tuple[Source, str]:
    """The document's bytes, checked against its size limit and the hash taken at add."""
    path = Path(path)
    limits = limits or Limits()
    try:
        stat = path.stat()
    except FileNotFoundError:
        raise DocumentError(
            "missing", f"{path.name} is no longer at {path.parent}. Was it moved or deleted?"
        ) from None
    except OSError as exc:
        raise DocumentError("unreadable", f"{path.name} cannot be read: {exc.strerror}.") from exc
    if not path.is_file():
        raise DocumentError("unsupported", f"{path.name} is not a regular file.")
    # A file without an extension is sniffed from the bytes read below, not read twice.
    if path.suffix.lower() not in _EXTRACTORS and is_extension(path.suffix):
        raise DocumentError("unsupported", _unsupported(path))
    if stat.st_size > limits.max_bytes:
        raise DocumentError(
            "too_large",
            f"{path.name} is {stat.st_size / 1e6:.1f} MB; the limit is "
            f"{limits.max_bytes / 1e6:.0f} MB. Split it, or {RAISE_SETTING['max_file_mb']}.",
        )
    if stat.st_size == 0:
        raise DocumentError("empty", f"{path.name} is empty (0 bytes).")
    # Read once: the hash is checked on, and the text extracted from, the very same bytes.
    try:
        data = path.read_bytes()
    except PermissionError as exc:
        raise DocumentError(
            "unreadable", f"{path.name} cannot be read: permission denied."
        ) from exc
    except OSError as exc:
        raise DocumentError(
            "unreadable", f"{path.name} cannot be read: {exc.strerror or exc}."
        ) from exc
    if expect_sha256 is not None and hashlib.sha256(data).hexdigest() != expect_sha256:
        raise DocumentError(
            "changed",
            f"{path.name} changed since it was added to the queue. Add it again to "
            "analyse the new version.",
        )
    suffix = reader_key(path, data)
    if suffix is None:
        raise DocumentError("unsupported", _unsupported(path))
    return Source(path.name, data, limits), suffix


def extract_bytes(source: Source, path: str, suffix: str) -> Document:
    """Text from a document already in memory (see :func:`extract`)."""
    limits = source.limits
    fmt, extractor = _EXTRACTORS[suffix]
    text = extractor(source).strip()
    if not text and not source.images:
        raise DocumentError("empty", f"{source.name} contains no text.")
    if len(text) > limits.max_chars:
        raise DocumentError(
            "too_large",
            f"{source.name} holds {len(text):,} characters of text; the limit is "
            f"{limits.max_chars:,}. Split it, or {RAISE_SETTING['max_chars']}.",
        )
    return Document(
        path, text, fmt, tuple(source.notes), quality.doubt(text), tuple(source.images)
    )


# Small text files are read on the event loop: a thread hop, let alone a trip to the sandbox,
# costs more than decoding them, and plain text cannot crash or hang the decoder.
INLINE_TEXT_BYTES = 64 * 1024


async def extract_async(
    path: Path | str, limits: Limits | None = None, *, expect_sha256: str | None = None
) -> Document:
    """Read the file once (bytes, then the hash check), then extract its text in the sandbox
    process (see core/documents/sandbox.py)."""
    from core.documents import sandbox

    path = Path(path)
    if path.suffix.lower() in TEXT_SUFFIXES:
        try:
            small = path.stat().st_size <= INLINE_TEXT_BYTES
        except OSError:
            small = True  # extract() reports the error with its kind
        if small:
            return extract(path, limits, expect_sha256=expect_sha256)
    source, suffix = await asyncio.to_thread(read_source, path, limits, expect_sha256=expect_sha256)
    return await asyncio.to_thread(sandbox.default().extract, source, str(path), suffix)


def iter_supported(paths: list[Path]) -> tuple[list[Path], list[tuple[Path, str, str]]]:
    """Expand folders recursively; return (files to add, rejected with kind and reason).

    Files named directly are kept even when unsupported so the person gets a reason; inside
    folders, unsupported files are skipped (a folder holds many other things), but a folder
    with nothing Paceline can read is named, so no path given goes without a word.
    """
    files: list[Path] = []
    rejected: list[tuple[Path, str, str]] = []
    for path in paths:
        if path.is_dir():
            found = len(files)
            for root, dirs, names in os.walk(path):
                dirs[:] = sorted(d for d in dirs if not d.startswith("."))
                for name in sorted(names):
                    candidate = Path(root) / name
                    if not name.startswith(".") and is_supported(candidate):
                        files.append(candidate)
            if len(files) == found:
                rejected.append((path, NO_DOCUMENTS, (
                    f"folder {path}: no supported documents (PDF, DOCX, HTML, text, images)")))
        elif not path.exists():
            rejected.append((path, "missing", f"{path} does not exist."))
        elif not is_supported(path):
            rejected.append((path, "unsupported", _unsupported(path)))
        else:
            files.append(path)
    return files, rejected


_load_optional_formats()
