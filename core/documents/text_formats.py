"""Plain text in any common encoding.

Evidence, strongest first: a byte order mark; mainframe EBCDIC (told by its space byte);
UTF-16/32 without a mark (told by NUL and control bytes, which also tell binary data); an
encoding the file declares (XML declaration, Emacs/Vim/PEP 263 coding line); ISO-2022 escape
sequences and HZ shifts; UTF-8; then charset-normalizer's judgement among the legacy encodings
real documents use, with a tie-break by alphabet for Latin-script text, and a second opinion
from every single-byte code page (DOS, Mac, rarer ISO) when the winner's letters read badly,
and DOS Hebrew where DOS Cyrillic reads only capitals. Control bytes strewn through otherwise
clean text (no NUL) are left out rather than taken for binary data.
"""

from __future__ import annotations

import codecs
import re
import unicodedata
from collections import Counter
from dataclasses import dataclass, replace
from itertools import islice

from charset_normalizer import CharsetMatch, CharsetMatches, from_bytes

from core.documents.source import Source
from core.errors import DocumentError, resave_advice

BOMS = (
    (b"\xef\xbb\xbf", "utf-8-sig"),
    # UTF-32 before UTF-16: the UTF-32-LE mark begins with the UTF-16-LE one.
    (b"\xff\xfe\x00\x00", "utf-32"),
    (b"\x00\x00\xfe\xff", "utf-32"),
    (b"\xff\xfe", "utf-16"),
    (b"\xfe\xff", "utf-16"),
)

# What charset-normalizer may choose from. Left to itself it also weighs code pages almost no
# document is written in (hp_roman8, EBCDIC, Mac Icelandic...), and one of those winning by a
# hair garbles the text: Finnish Latin-1 came out as hp_roman8. Measured on chardet's test files
# (and on their first sentences): mac_cyrillic, cp855 and johab decode 35 files nothing else
# does and cost no other file; adding mac_roman and the DOS Latin pages (437, 850, 852) loses 2
# files and 7 sentences; ISO-8859-16, which hardly anyone used, 3 Romanian sentences.
CANDIDATES: tuple[str, ...] = (
    # Western, Central European, Baltic, Turkish, Vietnamese
    "cp1252", "iso8859_15", "cp1250", "iso8859_2", "cp1257", "iso8859_13", "cp1254",
    "iso8859_9", "cp1258",
    # Cyrillic
    "cp1251", "koi8_r", "koi8_u", "iso8859_5", "cp866", "cp855", "mac_cyrillic",
    # Greek, Hebrew, Arabic, Thai
    "cp1253", "iso8859_7", "cp1255", "iso8859_8", "cp1256", "iso8859_6", "cp874", "tis_620",
    # Japanese, Chinese, Korean
    "shift_jis", "cp932", "euc_jp", "gb2312", "gbk", "gb18030", "big5", "cp950", "euc_kr",
    "cp949", "johab",
)  # fmt: skip

_MULTIBYTE = frozenset(
    codecs.lookup(encoding).name
    for encoding in ("shift_jis", "cp932", "euc_jp", "gb2312", "gbk", "gb18030", "big5",
                     "cp950", "euc_kr", "cp949", "johab", "hz")
)  # fmt: skip

# Tried only when none of the above fits (so they never take a file from them): DOS and Mac
# code pages of old files, mainframe EBCDIC, and the rarer ISO and Central Asian pages.
# Measured on chardet 6's test files, this turns 73 files refused as "unknown encoding" into
# text (the garbled-text check, core/documents/quality.py, still flags a wrong guess).
RARE_CANDIDATES: tuple[str, ...] = (
    "cp437", "cp850", "cp852", "cp858", "cp775", "cp857", "cp860", "cp861", "cp862", "cp863",
    "cp865", "cp869", "cp737", "cp720", "cp856", "cp1125", "mac_roman", "mac_latin2",
    "mac_greek", "mac_turkish", "mac_iceland", "iso8859_3", "iso8859_4", "iso8859_10",
    "iso8859_14", "iso8859_16", "ptcp154", "kz1048", "koi8_t", "cp037", "cp500", "cp1026",
    "cp875", "cp424", "hz",
)  # fmt: skip

# Mainframe EBCDIC: US/Canada, international, German, Turkish, Hebrew, Greek. Tried first when
# the bytes have EBCDIC's shape (see _looks_like_ebcdic), and only then. Where two read equally
# well, the earlier one wins: German read as Turkish EBCDIC is all Turkish letters ("Grüße"
# becomes "Grğöe"), while Turkish text has its dotless ı, which German EBCDIC has not; Hebrew
# read as Greek EBCDIC is all capitals, and Greek text has small letters Hebrew EBCDIC lacks.
EBCDIC: tuple[str, ...] = ("cp037", "cp500", "cp273", "cp1026", "cp424", "cp875")

# Only the decision needs a sample: detection looks at this much of a big file (its start,
# middle and end); the text itself is then decoded from every byte.
SAMPLE_BYTES = 64 * 1024
# charset-normalizer judges `steps` chunks of `chunk_size` bytes and drops an encoding when a
# quarter of them look messy (at least two). Japanese text trips its weird-word test now and
# then: with its defaults (5 x 512) two Shift_JIS files of chardet's tests come out wrong, with
# 16 x 512 (8 KB looked at, four bad chunks to drop one) none does.
_STEPS = 16
_CHUNK = 512

# Formats whose first bytes may pass for text (PDF opens with ASCII lines); most other binary
# files hold NUL bytes early and fail the control-byte test anyway.
NOT_TEXT_MAGIC = (
    b"%PDF-",
    b"PK\x03\x04",  # zip: docx, xlsx, odt, epub, jar
    b"PK\x05\x06",
    b"\x7fELF",
    b"\x89PNG\r\n\x1a\n",
    b"\xff\xd8\xff",  # JPEG
    b"GIF87a",
    b"GIF89a",
    b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1",  # OLE: doc, xls, msg
    b"\x1f\x8b",  # gzip
    b"7z\xbc\xaf\x27\x1c",
    b"\xfd7zXZ\x00",
    b"Rar!\x1a\x07",
    b"\xca\xfe\xba\xbe",  # Java class, Mach-O universal
    b"\xcf\xfa\xed\xfe",  # Mach-O
    b"SQLite format 3\x00",
    b"OggS",
    b"fLaC",
    b"II*\x00",  # TIFF
    b"MM\x00*",
    b"wOFF",
    b"wOF2",
    b"\x00asm",
)
# C0 control bytes that text does not contain. Tab, LF, VT, FF, CR are layout; ESC starts
# ISO-2022 escapes and terminal colours in logs; SO/SI are ISO-2022-KR shifts; Ctrl-Z ends old
# DOS files.
_CONTROL = re.compile(rb"[\x00-\x08\x10-\x19\x1c-\x1f\x7f]")
_MAX_CONTROL_SHARE = 0.02


