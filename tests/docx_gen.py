"""Word files written part by part with zipfile, for the DOCX text tests.

Word and python-docx cannot be told to write a text box, a tracked change or a Strict OOXML
file, so the tests write the XML themselves: ``body`` is what goes inside ``<w:body>``, using
the prefixes declared in ``NAMESPACES``. With ``strict=True`` the very same XML is written
under the Strict OOXML namespace and relationship names.
``path = make_package(tmp_path / "a.docx", p(r("Hello")))``.
"""

from __future__ import annotations

import zipfile
from collections.abc import Sequence
from pathlib import Path
from xml.sax.saxutils import escape, quoteattr

TRANSITIONAL = {
    "w": "http://schemas.openxmlformats.org/wordprocessingml/2006/main",
    "r": "http://schemas.openxmlformats.org/officeDocument/2006/relationships",
    "m": "http://schemas.openxmlformats.org/officeDocument/2006/math",
    "wp": "http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing",
    "a": "http://schemas.openxmlformats.org/drawingml/2006/main",
}
STRICT = {
    "w": "http://purl.oclc.org/ooxml/wordprocessingml/main",
    "r": "http://purl.oclc.org/ooxml/officeDocument/relationships",
    "m": "http://purl.oclc.org/ooxml/officeDocument/math",
    "wp": "http://purl.oclc.org/ooxml/drawingml/wordprocessingDrawing",
    "a": "http://purl.oclc.org/ooxml/drawingml/main",
}
# The same in both flavours.
COMMON = {
    "mc": "http://schemas.openxmlformats.org/markup-compatibility/2006",
    "wps": "http://schemas.microsoft.com/office/word/2010/wordprocessingShape",
    "v": "urn:schemas-microsoft-com:vml",
}
REL_TYPES = {
    False: "http://schemas.openxmlformats.org/officeDocument/2006/relationships/",
    True: "http://purl.oclc.org/ooxml/officeDocument/relationships/",
}
WORD_MAIN = "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"


# ------------------------------------------------------------------------ building blocks


def r(text: str, properties: str = "") -> str:
    """A run of text."""
    return f'<w:r>{properties}<w:t xml:space="preserve">{escape(text)}</w:t></w:r>'


def p(*content: str, properties: str = "") -> str:
    """A paragraph of runs (or any inline XML)."""
    return f"<w:p>{f'<w:pPr>{properties}</w:pPr>' if properties else ''}{''.join(content)}</w:p>"


def table(*rows: Sequence[str]) -> str:
    """A table; each cell is given as its inner XML (paragraphs, tables)."""
    body = "".join("<w:tr>" + "".join(f"<w:tc>{c}</w:tc>" for c in row) + "</w:tr>" for row in rows)
    return f"<w:tbl><w:tblPr/>{body}</w:tbl>"


def field(instruction: str, *result: str) -> str:
    """A complex field: its code, then the runs of its shown result."""
    return (
        '<w:r><w:fldChar w:fldCharType="begin"/></w:r>'
        f'<w:r><w:instrText xml:space="preserve">{escape(instruction)}</w:instrText></w:r>'
        '<w:r><w:fldChar w:fldCharType="separate"/></w:r>'
        + "".join(result)
        + '<w:r><w:fldChar w:fldCharType="end"/></w:r>'
    )


def text_box(*paragraphs: str, with_vml: bool = True) -> str:
    """A run anchoring a floating text box, written as Word writes it: DrawingML, then the
    same text again in a VML fallback for old readers."""
    content = f"<w:txbxContent>{''.join(paragraphs)}</w:txbxContent>"
    drawing = (
        '<w:drawing><wp:anchor><wp:docPr id="1" name="Text Box 1"/><a:graphic><a:graphicData>'
        f"<wps:wsp><wps:txbx>{content}</wps:txbx></wps:wsp>"
        "</a:graphicData></a:graphic></wp:anchor></w:drawing>"
    )
    if not with_vml:
        return f"<w:r>{drawing}</w:r>"
    fallback = f"<w:pict><v:shape><v:textbox>{content}</v:textbox></v:shape></w:pict>"
    return (
        '<w:r><mc:AlternateContent><mc:Choice Requires="wps">'
        f"{drawing}</mc:Choice><mc:Fallback>{fallback}</mc:Fallback></mc:AlternateContent></w:r>"
    )


def picture(description: str) -> str:
    """An inline picture with alternative text (the image itself is left out)."""
    return (
        '<w:r><w:drawing><wp:inline><wp:docPr id="2" name="Picture 2" '
        f"descr={quoteattr(description)}/></wp:inline></w:drawing></w:r>"
    )


