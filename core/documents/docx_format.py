"""DOCX through python-docx: paragraphs and table cells in reading order, zip bombs refused."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterator

import docx
from docx.opc.exceptions import OpcError
from docx.table import Table
from docx.text.paragraph import Paragraph
from lxml.etree import LxmlError

from core.documents.extract import register
from core.documents.source import Source
from core.errors import DocumentError

# Apache POI's ZipSecureFile defaults: a part inflating more than 100x is treated as a bomb once
# it is bigger than a grace size (tiny parts compress oddly). Real Word parts stay near 30x.
MAX_RATIO = 100
RATIO_GRACE_BYTES = 100 * 1024
MAX_ENTRIES = 10_000
# Password-protected Office files are not zips but OLE compound files holding the encrypted
# package; legacy .doc files are OLE files too.
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
OLE_ENCRYPTION_MARK = "EncryptionInfo".encode("utf-16-le")


def _check_container(source: Source) -> None:
    """Refuse what is not a zip, or a zip that would inflate beyond reason, before parsing.

    The sizes come from the central directory. They cannot lie to us: zipfile stops each part
    at its declared size and then fails its CRC check, so a part never inflates past them.
    """
    name, limits = source.name, source.limits
    if source.data[:8] == OLE_MAGIC:
        if OLE_ENCRYPTION_MARK in source.data:
            raise DocumentError(
                "encrypted",
                f"{name} is protected by a password. Open it in Word with the password, "
                "save an unprotected copy, and add that copy.",
            )
        raise DocumentError(
            "corrupt",
            f"{name} is not a .docx file inside (it looks like an old Word .doc). Open "
            "it in Word or LibreOffice and save it as .docx.",
        )
    try:
        with zipfile.ZipFile(io.BytesIO(source.data)) as archive:
            entries = archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, EOFError) as exc:
        raise DocumentError(
            "corrupt",
            f"{name} is damaged or not really a .docx file ({exc}). Open it in Word or "
            "LibreOffice and save it again.",
        ) from exc
    if len(entries) > MAX_ENTRIES:
        raise DocumentError(
            "too_large",
            f"{name} holds {len(entries):,} parts, far more than any real document. "
            "Paceline refused to open it.",
        )
    total = sum(entry.file_size for entry in entries)
    if total > limits.max_docx_uncompressed:
        raise DocumentError(
            "too_large",
            f"{name} would unpack to {total / 1e6:,.1f} MB; the limit is "
            f"{limits.max_docx_uncompressed / 1e6:,.0f} MB. Such a file is either huge or a "
            "'zip bomb'. Split it, or raise the limit in Settings if you trust it.",
        )
    for entry in entries:
        ratio = entry.file_size / max(entry.compress_size, 1)
        if entry.file_size > RATIO_GRACE_BYTES and ratio > MAX_RATIO:
            raise DocumentError(
                "too_large",
                f"{name} looks like a 'zip bomb': its part {entry.filename} would unpack "
                f"{ratio:,.0f} times larger than it is stored. Paceline refused to open it.",
            )


def _table_text(table: Table) -> str:
    """One line per row, cells apart by " | "; a cell's own paragraphs share its line."""
    rows: list[str] = []
    # A merged cell shows up once per grid position it covers; say its text only once.
    seen: set[object] = set()
    for row in table.rows:
        cells: list[str] = []
        for cell in row.cells:
            if cell._tc in seen:
                continue
            seen.add(cell._tc)
            text = " ".join(" ".join(_blocks(cell.iter_inner_content())).split())
            if text:
                cells.append(text)
        if cells:
            rows.append(" | ".join(cells))
    return "\n".join(rows)


def _blocks(content: Iterator[Paragraph | Table]) -> Iterator[str]:
    for block in content:
        text = block.text if isinstance(block, Paragraph) else _table_text(block)
        if text.strip():  # Word users space things out with empty paragraphs
            yield text.strip()


def read_docx(source: Source) -> str:
    _check_container(source)
    name = source.name
    try:
        document = docx.Document(io.BytesIO(source.data))
        return "\n\n".join(_blocks(document.iter_inner_content()))
    except (OpcError, zipfile.BadZipFile, LxmlError, KeyError, ValueError) as exc:
        # KeyError: a part named in the package's relationships is missing.
        # ValueError: python-docx found a package that is not a Word document (e.g. .xlsx).
        raise DocumentError(
            "corrupt",
            f"{name} is damaged or not a Word document ({exc}). Open it in Word or "
            "LibreOffice and save it again.",
        ) from exc


register(frozenset({".docx"}), "docx", read_docx)