@dataclass(frozen=True)
class Decoded:
    text: str
    encoding: str  # Python codec name
    # How the encoding was found: bom, declared, iso-2022, utf-16/32 pattern, utf-8, detected.
    how: str
    replaced: int = 0  # bytes that did not decode and became U+FFFD
    controls_dropped: int = 0  # stray control bytes left out (see _without_stray_controls)


# ------------------------------------------------------------------------- public functions


def decode_bytes(raw: bytes, name: str) -> str:
    return decode(raw, name).text


def read_text(source: Source) -> str:
    decoded = decode(source.data, source.name)
    if decoded.how in ("detected", "utf-16/32 pattern"):
        # A guess: say which, so a person who sees odd letters knows what to re-save.
        source.note(f"No encoding declared; read as {_label(decoded.encoding)}.")
    if decoded.replaced:
        source.note(
            f"{decoded.replaced} byte(s) are not valid {_label(decoded.encoding)} and were "
            "replaced by \N{REPLACEMENT CHARACTER}."
        )
    if decoded.controls_dropped:
        source.note(
            f"{decoded.controls_dropped} control byte(s) strewn through the text were left out."
        )
    return decoded.text


def looks_like_text(head: bytes) -> bool:
    """Whether a file whose first bytes are ``head`` (8 KiB is plenty) is text.

    For files without an extension (LICENSE, README, CHANGES). True for text in any encoding
    we can decode, and for text in an encoding we recognise but cannot decode (EUC-TW): reading
    it then fails with a message that says how to convert it, which helps more than silence.
    """
    if not head or head.startswith(NOT_TEXT_MAGIC):
        return False
    for bom, encoding in BOMS:
        if head.startswith(bom):
            return _decodes(head, encoding, final=False)
    if _looks_like_ebcdic(head) and _ranked(head, EBCDIC):
        return True
    if _binary(head):
        if _wide_unicode(head) is not None:
            return True
        cleaned = _without_stray_controls(head)
        return cleaned is not None and looks_like_text(cleaned)
    if head.isascii() or _decodes(head, "utf-8", final=False):
        return True
    # The head may end inside a character: cut it where no character can be split.
    sample = _piece(head, 0, len(head) - 1) or head
    return bool(_ranked(sample)) or _looks_like_euc_tw(sample)


def decode(raw: bytes, name: str) -> Decoded:
    """The text in ``raw`` and how its encoding was found, or a DocumentError."""
    for bom, encoding in BOMS:
        if raw.startswith(bom):
            return _decode_all(raw, encoding, "bom")
    head = raw[:8192]
    if raw.startswith(NOT_TEXT_MAGIC):
        raise _not_text(name)
    if _looks_like_ebcdic(head):
        ebcdic = _ebcdic(raw)
        if ebcdic:
            return ebcdic
    if _binary(head):
        wide = _wide_unicode(head)
        if wide:
            return _decode_all(raw, wide, "utf-16/32 pattern")
        strewn = _text_with_stray_controls(raw, name)
        if strewn:
            return strewn
        raise _not_text(name)
    declared = _declared(head, raw)
    if declared:
        try:
            return Decoded(raw.decode(declared), declared, "declared")
        except UnicodeDecodeError:
            pass  # the declaration is wrong: let the bytes speak
    if raw.isascii():
        iso2022 = _iso2022(raw, name)
        if iso2022:
            return iso2022
        hz = _hz(raw)
        if hz:
            return hz
        return Decoded(raw.decode("ascii"), "ascii", "utf-8")
    utf8 = _utf8(raw)
    if utf8:
        return utf8
    if _looks_like_euc_tw(raw):
        raise _unknown(name, "Traditional Chinese in EUC-TW")
    return _detect(raw, name)


# ------------------------------------------------------------------------------ the steps


def _decode_all(raw: bytes, encoding: str, how: str) -> Decoded:
    try:
        return Decoded(raw.decode(encoding), encoding, how)
    except UnicodeDecodeError:
        text = raw.decode(encoding, errors="replace")
        return Decoded(text, encoding, how, replaced=max(1, text.count("\ufffd")))


def _decodes(data: bytes, encoding: str, *, final: bool) -> bool:
    """Whether ``data`` is valid ``encoding``; with ``final=False`` a cut last character is fine."""
    try:
        codecs.getincrementaldecoder(encoding)().decode(data, final=final)
    except (UnicodeDecodeError, LookupError):
        return False
    return True


def _wide_unicode(head: bytes) -> str | None:
    """UTF-16 or UTF-32 without a byte order mark, for a head with NULs or control bytes.

    Checked before UTF-8 because ASCII text in UTF-16 is valid UTF-8 as well (NULs included).
    Each Latin letter, digit, space or line break puts its NUL on the same side of a UTF-16
    pair, so that side says the byte order; Chinese without any ASCII has no NULs, but its
    punctuation (U+3001, U+3002) looks like control bytes, and the wrong byte order reads as
    unassigned code points. Binary data rarely survives a strict UTF-16 decode (one stray
    surrogate is enough), and when it does it reads as NULs and control characters.
    """
    if len(head) < 4:
        return None
    data = head[: len(head) - len(head) % 4]
    quads = len(data) // 4
    lanes = [data[i::4] for i in range(4)]
    # UTF-32: the top byte of every code point is 0 and the next one at most 0x10.
    if lanes[3].count(0) == quads and max(lanes[2]) <= 0x10:
        return "utf-32-le" if _oddity(data, "utf-32-le") <= _MAX_ODDITY else None
    if lanes[0].count(0) == quads and max(lanes[1]) <= 0x10:
        return "utf-32-be" if _oddity(data, "utf-32-be") <= _MAX_ODDITY else None
    zeros = [lane.count(0) for lane in lanes]
    odd_side, even_side = zeros[1] + zeros[3], zeros[0] + zeros[2]
    oddity = {encoding: _oddity(data, encoding) for encoding in ("utf-16-le", "utf-16-be")}
    if odd_side != even_side:
        order = ["utf-16-le", "utf-16-be"] if odd_side > even_side else ["utf-16-be", "utf-16-le"]
    else:
        order = sorted(oddity, key=oddity.__getitem__)
    return next((encoding for encoding in order if oddity[encoding] <= _MAX_ODDITY), None)


# Real text has next to none of these; binary data read as UTF-16 has many.
_MAX_ODDITY = 0.01


def _oddity(data: bytes, encoding: str) -> float:
    """Share of characters no text holds (NUL, controls, unassigned); 1.0 if it won't decode."""
    try:
        text = codecs.getincrementaldecoder(encoding)().decode(data, final=False)
    except UnicodeDecodeError:
        return 1.0
    if not text or "\x00" in text:
        return 1.0
    odd = sum(1 for char in text if unicodedata.category(char) in _NOT_TEXT and char not in _LAYOUT)
    return odd / len(text)