def note(kind: str, note_id: int, *paragraphs: str) -> str:
    """A footnote or endnote body (``kind`` "footnote" or "endnote")."""
    return f'<w:{kind} w:id="{note_id}">{"".join(paragraphs)}</w:{kind}>'


def note_reference(kind: str, note_id: int) -> str:
    return f'<w:r><w:{kind}Reference w:id="{note_id}"/></w:r>'


# ------------------------------------------------------------------------------ the package


def _declarations(strict: bool) -> str:
    names = (STRICT if strict else TRANSITIONAL) | COMMON
    return " ".join(f'xmlns:{prefix}="{uri}"' for prefix, uri in names.items())


def _part(root: str, inner: str, strict: bool) -> bytes:
    head = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    return f"{head}<w:{root} {_declarations(strict)}>{inner}</w:{root}>".encode()


def _notes_part(kind: str, notes: str, strict: bool) -> bytes:
    # Word always writes the separator lines as notes -1 and 0; they must not show up.
    separators = (
        f'<w:{kind} w:type="separator" w:id="-1"><w:p><w:r><w:separator/></w:r></w:p></w:{kind}>'
        f'<w:{kind} w:type="continuationSeparator" w:id="0"><w:p><w:r><w:continuationSeparator/>'
        f"</w:r></w:p></w:{kind}>"
    )
    return _part(f"{kind}s", separators + notes, strict)


def _relationships(rels: Sequence[tuple[str, str, str]], strict: bool) -> bytes:
    rows = "".join(
        f'<Relationship Id="{rel_id}" Type="{REL_TYPES[strict]}{kind}" Target="{target}"/>'
        for rel_id, kind, target in rels
    )
    return (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        f"{rows}</Relationships>"
    ).encode()


def _content_types(parts: dict[str, str]) -> bytes:
    overrides = "".join(
        f'<Override PartName="/{name}" ContentType="{kind}"/>' for name, kind in parts.items()
    )
    return (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" '
        'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        f"{overrides}</Types>"
    ).encode()


def make_package(
    path: Path,
    body: str,
    *,
    footnotes: str = "",
    endnotes: str = "",
    headers: Sequence[str] = (),
    footers: Sequence[str] = (),
    numbering: str = "",
    styles: str = "",
    settings: str = "",
    section: str = "",
    strict: bool = False,
    replace: dict[str, bytes] | None = None,
) -> Path:
    """A .docx holding ``body``, with footnotes, endnotes, headers, footers, numbering, styles
    and settings parts when given (their inner XML). ``section`` goes inside the body's final
    ``w:sectPr``; headers and footers are referenced there (default, first, even).
    ``replace`` swaps in raw bytes for any part, to write damaged files."""
    parts: dict[str, bytes] = {}
    types: dict[str, str] = {"word/document.xml": WORD_MAIN}
    rels: list[tuple[str, str, str]] = []
    references = ""
    prefix = "application/vnd.openxmlformats-officedocument.wordprocessingml."
    for kind, inner in (("footnotes", footnotes), ("endnotes", endnotes)):
        if inner:
            parts[f"word/{kind}.xml"] = _notes_part(kind[:-1], inner, strict)
            types[f"word/{kind}.xml"] = f"{prefix}{kind}+xml"
            rels.append((f"rId{kind}", kind, f"{kind}.xml"))
    for kind, inner in (("numbering", numbering), ("styles", styles), ("settings", settings)):
        if inner:
            parts[f"word/{kind}.xml"] = _part(kind, inner, strict)
            rels.append((f"rId{kind}", kind, f"{kind}.xml"))
    for kind, margins in (("header", headers), ("footer", footers)):
        uses = ("default", "first", "even")[: len(margins)]
        for number, (inner, use) in enumerate(zip(margins, uses, strict=True)):
            name = f"{kind}{number + 1}.xml"
            parts[f"word/{name}"] = _part("hdr" if kind == "header" else "ftr", inner, strict)
            types[f"word/{name}"] = f"{prefix}{kind}+xml"
            rels.append((f"rId{kind}{number}", kind, name))
            references += f'<w:{kind}Reference w:type="{use}" r:id="rId{kind}{number}"/>'
    document = f"<w:body>{body}<w:sectPr>{references}{section}</w:sectPr></w:body>"
    parts["word/document.xml"] = _part("document", document, strict)
    parts["word/_rels/document.xml.rels"] = _relationships(rels, strict)
    parts["_rels/.rels"] = _relationships([("rId1", "officeDocument", "word/document.xml")], strict)
    parts["[Content_Types].xml"] = _content_types(types)
    parts |= replace or {}
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in parts.items():
            archive.writestr(name, data)
    return path
