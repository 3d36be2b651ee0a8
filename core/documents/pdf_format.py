"""PDF through PDFium (pypdfium2, the engine Chrome uses): the text layer, page by page.

PDFium repairs what real files get wrong (a missing or broken cross-reference table, bad
offsets), keeps words apart by their positions on the page, and decodes CJK fonts through their
CMaps. A page it cannot read is noted in the job's log and the other pages are used.
"""

from __future__ import annotations

import contextlib
import ctypes
import logging
import math
import re
import threading
from collections.abc import Callable

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c

from core.documents import page_images
from core.documents.extract import register
from core.documents.source import Source
from core.errors import RAISE_SETTING, DocumentError, resave_advice
from core.vision import EXAMPLES

log = logging.getLogger(__name__)

# A tiny page (a business card) is not blown up beyond 300 dpi: more pixels add nothing.
MAX_RENDER_SCALE = 300 / 72

# PDFium is not thread-safe; pypdfium2 asks callers to serialise all use of it in a process.
_PDFIUM = threading.Lock()

# Pages sampled to judge a document's size before reading all of it: spread over the file, so
# a front matter of blank pages does not make a long text look short.
SIZE_SAMPLE_PAGES = 8
# Refuse up front only when the sample says the text is clearly over the limit; near the limit,
# extraction runs and stops at the exact character where it is passed.
SIZE_SAMPLE_MARGIN = 2.0


_NO_PAGE = re.compile(rb"/Type\s*/Page(?![s\w])")
_EMPTY_TREE = re.compile(rb"/Count\s+0(?!\d)")


def _corrupt(name: str, detail: str) -> DocumentError:
    return DocumentError(
        "corrupt",
        f"{name} is damaged and cannot be read as a PDF ({detail}). "
        + resave_advice("a PDF viewer"),
    )


def _too_large(name: str, what: str, setting: str | None = "max_chars") -> DocumentError:
    how = f"Split it, or {RAISE_SETTING[setting]}." if setting else "Split it."
    return DocumentError("too_large", f"{name} holds {what}. {how}")


def _open(source: Source) -> pdfium.PdfDocument:
    try:
        # No password: PDFium then tries the empty one, which opens the many PDFs encrypted only
        # to restrict printing or copying.
        pdf = pdfium.PdfDocument(source.data)
    except pdfium.PdfiumError as exc:
        raise _open_error(source, exc) from exc
    # Forms must be set up before any page is loaded, or their fields cannot be read.
    with contextlib.suppress(pdfium.PdfiumError):
        pdf.init_forms()
    return pdf


def _open_error(source: Source, exc: pdfium.PdfiumError) -> DocumentError:
    if exc.err_code in (pdfium_c.FPDF_ERR_PASSWORD, pdfium_c.FPDF_ERR_SECURITY):
        return DocumentError(
            "encrypted",
            f"{source.name} is protected by a password. Open it with the password, save an "
            "unprotected copy, and add that copy.",
        )
    if _NO_PAGE.search(source.data) is None and _EMPTY_TREE.search(source.data):
        # PDFium refuses a document whose page tree is empty without setting an error code
        # (the last one stays), so this case is recognised from the file itself.
        return DocumentError("empty", f"{source.name} is a PDF without any pages.")
    if exc.err_code == pdfium_c.FPDF_ERR_FORMAT:
        return _corrupt(source.name, "it is not a PDF, or its structure is broken")
    return _corrupt(source.name, str(exc))


def _page_text(pdf: pdfium.PdfDocument, index: int, seen_fields: set[str]) -> str:
    page = pdf[index]
    try:
        textpage = page.get_textpage()
        try:
            text = textpage.get_text_range()
        finally:
            textpage.close()
        fields = _filled_fields(pdf, page, seen_fields)
    finally:
        page.close()
    # PDFium ends lines with CRLF and marks soft hyphens and line-end hyphens with U+FFFE/U+0002.
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\ufffe", "").replace("\x02", "")
    return "\n".join([text.strip(), *fields]) if fields else text


# Widgets whose value is what someone typed or chose; buttons and signatures carry none.
_VALUE_FIELDS = frozenset({
    pdfium_c.FPDF_FORMFIELD_TEXTFIELD, pdfium_c.FPDF_FORMFIELD_COMBOBOX,
    pdfium_c.FPDF_FORMFIELD_LISTBOX,
})  # fmt: skip
_CHOICE_FIELDS = frozenset({pdfium_c.FPDF_FORMFIELD_CHECKBOX, pdfium_c.FPDF_FORMFIELD_RADIOBUTTON})


def _filled_fields(pdf: pdfium.PdfDocument, page: pdfium.PdfPage, seen: set[str]) -> list[str]:
    """A filled-in form's answers ("Name: Alice"), which the text layer does not hold: they
    live in the form's fields, drawn by the viewer. Each field once per document."""
    form = pdf.formenv
    if form is None:
        return []
    lines: list[str] = []
    for index in range(pdfium_c.FPDFPage_GetAnnotCount(page)):
        annot = pdfium_c.FPDFPage_GetAnnot(page, index)
        if not annot:
            continue
        try:
            if pdfium_c.FPDFAnnot_GetSubtype(annot) != pdfium_c.FPDF_ANNOT_WIDGET:
                continue
            kind = pdfium_c.FPDFAnnot_GetFormFieldType(form, annot)
            if kind in _CHOICE_FIELDS and not pdfium_c.FPDFAnnot_IsChecked(form, annot):
                continue
            if kind not in _VALUE_FIELDS | _CHOICE_FIELDS:
                continue
            value = _wide(pdfium_c.FPDFAnnot_GetFormFieldValue, form, annot).strip()
            name = _wide(pdfium_c.FPDFAnnot_GetFormFieldName, form, annot).strip()
            line = f"{name}: {value}" if name else value
            if value and value != "Off" and line not in seen:
                seen.add(line)
                lines.append(line)
        finally:
            pdfium_c.FPDFPage_CloseAnnot(annot)
    return lines