_LAYOUT = frozenset("\t\n\v\f\r\x1b")


def _binary(head: bytes) -> bool:
    """NUL bytes or many control bytes: binary data, or UTF-16/32 without a byte order mark."""
    if b"\x00" in head:
        return True
    return len(_CONTROL.findall(head)) > len(head) * _MAX_CONTROL_SHARE


# Text from the web sometimes has control bytes strewn between its characters: Chinese SEO
# pages hide 0x06-0x08 in theirs to get past duplicate checks (a Big5 file of chardet's tests
# has them as 10% of its bytes). Binary data holds NUL bytes, in its headers and as one byte in
# 256 of compressed data; text does not. Without NULs, with its control bytes left out, and
# reading well in an encoding, such a file is text; left in, the control bytes would only
# break its words for the model.
_MAX_STRAY_CONTROL_SHARE = 0.25


def _without_stray_controls(data: bytes) -> bytes | None:
    """``data`` without its C0 control bytes, if it has no NUL and they are not too many."""
    if b"\x00" in data:
        return None
    cleaned = _CONTROL.sub(b"", data)
    if not cleaned.strip() or len(data) - len(cleaned) > _MAX_STRAY_CONTROL_SHARE * len(data):
        return None
    return cleaned


def _text_with_stray_controls(raw: bytes, name: str) -> Decoded | None:
    cleaned = _without_stray_controls(raw)
    if cleaned is None:
        return None
    try:
        decoded = decode(cleaned, name)
    except DocumentError:
        return None
    # Strict: a guess that needed replacement characters, or reads badly, is no better
    # evidence of text than the control bytes are of binary data.
    if decoded.replaced or (
        decoded.how == "detected" and _doubtful(_judged(_sample(cleaned), decoded.encoding))
    ):
        return None
    return replace(decoded, controls_dropped=len(raw) - len(cleaned))


# An XML declaration opens the file; a coding cookie (Emacs "-*- coding: X -*-", PEP 263,
# Vim "fileencoding=X") sits on the first two lines. Both are written by tools or people who
# meant them, unlike the word "charset" anywhere in prose, so they are worth believing (after
# the bytes pass a strict decode).
_XML_DECLARATION = re.compile(rb"""\s*<\?xml\s[^>]*?\bencoding\s*=\s*["']([\w.:-]+)["']""")
_CODING_COOKIE = re.compile(
    rb"""-\*-.*?\bcoding:\s*([\w.:-]+)"""  # Emacs
    # PEP 263 ("# coding=X", "# encoding: X"), only as the whole point of the comment: a
    # Markdown heading "# Learn coding: Latin" is not a declaration.
    rb"""|^[ \t\f]*\#[ \t]*(?:en)?coding[:=][ \t]*([\w.-]+)"""
    rb"""|\b(?:vim?|ex):.*?\b(?:fenc|fileencoding)=([\w.-]+)""",  # Vim modeline
    re.MULTILINE,
)
_EMACS_EOL = re.compile(r"-(?:unix|dos|mac)$")
_LABELS = {
    # WHATWG: documents labelled Latin-1 or ASCII use Windows-1252's extra characters.
    "iso-8859-1": "cp1252",
    "iso8859-1": "cp1252",
    "latin-1": "cp1252",
    "latin1": "cp1252",
    "iso-latin-1": "cp1252",
    "us-ascii": "cp1252",
    "ascii": "cp1252",
    "utf-8-with-signature": "utf-8-sig",
    "utf-8-emacs": "utf-8",
    "prefer-utf-8": "utf-8",
    "japanese-shift-jis": "shift_jis",
    "euc-japan": "euc_jp",
    "chinese-gbk": "gbk",
    "chinese-big5": "big5",
    "korean-euc": "euc_kr",
}


def _declared(head: bytes, raw: bytes) -> str | None:
    match = _XML_DECLARATION.match(head)
    if not match:
        first_lines = b"\n".join(head.split(b"\n", 2)[:2])
        match = _CODING_COOKIE.search(first_lines)
    if not match:
        return None
    label = next(group for group in match.groups() if group).decode("ascii").lower()
    label = _EMACS_EOL.sub("", label)
    label = _LABELS.get(label, label)
    if label.startswith("iso-latin-"):
        label = "latin-" + label.removeprefix("iso-latin-")
    try:
        info = codecs.lookup(label)
    except LookupError:
        return None
    if info.name.startswith(("utf-16", "utf-32")):
        return None  # we just read the label as ASCII, so it cannot be right without a BOM
    if info.name == "cp1252" and not _decodes(raw, "cp1252", final=True):
        return "latin-1"  # one of the five bytes Windows-1252 leaves undefined
    if (
        not info.name.startswith("utf-8")
        and not raw.isascii()
        and _decodes(raw, "utf-8", final=True)
    ):
        # Valid UTF-8 with non-ASCII characters is next to impossible by chance: the file was
        # re-saved as UTF-8 and its declaration not updated.
        return None
    return info.name


# ISO-2022 is 7-bit: escape sequences switch between ASCII and two-byte character sets, so
# the bytes are ASCII (and valid UTF-8) and only the escapes reveal it.
_ISO2022_KR = re.compile(rb"\x1b\$\)C")
_ISO2022_CN = re.compile(rb"\x1b\$(?:\)[AGE]|\*H|\+[I-M])")
_ISO2022_JP = re.compile(rb"\x1b(?:\$[@B]|\$\(D|\$A|\$\(C|\(J|\(I|\.[AF])")


def _iso2022(raw: bytes, name: str) -> Decoded | None:
    if b"\x1b" not in raw:
        return None
    if _ISO2022_KR.search(raw):
        encodings = ["iso2022_kr"]
    elif _ISO2022_CN.search(raw):
        raise _unknown(name, "Chinese in ISO-2022-CN")
    elif _ISO2022_JP.search(raw):
        # From the plain variant to the wider ones: each later one decodes more.
        encodings = ["iso2022_jp", "iso2022_jp_2", "iso2022_jp_ext", "iso2022_jp_2004"]
    else:
        return None  # ESC for something else: terminal colours in a log
    for encoding in encodings:
        try:
            return Decoded(raw.decode(encoding), encoding, "iso-2022")
        except UnicodeDecodeError:
            continue
    return _decode_all(raw, encodings[-1], "iso-2022")


# HZ (RFC 1843) is 7-bit Simplified Chinese of old Usenet posts and mails: GB2312 between "~{"
# and "~}". ASCII text (TeX, code) may hold "~{" by chance, but then it rarely decodes, and
# not to a few Chinese characters in every shift.
_HZ_MIN_HANZI = 4
_HANZI = re.compile(r"[\u4e00-\u9fff]")


def _hz(raw: bytes) -> Decoded | None:
    shifts = raw.count(b"~{")
    if not shifts:
        return None
    try:
        text = raw.decode("hz")
    except UnicodeDecodeError:
        return None
    if len(_HANZI.findall(text)) < max(_HZ_MIN_HANZI, 2 * shifts):
        return None
    return Decoded(text, "hz", "iso-2022")


