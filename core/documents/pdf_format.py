"""PDF through pypdf: the text layer, page by page."""

from __future__ import annotations

import io
import logging

from pypdf import PasswordType, PdfReader
from pypdf.errors import DependencyError, FileNotDecryptedError, PyPdfError

from core.documents.extract import register
from core.documents.source import Source
from core.errors import DocumentError

log = logging.getLogger(__name__)

# pypdf raises its own errors for most damage, but a badly broken file can surface as a plain
# ValueError, KeyError, TypeError... from deep inside the parser. All of them mean "corrupt".
_DAMAGE = (PyPdfError, ValueError, KeyError, TypeError, IndexError, AttributeError, AssertionError,
           RecursionError, ZeroDivisionError)  # fmt: skip


def _corrupt(name: str, exc: BaseException, where: str = "") -> DocumentError:
    log.info("pdf %s unreadable%s: %r", name, where, exc)
    return DocumentError(
        "corrupt",
        f"{name} is damaged and cannot be read as a PDF{where} ({exc}). "
        "Open it in a PDF viewer and save or print it to a new PDF, then add that copy.",
    )


def _open(name: str, data: bytes) -> PdfReader:
    try:
        reader = PdfReader(io.BytesIO(data))
        # Many PDFs are encrypted only to restrict printing or copying, with an empty password
        # for opening: those we can read like any other.
        if reader.is_encrypted and reader.decrypt("") == PasswordType.NOT_DECRYPTED:
            raise DocumentError(
                "encrypted",
                f"{name} is protected by a password. Open it with the password, "
                "save an unprotected copy, and add that copy.",
            )
        return reader
    except (DocumentError, OSError):
        raise
    except (DependencyError, FileNotDecryptedError) as exc:
        # An encryption scheme pypdf cannot undo without an extra library.
        raise DocumentError(
            "encrypted",
            f"{name} uses an encryption Paceline cannot open ({exc}). Save an "
            "unprotected copy and add that copy.",
        ) from exc
    except _DAMAGE as exc:
        raise _corrupt(name, exc) from exc


def read_pdf(source: Source) -> str:
    name, limits = source.name, source.limits
    reader = _open(name, source.data)
    try:
        pages = reader.pages
        count = len(pages)
    except _DAMAGE as exc:
        raise _corrupt(name, exc) from exc
    if count == 0:
        raise DocumentError("empty", f"{name} is a PDF without any pages.")
    texts: list[str] = []
    total = 0
    for number in range(count):
        try:
            text = (pages[number].extract_text() or "").strip()
        except _DAMAGE as exc:
            raise _corrupt(name, exc, f" (page {number + 1} of {count})") from exc
        if text:
            texts.append(text)
            total += len(text) + (2 if len(texts) > 1 else 0)  # as joined below
        if total > limits.max_chars:
            # No need to read the other pages of a document we are going to refuse.
            raise DocumentError(
                "too_large",
                f"{name} holds more than {limits.max_chars:,} characters of text (the "
                f"limit was passed on page {number + 1} of {count}). Split it, or raise the "
                "limit in Settings.",
            )
    if not texts:
        raise DocumentError(
            "no_text_layer",
            f"{name} has {count} page{'s' if count != 1 else ''} but no text to extract: "
            "it is probably a scan or made of images. Run it through OCR (for example "
            "ocrmypdf, or your scanner's software) and add the result.",
        )
    return "\n\n".join(texts)


register(frozenset({".pdf"}), "pdf", read_pdf)
