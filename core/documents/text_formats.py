"""Plain text in any common encoding, detected by charset-normalizer."""

from __future__ import annotations

from charset_normalizer import from_bytes

from core.documents.source import Source
from core.errors import DocumentError

BOMS = (
    (b"\xef\xbb\xbf", "utf-8-sig"),
    # UTF-32 before UTF-16: the UTF-32-LE mark begins with the UTF-16-LE one.
    (b"\xff\xfe\x00\x00", "utf-32"),
    (b"\x00\x00\xfe\xff", "utf-32"),
    (b"\xff\xfe", "utf-16"),
    (b"\xfe\xff", "utf-16"),
)

# Single-byte Western text (Latin-1, Windows-1252) is ambiguous: charset-normalizer often scores
# cp1250 or cp1257 as well as cp1252 and may pick either, garbling "à" into "ŕ". When cp1252 is
# (nearly) as plausible as the winner we take it, as browsers do for unlabelled Western pages.
# Text whose bytes really are Central European, Cyrillic or Greek rules cp1252 out anyway.
_PREFERRED = "cp1252"
_CHAOS_TOLERANCE = 0.1


def _not_text(name: str) -> DocumentError:
    return DocumentError(
        "corrupt",
        f"{name} does not look like text (it holds binary data). Is the extension right?",
    )


def decode_bytes(raw: bytes, name: str) -> str:
    for bom, encoding in BOMS:
        if raw.startswith(bom):
            return raw.decode(encoding, errors="replace")
    # NUL bytes: UTF-16/32 without a byte order mark, or binary data renamed to text. Checked
    # before UTF-8 because ASCII text in UTF-16 is also valid UTF-8 (NULs included).
    if b"\x00" in raw[:8192]:
        best = from_bytes(raw).best()
        if best is None or not (best.encoding or "").startswith(("utf_16", "utf_32")):
            raise _not_text(name)
        return str(best)
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        pass
    matches = from_bytes(raw)
    best = matches.best()
    if best is None:
        raise DocumentError("corrupt", f"{name} does not look like text in any known encoding.")
    for match in matches:
        if match.encoding == _PREFERRED and match.chaos <= best.chaos + _CHAOS_TOLERANCE:
            return str(match)
    return str(best)


def read_text(source: Source) -> str:
    return decode_bytes(source.data, source.name)