def _utf8(raw: bytes) -> Decoded | None:
    try:
        return Decoded(raw.decode("utf-8"), "utf-8", "utf-8")
    except UnicodeDecodeError as exc:
        if exc.start >= len(raw) - 3 and exc.reason == "unexpected end of data":
            return _decode_all(raw, "utf-8", "utf-8")  # the file was cut inside a character
    # Mostly UTF-8 with a few stray bytes (a log that got a line in another encoding): keep
    # the UTF-8. Text in a legacy encoding is almost never valid UTF-8 by chance: there, nearly
    # every non-ASCII byte fails.
    text = raw.decode("utf-8", errors="replace")
    bad = text.count("\ufffd")
    good = sum(1 for char in text if char > "\x7f") - bad
    if good >= 20 * bad:
        return Decoded(text, "utf-8", "utf-8", replaced=bad)
    return None


# EUC-TW (CNS 11643) is Traditional Chinese as Taiwanese Unix systems wrote it; Python has no
# codec for it. Its plane 1 is two bytes 0xA1-0xFE like every EUC, other planes SS2 (0x8E), a
# plane byte 0xA1-0xB0 and two more, so the bytes alone may well decode as EUC-KR. What gives
# it away is where its characters lie: plane 1 has symbols in rows 0xA1-0xA6 and Hanzi from
# row 0xC4 on, and nothing in between, where Korean Hangul (0xB0-0xC8), GB2312's commonest
# Hanzi (0xB0-0xD7) and Japanese kana (0xA4, 0xA5) and kanji (0xB0-) are.
_EUC_TW_SHAPE = re.compile(rb"(?:[\x00-\x7f]|[\xa1-\xfe]{2}|\x8e[\xa1-\xb0][\xa1-\xfe]{2})*+")
_EUC_PAIR = re.compile(rb"\x8e[\xa1-\xb0][\xa1-\xfe]{2}|[\xa1-\xfe]{2}")


def _looks_like_euc_tw(raw: bytes) -> bool:
    if raw.isascii() or _EUC_TW_SHAPE.fullmatch(raw) is None:
        return False
    pairs = _EUC_PAIR.findall(raw)
    if len(set(pairs)) < 10:
        return False  # a few characters repeated (box drawing in a banner) say nothing
    leads = Counter(pair[0] for pair in pairs)
    gap = sum(n for lead, n in leads.items() if 0xA7 <= lead <= 0xC3)
    hanzi = sum(n for lead, n in leads.items() if lead >= 0xC4 or lead == 0x8E)
    return gap <= 0.02 * len(pairs) and hanzi >= 0.5 * len(pairs)


def _not_text(name: str) -> DocumentError:
    return DocumentError(
        "corrupt",
        f"{name} does not look like text (it holds binary data). Is the extension right?",
    )


def _unknown(name: str, what: str) -> DocumentError:
    return DocumentError(
        "unknown_encoding",
        f"{name} seems to be {what}, an encoding Paceline cannot read. "
        + resave_advice("a text editor", "UTF-8"),
    )


# ------------------------------------------------------------------------------ detection


def _detect(raw: bytes, name: str) -> Decoded:
    sample = _sample(raw)
    ranked = [match.encoding for match in _ranked(sample)]
    if not ranked:
        # Only when no common code page fits: old DOS, Mac and mainframe files exist too.
        ranked = [match.encoding for match in _ranked(sample, RARE_CANDIDATES)]
        # Chinese or Japanese in UTF-16 without a byte order mark and without ASCII has no NUL
        # bytes to give it away; when no code page reads well either, it is worth a try (DOS
        # Polish decodes as UTF-16 too, as CJK ideographs, so it comes second).
        if not ranked or _doubtful(_judged(sample, ranked[0])):
            wide = _wide_unicode(raw[:8192])
            if wide:
                return _decode_all(raw, wide, "utf-16/32 pattern")
    if not ranked:
        raise DocumentError(
            "unknown_encoding",
            f"{name} is not text in any encoding Paceline knows, if it is text at all. "
            + resave_advice("a text editor", "UTF-8"),
        )
    ranked = _second_opinion(sample, _western_not_cjk(sample, ranked))
    return _decode_best(raw, _hebrew_not_cyrillic_capitals(sample, ranked))


# DOS Hebrew (code page 862, and IBM's 856 with the same letters) puts the 27 Hebrew letters at
# 0x80-0x9A, where DOS and Mac Cyrillic have the capitals А-Ъ: Hebrew text reads there as
# Russian in capitals only, and never with Ы, Ь, Э, Ю or Я, which lie just beyond and make up
# about 6.6% of Russian letters. A page of Russian holds small letters, and text in capitals
# soon holds one of those five (40 Russian letters lack all five about 6% of the time).
_DOS_CYRILLIC = frozenset({"cp866", "mac-cyrillic"})
_BEYOND_HEBREW = frozenset("ЫЬЭЮЯ")
_HEBREW_MIN_LETTERS = 40


def _hebrew_not_cyrillic_capitals(sample: bytes, ranked: list[str]) -> list[str]:
    """``ranked`` with DOS Hebrew first when its winner, a Cyrillic page, reads only capitals
    А-Ъ that DOS Hebrew reads as Hebrew words."""
    if not ranked or codecs.lookup(ranked[0]).name not in _DOS_CYRILLIC:
        return ranked
    piece = _judged_piece(sample)
    winner = _decoded(piece, ranked[0])
    if winner is None:
        return ranked
    cyrillic = [char for char in winner if "\u0400" <= char <= "\u04ff"]
    if len(cyrillic) < _HEBREW_MIN_LETTERS or any(
        char.islower() or char in _BEYOND_HEBREW for char in cyrillic
    ):
        return ranked
    hebrew = _decoded(piece, "cp862")
    if hebrew is None or _doubtful(hebrew):
        return ranked
    return ["cp862", *(encoding for encoding in ranked if encoding != "cp862")]


# A non-ASCII run of at most this many characters touching an ASCII letter is "glued" to a
# Latin word: what a two-byte code page makes of an accented letter ("Sm鰎g錽bord").
_GLUED_RUN = 2


def _western_not_cjk(sample: bytes, ranked: list[str]) -> list[str]:
    """``ranked``, with a single-byte reading first when the winner is a two-byte (CJK) code
    page that only glues lone ideographs into Latin words and a Western page reads cleanly.

    A short Western line ("Smörgåsbord och kött", "Ça va très bien") has so few high bytes
    that GBK or Johab decodes it too, and charset-normalizer's measures cannot tell on so
    little text. Real CJK text writes runs of ideographs between its Latin words, and a
    Windows page reading of its bytes flips case inside words, so it is left alone.
    """
    if not ranked or codecs.lookup(ranked[0]).name not in _MULTIBYTE:
        return ranked
    piece = _judged_piece(sample)
    winner = _decoded(piece, ranked[0])
    if winner is None or not _glued_everywhere(winner):
        return ranked
    for encoding in _CONTEST:
        text = _decoded(piece, encoding)
        if text is None:
            continue
        good, bad = _reading(text)
        if good and not bad and _only_latin_letters(text):
            return [encoding, *(e for e in ranked if e != encoding)]
    return ranked


