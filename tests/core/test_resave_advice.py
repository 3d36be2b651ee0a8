"""A file Paceline cannot read as it is gets one piece of advice, worded alike for every format:
let the program that reads it write a fresh copy, and add that copy."""

from __future__ import annotations

from pathlib import Path

import pytest

from core.documents import extract
from core.errors import DocumentError, resave_advice
from tests import docgen
from tests.core.test_text_encodings import EUC_TW
from tests.docx_gen import make_package


def _message(path: Path) -> str:
    with pytest.raises(DocumentError) as caught:
        extract(path)
    assert path.name in caught.value.message
    return caught.value.message


def test_the_advice_is_one_sentence_saying_what_to_do() -> None:
    assert resave_advice("a PDF viewer") == (
        "Open it in a PDF viewer, save it under a new name, and add that copy."
    )
    assert resave_advice("a text editor", "UTF-8") == (
        "Open it in a text editor, save it as UTF-8 under a new name, and add that copy."
    )


def test_damaged_files_of_every_format_end_with_the_same_advice(tmp_path: Path) -> None:
    not_a_zip = tmp_path / "report.docx"
    not_a_zip.write_bytes(b"PK\x03\x04 cut short")
    old_word = tmp_path / "old.docx"
    old_word.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600)
    broken_part = make_package(
        tmp_path / "broken.docx", "", replace={"word/document.xml": b"<w:document><w:body>"}
    )
    euc_tw = tmp_path / "taiwan.txt"
    euc_tw.write_bytes(EUC_TW)
    cut_png = tmp_path / "cut.png"
    cut_png.write_bytes(docgen.make_photo(tmp_path / "whole.png", "Receipt").read_bytes()[:300])
    cases = [
        (docgen.make_corrupt_pdf(tmp_path / "cut.pdf"), resave_advice("a PDF viewer")),
        (not_a_zip, resave_advice("Word or LibreOffice")),
        (broken_part, resave_advice("Word or LibreOffice")),
        (old_word, resave_advice("Word or LibreOffice", ".docx")),
        (euc_tw, resave_advice("a text editor", "UTF-8")),
    ]
    for path, advice in cases:
        assert _message(path).endswith(advice), path.name
    from core.documents.extract import Limits

    with pytest.raises(DocumentError) as caught:
        extract(cut_png, Limits(render_images=True))
    assert caught.value.message.endswith(resave_advice("an image viewer"))
