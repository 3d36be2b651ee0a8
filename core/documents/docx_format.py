"""DOCX read straight from its XML: everything a reader of the document sees, in reading order.

python-docx only knows the body's own paragraphs and tables, so text in content controls, text
boxes and notes was lost, and it calls Strict OOXML files damaged. The package is small and
well specified, so it is walked here with lxml, following its relationships as Word does.

What the text holds, in this order:

* Header text, each distinct paragraph once. Pandoc drops headers and footers, but a header
  is often where the title, the document number or a "Confidential" mark lives, which matters
  to an analysis; said once, the repetition that makes them noise on paper is gone.
* The body: paragraphs and tables (one line per row, cells joined by " | "), with content
  controls, hyperlinks, smart tags and custom XML read through. Text boxes come after the
  paragraph that anchors them, as paragraphs of their own: a box is a sidebar or callout with
  its own paragraphs, and splicing it into the anchoring sentence would cut that sentence.
* Footer text, each distinct paragraph once.
* "Footnotes" and "Endnotes": ``[1] text``, numbered in order of reference, the marker
  ``[1]`` left in the text where the note is referenced, in the document's number format
  (Word's default is 1, 2, 3 for footnotes and i, ii, iii for endnotes).

Tracked changes are read as accepted: insertions kept, deletions and moved-away text dropped.
Fields show their result, never their code. Comments are left out, as pandoc does. What Word
draws but does not store as text is put back: list numbers and bullets, raised and lowered
text (10^(-3), H_2O), equations in a linear form, signs from symbol fonts. Pictures, charts
and formula objects leave a label ([Image: alt text], [Equation]) so the words around them
do not run together.

A document of pictures alone (a scan pasted into Word) has no text, as a scanned PDF page has
none: its pictures, in reading order, go to a model that reads images, as an image file's do
(core/documents/image_format.py). Headers and footers do not count as text for that: like a
letterhead they frame every page, and a page image shows what the page says.
"""

from __future__ import annotations

import io
import itertools
import posixpath
import re
import zipfile
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import lru_cache
from typing import NamedTuple
from urllib.parse import unquote

from lxml import etree

from core.documents import image_format
from core.documents.extract import register
from core.documents.source import Source
from core.errors import DocumentError, resave_advice

# Apache POI's ZipSecureFile defaults: a part inflating more than 100x is treated as a bomb once
# it is bigger than a grace size (tiny parts compress oddly). Real Word parts stay near 30x.
MAX_RATIO = 100
RATIO_GRACE_BYTES = 100 * 1024
MAX_ENTRIES = 10_000
# Password-protected Office files are not zips but OLE compound files holding the encrypted
# package; legacy .doc files are OLE files too.
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
OLE_ENCRYPTION_MARK = "EncryptionInfo".encode("utf-16-le")

Element = etree._Element

# Strict OOXML (ISO 29500 strict) is the same vocabulary under other namespace names.
W_NAMESPACES = (
    "http://schemas.openxmlformats.org/wordprocessingml/2006/main",
    "http://purl.oclc.org/ooxml/wordprocessingml/main",
)
R_NAMESPACES = (
    "http://schemas.openxmlformats.org/officeDocument/2006/relationships",
    "http://purl.oclc.org/ooxml/officeDocument/relationships",
)
M_NAMESPACES = (
    "http://schemas.openxmlformats.org/officeDocument/2006/math",
    "http://purl.oclc.org/ooxml/officeDocument/math",
)
MC_NAMESPACE = "http://schemas.openxmlformats.org/markup-compatibility/2006"
_PREFIXES = {
    **dict.fromkeys(W_NAMESPACES, "w"),
    **dict.fromkeys(M_NAMESPACES, "m"),
    MC_NAMESPACE: "mc",
    "http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing": "wp",
    "http://purl.oclc.org/ooxml/drawingml/wordprocessingDrawing": "wp",
    "http://schemas.openxmlformats.org/drawingml/2006/main": "a",
    "http://purl.oclc.org/ooxml/drawingml/main": "a",
    "urn:schemas-microsoft-com:vml": "v",
    "urn:schemas-microsoft-com:office:office": "o",
}
# What a drawing shows, by the last part of its graphicData's uri; shapes and text boxes are
# not named (a text box's text is read instead).
_GRAPHICS = {"picture": "Image", "chart": "Chart", "chartex": "Chart", "diagram": "Diagram"}
_TEXT_TAGS = tuple(f"{{{ns}}}t" for ns in (*W_NAMESPACES, *M_NAMESPACES))

_SKIPPED = frozenset(
    {
        # Properties: formatting, and the revision marks of formatting; never text.
        "w:pPr",
        "w:rPr",
        "w:tblPr",
        "w:tblGrid",
        "w:tblPrEx",
        "w:trPr",
        "w:tcPr",
        "w:sectPr",
        "w:sdtPr",
        "w:sdtEndPr",
        # Revisions are read as accepted, so deleted and moved-away text is gone.
        "w:del",
        "w:moveFrom",
        "w:delText",
        "w:delInstrText",
        # A field's code (e.g. PAGEREF _Toc123 \h) is not what the reader sees.
        "w:instrText",
        # Ruby text: the pronunciation guide printed above East Asian base text.
        "w:rt",
    }
)
_CHARACTERS = {
    "w:tab": "\t",
    "w:ptab": "\t",
    "w:br": "\n",
    "w:cr": "\n",
    # A plain hyphen: the non-breaking one (U+2011) would split words for search and models.
    "w:noBreakHyphen": "-",
    # Shown only where Word happens to break the line there; inside a word it is noise.
    "w:softHyphen": "",
}
_NOTE_REFERENCES = {"w:footnoteReference": "footnotes", "w:endnoteReference": "endnotes"}
# Separator lines between body and notes are notes too, of these types; they hold no text.
_NOTE_TYPES_SKIPPED = frozenset({"separator", "continuationSeparator", "continuationNotice"})
_NOT_WORD = {"workbook": "an Excel workbook", "presentation": "a PowerPoint presentation"}