def _glued_everywhere(text: str) -> bool:
    """Every non-ASCII run is one or two characters, and some touch a Latin word."""
    runs = list(_NON_ASCII_RUN.finditer(text))
    if not runs or any(len(run.group()) > _GLUED_RUN for run in runs):
        return False
    return any(_touches_latin(text, run.start(), run.end()) for run in runs)


def _touches_latin(text: str, start: int, end: int) -> bool:
    before = text[start - 1] if start else " "
    after = text[end] if end < len(text) else " "
    return (before.isascii() and before.isalpha()) or (after.isascii() and after.isalpha())


def _only_latin_letters(text: str) -> bool:
    """The non-ASCII characters are all Latin letters: a Western page's reading of a
    Western line, not a Hebrew or Cyrillic page's reading of CJK bytes."""
    return all(
        char.isalpha() and (char < "\u0250" or "\u1e00" <= char < "\u1f00")
        for char in _NON_ASCII.findall(text)
    )


_NON_ASCII_RUN = re.compile(r"[^\x00-\x7f]+")


def _decode_best(raw: bytes, ranked: list[str]) -> Decoded:
    # The sample decided; the whole file must decode too. If a later part does not, the next
    # best candidate that does is more likely right than a winner full of replacements.
    for encoding in ranked:
        try:
            return Decoded(raw.decode(encoding), encoding, "detected")
        except UnicodeDecodeError:
            continue
    return _decode_all(raw, ranked[0], "detected")


# EBCDIC's space is 0x40 (ASCII's "@"), and its letters lie above 0x80, while ASCII's space
# 0x20 is a control code there: a file where 0x40 is this frequent and 0x20 rare is EBCDIC
# (its lines end in 0x15 or 0x25, which is why it passed for UTF-16 or a code page before).
# Shift_JIS and Big5 put 0x40 after a lead byte (their full-width spaces are 0x81 0x40 and
# 0xA1 0x40); in EBCDIC those pairs are only "a " and "~ ".
_EBCDIC_MIN_SPACES = 0.08


def _looks_like_ebcdic(head: bytes) -> bool:
    spaces = head.count(0x40)
    if spaces < _EBCDIC_MIN_SPACES * len(head) or spaces < 4 or b"\x00" in head:
        return False
    if head.count(0x20) * 20 > spaces:
        return False
    return (head.count(b"\x81\x40") + head.count(b"\xa1\x40")) * 2 < spaces


def _ebcdic(raw: bytes) -> Decoded | None:
    sample = _sample(raw)
    ranked = _ranked(sample, EBCDIC)
    if not ranked:
        return None
    # The EBCDIC pages differ in a few letters, where charset-normalizer barely tells them
    # apart ("França" in Turkish EBCDIC is "Fran{a"): the best reading decides.
    scores = {
        match.encoding: _net(_reading(_judged(sample, match.encoding) or "")) for match in ranked
    }
    order = sorted(scores, key=lambda encoding: (-scores[encoding], EBCDIC.index(encoding)))
    decoded = _decode_best(raw, order)
    # Lines end in NEL (0x15) on mainframes; to everyone else that is a control character.
    return replace(decoded, text=decoded.text.replace("\x85", "\n"))