def _wide(getter: Callable[..., int], *args: object) -> str:
    """A UTF-16 string from a PDFium getter that takes (…, buffer, length) and returns the size
    it needs in bytes, terminator included."""
    size = getter(*args, None, 0)
    if size <= 2:
        return ""
    buffer = ctypes.create_string_buffer(size)
    getter(*args, ctypes.cast(buffer, ctypes.POINTER(pdfium_c.FPDF_WCHAR)), size)
    return buffer.raw[: size - 2].decode("utf-16-le", errors="replace")


def _estimated_chars(pdf: pdfium.PdfDocument, count: int) -> int:
    step = max(1, count // SIZE_SAMPLE_PAGES)
    sampled = list(range(0, count, step))[:SIZE_SAMPLE_PAGES]
    chars = 0
    for index in sampled:
        page = pdf[index]
        try:
            textpage = page.get_textpage()
            chars += textpage.count_chars()
            textpage.close()
        except pdfium.PdfiumError:
            pass  # the full pass notes it
        finally:
            page.close()
    return chars * count // len(sampled)


def read_pdf(source: Source) -> str:
    with _PDFIUM:
        pdf = _open(source)
        try:
            return _read_pages(source, pdf)
        finally:
            pdf.close()


def _read_pages(source: Source, pdf: pdfium.PdfDocument) -> str:
    name, limits = source.name, source.limits
    count = len(pdf)
    if count == 0:
        raise DocumentError("empty", f"{name} is a PDF without any pages.")
    if count > limits.max_pages:
        # not a setting: past it, a document is a book to split, not a call to make
        raise _too_large(name, f"{count:,} pages; the limit is {limits.max_pages:,}", None)
    if count > SIZE_SAMPLE_PAGES:
        estimate = _estimated_chars(pdf, count)
        if estimate > limits.max_chars * SIZE_SAMPLE_MARGIN:
            raise _too_large(
                name,
                f"about {estimate:,} characters of text in {count:,} pages; the limit is "
                f"{limits.max_chars:,} characters",
            )
    texts: list[str] = []
    seen_fields: set[str] = set()
    bad_pages: list[int] = []
    blank_pages = 0
    total = 0
    for index in range(count):
        try:
            text = _page_text(pdf, index, seen_fields).strip()
        except pdfium.PdfiumError as exc:
            log.info("pdf %s page %d unreadable: %s", name, index + 1, exc)
            bad_pages.append(index + 1)
            continue
        if not text:
            if limits.render_images and _render_page(pdf, index, source):
                continue
            blank_pages += 1
            continue
        texts.append(text)
        total += len(text) + (2 if len(texts) > 1 else 0)  # as joined below
        if total > limits.max_chars:
            # No need to read the other pages of a document we are going to refuse.
            raise _too_large(
                name,
                f"more than {limits.max_chars:,} characters of text (the limit was passed on "
                f"page {index + 1} of {count:,})",
            )
    if bad_pages:
        if not texts:
            raise _corrupt(name, f"none of its {count} pages could be read")
        source.note(
            f"{len(bad_pages)} of {count} pages could not be read and were left out "
            f"(page {', '.join(map(str, bad_pages[:10]))}{'…' if len(bad_pages) > 10 else ''})."
        )
    if not texts and not source.images:
        pages = f"{count} page{'s' if count != 1 else ''}"
        if limits.render_images:
            raise DocumentError("empty", f"{name} has {pages}, all of them blank.")
        raise DocumentError(
            "no_text_layer",
            f"{name} has {pages} but no text to extract: it is probably a scan. A model that "
            f"reads images can read it, such as {EXAMPLES}: choose one in Settings and "
            "re-trigger this job. Or run it through OCR (for example ocrmypdf) and add the "
            "result.",
        )
    if blank_pages:
        what = "are blank" if limits.render_images else "have no text (blank, or images only)"
        source.note(f"{blank_pages} of {count} pages {what} and were left out.")
    if source.images:
        source.note(f"{len(source.images)} of {count} pages have no text and go to the model "
                    "as images.")  # fmt: skip
    return "\n\n".join(texts)


def _render_page(pdf: pdfium.PdfDocument, index: int, source: Source) -> bool:
    """A page without text, as an image for the model; False if there is nothing on it."""
    page = pdf[index]
    try:
        if pdfium_c.FPDFPage_CountObjects(page) == 0:
            return False
        if len(source.images) >= source.limits.max_images:
            raise _too_large(
                source.name,
                f"more than {source.limits.max_images} pages without text (scans); each "
                "becomes an image in a paid call",
            )
        width, height = page.get_size()  # points: pixels at scale 1
        scale = math.sqrt(source.limits.max_image_pixels / max(1.0, width * height))
        bitmap = page.render(scale=min(scale, MAX_RENDER_SCALE))
        try:
            image = bitmap.to_pil()
        finally:
            bitmap.close()
    finally:
        page.close()
    source.images.append(
        page_images.encode(image, f"page {index + 1}", source.limits.max_image_pixels)
    )
    return True


register(frozenset({".pdf"}), "pdf", read_pdf)
