"""Real documents for tests, good and broken, generated on the fly (no binary fixtures in git).

Every function writes one file at ``path`` and returns that path, so tests can write
``doc = make_docx(tmp_path / "a.docx", ["Hello"])``.
"""

from __future__ import annotations

import random
import re
import zipfile
import zlib
from collections.abc import Sequence
from pathlib import Path

import docx
from PIL import Image, ImageDraw, ImageFont
from pypdf import PdfWriter
from reportlab.lib.pagesizes import A4
from reportlab.lib.utils import ImageReader
from reportlab.pdfgen import canvas

_MIB = 1024 * 1024


# ---------------------------------------------------------------------------------------- PDF


def make_text_pdf(path: Path, pages: Sequence[str]) -> Path:
    """A PDF with a real text layer: one page per string, one drawn line per text line."""
    pdf = canvas.Canvas(str(path), pagesize=A4)
    for page in pages:
        y = A4[1] - 72
        for line in page.splitlines():
            pdf.drawString(72, y, line)
            y -= 14
        pdf.showPage()
    pdf.save()
    return path


def make_image_only_pdf(path: Path, pages: int = 1) -> Path:
    """What a scanner produces, as far as text goes: pages with marks on them and no text."""
    pdf = canvas.Canvas(str(path), pagesize=A4)
    for _ in range(pages):
        pdf.rect(72, 400, 300, 200, fill=1)
        pdf.showPage()
    pdf.save()
    return path


def page_picture(text: str, size: tuple[int, int] = (1240, 1754)) -> Image.Image:
    """A page as a scanner sees it: black words on a slightly grey page (150 dpi A4)."""
    picture = Image.new("L", size, 245)
    draw = ImageDraw.Draw(picture)
    font = ImageFont.load_default(size=36)
    for n, line in enumerate(text.splitlines()):
        draw.text((120, 150 + 60 * n), line, fill=20, font=font)
    return picture


def make_scanned_pdf(path: Path, pages: Sequence[str]) -> Path:
    """A scanner's PDF: each page one picture, no text layer."""
    pdf = canvas.Canvas(str(path), pagesize=A4)
    for text in pages:
        pdf.drawImage(ImageReader(page_picture(text)), 0, 0, width=A4[0], height=A4[1])
        pdf.showPage()
    pdf.save()
    return path


def make_photo(path: Path, text: str) -> Path:
    """A photo of a page, as a phone saves it (PNG or JPEG by the suffix)."""
    page_picture(text, (1500, 2000)).convert("RGB").save(path)
    return path


def make_encrypted_pdf(path: Path, text: str, password: str = "secret") -> Path:
    """A PDF that needs ``password`` to open. With ``password=""`` it opens without one and is
    only restricted by its owner password (permission-only encryption)."""
    plain = path.with_name(path.name + ".plain.pdf")
    make_text_pdf(plain, [text])
    writer = PdfWriter(clone_from=plain)
    writer.encrypt(user_password=password, owner_password="owner-" + password,
                   algorithm="AES-128")  # fmt: skip
    with open(path, "wb") as handle:
        writer.write(handle)
    plain.unlink()
    return path


def make_filled_form_pdf(path: Path) -> Path:
    """A form as people send them back: a label on the page, the answers in its fields."""
    pdf = canvas.Canvas(str(path), pagesize=A4)
    pdf.drawString(72, 760, "Application form")
    pdf.acroForm.textfield(name="Applicant", value="Ada Lovelace", x=72, y=700, width=200)
    pdf.acroForm.checkbox(name="Agrees", checked=True, x=72, y=650)
    pdf.acroForm.checkbox(name="Newsletter", checked=False, x=72, y=620)
    pdf.showPage()
    pdf.save()
    return path


def make_pdf_with_broken_page(path: Path) -> Path:
    """Three pages, the second pointing at an object that does not exist (a damaged page)."""
    make_text_pdf(path, ["First page survives.", "Second page is lost.", "Third page survives."])
    data = path.read_bytes()
    kids = re.search(rb"/Kids \[ ?(\d+) 0 R (\d+) 0 R (\d+) 0 R ?\]", data)
    assert kids is not None
    broken = kids.group(0).replace(kids.group(2) + b" 0 R", b"999 0 R")
    path.write_bytes(data.replace(kids.group(0), broken))
    return path