def _sample(raw: bytes) -> bytes:
    """The start, middle and end of a big file; all of a small one.

    Pieces begin and end just after a space, line break or ASCII punctuation (0x00-0x2F): no
    candidate encoding uses those as the second byte of a character, so none is split. A file
    with no such byte for pages (CJK text without line breaks) is given whole.
    """
    if len(raw) <= SAMPLE_BYTES:
        return raw
    part = SAMPLE_BYTES // 4
    pieces = []
    for start, size in ((0, 2 * part), (len(raw) // 2, part), (len(raw) - part, part)):
        piece = _piece(raw, start, size)
        if piece is None:
            return raw
        pieces.append(piece)
    return b"\n".join(pieces)


def _piece(raw: bytes, start: int, size: int) -> bytes | None:
    if start:
        found = _SAFE_CUT.search(raw, start, start + size // 2)
        if not found:
            return None
        start = found.end()
    end = min(len(raw), start + size)
    if end < len(raw):
        cut = next((at for at in range(end, start, -1) if raw[at - 1] <= 0x2F), None)
        if cut is None:
            return None
        end = cut
    return raw[start:end]


_SAFE_CUT = re.compile(rb"[\x00-\x2f]")


def _ranked(sample: bytes, candidates: tuple[str, ...] = ()) -> list[CharsetMatch]:
    """charset-normalizer's candidates for ``sample``, best first."""
    # charset-normalizer reads chunks at multiples of len // steps; when the length is not a
    # multiple there is one more, a few bytes long at the very end, whose mess ratio (often
    # 1.0 for a closing "...") weighs as much as a full chunk and can push the right
    # encoding over the threshold (a Polish ISO-8859-2 file scored 0.17 instead of 0).
    if len(sample) > _STEPS * _CHUNK and len(sample) % _STEPS:
        sample += b"\n" * (_STEPS - len(sample) % _STEPS)
    matches = _matches(sample, candidates or CANDIDATES)
    return _latin_tie_break(list(CharsetMatches(matches)), sample)


def _matches(sample: bytes, candidates: tuple[str, ...]) -> list[CharsetMatch]:
    matches: list[CharsetMatch] = []
    for encoding in candidates:
        # One code page per call: in one call, a code page that fails the mess test takes its
        # "similar" ones out untried (cp1250 failing removed the right iso8859_2), and after a
        # good match the rest of its family is capped.
        best = from_bytes(
            sample,
            steps=_STEPS,
            chunk_size=_CHUNK,
            cp_isolation=[encoding],
            preemptive_behaviour=False,
            enable_fallback=False,
        ).best()
        if best is not None:
            matches.append(best)
    return matches


# ------------------------------------------------------------------------- the tie-break
#
# Latin-script code pages disagree on a few letters only, and charset-normalizer's scores
# (mess ratio, and coherence from each language's 26 most frequent letters) barely move with
# them: Czech in ISO-8859-2 read as Windows-1250 turns "š" into "ą" at the same score, Turkish
# in Windows-1254 read as Windows-1252 turns "ş" into "þ" with a mess ratio only 0.005 higher.
# Among candidates that nearly tie, the one whose letters all belong to one language's
# alphabet is right. On chardet's test files this turns 67 of 76 .txt files read right into
# 76, 204 of 257 of their first 80-1200 bytes into 254, and 109 of 226 single sentences into
# 211. Any tolerance from 0.05 to 1.0 gives these same figures; 0.01 loses a Hungarian file.
# 0.1 also takes in a reading one odd word worse in a ten-word sentence: charset-normalizer
# finds "déjà" odd, which costs Windows-1252 0.09 in an eleven-word sentence.

_TIE_CHAOS = 0.1
_BLOCK = 1000  # characters
_ALPHABETS: dict[str, str] = {
    "Albanian": "çë",
    "Breton": "âêîñôùûü",
    "Catalan": "àçèéíïòóúü·",
    "Croatian": "čćđšž",
    "Czech": "áčďéěíňóřšťúůýž",
    "Danish/Norwegian": "æøåéó",
    "Dutch": "éëïöüáèóú",
    "Esperanto": "ĉĝĥĵŝŭ",
    "Estonian": "äöõüšž",
    "Finnish": "äöåšž",
    "French": "àâæçéèêëîïôœùûüÿ«»",
    "German": "äöüß",
    "Hungarian": "áéíóöőúüű",
    "Icelandic": "áðéíóúýþæö",
    "Irish": "áéíóú",
    "Italian": "àèéìíîòóùú",
    "Latvian": "āčēģīķļņšūž",
    "Lithuanian": "ąčęėįšųūž",
    "Maltese": "àċèġħìòùż",
    "Polish": "ąćęłńóśźż",
    "Portuguese": "áâãàçéêíóôõú",
    "Romanian": "ăâîșțşţ",
    "Slovak": "áäčďéíĺľňóôŕšťúýž",
    "Slovene": "čšžćđ",
    "Spanish": "áéíñóúü¡¿",
    "Swedish": "åäöé",
    "Turkish": "çğıİöşüâîû",
    "Welsh": "âêîôûŵŷëï",
    "Vietnamese": "àáâãèéêìíòóôõùúýăđĩũơưạảấầẩẫậắằẳẵặẹẻẽếềểễệỉịọỏốồổỗộớờởỡợụủứừửữựỳỵỷỹ",
}
_ALPHABET_SETS = [
    frozenset(letters) | frozenset(letters.upper()) for letters in _ALPHABETS.values()
]
_NON_ASCII = re.compile(r"[^\x00-\x7f]")


def _latin_tie_break(ordered: list[CharsetMatch], sample: bytes) -> list[CharsetMatch]:
    if len(ordered) < 2 or not _is_latin(str(ordered[0])):
        return ordered
    winner = ordered[0]
    near = [
        match
        for match in ordered
        if match.chaos <= winner.chaos + _TIE_CHAOS and _is_latin(str(match))
    ]
    fits = {match.encoding: _alphabet_fit(str(match)) for match in near}
    # sorted() is stable: equal fits keep charset-normalizer's order.
    near.sort(key=lambda match: -fits[match.encoding])
    # Where the letters fit equally (Slovak "že" read as Windows-1250 "ľe" is still Slovak),
    # bytes 0x80-0x9F decide between the two Central European code pages. Windows-1250 keeps
    # š, ž, ť, ś, ź and its quotes and dashes there, so Czech, Slovak, Slovene, Croatian or
    # Polish text in it without one such byte is rare (each such file in chardet's tests has
    # 20 to 90); ISO-8859-2 never uses them. Without them, ISO-8859-2 takes Windows-1250's
    # place. (The other Windows/ISO pairs agree on letters.)
    names = [match.encoding for match in near]
    if "cp1250" in names and "iso8859_2" in names and _C1_RANGE.search(sample) is None:
        windows, iso = names.index("cp1250"), names.index("iso8859_2")
        if windows < iso and fits["cp1250"] == fits["iso8859_2"]:
            near.insert(windows, near.pop(iso))
    return near + [match for match in ordered if match not in near]


_C1_RANGE = re.compile(rb"[\x80-\x9f]")


def _is_latin(text: str) -> bool:
    letters = [char for char in _NON_ASCII.findall(text) if char.isalpha()]
    latin = sum(1 for char in letters if char < "\u0250" or "\u1e00" <= char < "\u1f00")
    return latin >= len(letters) / 2


def _alphabet_fit(text: str) -> float:
    """Share of the non-ASCII letters (and misplaced symbols) that a language uses.

    Judged block by block, each block against its best language: a document may be French in
    one part and German in the next, but its words do not switch alphabet every few letters.
    """
    good = total = 0
    for start in range(0, len(text), _BLOCK):
        block_good, block_total = _block_fit(text[start : start + _BLOCK])
        good += block_good
        total += block_total
    return good / total if total else 1.0


def _block_fit(block: str) -> tuple[int, int]:
    counts = Counter(_NON_ASCII.findall(block))
    letters = {char: n for char, n in counts.items() if char.isalpha() or _is_mark(char)}
    wrong = sum(n for char, n in counts.items() if unicodedata.category(char) in _NOT_TEXT)
    wrong += _symbols_in_words(block)
    if not letters:
        return 0, wrong
    best = max(
        sum(n for char, n in letters.items() if char in alphabet) for alphabet in _ALPHABET_SETS
    )
    return best, sum(letters.values()) + wrong


# Control characters, unassigned and private-use code points: a wrong code page's output.
_NOT_TEXT = frozenset({"Cc", "Cn", "Co", "Cs"})
# Between letters, these are apostrophes ("don´t"), hyphens and the Catalan middle dot.
_JOINERS = frozenset("´‘’·\u00ad‐‑–—")


def _symbols_in_words(block: str) -> int:
    """Symbols between two letters ("Tě©ení", "poo¹trili"): letters the code page got wrong."""
    wrong = 0
    for found in _NON_ASCII.finditer(block):
        at = found.start()
        char = found.group()
        if (
            0 < at < len(block) - 1
            and not (char.isalpha() or _is_mark(char) or char in _JOINERS)
            and block[at - 1].isalpha()
            and block[at + 1].isalpha()
        ):
            wrong += 1
    return wrong


def _is_mark(char: str) -> bool:
    return unicodedata.category(char) == "Mn"


# --------------------------------------------------------------------- the second opinion
#
# DOS, Mac and rarer ISO code pages put letters where the common ones have other letters or
# symbols, so charset-normalizer often finds both readings about as tidy: Finnish in DOS 437
# read as Windows-1252 ("Lentoyhti”t" for "Lentoyhtiöt"), Czech in DOS 852 read as
# Windows-1251 (Cyrillic letters inside Latin words), Greek in DOS 737 read as DOS 855.
# Putting those code pages beside the common ones loses common files, so they are asked only
# when the winner reads badly: letters no one language's alphabet holds, symbols inside words,
# a non-Latin letter glued to a Latin one, a case that changes inside a word, a letter
# repeated as in a box-drawing line ("ÍÍÍÍ"). Another code page then wins only when its
# reading is clearly better by the same measure. On chardet 6's test files this reads 1,867
# of 1,880 files in a known encoding right (at least 95% of their words) instead of 1,686,
# and 1,953 of 2,335 of their single sentences instead of 1,464, none of them worse per
# encoding.

# Letters of the non-Latin alphabets the candidate code pages cover (whole alphabets: these
# scripts have no ASCII letters to fall back on).
_RUSSIAN = "абвгдеёжзийклмнопрстуфхцчшщъыьэюя"
_SCRIPT_ALPHABETS: dict[str, str] = {
    "Russian": _RUSSIAN,
    "Ukrainian": _RUSSIAN + "ґєії",
    "Belarusian": _RUSSIAN + "іў",
    "Serbian/Macedonian": _RUSSIAN + "ђјљњћџѓѕќ",
    "Kazakh": _RUSSIAN + "әғқңөұүһі",
    "Tajik": _RUSSIAN + "ғӣқӯҳҷ",
    "Greek": "αβγδεζηθικλμνξοπρσςτυφχψωάέήίόύώϊϋΐΰ",
    "Hebrew": "".join(map(chr, range(0x05B0, 0x05F5))),
    "Arabic": "".join(map(chr, range(0x0620, 0x0656))) + "ٰپچژکگیٹڈڑںھہے",
    "Thai": "".join(map(chr, range(0x0E01, 0x0E5C))),
}
_READING_ALPHABETS = _ALPHABET_SETS + [
    frozenset(letters) | frozenset(letters.upper()) for letters in _SCRIPT_ALPHABETS.values()
]
# Symbols that sit next to letters in real text: quotes, dashes, degrees, currency, marks.
# Not the en dash: it stands between spaces ("a – b") or joins two words or numbers
# ("Paris–Berlin", "1990–2000"); glued to one side of a word only ("anezha–, ema– Harry") it is
# a letter the code page got wrong (Breton "anezhañ, emañ" in Mac Roman read as Windows-1250).
# Of chardet 6's 1,880 text files, read in their true encoding, one has such a dash (a UTF-8
# Reddit dump, which never comes this far).
_TOUCHING_SYMBOLS = frozenset("\xa0\xad«»“”„‘’‚‹›…—‐‑°²³¹´·€£¥¢§©®™¡¿№•")
_ASCII_LETTERS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz")
# Enough text to judge a reading by; the per-character look costs time on big samples.
_JUDGED_BYTES = 16_384
_JUDGED_HIGH_BYTES = 800
# The contest's first round judges the start of each reading (this many bytes above 0x7F);
# the best few go on to be judged in full.
_HEAT_HIGH_BYTES = 40
_FINALISTS = 3
_HIGH_BYTE = re.compile(rb"[\x80-\xff]")
# The winner is doubtful when more than this share of its non-ASCII letters read badly...
_DOUBT_SHARE = 0.01
# ...and another reading takes its place when it is this much better: good minus bad
# characters gains at least this share of the winner's bad ones, and at least _MIN_GAIN.
_WIN_SHARE = 0.5
_MIN_GAIN = 3


def _doubtful(text: str | None) -> bool:
    return text is None or _doubtful_score(*_reading(text))


def _doubtful_score(good: int, bad: int) -> bool:
    return bad > 0 and bad > _DOUBT_SHARE * (good + bad)


def _second_opinion(sample: bytes, ranked: list[str]) -> list[str]:
    """``ranked`` with the best reading first, if one reads clearly better than the winner.

    Every code page is asked here, by decoding, not only those charset-normalizer kept: its
    mess measure drops a Danish Windows-1252 page for "PanzerGlass™" and keeps Mac Cyrillic.
    """
    piece = _judged_piece(sample)
    winner = _decoded(piece, ranked[0])
    if winner is None:
        return ranked
    good, bad = _reading(winner)
    if not _doubtful_score(good, bad):
        return ranked
    texts: dict[str, str] = {}
    for encoding in _CONTEST:
        text = _decoded(piece, encoding)
        if text is not None:
            texts[encoding] = text
    # Many code pages agree on the bytes of a text: each distinct reading is judged once, and
    # first on its start only, to judge the likely ones in full.
    distinct = set(texts.values())
    heat_end = _high_byte_end(piece, _HEAT_HIGH_BYTES)  # the same in characters: one byte each
    if len(distinct) > _FINALISTS and heat_end < len(piece):
        heat = {text: _net(_reading(text[:heat_end])) for text in distinct}
        distinct = set(sorted(distinct, key=heat.__getitem__, reverse=True)[:_FINALISTS])
        texts = {encoding: text for encoding, text in texts.items() if text in distinct}
    nets = {text: _net(_reading(text)) for text in distinct}
    top = max(nets.values(), default=good - bad)
    if top - (good - bad) < max(_MIN_GAIN, _WIN_SHARE * bad):
        return ranked
    # Among equals, the reading with fewer stray symbols ("186. ⌡ (1)" for "186. § (1)"), then
    # the first: the common pages before the rare ones (min() keeps the first).
    tied = [text for text in distinct if nets[text] == top]
    strays = {text: _stray_symbols(text) for text in tied} if len(tied) > 1 else {tied[0]: 0}
    best = min(
        (encoding for encoding, text in texts.items() if text in strays),
        key=lambda encoding: strays[texts[encoding]],
    )
    return [best, *(encoding for encoding in ranked if encoding != best)]


# Single-byte code pages only: a reading in a two-byte one has half as many characters, so
# its counts do not compare. EBCDIC has its own test up front.
_CONTEST = tuple(
    encoding
    for encoding in (*CANDIDATES, *RARE_CANDIDATES)
    if encoding not in EBCDIC and codecs.lookup(encoding).name not in _MULTIBYTE
)


def _judged_piece(sample: bytes) -> bytes:
    """The start of ``sample``, enough to judge a reading by: the per-character look is slow.

    Bounded by its bytes above 0x7F (a page of Russian has a thousand, of French thirty).
    """
    size = min(_JUDGED_BYTES, _high_byte_end(sample, _JUDGED_HIGH_BYTES))
    if size >= len(sample):
        return sample
    return _piece(sample, 0, size) or sample


def _high_byte_end(data: bytes, count: int) -> int:
    """Where the ``count``-th byte above 0x7F of ``data`` is, or its length."""
    found = next(islice(_HIGH_BYTE.finditer(data), count, None), None)
    return found.start() if found else len(data)


def _decoded(piece: bytes, encoding: str) -> str | None:
    try:
        return piece.decode(encoding)
    except UnicodeDecodeError:
        return None


def _judged(sample: bytes, encoding: str) -> str | None:
    """The start of ``sample`` in ``encoding``, or None where it does not decode."""
    return _decoded(_judged_piece(sample), encoding)


def _stray_symbols(text: str) -> int:
    """Math signs, box drawing and other symbols that prose has few of."""
    return sum(
        1
        for char in _NON_ASCII.findall(text)
        if char not in _TOUCHING_SYMBOLS and unicodedata.category(char) in ("Sm", "So", "Sk")
    )


def _net(score: tuple[int, int]) -> int:
    return score[0] - score[1]


def _reading(text: str) -> tuple[int, int]:
    """(good, bad): non-ASCII characters that read as a language writes, and that do not."""
    text = unicodedata.normalize("NFC", text)
    good = bad = 0
    for start in range(0, len(text), _BLOCK):
        block_good, block_bad = _block_reading(text[start : start + _BLOCK])
        good += block_good
        bad += block_bad
    return good, bad


def _block_reading(block: str) -> tuple[int, int]:
    letters: Counter[str] = Counter()
    good = bad = 0
    last = len(block) - 1
    for found in _NON_ASCII.finditer(block):
        at = found.start()
        char = found.group()
        before = block[at - 1] if at else " "
        after = block[at + 1] if at < last else " "
        if char.isalpha() or _is_mark(char):
            if char == before == after or (
                _capital_breaks_word(char, block, at)
                if char.isupper()
                else _small_after_capitals(char, block, at)
            ):
                bad += 1  # "ÄÄÄ" (a box-drawing line), "ЦкйоЮеЮџ": a code page's wrong letters
            elif char < "\u0250" or "\u1e00" <= char < "\u1f00":  # Latin
                letters[char] += 1
            elif char >= "\u1100":
                # CJK, kana, Hangul: no alphabet to check; two bytes each in the legacy
                # encodings, against one for a letter of a code page (half-width kana: one).
                good += 1 if "\uff61" <= char <= "\uff9f" else 2
            elif before in _ASCII_LETTERS or after in _ASCII_LETTERS:
                bad += 1  # a Cyrillic or Greek letter inside a Latin word
            elif (before.isalpha() and before < "\u1100") or (
                after < "\u1100" and (after.isalpha() or _is_mark(after))
            ):
                letters[char] += 1
            # else a letter standing alone: "Home β Review" for "Home » Review" counts nothing
        elif unicodedata.category(char) in _NOT_TEXT:
            bad += char not in _LAYOUT
        elif char >= "\u3000":
            continue  # CJK punctuation and full-width forms sit between ideographs
        else:
            letter_before = before.isalpha() and before < "\u1100"
            letter_after = after.isalpha() and after < "\u1100"
            if letter_before and letter_after:
                bad += char not in _JOINERS  # "Lentoyhti”t": a letter read as a symbol
            elif letter_before or letter_after:
                bad += char not in _TOUCHING_SYMBOLS
    if letters:
        count = letters.__getitem__
        fit = max(
            sum(map(count, alphabet.intersection(letters))) for alphabet in _READING_ALPHABETS
        )
        good += fit
        bad += sum(letters.values()) - fit
    return good, bad


def _capital_breaks_word(char: str, block: str, at: int) -> bool:
    """A capital after a small letter ("chieseČ"), or a Latin capital before a capitalised
    word ("ĒAveva", "ĒSforzarmi": Mac Roman's guillemets read as Windows-1257).

    Only Latin: Russian writes "МВт" (megawatt) and "ЮУрГУ" (a university), and none of
    chardet 6's text files, read in their true encoding, has a Latin one.
    """
    if at and block[at - 1].islower():
        return True
    return (
        char < "\u0250"
        and at + 2 < len(block)
        and block[at + 1].isupper()
        and block[at + 2].islower()
    )


def _small_after_capitals(char: str, block: str, at: int) -> bool:
    """With a capital after a small letter, a case that breaks its word: "ΑΝΙμα", "ЦкйоЮеЮџ"."""
    return at > 1 and char.islower() and block[at - 1].isupper() and block[at - 2].isupper()


# Python's codec names, as a person knows them.
_NAMES = {
    "cp1250": "Windows-1250 (Central European)",
    "cp1251": "Windows-1251 (Cyrillic)",
    "cp1252": "Windows-1252 (Western European)",
    "cp1253": "Windows-1253 (Greek)",
    "cp1254": "Windows-1254 (Turkish)",
    "cp1255": "Windows-1255 (Hebrew)",
    "cp1256": "Windows-1256 (Arabic)",
    "cp1257": "Windows-1257 (Baltic)",
    "cp1258": "Windows-1258 (Vietnamese)",
    "cp874": "Windows-874 (Thai)",
    "tis-620": "TIS-620 (Thai)",
    "iso8859-2": "ISO-8859-2 (Central European)",
    "iso8859-5": "ISO-8859-5 (Cyrillic)",
    "iso8859-6": "ISO-8859-6 (Arabic)",
    "iso8859-7": "ISO-8859-7 (Greek)",
    "iso8859-8": "ISO-8859-8 (Hebrew)",
    "iso8859-9": "ISO-8859-9 (Turkish)",
    "iso8859-13": "ISO-8859-13 (Baltic)",
    "iso8859-15": "ISO-8859-15 (Western European)",
    "koi8-r": "KOI8-R (Russian)",
    "koi8-u": "KOI8-U (Ukrainian)",
    "cp866": "DOS code page 866 (Cyrillic)",
    "cp862": "DOS code page 862 (Hebrew)",
    "cp855": "DOS code page 855 (Cyrillic)",
    "mac-cyrillic": "Mac Cyrillic",
    "shift_jis": "Shift_JIS (Japanese)",
    "cp932": "Windows-31J (Japanese)",
    "euc_jp": "EUC-JP (Japanese)",
    "gb2312": "GB2312 (Simplified Chinese)",
    "gbk": "GBK (Simplified Chinese)",
    "gb18030": "GB18030 (Chinese)",
    "big5": "Big5 (Traditional Chinese)",
    "cp950": "Big5 (Traditional Chinese)",
    "euc_kr": "EUC-KR (Korean)",
    "cp949": "Windows-949 (Korean)",
    "johab": "Johab (Korean)",
    "utf-8": "UTF-8",
    "utf-8-sig": "UTF-8",
    "utf-16": "UTF-16",
    "utf-32": "UTF-32",
    "iso2022_jp": "ISO-2022-JP (Japanese)",
    "iso2022_jp_2": "ISO-2022-JP-2 (Japanese)",
    "iso2022_jp_ext": "ISO-2022-JP (Japanese)",
    "iso2022_jp_2004": "ISO-2022-JP-2004 (Japanese)",
    "iso2022_kr": "ISO-2022-KR (Korean)",
    "utf-16-le": "UTF-16 little-endian, without byte order mark",
    "utf-16-be": "UTF-16 big-endian, without byte order mark",
    "utf-32-le": "UTF-32 little-endian, without byte order mark",
    "utf-32-be": "UTF-32 big-endian, without byte order mark",
}


def _label(encoding: str) -> str:
    name = codecs.lookup(encoding).name
    return _NAMES.get(name, name)
