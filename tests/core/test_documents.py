"""Document extraction against real generated documents, good and broken (issue 3, points 1, 7)."""

from __future__ import annotations

import asyncio
import zipfile
from pathlib import Path

import pytest
from pypdf import PdfWriter

from core.documents import Limits, extract, fingerprint, supported_suffixes
from core.documents.html_format import html_to_text
from core.engine import Engine
from core.errors import DocumentError, ErrorClass
from core.settings import Settings
from tests import docgen
from tests.fake_clock import FakeClock

MIB = 1024 * 1024


def extract_error(path: Path, limits: Limits | None = None, **kw: str) -> DocumentError:
    with pytest.raises(DocumentError) as caught:
        extract(path, limits, **kw)
    error = caught.value
    # Every message names the file, so a person reading a list of failures knows which it is.
    assert path.name in error.message
    assert error.error_class is ErrorClass.PERMANENT
    return error


def test_all_formats_are_registered() -> None:
    assert {".txt", ".md", ".csv", ".json", ".html", ".htm", ".xhtml", ".pdf", ".docx"} <= (
        supported_suffixes()
    )


# ---------------------------------------------------------------------------------------- PDF


def test_pdf_pages_are_joined_with_blank_lines(tmp_path: Path) -> None:
    pdf = docgen.make_text_pdf(tmp_path / "report.pdf", ["First page\nsecond line", "Last page"])
    doc = extract(pdf)
    assert doc.format == "pdf"
    assert doc.text == "First page\nsecond line\n\nLast page"


def test_pdf_encrypted_for_permissions_only_opens(tmp_path: Path) -> None:
    pdf = docgen.make_encrypted_pdf(tmp_path / "permissions.pdf", "Readable anyway", password="")
    assert extract(pdf).text == "Readable anyway"


def test_pdf_with_password_is_encrypted(tmp_path: Path) -> None:
    error = extract_error(docgen.make_encrypted_pdf(tmp_path / "locked.pdf", "Hidden"))
    assert error.kind == "encrypted"
    assert "password" in error.message


def test_scanned_pdf_has_no_text_layer(tmp_path: Path) -> None:
    error = extract_error(docgen.make_image_only_pdf(tmp_path / "scan.pdf", pages=2))
    assert error.kind == "no_text_layer"
    assert "2 pages" in error.message and "OCR" in error.message


def test_truncated_pdf_is_corrupt(tmp_path: Path) -> None:
    error = extract_error(docgen.make_corrupt_pdf(tmp_path / "cut.pdf"))
    assert error.kind == "corrupt"


def test_garbage_named_pdf_is_corrupt(tmp_path: Path) -> None:
    path = tmp_path / "notes.pdf"
    path.write_text("these are plain notes, not a PDF\n")
    assert extract_error(path).kind == "corrupt"


def test_pdf_without_pages_is_empty(tmp_path: Path) -> None:
    path = tmp_path / "blank.pdf"
    with open(path, "wb") as handle:
        PdfWriter().write(handle)
    assert extract_error(path).kind == "empty"


def test_pdf_stops_reading_once_past_the_character_limit(tmp_path: Path) -> None:
    pages = [f"Page {n} " + "words " * 40 for n in range(30)]
    pdf = docgen.make_text_pdf(tmp_path / "long.pdf", pages)
    # 30 pages of about 250 characters: near enough to the limit that every page is read until
    # the limit is passed.
    error = extract_error(pdf, Limits(max_chars=5000))
    assert error.kind == "too_large"
    assert "page 21 of 30" in error.message  # it did not read the other 9 pages


def test_pdf_far_over_the_character_limit_is_refused_before_reading(tmp_path: Path) -> None:
    pages = [f"Page {n} " + "words " * 40 for n in range(30)]
    pdf = docgen.make_text_pdf(tmp_path / "long.pdf", pages)
    error = extract_error(pdf, Limits(max_chars=500))
    assert error.kind == "too_large"
    # Judged from a sample of pages: the estimate is of the right size.
    assert "about 7," in error.message and "in 30 pages" in error.message