def make_corrupt_pdf(path: Path) -> Path:
    """A PDF cut off halfway (an interrupted download), with garbage where the rest should be."""
    full = path.with_name(path.name + ".full.pdf")
    make_text_pdf(full, ["This text will be cut off.", "So will this page."])
    data = full.read_bytes()
    full.unlink()
    path.write_bytes(data[: len(data) // 2] + bytes(random.Random(7).randbytes(512)))
    return path


# --------------------------------------------------------------------------------------- DOCX


def make_docx(
    path: Path,
    paragraphs: Sequence[str],
    table: Sequence[Sequence[str]] | None = None,
    *,
    after_table: Sequence[str] = (),
) -> Path:
    """A Word document: ``paragraphs``, then ``table`` (rows of cell texts), then
    ``after_table`` paragraphs (to check reading order)."""
    document = docx.Document()
    for text in paragraphs:
        document.add_paragraph(text)
    if table:
        grid = document.add_table(rows=len(table), cols=max(len(row) for row in table))
        for r, row in enumerate(table):
            for c, text in enumerate(row):
                grid.cell(r, c).text = text
    for text in after_table:
        document.add_paragraph(text)
    document.save(str(path))
    return path


def make_zip_bomb_docx(path: Path, inflated_bytes: int = 210 * _MIB) -> Path:
    """A valid-looking .docx whose word/document.xml inflates to ``inflated_bytes``.

    The default passes the default 200 MiB DOCX limit and takes well under a second to write
    (about 200 KB on disk); tests of the guard itself can pass a small size with a small
    ``Limits.max_docx_uncompressed``.
    """
    template = path.with_name(path.name + ".template.docx")
    make_docx(template, ["placeholder"])
    head = (
        b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        b'<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">'
        b"<w:body><w:p><w:r><w:t>"
    )
    tail = b"</w:t></w:r></w:p></w:body></w:document>"
    with zipfile.ZipFile(template) as source, zipfile.ZipFile(path, "w") as bomb:
        for entry in source.infolist():
            if entry.filename != "word/document.xml":
                bomb.writestr(entry, source.read(entry.filename))
                continue
            info = zipfile.ZipInfo("word/document.xml", date_time=entry.date_time)
            info.compress_type = zipfile.ZIP_DEFLATED
            block = b"A" * _MIB
            left = max(inflated_bytes - len(head) - len(tail), 0)
            with bomb.open(info, "w", force_zip64=inflated_bytes > 0xFFFF_0000) as out:
                out.write(head)
                while left:
                    out.write(block[: min(left, _MIB)])
                    left -= min(left, _MIB)
                out.write(tail)
    template.unlink()
    return path


# --------------------------------------------------------------------------------------- HTML


def make_html(path: Path, body: str = "Visible paragraph.", *, charset: str = "utf-8") -> Path:
    """A page with a <script>, a <style> and other things a reader never sees."""
    page = f"""<!DOCTYPE html>
<html>
<head>
  <meta charset="{charset}">
  <title>Page title</title>
  <style>body {{ color: red; }} .hidden-style-text {{ display: none }}</style>
  <script>var secret = "SCRIPT_TEXT"; document.write("<p>written</p>");</script>
</head>
<body>
  <h1>Main heading</h1>
  <p>{body}</p>
  <script type="text/javascript">console.log("ALSO_SCRIPT")</script>
  <noscript>NOSCRIPT_TEXT</noscript>
  <ul><li>First item</li><li>Second &amp; last item</li></ul>
  <table><tr><th>Name</th><th>Value</th></tr><tr><td>alpha</td><td>1</td></tr></table>
</body>
</html>
"""
    path.write_bytes(page.encode(charset))
    return path


# --------------------------------------------------------------------------------------- text


def write_latin1(path: Path, text: str) -> Path:
    path.write_bytes(text.encode("latin-1"))
    return path


def write_utf16(path: Path, text: str, *, bom: bool = True) -> Path:
    path.write_bytes(text.encode("utf-16" if bom else "utf-16-le"))
    return path


def write_zero_byte(path: Path) -> Path:
    path.write_bytes(b"")
    return path


def write_binary_as_txt(path: Path) -> Path:
    """Binary data (a PNG header, then noise) under a text file's name."""
    noise = random.Random(42).randbytes(4096)
    path.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + zlib.compress(noise) + noise)
    return path
