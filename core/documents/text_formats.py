"""Plain text in any common encoding, detected by charset-normalizer."""

from __future__ import annotations

from pathlib import Path

from charset_normalizer import from_bytes

from core.errors import DocumentError

BOMS = (
    (b"\xef\xbb\xbf", "utf-8-sig"),
    (b"\xff\xfe", "utf-16"),
    (b"\xfe\xff", "utf-16"),
)


def decode_bytes(raw: bytes, name: str) -> str:
    for bom, encoding in BOMS:
        if raw.startswith(bom):
            return raw.decode(encoding, errors="replace")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        pass
    # Binary data renamed to .txt: NUL bytes outside a UTF-16 text mean it is not text.
    if b"\x00" in raw[:8192]:
        best = from_bytes(raw[:65536]).best()
        if best is None or not (best.encoding or "").startswith("utf_16"):
            raise DocumentError(
                "corrupt",
                f"{name} does not look like text (it holds binary data). Is the extension "
                "right?",
            )
    best = from_bytes(raw).best()
    if best is None:
        raise DocumentError(
            "corrupt", f"{name} does not look like text in any known encoding."
        )
    return str(best)


def read_text(path: Path, limits: object) -> str:
    return decode_bytes(path.read_bytes(), path.name)