def test_pdf_over_the_page_limit_is_refused(tmp_path: Path) -> None:
    pdf = docgen.make_text_pdf(tmp_path / "pages.pdf", ["x"] * 12)
    error = extract_error(pdf, Limits(max_pages=10))
    assert error.kind == "too_large"
    assert "12 pages; the limit is 10" in error.message


def test_pdf_bad_page_is_noted_and_the_rest_used(tmp_path: Path) -> None:
    pdf = docgen.make_pdf_with_broken_page(tmp_path / "onebad.pdf")
    document = extract(pdf)
    assert "First page survives." in document.text
    assert "Third page survives." in document.text
    assert any("could not be read" in note for note in document.notes), document.notes


def test_pdf_form_answers_are_read(tmp_path: Path) -> None:
    text = extract(docgen.make_filled_form_pdf(tmp_path / "form.pdf")).text
    assert text.splitlines() == ["Application form", "Applicant: Ada Lovelace", "Agrees: Yes"]


def test_pdf_without_xref_table_is_read(tmp_path: Path) -> None:
    pdf = docgen.make_text_pdf(tmp_path / "noxref.pdf", ["Still readable without an index."])
    data = pdf.read_bytes()
    # Cut the cross-reference table and trailer, as some generators and truncated copies do.
    pdf.write_bytes(data[: data.rindex(b"xref")] + b"%%EOF\n")
    assert extract(pdf).text == "Still readable without an index."


# --------------------------------------------------------------------------------------- DOCX


def test_docx_paragraphs_and_table_cells_in_reading_order(tmp_path: Path) -> None:
    path = docgen.make_docx(
        tmp_path / "memo.docx",
        ["Introduction", "", "Details follow."],
        [["Name", "Score"], ["Ada", "10"]],
        after_table=["Conclusion"],
    )
    doc = extract(path)
    assert doc.format == "docx"
    assert doc.text == "Introduction\n\nDetails follow.\n\nName | Score\nAda | 10\n\nConclusion"


def test_docx_merged_cell_text_appears_once(tmp_path: Path) -> None:
    import docx

    path = docgen.make_docx(tmp_path / "merged.docx", ["Before"], [["a", "b"], ["", ""]])
    document = docx.Document(str(path))
    merged = document.tables[0].cell(1, 0).merge(document.tables[0].cell(1, 1))
    merged.text = "spans both"
    document.save(str(path))
    assert extract(path).text == "Before\n\na | b\nspans both"


def test_docx_over_the_uncompressed_limit_is_refused(tmp_path: Path) -> None:
    bomb = docgen.make_zip_bomb_docx(tmp_path / "bomb.docx", inflated_bytes=8 * MIB)
    assert bomb.stat().st_size < 100_000
    error = extract_error(bomb, Limits(max_docx_uncompressed=4 * MIB))
    assert error.kind == "too_large"
    assert "zip bomb" in error.message


def test_docx_with_absurd_compression_ratio_is_refused(tmp_path: Path) -> None:
    # Under the default 200 MB limit, but no Word part inflates a thousandfold.
    bomb = docgen.make_zip_bomb_docx(tmp_path / "ratio.docx", inflated_bytes=16 * MIB)
    error = extract_error(bomb)
    assert error.kind == "too_large"
    assert "times larger" in error.message


def test_docx_that_is_not_a_zip_is_corrupt(tmp_path: Path) -> None:
    path = tmp_path / "fake.docx"
    path.write_bytes(b"This was never a Word file." * 10)
    assert extract_error(path).kind == "corrupt"