# Symbol fonts put their glyphs at U+F020..U+F0FF. Symbol's are mostly Greek and mathematics
# with a standard Unicode equivalent; its digits and punctuation are plain ASCII.
_SYMBOL = dict(
    zip(
        range(0x40, 0x5B),
        "≅ΑΒΧΔΕΦΓΗΙϑΚΛΜΝΟΠΘΡΣΤΥςΩΞΨΖ",
        strict=True,
    )
) | dict(zip(range(0x61, 0x7B), "αβχδεφγηιϕκλμνοπθρστυϖωξψζ", strict=True))
_SYMBOL |= {0x22: "∀", 0x24: "∃", 0x27: "∋", 0x2A: "∗", 0x2D: "−", 0x5C: "∴", 0x5E: "⊥"}
_SYMBOL |= {0x7E: "∼", 0xA0: "€", 0xA1: "ϒ", 0xA2: "′", 0xA3: "≤", 0xA4: "⁄", 0xA5: "∞"}
_SYMBOL |= dict(zip(range(0xA6, 0xC0), "ƒ♣♦♥♠↔←↑→↓°±″≥×∝∂•÷≠≡≈…⏐⎯↵", strict=True))
_SYMBOL |= dict(zip(range(0xC0, 0xE6), "ℵℑℜ℘⊗⊕∅∩∪⊃⊇⊄⊂⊆∈∉∠∇®©™∏√⋅¬∧∨⇔⇐⇑⇒⇓◊〈®©™∑", strict=True))
_SYMBOL |= {0xF1: "〉", 0xF2: "∫"}
# Wingdings has no Unicode mapping of its own; these are the glyphs documents use as text
# (check boxes, ticks, bullets). Anything else from a picture font is left out.
_WINGDINGS = {0x6C: "●", 0x6E: "■", 0x71: "❑", 0x76: "❖", 0xA7: "▪", 0xA8: "☐", 0xD8: "➢"}
_WINGDINGS |= {0xFB: "✗", 0xFC: "✓", 0xFD: "☒", 0xFE: "☑"}
_WINGDINGS_2 = {0x4F: "✗", 0x50: "✓", 0x52: "☑", 0x53: "☒", 0x54: "☒", 0x98: "●", 0xA3: "☐"}
_PICTURE_FONTS = {"wingdings": _WINGDINGS, "wingdings 2": _WINGDINGS_2}


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
            f"{name} is not a .docx file inside (it looks like an old Word .doc). "
            + resave_advice("Word or LibreOffice", ".docx"),
        )
    try:
        with zipfile.ZipFile(io.BytesIO(source.data)) as archive:
            entries = archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, EOFError) as exc:
        raise DocumentError(
            "corrupt",
            f"{name} is damaged or not really a .docx file ({exc}). "
            + resave_advice("Word or LibreOffice"),
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
            "'zip bomb'. Split it into smaller documents.",
        )
    for entry in entries:
        ratio = entry.file_size / max(entry.compress_size, 1)
        if entry.file_size > RATIO_GRACE_BYTES and ratio > MAX_RATIO:
            raise DocumentError(
                "too_large",
                f"{name} looks like a 'zip bomb': its part {entry.filename} would unpack "
                f"{ratio:,.0f} times larger than it is stored. Paceline refused to open it.",
            )


def _damaged(name: str, detail: str) -> DocumentError:
    return DocumentError(
        "corrupt",
        f"{name} is damaged: {detail}. " + resave_advice("Word or LibreOffice"),
    )


# ------------------------------------------------------------------------------ XML names


@lru_cache(maxsize=4096)  # bounded: a crafted file may use any number of tag names
def _tag_name(tag: str) -> str:
    namespace, _, local = tag[1:].rpartition("}") if tag.startswith("{") else ("", "", tag)
    return f"{_PREFIXES.get(namespace, '?')}:{local}"


def _name(element: Element) -> str:
    """``w:p`` for a paragraph in either flavour of OOXML; "" for comments and PIs."""
    tag = element.tag
    return _tag_name(tag) if isinstance(tag, str) else ""


def _attr(element: Element, local: str, namespaces: tuple[str, ...] = W_NAMESPACES) -> str | None:
    for namespace in namespaces:
        value = element.get(f"{{{namespace}}}{local}")
        if value is not None:
            return value
    return None


def _child(element: Element | None, name: str) -> Element | None:
    if element is None:
        return None
    return next((child for child in element if _name(child) == name), None)


def _is_on(element: Element | None) -> bool:
    """An OOXML on/off property: present means on, unless its value says off."""
    return element is not None and _attr(element, "val") not in {"0", "false", "off"}


def _w_tags(local: str) -> tuple[str, ...]:
    return tuple(f"{{{namespace}}}{local}" for namespace in W_NAMESPACES)


# ------------------------------------------------------------------------------- the package


class _Relationship(NamedTuple):
    kind: str  # the type's last segment, the same in Strict and transitional: "footnotes"
    target: str  # a part name inside the zip, or "" for an external target


class _Package:
    """The zip's parts by name, parsed safely, and the relationships between them."""

    def __init__(self, source: Source) -> None:
        self.name = source.name
        self.note = source.note
        self._zip = zipfile.ZipFile(io.BytesIO(source.data))
        # Part names are case-insensitive in OPC; zip entry names are not.
        self._names = {entry.lower(): entry for entry in self._zip.namelist()}
        # One parser per document: lxml parsers must not be shared between threads.
        self._parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False)

    def read(self, part: str) -> bytes | None:
        entry = self._names.get(part.lower())
        if entry is None:
            return None
        try:
            return self._zip.read(entry)
        # NotImplementedError: a compression zipfile lacks; RuntimeError: a zip password.
        except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError, RuntimeError) as exc:
            raise _damaged(self.name, f"its part {part} cannot be unpacked ({exc})") from exc

    def parse(self, part: str) -> Element | None:
        data = self.read(part)
        if data is None:
            return None
        try:
            return etree.fromstring(data, self._parser)
        except etree.XMLSyntaxError as exc:
            if "depth" in str(exc):  # libxml2 stops at 256 levels, far beyond real documents
                detail = f"its part {part} is nested deeper than any real document"
            else:
                detail = f"its part {part} is not well-formed XML ({exc})"
            raise _damaged(self.name, detail) from exc

    def parse_optional(self, part: str, what: str) -> Element | None:
        """A part the body does not depend on: if it is broken, say so and go on without it."""
        try:
            return self.parse(part)
        except DocumentError:
            self.note(f"Its {what} ({part}) are damaged and were left out.")
            return None

    def relationships(self, part: str) -> dict[str, _Relationship]:
        folder, file = posixpath.split(part)
        found: dict[str, _Relationship] = {}
        root = self.parse(posixpath.join(folder, "_rels", f"{file}.rels"))
        for rel in root.iter() if root is not None else ():
            if _name(rel).endswith(":Relationship") and rel.get("Id"):
                kind = (rel.get("Type") or "").rsplit("/", 1)[-1]
                external = rel.get("TargetMode") == "External"
                target = "" if external else _resolve(folder, rel.get("Target") or "")
                found[rel.get("Id", "")] = _Relationship(kind, target)
        return found

    def main_part(self) -> str:
        """The document part: from the package relationships, else from the content types."""
        for rel in self.relationships("").values():
            if rel.kind == "officeDocument" and rel.target:
                return rel.target
        types = self.parse("[Content_Types].xml")
        for override in types.iter() if types is not None else ():
            content_type = (override.get("ContentType") or "").lower()
            word = "wordprocessingml" in content_type or "ms-word" in content_type
            if word and content_type.endswith(".main+xml"):  # documents, templates, macros
                return (override.get("PartName") or "").lstrip("/")
        return "word/document.xml"


def _resolve(folder: str, target: str) -> str:
    target = unquote(target)
    path = target.lstrip("/") if target.startswith("/") else posixpath.join(folder, target)
    return posixpath.normpath(path).lstrip("/")


# ------------------------------------------------------------------------------- numbering


def _val(element: Element | None) -> str | None:
    return _attr(element, "val") if element is not None else None


def _int(value: str | None) -> int | None:
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None


def _roman(number: int) -> str:
    numerals = ((1000, "m"), (900, "cm"), (500, "d"), (400, "cd"), (100, "c"), (90, "xc"))
    numerals += ((50, "l"), (40, "xl"), (10, "x"), (9, "ix"), (5, "v"), (4, "iv"), (1, "i"))
    out = []
    for value, numeral in numerals:
        count, number = divmod(number, value)
        out.append(numeral * count)
    return "".join(out)


def _format_number(number: int, fmt: str) -> str:
    """A list or note number in one of Word's formats; the rare others fall back to 1, 2, 3."""
    if fmt == "none":
        return ""
    # The bounds keep a crafted start value from spelling out a number a million letters long.
    if fmt in {"lowerRoman", "upperRoman"} and 0 < number < 4000:
        roman = _roman(number)
        return roman.upper() if fmt == "upperRoman" else roman
    if fmt in {"lowerLetter", "upperLetter"} and 0 < number <= 780:
        # Word goes on a, b, ... z, aa, bb, ... zz, aaa.
        letters = chr(ord("a") + (number - 1) % 26) * ((number - 1) // 26 + 1)
        return letters.upper() if fmt == "upperLetter" else letters
    if fmt == "decimalZero":
        return f"{number:02d}"
    return str(number)


_LEVELS = 9  # Word lists have levels 0 to 8


class _Level(NamedTuple):
    start: int
    fmt: str
    text: str  # lvlText: "%1.%2." puts the numbers of levels 1 and 2 in that pattern
    style: str | None  # a paragraph style tied to this level (numbered headings)
    legal: bool  # isLgl: the numbers of all levels in 1, 2, 3 whatever their format


def _levels(parent: Element) -> dict[int, _Level]:
    levels: dict[int, _Level] = {}
    for lvl in _find(parent, "w:lvl"):
        number = _int(_attr(lvl, "ilvl"))
        if number is not None and 0 <= number < _LEVELS:
            levels[number] = _Level(
                start=_int(_val(_child(lvl, "w:start"))) or 0,
                fmt=_val(_child(lvl, "w:numFmt")) or "decimal",
                text=_val(_child(lvl, "w:lvlText")) or "",
                style=_val(_child(lvl, "w:pStyle")),
                legal=_is_on(_child(lvl, "w:isLgl")),
            )
    return levels


class _List(NamedTuple):
    abstract: str  # lists sharing an abstract definition share their counters, as in Word
    starts: dict[int, int]  # startOverride: this list restarts these levels
    levels: dict[int, _Level]  # its levels, with any it overrides


def _list(num: Element, abstract: Element) -> _List:
    starts = {}
    overrides: dict[int, _Level] = {}
    for override in _find(num, "w:lvlOverride"):
        level = _int(_attr(override, "ilvl"))
        start = _int(_val(_child(override, "w:startOverride")))
        if level is not None and start is not None:
            starts[level] = start
        overrides |= _levels(override)
    return _List(_attr(abstract, "abstractNumId") or "", starts, _levels(abstract) | overrides)


class _Styles:
    """Named styles: the list numbering of paragraph styles, the settings of character styles."""

    def __init__(self, styles: Element | None) -> None:
        self._styles = {
            style_id: style
            for style in (styles if styles is not None else ())
            if (style_id := _attr(style, "styleId"))
        }

    def _chain(self, style_id: str | None) -> Iterator[Element]:
        """The style and those it is based on, nearest first."""
        for _ in range(20):  # basedOn may loop in a damaged file
            style = self._styles.get(style_id or "")
            if style is None:
                return
            yield style
            style_id = _val(_child(style, "w:basedOn"))

    def numbering(self, style_id: str | None) -> tuple[str | None, int | None]:
        """numId and level a paragraph style gives, looked up through the styles it is based on."""
        num_id, level = None, None
        for style in self._chain(style_id):
            properties = _child(_child(style, "w:pPr"), "w:numPr")
            num_id = num_id or _val(_child(properties, "w:numId"))
            level = level if level is not None else _int(_val(_child(properties, "w:ilvl")))
        return num_id, level

    def run_setting(self, style_id: str | None, name: str) -> Element | None:
        """A run property (``w:vertAlign``) as a character style sets it."""
        for style in self._chain(style_id):
            setting = _child(_child(style, "w:rPr"), name)
            if setting is not None:
                return setting
        return None


class _Numbering:
    """The numbers and bullets Word draws before list paragraphs; they are not in the text.

    Legal and technical documents refer to their clauses by these numbers ("see 4.2"), so
    they are worth rebuilding from numbering.xml and the paragraph styles.
    """

    def __init__(self, numbering: Element | None, styles: _Styles) -> None:
        self._styles = styles
        items = list(numbering) if numbering is not None else []
        self._abstracts = {
            _attr(item, "abstractNumId"): item for item in items if _name(item) == "w:abstractNum"
        }
        self._nums = {_attr(item, "numId"): item for item in items if _name(item) == "w:num"}
        self._lists: dict[str, _List] = {}
        for num_id, num in self._nums.items():
            abstract = self._abstract(num)
            if num_id is not None and abstract is not None:
                self._lists[num_id] = _list(num, abstract)
        self._counters: dict[str, list[int | None]] = {}
        self._started: set[str] = set()

    def _abstract(self, num: Element) -> Element | None:
        abstract = self._abstracts.get(_val(_child(num, "w:abstractNumId")))
        # A list style's definition is lent through the list its style names (numStyleLink).
        linked = _val(_child(abstract, "w:numStyleLink"))
        linked_num = self._nums.get(self._styles.numbering(linked)[0]) if linked else None
        if linked_num is not None:
            return self._abstracts.get(_val(_child(linked_num, "w:abstractNumId")), abstract)
        return abstract

    def label(self, paragraph: Element) -> str:
        """ "2.1 " or "- " for a list paragraph (counted even if empty, as Word does); else ""."""
        properties = _child(paragraph, "w:pPr")
        direct = _child(properties, "w:numPr")
        style = _val(_child(properties, "w:pStyle"))
        style_num, style_level = self._styles.numbering(style)
        num_id = _val(_child(direct, "w:numId")) or style_num
        level = _int(_val(_child(direct, "w:ilvl")))
        found = self._lists.get(num_id or "")
        if found is None:  # numId 0 is how a paragraph says "no numbering"
            return ""
        if level is None:
            linked = (n for n, lvl in found.levels.items() if style and lvl.style == style)
            level = next(linked, style_level or 0)
        if level not in found.levels:
            return ""
        return self._count(num_id or "", found, level)

    def _count(self, num_id: str, found: _List, level: int) -> str:
        counters = self._counters.setdefault(found.abstract, [None] * _LEVELS)
        if num_id not in self._started:
            self._started.add(num_id)
            for overridden, start in found.starts.items():
                if 0 <= overridden < _LEVELS:
                    counters[overridden] = start - 1
        current = counters[level]
        counters[level] = found.levels[level].start if current is None else current + 1
        counters[level + 1 :] = [None] * (_LEVELS - 1 - level)  # deeper levels start over
        definition = found.levels[level]
        if definition.fmt == "bullet":
            return "  " * level + "- "
        text = _LEVEL_REFERENCE.sub(
            lambda match: self._number(found, counters, int(match[1]) - 1, definition.legal),
            definition.text,
        )
        return "  " * level + text + " " if text.strip() else ""

    @staticmethod
    def _number(found: _List, counters: list[int | None], level: int, legal: bool) -> str:
        definition = found.levels.get(level)
        if definition is None:
            return ""
        count = counters[level]
        number = definition.start if count is None else count
        return _format_number(number, "decimal" if legal else definition.fmt)


_LEVEL_REFERENCE = re.compile(r"%([1-9])")


# ---------------------------------------------------------------------------------- notes


class _Notes:
    """One kind of note: their bodies by id, numbered in the order the text refers to them."""

    def __init__(self, title: str, bodies: dict[str, Element], fmt: str, start: int) -> None:
        self.title = title
        self.bodies = bodies
        self._fmt = fmt
        self._start = start
        self.numbers: dict[str, int] = {}

    def mark(self, note_id: str | None) -> str:
        if note_id not in self.bodies:  # a reference to a note that is not there: no marker
            return ""
        number = self.numbers.setdefault(note_id, len(self.numbers) + self._start)
        return f"[{_format_number(number, self._fmt)}]"

    def referenced(self) -> Iterator[tuple[str, Element]]:
        for note_id, number in self.numbers.items():
            yield f"[{_format_number(number, self._fmt)}]", self.bodies[note_id]


def _note_bodies(package: _Package, part: str | None, what: str) -> dict[str, Element]:
    root = package.parse_optional(part, what) if part else None
    bodies: dict[str, Element] = {}
    for note in root if root is not None else ():
        note_id = _attr(note, "id")
        if note_id is not None and _attr(note, "type") not in _NOTE_TYPES_SKIPPED:
            bodies[note_id] = note
    return bodies


def _note_numbering(kind: str, *places: Element | None) -> tuple[str, int]:
    """The note numbers' format and first number: the last section's, else the settings'.

    Word's defaults are 1, 2, 3 for footnotes and i, ii, iii for endnotes, which also keeps
    the two kinds apart in a document that has both.
    """
    fmt, start = None, None
    for place in places:
        properties = _child(place, f"w:{kind}Pr")
        fmt = fmt or _val(_child(properties, "w:numFmt"))
        start = start if start is not None else _int(_val(_child(properties, "w:numStart")))
    default = "decimal" if kind == "footnote" else "lowerRoman"
    return fmt or default, start if start is not None else 1


# ----------------------------------------------------------------------------------- math


def _math_part(element: Element, local: str) -> str:
    child = _child(element, f"m:{local}")
    return _math(child) if child is not None else ""


def _math_chr(element: Element, local: str, default: str) -> str:
    """A property such as a delimiter or an n-ary operator: ``<m:begChr m:val="["/>``."""
    properties = next((child for child in element if _name(child).endswith("Pr")), None)
    setting = _child(properties, f"m:{local}")
    value = _attr(setting, "val", M_NAMESPACES) if setting is not None else None
    return default if value is None else value


def _group(text: str) -> str:
    """A script or a fraction's part: bracketed unless it is a single symbol or a number."""
    return text if len(text) <= 1 or text.isdigit() else f"({text})"


def _scripts(element: Element) -> str:
    sub, sup = _math_part(element, "sub"), _math_part(element, "sup")
    return (f"_{_group(sub)}" if sub else "") + (f"^{_group(sup)}" if sup else "")


def _math_elements(element: Element, name: str = "m:e") -> list[str]:
    return [_math(child) for child in element if _name(child) == name]


def _math_nary(element: Element) -> str:
    operand = _math_part(element, "e")
    return f"{_math_chr(element, 'chr', '∫')}{_scripts(element)} {operand}"


def _math_radical(element: Element) -> str:
    degree, radicand = _math_part(element, "deg"), _math_part(element, "e")
    return f"√({degree}&{radicand})" if degree else f"√{_group(radicand)}"


def _math_delimiters(element: Element) -> str:
    separator = _math_chr(element, "sepChr", "|")
    inside = separator.join(_math_elements(element))
    return _math_chr(element, "begChr", "(") + inside + _math_chr(element, "endChr", ")")


def _math_function(element: Element) -> str:
    name, argument = _math_part(element, "fName"), _math_part(element, "e")
    return name + ("" if argument.startswith("(") else " ") + argument


def _math_matrix(element: Element) -> str:
    rows = (", ".join(_math_elements(row)) for row in element if _name(row) == "m:mr")
    return "[" + "; ".join(rows) + "]"


_MATH_FORMS: dict[str, Callable[[Element], str]] = {
    "m:f": lambda e: f"{_group(_math_part(e, 'num'))}/{_group(_math_part(e, 'den'))}",
    "m:sSub": lambda e: _math_part(e, "e") + _scripts(e),
    "m:sSup": lambda e: _math_part(e, "e") + _scripts(e),
    "m:sSubSup": lambda e: _math_part(e, "e") + _scripts(e),
    "m:sPre": lambda e: _scripts(e) + _math_part(e, "e"),
    "m:nary": _math_nary,
    "m:rad": _math_radical,
    "m:d": _math_delimiters,
    "m:func": _math_function,
    "m:limLow": lambda e: f"{_math_part(e, 'e')}_{_group(_math_part(e, 'lim'))}",
    "m:limUpp": lambda e: f"{_math_part(e, 'e')}^{_group(_math_part(e, 'lim'))}",
    "m:acc": lambda e: _math_part(e, "e") + _math_chr(e, "chr", "\u0302"),
    "m:m": _math_matrix,
    "m:eqArr": lambda e: "\n".join(_math_elements(e)),
    "m:oMathPara": lambda e: "\n".join(_math_elements(e, "m:oMath")),
}


def _math(element: Element) -> str:
    """An equation (OMML) as linear text in the spirit of Word's own linear format:
    ``∫_0^1 x``, ``(a+b)/2``, ``√x``: the structure survives, not only the letters."""
    name = _name(element)
    if name in _SKIPPED or name.endswith("Pr"):  # properties: m:fPr, m:naryPr, m:ctrlPr...
        return ""
    if name in {"m:t", "w:t"}:
        return element.text or ""
    form = _MATH_FORMS.get(name)
    return form(element) if form else "".join(_math(child) for child in element)


# ---------------------------------------------------------------------------------- stories


def _picture_font(name: str | None) -> str:
    """The name of a font whose letters stand for other signs ("symbol", "wingdings"...),
    "dings" for a picture font we know no characters of, "" for a text font."""
    font = " ".join((name or "").casefold().split())
    if font == "symbol" or font in _PICTURE_FONTS:
        return font
    return "dings" if "dings" in font else ""


def _glyph(code: int, font: str) -> str:
    """What a font shows for ``code``: symbol fonts hold their signs at 0x20..0xFF, which
    Word also addresses as U+F020..U+F0FF."""
    if 0xF020 <= code <= 0xF0FF:
        code -= 0xF000
    elif not font or not 0x20 <= code <= 0xFF:
        return chr(code) if 0x20 <= code < 0x110000 and not 0xD800 <= code < 0xE000 else ""
    if font == "symbol":
        return _SYMBOL.get(code, chr(code) if code < 0x7F else "")
    if font in _PICTURE_FONTS:
        return _PICTURE_FONTS[font].get(code, "")
    # Another picture font's signs have no characters; a text font's are letters.
    return "" if font or code >= 0x7F else chr(code)


def _symbol(sym: Element) -> str:
    """A ``w:sym``: a sign inserted from a font, by its code in that font."""
    try:
        code = int(_attr(sym, "char") or "", 16)
    except ValueError:
        return ""
    return _glyph(code, _picture_font(_attr(sym, "font")))


def _in_font(text: str, font: str) -> str:
    """Text typed in a symbol font: "a" in Symbol is shown, and meant, as α."""
    return "".join(
        _glyph(ord(char), font)
        if 0x20 <= ord(char) <= 0xFF or 0xF020 <= ord(char) <= 0xF0FF
        else char
        for char in text
    )


def _first(parent: Element, name: str) -> Element | None:
    return next((element for element in parent.iter() if _name(element) == name), None)


def _graphic(kind: str, description: str | None) -> str:
    """``[Image: what its author wrote for readers who cannot see it]``, or ``[Image]``."""
    text = " ".join((description or "").split())
    return f"[{kind}: {text}]" if text else f"[{kind}]"


def _drawing(drawing: Element) -> str:
    properties = _first(drawing, "wp:docPr")
    data = _first(drawing, "a:graphicData")
    kind = _GRAPHICS.get((data.get("uri") or "").rsplit("/", 1)[-1] if data is not None else "")
    if properties is None or _is_on_attr(properties.get("hidden")):
        return ""
    description = properties.get("descr") or properties.get("title")
    return _graphic(kind or "Image", description) if kind or description else ""


def _vml_picture(picture: Element) -> str:
    """An old-style (VML) picture; a VML text box is not one, its text is read instead."""
    if _first(picture, "v:imagedata") is None or _first(picture, "w:txbxContent") is not None:
        return ""
    shape = _first(picture, "v:shape")
    return _graphic("Image", shape.get("alt") if shape is not None else None)


def _embedded_object(embedded: Element) -> str:
    """An OLE object: Equation Editor and MathType formulas show only as pictures."""
    ole = _first(embedded, "o:OLEObject")
    program = (ole.get("ProgID") or "") if ole is not None else ""
    return "[Equation]" if program.startswith("Equation") else "[Object]"


def _form_field(char: Element) -> str:
    """What a legacy form field shows: the state of its check box, or the entry chosen from its
    list. (A text field's typed answer is the field's result, read as any other.)"""
    data = _child(char, "w:ffData")
    box = _child(data, "w:checkBox")
    if box is not None:
        checked = _child(box, "w:checked")
        return "☒" if _is_on(checked if checked is not None else _child(box, "w:default")) else "☐"
    choices = _child(data, "w:ddList")
    if choices is None:
        return ""
    entries = [_val(entry) or "" for entry in _find(choices, "w:listEntry")]
    chosen = _int(_val(_child(choices, "w:result")) or _val(_child(choices, "w:default"))) or 0
    return entries[chosen] if 0 <= chosen < len(entries) else ""


def _is_on_attr(value: str | None) -> bool:
    return value is not None and value not in {"0", "false", "off"}


def _continues_merge(cell: Element) -> bool:
    """A cell covered by the one above it (vertical merge): its text is said there."""
    merge = _child(_child(cell, "w:tcPr"), "w:vMerge")
    return merge is not None and _attr(merge, "val") in {None, "continue"}


def _row_deleted(row: Element) -> bool:
    return _child(_child(row, "w:trPr"), "w:del") is not None


def _mark_deleted(paragraph: Element) -> bool:
    """Accepting a deleted paragraph mark joins the paragraph to the next one."""
    return _child(_child(_child(paragraph, "w:pPr"), "w:rPr"), "w:del") is not None


def _chosen_branch(alternate: Element) -> Element | None:
    """Word's alternatives (new DrawingML, old VML) say the same text: read the first with text."""
    branches = [child for child in alternate if _name(child) in {"mc:Choice", "mc:Fallback"}]
    with_text = (branch for branch in branches if next(branch.iter(*_TEXT_TAGS), None) is not None)
    return next(with_text, branches[0] if branches else None)


def _find(parent: Element, name: str) -> Iterator[Element]:
    """``name`` elements under ``parent``, through content controls and custom XML but not
    into nested tables (whose rows and cells are their own)."""
    for child in parent:
        child_name = _name(child)
        if child_name == name:
            yield child
        elif child_name == "mc:AlternateContent":
            branch = _chosen_branch(child)
            if branch is not None:
                yield from _find(branch, name)
        elif child_name not in _SKIPPED and child_name != "w:tbl":
            yield from _find(child, name)


def _find_blocks(container: Element) -> Iterator[Element]:
    """Paragraphs, tables and embedded documents, through content controls and custom XML."""
    for child in container:
        name = _name(child)
        if name in {"w:p", "w:tbl", "w:altChunk"}:
            yield child
        elif name == "mc:AlternateContent":
            branch = _chosen_branch(child)
            if branch is not None:
                yield from _find_blocks(branch)
        elif name not in _SKIPPED:
            yield from _find_blocks(child)


# A piece of a paragraph and how it is set: "" on the line, "^" raised, "_" lowered, or
# _LABEL_PIECE for a label standing for what is not text, such as [Image].
_Piece = tuple[str, str]
_SCRIPTS = {"superscript": "^", "subscript": "_"}
_LABEL_PIECE = "label"


def _join(pieces: list[_Piece]) -> str:
    """A paragraph's pieces as text; neighbouring runs set alike are one script: 10^(-3)."""
    out: list[str] = []
    apart = False  # a label was just written: the next words start after a space
    for script, group in itertools.groupby(pieces, key=lambda piece: piece[0]):
        texts = [piece[1] for piece in group]
        if script == _LABEL_PIECE:  # apart from the words around it, which it is not part of
            ending = next((text[-1] for text in reversed(out) if text), "")
            out.append(("" if not ending or ending.isspace() else " ") + " ".join(texts))
            apart = True
            continue
        text = _scripted("".join(texts), script)
        if apart and text[:1] and not text[:1].isspace():
            text = " " + text
        apart = apart and not text
        out.append(text)
    return "".join(out)


def _scripted(text: str, script: str) -> str:
    core = text.strip()
    if not script or not core:
        return text
    lead, trail = text[: len(text) - len(text.lstrip())], text[len(text.rstrip()) :]
    return f"{lead}{script}{_group(core)}{trail}"


@dataclass
class _Context:
    """What every story of one document shares."""

    notes: dict[str, _Notes]
    numbering: _Numbering
    styles: _Styles
    note: Callable[[str], None]


class _Story:
    """Reads one flow of text: the body, a note, a header, a text box.

    Fields can span runs and paragraphs, so the state of the fields being read is kept here:
    one flag per open field, True while its code (not its result) is being read.
    """

    def __init__(self, context: _Context) -> None:
        self.context = context
        self.fields: list[bool] = []
        self.script = ""  # "^" or "_" while a superscript or subscript run is read
        self.font = ""  # the symbol font of the run being read, if it is set in one

    def blocks(self, container: Element) -> list[str]:
        """The container's paragraphs and tables as text, empty ones left out."""
        found: list[str] = []
        carried, floating = "", []  # a paragraph whose mark was deleted runs into the next
        for block in _find_blocks(container):
            if _name(block) == "w:altChunk":
                self.context.note("A document embedded in it (an altChunk part) was not read.")
                continue
            if _name(block) == "w:tbl":
                found.extend(text for text in (carried.strip(), self.table(block)) if text)
                found.extend(floating)
                carried, floating = "", []
                continue
            text, boxes = self.paragraph(block)
            carried, floating = carried + text, floating + boxes
            if not _mark_deleted(block):
                # The surviving mark carries the paragraph's properties, its list number too.
                label = self.context.numbering.label(block)
                found.extend([label + carried.strip()] if carried.strip() else [])
                found.extend(floating)
                carried, floating = "", []
        found.extend([carried.strip()] if carried.strip() else [])
        return found + floating

    def paragraph(self, paragraph: Element) -> tuple[str, list[str]]:
        """The paragraph's text, and the text boxes anchored in it as paragraphs of their own."""
        out: list[_Piece] = []
        boxes: list[str] = []
        self._inline(paragraph, out, boxes)
        # A field's code never holds a paragraph mark: if one is still open, the file forgot
        # its separator, and hiding the rest of the document would be worse than showing it.
        self.fields = [False] * len(self.fields)
        return _join(out), boxes

    def table(self, table: Element) -> str:
        """One line per row, cells apart by " | "; a cell's own paragraphs share its line."""
        rows: list[str] = []
        for row in _find(table, "w:tr"):
            if _row_deleted(row):
                continue
            cells = [self._cell(cell) for cell in _find(row, "w:tc") if not _continues_merge(cell)]
            line = " | ".join(cell for cell in cells if cell)
            if line:
                rows.append(line)
        return "\n".join(rows)

    def _cell(self, cell: Element) -> str:
        return " ".join(" ".join(self.blocks(cell)).split())

    def _inline(self, parent: Element, out: list[_Piece], boxes: list[str]) -> None:
        for element in parent:
            name = _name(element)
            if name in _SKIPPED:
                continue
            if name == "w:t":
                text = element.text or ""
                self._emit(out, _in_font(text, self.font) if self.font else text)
            elif name == "m:t":
                self._emit(out, element.text or "")
            elif name in _CHARACTERS:
                self._emit(out, _CHARACTERS[name])
            elif name == "w:sym":
                self._emit(out, _symbol(element))
            elif name in {"m:oMath", "m:oMathPara"}:
                self._emit(out, _math(element))
            elif name == "w:drawing":
                self._emit_apart(out, _drawing(element))
                self._inline(element, out, boxes)
            elif name == "w:pict":
                self._emit_apart(out, _vml_picture(element))
                self._inline(element, out, boxes)
            elif name == "w:object":
                self._emit_apart(out, _embedded_object(element))
            elif name == "w:fldChar":
                self._emit(out, _form_field(element))
                self._field_char(_attr(element, "fldCharType"))
            elif name in _NOTE_REFERENCES:
                notes = self.context.notes[_NOTE_REFERENCES[name]]
                self._emit(out, notes.mark(_attr(element, "id")), script="")
            elif name == "w:r":
                self._run(element, out, boxes)
            elif name == "w:txbxContent":
                boxes.extend(self._text_box(element))
            elif name == "mc:AlternateContent":
                branch = _chosen_branch(element)
                if branch is not None:
                    self._inline(branch, out, boxes)
            else:  # runs, hyperlinks, content controls, smart tags, insertions, drawings...
                self._inline(element, out, boxes)

    def _text_box(self, content: Element) -> list[str]:
        # A text box is a story of its own: fields open around its anchor do not reach in.
        outer, self.fields = self.fields, []
        try:
            return self.blocks(content)
        finally:
            self.fields = outer

    def _run(self, run: Element, out: list[_Piece], boxes: list[str]) -> None:
        # 10^(-3) is not 10-3, nor H_2O "H2O" to every reader: raised and lowered text is marked.
        align = _val(self._run_setting(run, "w:vertAlign"))
        fonts = self._run_setting(run, "w:rFonts")
        font = (_attr(fonts, "ascii") or _attr(fonts, "hAnsi")) if fonts is not None else None
        outer = self.script, self.font
        self.script, self.font = _SCRIPTS.get(align or "", ""), _picture_font(font)
        try:
            self._inline(run, out, boxes)
        finally:
            self.script, self.font = outer

    def _run_setting(self, run: Element, name: str) -> Element | None:
        """A run's own setting, else its character style's."""
        properties = _child(run, "w:rPr")
        setting = _child(properties, name)
        if setting is not None:
            return setting
        style = _val(_child(properties, "w:rStyle"))
        return self.context.styles.run_setting(style, name) if style else None

    def _emit_apart(self, out: list[_Piece], label: str) -> None:
        if label:
            self._emit(out, label, script=_LABEL_PIECE)

    def _emit(self, out: list[_Piece], text: str, script: str | None = None) -> None:
        if True not in self.fields:  # inside any field's code, even a nested field's result
            out.append((self.script if script is None else script, text))

    def _field_char(self, kind: str | None) -> None:
        if kind == "begin":
            self.fields.append(True)
        elif kind == "separate" and self.fields:
            self.fields[-1] = False
        elif kind == "end" and self.fields:
            self.fields.pop()


# --------------------------------------------------------------------------------- document


def _document_root(package: _Package) -> tuple[str, Element]:
    part = package.main_part()
    root = package.parse(part)
    if root is None:
        raise _damaged(package.name, f"the document part {part} is missing")
    kind = _name(root)
    if kind != "w:document":
        local = kind.partition(":")[2]
        what = _NOT_WORD.get(local, f"a '{local}' part")
        raise DocumentError(
            "corrupt",
            f"{package.name} is not a Word document inside: it holds {what}. "
            + resave_advice("the program that made it", ".docx or .pdf"),
        )
    return part, root


class _Parts:
    """The parts the document part refers to, by relationship type."""

    def __init__(self, package: _Package, part: str) -> None:
        self.package = package
        self.rels = package.relationships(part)

    def optional(self, kind: str, what: str) -> Element | None:
        target = self.target(kind)
        return self.package.parse_optional(target, what) if target else None

    def target(self, kind: str) -> str | None:
        return next((r.target for r in self.rels.values() if r.kind == kind and r.target), None)


def _margin_text(parts: _Parts, document: Element, context: _Context, kind: str) -> list[str]:
    """The distinct paragraphs of every header (or footer) the sections use, once each, less
    bare page numbers (the number of whichever page was last laid out, meaning nothing)."""
    rels = parts.rels
    targets = dict.fromkeys(
        rels[ref_id].target
        for ref in document.iter(*_w_tags(f"{kind}Reference"))
        if (ref_id := _attr(ref, "id", R_NAMESPACES) or "") in rels and rels[ref_id].target
    )
    story = _Story(context)
    found: list[str] = []
    for target in targets:
        root = parts.package.parse_optional(target, f"{kind}s")
        if root is not None:
            found.extend(story.blocks(root))
    return [block for block in dict.fromkeys(found) if not _PAGE_NUMBER.fullmatch(block)]


_PAGE_NUMBER = re.compile(r"[\W_]*\d+[\W_]*")


def _notes_sections(context: _Context) -> list[str]:
    sections: list[str] = []
    for kind in context.notes.values():
        entries = [
            f"{label} {' '.join(_Story(context).blocks(body))}".rstrip()
            for label, body in kind.referenced()
        ]
        if entries:
            sections.append(kind.title + "\n\n" + "\n".join(entries))
    return sections


def _context(package: _Package, parts: _Parts, body: Element | None) -> _Context:
    settings = parts.optional("settings", "settings")
    last_section = _child(body, "w:sectPr")
    notes = {}
    for kind, title in (("footnote", "Footnotes"), ("endnote", "Endnotes")):
        bodies = _note_bodies(package, parts.target(f"{kind}s"), f"{kind}s")
        fmt, start = _note_numbering(kind, last_section, settings)
        notes[f"{kind}s"] = _Notes(title, bodies, fmt, start)
    styles = _Styles(parts.optional("styles", "styles"))
    numbering = _Numbering(parts.optional("numbering", "list numbers"), styles)
    return _Context(notes, numbering, styles, package.note)


def _read(source: Source) -> str:
    package = _Package(source)
    part, document = _document_root(package)
    parts = _Parts(package, part)
    body = _child(document, "w:body")
    context = _context(package, parts, body)
    blocks = _Story(context).blocks(body) if body is not None else []
    notes = _notes_sections(context)
    if not _has_words([*blocks, *notes]):
        # A letterhead around an empty page, or a scan pasted in as pictures: no text to read,
        # so the pictures are the document, as a PDF's pages without text are.
        pictures = _pictures(parts, body) if body is not None else []
        if pictures:
            _add_pictures(source, pictures)
            return ""
        _refuse_pictures(source.name, blocks)
        return ""
    headers = _margin_text(parts, document, context, "header")
    footers = _margin_text(parts, document, context, "footer")
    return "\n\n".join([*headers, *blocks, *footers, *notes])


_LABEL = re.compile(r"\[(?:Image|Chart|Diagram|Equation|Object)(?:: [^\]]*)?\]")


def _has_words(blocks: list[str]) -> bool:
    return any(_LABEL.sub("", block).strip() for block in blocks)


def _refuse_pictures(name: str, blocks: list[str]) -> None:
    """Pictures no model can be given (charts, diagrams, metafiles) and no text."""
    if any(_LABEL.search(block) for block in blocks):
        raise DocumentError(
            "empty",
            f"{name} holds pictures but no text, and none of them is a photo or scan a model "
            "could read. Save it as PDF and run that through OCR (for example ocrmypdf), "
            "then add the result.",
        )


# ---------------------------------------------------------------------------------- pictures

_METAFILE_SUFFIXES = (".emf", ".wmf", ".emz", ".wmz")
_O_NAMESPACE = "urn:schemas-microsoft-com:office:office"  # VML's o:relid, an older r:id


class _Picture(NamedTuple):
    part: str  # its part name in the zip
    data: bytes


def _picture_ids(parent: Element) -> Iterator[str]:
    """The relationship ids of the pictures under ``parent``, in reading order: DrawingML's
    ``a:blip r:embed`` and legacy VML's ``v:imagedata r:id``, read as _Story reads text
    (deleted revisions left out, one branch of each alternative, hidden drawings skipped)."""
    for element in parent:
        name = _name(element)
        if name in _SKIPPED:
            continue
        if name == "mc:AlternateContent":
            branch = _chosen_branch(element)
            if branch is not None:
                yield from _picture_ids(branch)
            continue
        if name == "w:drawing":
            properties = _first(element, "wp:docPr")
            if properties is not None and _is_on_attr(properties.get("hidden")):
                continue
        if name == "a:blip":
            # r:link alone is a picture outside the file: its id leads to an external target.
            found = _attr(element, "embed", R_NAMESPACES) or _attr(element, "link", R_NAMESPACES)
        elif name == "v:imagedata":
            found = _attr(element, "id", R_NAMESPACES) or element.get(f"{{{_O_NAMESPACE}}}relid")
        else:
            found = None
        if found:
            yield found
        yield from _picture_ids(element)


def _pictures(parts: _Parts, body: Element) -> list[_Picture]:
    """The body's pictures a model can be given, each once, in reading order; what cannot be
    given (a linked file, a Windows metafile, a damaged part) is noted."""
    package = parts.package
    found: dict[str, _Picture] = {}
    linked = metafiles = damaged = 0
    for rel_id in _picture_ids(body):
        rel = parts.rels.get(rel_id)
        if rel is None or rel.target in found:
            continue  # a dangling reference shows nothing; a repeated picture is sent once
        if not rel.target:
            linked += 1
            continue
        try:
            data = package.read(rel.target)
        except DocumentError:
            damaged += 1
            continue
        if data is None:
            damaged += 1
        elif _is_metafile(rel.target, data):
            metafiles += 1
        else:
            found[rel.target] = _Picture(rel.target, data)
    if linked:
        package.note(f"Left out: {_pictures_count(linked)} linked from outside the file.")
    if metafiles:
        package.note(
            f"Left out: {_pictures_count(metafiles)} in Windows metafile format (EMF/WMF), "
            "which Paceline cannot draw."
        )
    if damaged:
        package.note(f"Left out: {_pictures_count(damaged)} missing or damaged.")
    return list(found.values())


def _pictures_count(count: int) -> str:
    return f"{count} picture{'s' if count != 1 else ''}"


def _is_metafile(part: str, data: bytes) -> bool:
    # EMF records its signature " EMF" at byte 40; a placeable WMF starts with 0x9AC6CDD7.
    return (
        part.lower().endswith(_METAFILE_SUFFIXES)
        or data[40:44] == b" EMF"
        or data[:4] == b"\xd7\xcd\xc6\x9a"
    )


def _add_pictures(source: Source, pictures: list[_Picture]) -> None:
    if not source.limits.render_images:
        raise image_format.needs_vision(source.name, "holds pictures but no text (probably a scan)")
    for number, picture in enumerate(pictures, 1):
        try:
            image_format.add_picture(source, picture.data, f"picture {number}")
        except image_format.UNREADABLE as exc:
            source.note(f"A picture ({picture.part}) cannot be read and was left out: {exc}.")
    if not source.images:
        raise DocumentError(
            "corrupt",
            f"{source.name} holds pictures but no text, and none of its pictures can be read. "
            + resave_advice("Word or LibreOffice"),
        )
    count = len(source.images)
    images = "its picture goes" if count == 1 else f"its {count} pictures go"
    source.note(f"It has no text: {images} to the model as images.")


def read_docx(source: Source) -> str:
    _check_container(source)
    try:
        return _read(source)
    except RecursionError as exc:
        raise _damaged(source.name, "its parts are nested deeper than any real document") from exc


register(frozenset({".docx"}), "docx", read_docx)