def test_docx_with_broken_xml_is_corrupt(tmp_path: Path) -> None:
    good = docgen.make_docx(tmp_path / "good.docx", ["Fine"])
    broken = tmp_path / "broken.docx"
    with zipfile.ZipFile(good) as source, zipfile.ZipFile(broken, "w") as target:
        for entry in source.infolist():
            data = source.read(entry.filename)
            if entry.filename == "word/document.xml":
                data = data[: len(data) // 2]  # cut mid-element
            target.writestr(entry, data)
    assert extract_error(broken).kind == "corrupt"


def test_old_doc_renamed_docx_is_corrupt_and_password_docx_is_encrypted(tmp_path: Path) -> None:
    ole = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 504
    old = tmp_path / "old.docx"
    old.write_bytes(ole + b"WordDocument".ljust(64, b"\x00"))
    error = extract_error(old)
    assert error.kind == "corrupt" and ".doc" in error.message
    locked = tmp_path / "locked.docx"
    locked.write_bytes(ole + "EncryptionInfo".encode("utf-16-le").ljust(64, b"\x00"))
    assert extract_error(locked).kind == "encrypted"


# --------------------------------------------------------------------------------------- HTML


def test_html_drops_script_style_and_head(tmp_path: Path) -> None:
    doc = extract(docgen.make_html(tmp_path / "page.html"))
    assert doc.format == "html"
    assert doc.text == (
        "Main heading\n\nVisible paragraph.\n\n- First item\n- Second & last item\n\n"
        "Name | Value\nalpha | 1"
    )
    for hidden in ("SCRIPT_TEXT", "ALSO_SCRIPT", "color", "NOSCRIPT_TEXT", "Page title"):
        assert hidden not in doc.text


def test_html_lists_keep_their_numbers_and_pictures_their_words() -> None:
    markup = (
        '<p>Steps</p><ol start="3"><li>Cut</li><li>Fold<ul><li>twice</li></ul></li></ol>'
        '<p>See <img src="a.png" alt="a folded  sheet"> and <img src="b.png"></p>'
    )
    assert html_to_text(markup) == (
        "Steps\n\n3. Cut\n4. Fold\n\n- twice\n\nSee [Image: a folded sheet] and"
    )


def test_html_charset_from_meta(tmp_path: Path) -> None:
    path = docgen.make_html(
        tmp_path / "latin.htm", "Crème brûlée à la française", charset="latin-1"
    )
    assert "Crème brûlée à la française" in extract(path).text


def test_xhtml_with_xml_declaration(tmp_path: Path) -> None:
    path = tmp_path / "page.xhtml"
    page = (
        '<?xml version="1.0" encoding="iso-8859-15"?>\n'
        '<html xmlns="http://www.w3.org/1999/xhtml"><head><title>T</title>'
        '<script src="x.js"/></head><body><p>Prix : 5 €</p><p>Suite<br/>ligne</p></body></html>'
    )
    path.write_bytes(page.encode("iso-8859-15"))
    assert extract(path).text == "Prix : 5 €\n\nSuite\nligne"


def test_html_text_layout() -> None:
    markup = (
        "<html><head><title>gone</title><p>Body begins without closing head</p>"
        "<div>one</div><div>two<br><br>three</div><pre>  keep\n    indent</pre>"
        "<template><p>never shown</p></template>x &lt; y &#8212; done"
    )
    assert html_to_text(markup) == (
        "Body begins without closing head\n\none\ntwo\n\nthree\n\n  keep\n    indent\n\n"
        "x < y — done"
    )


# --------------------------------------------------------------------------------------- text


def test_latin1_text_decodes(tmp_path: Path) -> None:
    text = "Größe und Café, déjà vu. Ça coûte très cher, naïve façade."
    assert extract(docgen.write_latin1(tmp_path / "latin.txt", text)).text == text


@pytest.mark.parametrize("bom", [True, False])
def test_utf16_text_decodes(tmp_path: Path, bom: bool) -> None:
    text = "Grüße aus Köln: plain text saved as UTF-16 by a Windows editor."
    assert extract(docgen.write_utf16(tmp_path / "wide.txt", text, bom=bom)).text == text


def test_zero_byte_file_is_empty(tmp_path: Path) -> None:
    assert extract_error(docgen.write_zero_byte(tmp_path / "nothing.txt")).kind == "empty"


def test_binary_renamed_txt_is_corrupt(tmp_path: Path) -> None:
    error = extract_error(docgen.write_binary_as_txt(tmp_path / "picture.txt"))
    assert error.kind == "corrupt"
    assert "binary" in error.message


def test_generic_kinds(tmp_path: Path) -> None:
    assert extract_error(tmp_path / "gone.md").kind == "missing"
    odd = tmp_path / "sheet.xlsx"
    odd.write_bytes(b"PK")
    assert extract_error(odd).kind == "unsupported"
    note = tmp_path / "note.md"
    note.write_text("# Title\n\nBody\n")
    sha = fingerprint(note)[2]
    note.write_text("# Title\n\nBody, edited\n")
    assert extract_error(note, expect_sha256=sha).kind == "changed"


# ------------------------------------------------------------------------------------- engine


def test_worker_fails_each_broken_document_with_its_kind_and_goes_on(tmp_path: Path) -> None:
    folder = tmp_path / "inbox"
    folder.mkdir()
    broken = {
        "scan.pdf": "no_text_layer",
        "locked.pdf": "encrypted",
        "cut.pdf": "corrupt",
        "bomb.docx": "too_large",
        "fake.docx": "corrupt",
        "picture.txt": "corrupt",
        "edited.md": "changed",
        "moved.md": "missing",
    }
    docgen.make_image_only_pdf(folder / "scan.pdf")
    docgen.make_encrypted_pdf(folder / "locked.pdf", "Confidential")
    docgen.make_corrupt_pdf(folder / "cut.pdf")
    docgen.make_zip_bomb_docx(folder / "bomb.docx")  # beyond the default 200 MB limit
    (folder / "fake.docx").write_bytes(b"not a zip at all" * 8)
    docgen.write_binary_as_txt(folder / "picture.txt")
    docgen.write_zero_byte(folder / "empty.txt")
    (folder / "edited.md").write_text("Before the edit.\n")
    (folder / "moved.md").write_text("Soon moved away.\n")
    good = ["report.pdf", "memo.docx", "page.html", "latin.txt", "wide.txt"]
    docgen.make_text_pdf(folder / "report.pdf", ["Quarterly report: revenue grew."])
    docgen.make_docx(folder / "memo.docx", ["Memo about the offsite."], [["Day", "Place"]])
    docgen.make_html(folder / "page.html")
    docgen.write_latin1(folder / "latin.txt", "Déjà vu à Besançon, naïve façade.")
    docgen.write_utf16(folder / "wide.txt", "Grüße aus Köln.")

    async def scenario() -> tuple[list[tuple[str, str, str]], dict[str, object]]:
        engine = await Engine.open(tmp_path / "home", settings=Settings(), clock=FakeClock())
        try:
            outcome = await engine.add_paths([folder])
            # Changed or gone between enqueue and processing.
            (folder / "edited.md").write_text("After the edit.\n")
            (folder / "moved.md").rename(tmp_path / "moved.md")
            await engine.run(until_empty=True)
            jobs = await engine.store.list_jobs()
        finally:
            await engine.close()
        return outcome.report.rejected, {Path(job.path).name: job for job in jobs}

    rejected, jobs = asyncio.run(scenario())

    assert [(Path(p).name, kind) for p, kind, _ in rejected] == [("empty.txt", "empty")]
    assert set(jobs) == set(broken) | set(good)
    for name, kind in broken.items():
        job = jobs[name]
        assert (job.state, job.error_kind) == ("failed", kind), name  # type: ignore[attr-defined]
        assert name in job.error  # type: ignore[attr-defined]
        assert job.attempts == 1, name  # type: ignore[attr-defined]  # permanent: no retries
    for name in good:
        job = jobs[name]
        assert job.state == "done", (name, job.error)  # type: ignore[attr-defined]
        assert job.result  # type: ignore[attr-defined]


def test_file_without_extension_is_read_when_it_is_text(tmp_path: Path) -> None:
    licence = tmp_path / "LICENSE"
    licence.write_text("Permission is hereby granted, free of charge, to any person.\n")
    assert extract(licence).text.startswith("Permission is hereby granted")
    blob = tmp_path / "firmware"
    blob.write_bytes(b"\x7fELF\x02\x01\x01" + bytes(range(256)) * 4)
    error = extract_error(blob)
    assert error.kind == "unsupported" and "no extension" in error.message


def test_folders_take_text_files_without_extension(tmp_path: Path) -> None:
    from core.documents import iter_supported

    (tmp_path / "README").write_text("How to build the project.\n")
    (tmp_path / "core").write_bytes(bytes(range(256)) * 8)  # a core dump, say
    (tmp_path / "notes.txt").write_text("Notes.\n")
    files, rejected = iter_supported([tmp_path])
    assert sorted(p.name for p in files) == ["README", "notes.txt"]
    assert rejected == []
