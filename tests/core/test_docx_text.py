"""DOCX text: everything a reader sees, in reading order, from files written part by part.

Each case was found lost or wrong on real public documents: content controls, text boxes,
notes, tracked changes, fields, Strict OOXML; docx_gen writes the parts as Word does.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from core.documents import extract
from core.documents.extract import Document
from core.errors import DocumentError
from tests.docx_gen import (
    field,
    make_package,
    note,
    note_reference,
    p,
    picture,
    r,
    table,
    text_box,
)


def read(tmp_path: Path, body: str, **parts: Any) -> Document:
    """``parts``: make_package's keyword arguments (footnotes=..., strict=True...)."""
    return extract(make_package(tmp_path / "doc.docx", body, **parts))


def text(tmp_path: Path, body: str, **parts: Any) -> str:
    return read(tmp_path, body, **parts).text


def error(tmp_path: Path, body: str, **parts: Any) -> DocumentError:
    with pytest.raises(DocumentError) as caught:
        read(tmp_path, body, **parts)
    assert "doc.docx" in caught.value.message
    return caught.value


# ------------------------------------------------------------------------------ structure


def test_paragraphs_and_tables_in_reading_order(tmp_path: Path) -> None:
    body = (
        p(r("Intro"))
        + p()
        + table([p(r("Name")), p(r("Score"))], [p(r("Ada")), p(r("10"))])
        + p(r("End"))
    )
    assert text(tmp_path, body) == "Intro\n\nName | Score\nAda | 10\n\nEnd"


def test_merged_cells_are_said_once_and_nested_tables_stay_in_their_cell(tmp_path: Path) -> None:
    span = '<w:tc><w:tcPr><w:gridSpan w:val="2"/></w:tcPr><w:p>{}</w:p></w:tc>'
    down = '<w:tc><w:tcPr><w:vMerge w:val="restart"/></w:tcPr><w:p>{}</w:p></w:tc>'
    covered = "<w:tc><w:tcPr><w:vMerge/></w:tcPr><w:p/></w:tc>"
    inner = table([p(r("in a")), p(r("in b"))], [p(r("in c")), p(r("in d"))])
    body = (
        "<w:tbl>"
        f"<w:tr>{span.format(r('Wide'))}</w:tr>"
        f"<w:tr>{down.format(r('Tall'))}<w:tc>{p(r('x'))}</w:tc></w:tr>"
        f"<w:tr>{covered}<w:tc>{inner}</w:tc></w:tr>"
        "</w:tbl>"
    )
    assert text(tmp_path, body) == "Wide\nTall | x\nin a | in b in c | in d"


def test_rows_and_cells_inside_content_controls(tmp_path: Path) -> None:
    row = f"<w:tr><w:tc>{p(r('a'))}</w:tc><w:sdt><w:sdtContent><w:tc>{p(r('b'))}</w:tc>"
    row += "</w:sdtContent></w:sdt></w:tr>"
    body = f"<w:tbl><w:sdt><w:sdtPr/><w:sdtContent>{row}</w:sdtContent></w:sdt></w:tbl>"
    assert text(tmp_path, body) == "a | b"


def test_tabs_breaks_symbols_and_hyphens(tmp_path: Path) -> None:
    body = p(
        r("Name"),
        "<w:r><w:tab/></w:r>",
        r("Value"),
        "<w:r><w:br/></w:r>",
        r("next line"),
        "<w:r><w:cr/></w:r>",
        r("e-mail: co"),
        "<w:r><w:noBreakHyphen/></w:r>",
        r("op, hy"),
        "<w:r><w:softHyphen/></w:r>",
        r("phen, "),
        '<w:r><w:sym w:font="Symbol" w:char="F061"/><w:sym w:font="Symbol" w:char="F0B3"/></w:r>',
        '<w:r><w:sym w:font="Wingdings" w:char="F0FE"/><w:sym w:font="Wingdings" w:char="F04A"/>',
        '<w:sym w:font="Arial" w:char="00E9"/><w:sym w:font="Symbol" w:char="00A3"/></w:r>',
        r(", m", '<w:rPr><w:rFonts w:ascii="Symbol" w:hAnsi="Symbol"/></w:rPr>'),
        r(" and "),
        r("\uf052", '<w:rPr><w:rFonts w:ascii="Wingdings 2"/></w:rPr>'),
    )
    # Wingdings J is a smiley picture with no character of its own: left out. Text set in
    # Symbol is Greek to the reader: "m" shows as μ.
    assert text(tmp_path, body) == ("Name\tValue\nnext line\ne-mail: co-op, hyphen, α≥☑é≤, μ and ☑")


def test_superscript_and_subscript_are_marked(tmp_path: Path) -> None:
    sup = '<w:rPr><w:vertAlign w:val="superscript"/></w:rPr>'
    sub = '<w:rPr><w:vertAlign w:val="subscript"/></w:rPr>'
    bold = "<w:rPr><w:b/></w:rPr>"
    body = p(
        *(r("A rate of 10"), r("-", sup), r("3", sup), r(" per m"), r("2", sup), r(" of H")),
        *(r("2", sub), r("O on the 1"), r("st", sup), r(" day", bold), r(" ", sup)),
    )
    # A character style can lower text as well, through the style it is based on.
    body += p(r("CO"), r("2", '<w:rPr><w:rStyle w:val="Low"/></w:rPr>'))
    styles = (
        '<w:style w:type="character" w:styleId="Lowered"><w:rPr><w:vertAlign '
        'w:val="subscript"/></w:rPr></w:style><w:style w:type="character" w:styleId="Low">'
        '<w:basedOn w:val="Lowered"/></w:style>'
    )
    # Runs raised alike are one exponent; a raised space is just a space.
    assert text(tmp_path, body, styles=styles) == (
        "A rate of 10^(-3) per m^2 of H_2O on the 1^(st) day\n\nCO_2"
    )


# ------------------------------------------------------------------ content controls, boxes


def test_text_only_in_a_content_control_is_not_empty(tmp_path: Path) -> None:
    block = f"<w:sdt><w:sdtPr><w:alias w:val='Title'/></w:sdtPr><w:sdtContent>{p(r('Only here'))}"
    block += "</w:sdtContent></w:sdt>"
    assert text(tmp_path, block) == "Only here"


def test_run_level_content_control_and_smart_tags_and_custom_xml(tmp_path: Path) -> None:
    body = p(
        r("Dear "),
        f"<w:sdt><w:sdtPr/><w:sdtContent>{r('Ms Smith')}</w:sdtContent></w:sdt>",
        r(", from "),
        f'<w:smartTag w:uri="urn:x" w:element="place">{r("Oslo")}</w:smartTag>',
        r(" to "),
        f'<w:customXml w:element="city">{r("Bergen")}</w:customXml>',
        r(", see "),
        f'<w:hyperlink r:id="rId9">{r("the site")}</w:hyperlink>',
    )
    block = f'<w:customXml w:element="note">{p(r("Block custom XML"))}</w:customXml>'
    assert text(tmp_path, body + block) == (
        "Dear Ms Smith, from Oslo to Bergen, see the site\n\nBlock custom XML"
    )


def test_text_box_is_said_once_after_its_anchoring_paragraph(tmp_path: Path) -> None:
    body = p(r("Before the box "), text_box(p(r("Boxed")), p(r("Second"))), r("and after.")) + p(
        r("Next paragraph")
    )
    assert text(tmp_path, body) == "Before the box and after.\n\nBoxed\n\nSecond\n\nNext paragraph"


def test_text_only_in_a_text_box_is_not_empty(tmp_path: Path) -> None:
    assert text(tmp_path, p(text_box(p(r("Sidebar only"))))) == "Sidebar only"
    assert text(tmp_path, p(text_box(p(r("No fallback")), with_vml=False))) == "No fallback"


def test_old_vml_text_box_alone_is_read(tmp_path: Path) -> None:
    vml = f"<w:r><w:pict><v:shape><v:textbox><w:txbxContent>{p(r('Old box'))}"
    vml += "</w:txbxContent></v:textbox></v:shape></w:pict></w:r>"
    assert text(tmp_path, p(vml)) == "Old box"


def test_alternative_without_text_falls_back_to_the_one_with_text(tmp_path: Path) -> None:
    body = p(
        '<mc:AlternateContent><mc:Choice Requires="w14"><w:r><w:drawing/></w:r></mc:Choice>'
        f"<mc:Fallback>{r('fallback text')}</mc:Fallback></mc:AlternateContent>"
    )
    assert text(tmp_path, body) == "fallback text"


def test_pictures_charts_and_formula_objects_are_named(tmp_path: Path) -> None:
    chart = (
        '<w:r><w:drawing><wp:inline><wp:docPr id="3" name="Chart 3"/><a:graphic><a:graphicData '
        'uri="http://schemas.openxmlformats.org/drawingml/2006/chart"/></a:graphic></wp:inline>'
        "</w:drawing></w:r>"
    )
    vml = '<w:r><w:pict><v:shape alt="Old logo"><v:imagedata r:id="rId5"/></v:shape></w:pict></w:r>'
    equation = (
        '<w:r><w:object><v:shape><v:imagedata r:id="rId6"/></v:shape><o:OLEObject '
        'xmlns:o="urn:schemas-microsoft-com:office:office" ProgID="Equation.3"/></w:object></w:r>'
    )
    body = p(r("See"), picture("Revenue by\nquarter"), r("below."))
    body += p(r("Sales "), chart, vml, r(" by region")) + p(r("where"), equation, r("is the gain"))
    # Without them, "where [Equation] is the gain" would read "whereis the gain".
    assert text(tmp_path, body) == (
        "See [Image: Revenue by quarter] below.\n\nSales [Chart] [Image: Old logo] by region"
        "\n\nwhere [Equation] is the gain"
    )


# -------------------------------------------------------------------- revisions and fields


def test_insertions_kept_deletions_and_moves_away_dropped(tmp_path: Path) -> None:
    deleted = '<w:del w:id="1" w:author="A"><w:r><w:delText>old </w:delText></w:r></w:del>'
    inserted = f'<w:ins w:id="2" w:author="A">{r("new ")}</w:ins>'
    moved_away = f'<w:moveFrom w:id="3" w:author="A">{r("gone ")}</w:moveFrom>'
    moved_here = f'<w:moveTo w:id="4" w:author="A">{r("arrived ")}</w:moveTo>'
    body = p(r("The "), deleted, inserted, moved_away, moved_here, r("text."))
    assert text(tmp_path, body) == "The new arrived text."


def test_deleted_paragraph_mark_joins_the_paragraphs_and_deleted_rows_go(tmp_path: Path) -> None:
    mark = '<w:rPr><w:del w:id="5" w:author="A"/></w:rPr>'
    body = p(r("One sentence "), properties=mark) + p(r("continues."))
    row = f"<w:tr><w:trPr><w:del w:id='6' w:author='A'/></w:trPr><w:tc>{p(r('x'))}</w:tc></w:tr>"
    body += f"<w:tbl><w:tr><w:tc>{p(r('kept'))}</w:tc></w:tr>{row}</w:tbl>"
    assert text(tmp_path, body) == "One sentence continues.\n\nkept"


def test_field_code_dropped_and_result_kept(tmp_path: Path) -> None:
    body = p(r("Total: "), field(" = 2+3 ", r("5")), r(", see page "), field(" PAGEREF x ", r("7")))
    simple = p('<w:fldSimple w:instr=" DATE ">', r("1 May 2024"), "</w:fldSimple>")
    assert text(tmp_path, body + simple) == "Total: 5, see page 7\n\n1 May 2024"


def test_nested_field_in_a_field_code_is_code(tmp_path: Path) -> None:
    # { IF { MERGEFIELD Paid } = "yes" "Thank you" "Please pay" } showing "Please pay"
    inner = field(" MERGEFIELD Paid ", r("no"))
    outer = (
        '<w:r><w:fldChar w:fldCharType="begin"/></w:r>'
        '<w:r><w:instrText xml:space="preserve"> IF </w:instrText></w:r>'
        + inner
        + '<w:r><w:instrText xml:space="preserve"> = "yes" "Thank you" "Please pay" '
        "</w:instrText></w:r>"
        '<w:r><w:fldChar w:fldCharType="separate"/></w:r>'
        + r("Please pay")
        + '<w:r><w:fldChar w:fldCharType="end"/></w:r>'
    )
    assert text(tmp_path, p(r("Note: "), outer, r("."))) == "Note: Please pay."


def test_field_spanning_paragraphs_shows_its_result_in_each(tmp_path: Path) -> None:
    begin = '<w:r><w:fldChar w:fldCharType="begin"/></w:r>'
    code = '<w:r><w:instrText xml:space="preserve"> TOC \\o "1-3" </w:instrText></w:r>'
    separate = '<w:r><w:fldChar w:fldCharType="separate"/></w:r>'
    end = '<w:r><w:fldChar w:fldCharType="end"/></w:r>'
    body = p(begin, code, separate, r("1 Intro\t3")) + p(r("2 Method\t5"), end) + p(r("Body"))
    assert text(tmp_path, body) == "1 Intro\t3\n\n2 Method\t5\n\nBody"


def test_legacy_form_fields_show_their_state(tmp_path: Path) -> None:
    check = (
        '<w:r><w:fldChar w:fldCharType="begin"><w:ffData><w:checkBox><w:checked/></w:checkBox>'
        '</w:ffData></w:fldChar></w:r><w:r><w:instrText xml:space="preserve"> FORMCHECKBOX '
        '</w:instrText></w:r><w:r><w:fldChar w:fldCharType="end"/></w:r>'
    )
    choice = (
        '<w:r><w:fldChar w:fldCharType="begin"><w:ffData><w:ddList><w:result w:val="1"/>'
        '<w:listEntry w:val="Red"/><w:listEntry w:val="Blue"/></w:ddList></w:ffData>'
        '</w:fldChar></w:r><w:r><w:fldChar w:fldCharType="end"/></w:r>'
    )
    assert text(tmp_path, p(check, r(" Agree, colour: "), choice)) == "☒ Agree, colour: Blue"


# ------------------------------------------------------------------------------------ notes


def test_footnotes_and_endnotes_marked_and_listed(tmp_path: Path) -> None:
    body = p(
        r("Claim"),
        note_reference("footnote", 7),
        r(" and another"),
        note_reference("footnote", 3),
        r(", then"),
        note_reference("endnote", 2),
        r("."),
    )
    footnotes = note(
        "footnote", 3, p("<w:r><w:footnoteRef/></w:r>", r(" Second, with a "), r("tail."))
    )
    footnotes += note("footnote", 7, p("<w:r><w:footnoteRef/></w:r>", r(" First.")))
    footnotes += note("footnote", 9, p(r("Never referenced.")))
    endnotes = note("endnote", 2, p("<w:r><w:endnoteRef/></w:r>", r(" At the end.")))
    assert text(tmp_path, body, footnotes=footnotes, endnotes=endnotes) == (
        "Claim[1] and another[2], then[i].\n\n"
        "Footnotes\n\n[1] First.\n[2] Second, with a tail.\n\n"
        "Endnotes\n\n[i] At the end."
    )


def test_note_numbers_follow_the_document_settings(tmp_path: Path) -> None:
    body = p(r("A"), note_reference("endnote", 1), r(" B"), note_reference("footnote", 1))
    section = '<w:endnotePr><w:numFmt w:val="decimal"/></w:endnotePr>'
    settings = '<w:footnotePr><w:numFmt w:val="lowerLetter"/><w:numStart w:val="3"/>'
    settings += "</w:footnotePr>"
    got = text(
        tmp_path,
        body,
        footnotes=note("footnote", 1, p(r("fn"))),
        endnotes=note("endnote", 1, p(r("en"))),
        section=section,
        settings=settings,
    )
    assert got == "A[1] B[c]\n\nFootnotes\n\n[c] fn\n\nEndnotes\n\n[1] en"


# ------------------------------------------------------------------------- headers, lists


def test_headers_before_the_body_and_footers_after_it_once_each(tmp_path: Path) -> None:
    page = field(" PAGE ", r("1"))
    got = text(
        tmp_path,
        p(r("Body text")),
        headers=[p(r("Annual Report 2024")), p(r("Annual Report 2024"))],
        footers=[p(r("Page "), page), p(r("Confidential")) + p(r("- "), page, r(" -"))],
    )
    # "- 1 -" is a bare page number and goes; "Page 1" is kept, it reads as words.
    assert got == "Annual Report 2024\n\nBody text\n\nPage 1\n\nConfidential"


NUMBERING = """
<w:abstractNum w:abstractNumId="0">
  <w:lvl w:ilvl="0"><w:start w:val="1"/><w:numFmt w:val="decimal"/><w:lvlText w:val="%1."/>
    <w:pStyle w:val="Heading1"/></w:lvl>
  <w:lvl w:ilvl="1"><w:start w:val="1"/><w:numFmt w:val="lowerLetter"/>
    <w:lvlText w:val="%1.%2)"/></w:lvl>
</w:abstractNum>
<w:abstractNum w:abstractNumId="1">
  <w:lvl w:ilvl="0"><w:start w:val="1"/><w:numFmt w:val="bullet"/><w:lvlText w:val="\uf0b7"/>
    </w:lvl>
  <w:lvl w:ilvl="1"><w:start w:val="1"/><w:numFmt w:val="upperRoman"/><w:lvlText w:val="%2"/>
    <w:isLgl/></w:lvl>
</w:abstractNum>
<w:num w:numId="1"><w:abstractNumId w:val="0"/></w:num>
<w:num w:numId="2"><w:abstractNumId w:val="1"/></w:num>
<w:num w:numId="3"><w:abstractNumId w:val="0"/>
  <w:lvlOverride w:ilvl="0"><w:startOverride w:val="5"/></w:lvlOverride></w:num>
"""
STYLES = """
<w:style w:type="paragraph" w:styleId="Heading1"><w:pPr><w:numPr><w:numId w:val="1"/></w:numPr>
  </w:pPr></w:style>
<w:style w:type="paragraph" w:styleId="Chapter"><w:basedOn w:val="Heading1"/></w:style>
"""


def test_list_numbers_and_bullets_as_word_draws_them(tmp_path: Path) -> None:
    def item(words: str, num: int | None = None, level: int | None = None, style: str = "") -> str:
        numbering = ""
        if num is not None:
            ilvl = f'<w:ilvl w:val="{level}"/>' if level is not None else ""
            numbering = f'<w:numPr>{ilvl}<w:numId w:val="{num}"/></w:numPr>'
        style_xml = f'<w:pStyle w:val="{style}"/>' if style else ""
        return p(r(words), properties=style_xml + numbering)

    body = (
        item("Scope", style="Heading1")  # numbered by its style: 1.
        + item("Terms", 1, 1)  # 1.a)
        + item("", 1, 1)  # an empty item still takes a number (1.b)
        + item("More terms", 1, 1)  # 1.c)
        + item("Parties", style="Chapter")  # style based on Heading1: 2.
        + item("Point", 2, 0)
        + item("Legal", 2, 1)  # isLgl: roman shown as 1
        + item("Restarted", 3, 0)  # a list restarting at 5 on the same definition
        + item("Not a list", 0, 0, style="Heading1")  # numId 0 switches numbering off
    )
    assert text(tmp_path, body, numbering=NUMBERING, styles=STYLES) == (
        "1. Scope\n\n  1.a) Terms\n\n  1.c) More terms\n\n2. Parties\n\n- Point\n\n  1 Legal"
        "\n\n5. Restarted\n\nNot a list"
    )


def test_equations_keep_their_structure(tmp_path: Path) -> None:
    def mr(text: str) -> str:
        return f"<m:r><m:t>{text}</m:t></m:r>"

    integral = (
        "<m:nary><m:naryPr><m:chr m:val='∑'/></m:naryPr>"
        f"<m:sub>{mr('i=1')}</m:sub><m:sup>{mr('n')}</m:sup>"
        f"<m:e><m:sSub><m:e>{mr('x')}</m:e><m:sub>{mr('i')}</m:sub></m:sSub></m:e></m:nary>"
    )
    fraction = f"<m:f><m:num>{mr('a+b')}</m:num><m:den>{mr('2')}</m:den></m:f>"
    root = f"<m:rad><m:radPr><m:degHide m:val='1'/></m:radPr><m:deg/><m:e>{mr('x')}</m:e></m:rad>"
    body = p(r("So "), f"<m:oMath>{integral}{mr('=')}{fraction}{mr('+')}{root}</m:oMath>")
    assert text(tmp_path, body) == "So ∑_(i=1)^n x_i=(a+b)/2+√x"


# ---------------------------------------------------------------------------- Strict OOXML


def test_strict_ooxml_reads_like_transitional(tmp_path: Path) -> None:
    body = (
        p(r("Strict body"), note_reference("footnote", 1))
        + f"<w:sdt><w:sdtContent>{p(r('In a control'))}</w:sdtContent></w:sdt>"
        + table([p(r("a")), p(r("b"))])
        + p(text_box(p(r("Strict box"))))
    )
    got = text(
        tmp_path,
        body,
        footnotes=note("footnote", 1, p(r("Strict note"))),
        headers=[p(r("Strict header"))],
        strict=True,
    )
    assert got == (
        "Strict header\n\nStrict body[1]\n\nIn a control\n\na | b\n\nStrict box\n\n"
        "Footnotes\n\n[1] Strict note"
    )


# ------------------------------------------------------------------------------- refusals


def test_empty_document_is_refused_as_empty(tmp_path: Path) -> None:
    assert error(tmp_path, p() + p(r("   "))).kind == "empty"
    # A letterhead around an empty page has nothing to analyse either.
    letterhead = error(tmp_path, p(), headers=[p(r("ACME Ltd"))], footers=[p(r("Oslo"))])
    assert letterhead.kind == "empty"


def test_pictures_without_text_are_refused_as_a_scan(tmp_path: Path) -> None:
    caught = error(tmp_path, p(picture("Scanned page 1")) + p(picture("")))
    assert caught.kind == "empty" and "OCR" in caught.message


def test_main_part_not_well_formed_is_corrupt_and_names_the_part(tmp_path: Path) -> None:
    broken = {"word/document.xml": b"<w:document><w:body><w:p>"}
    caught = error(tmp_path, "", replace=broken)
    assert caught.kind == "corrupt"
    assert "word/document.xml" in caught.message and "not well-formed" in caught.message


def test_entity_expansion_is_not_performed(tmp_path: Path) -> None:
    hostile = (
        b'<?xml version="1.0"?><!DOCTYPE d [<!ENTITY a "aaaaaaaaaa">'
        b'<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>'
        b'<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">'
        b"<w:body><w:p><w:r><w:t>ok &b;</w:t></w:r></w:p></w:body></w:document>"
    )
    got = text(tmp_path, "", replace={"word/document.xml": hostile})
    assert "aaaaaaaaaa" not in got


def test_spreadsheet_named_docx_is_not_a_word_document(tmp_path: Path) -> None:
    workbook = b'<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"/>'
    caught = error(tmp_path, "", replace={"word/document.xml": workbook})
    assert caught.kind == "corrupt" and "Excel workbook" in caught.message


def test_missing_main_part_is_corrupt(tmp_path: Path) -> None:
    rels = (
        b'<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        b'<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
        b'relationships/officeDocument" Target="word/missing.xml"/></Relationships>'
    )
    caught = error(tmp_path, p(r("x")), replace={"_rels/.rels": rels})
    assert caught.kind == "corrupt" and "word/missing.xml" in caught.message


def test_main_part_found_by_content_type_without_package_relationships(tmp_path: Path) -> None:
    empty_rels = (
        b'<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"/>'
    )
    assert text(tmp_path, p(r("Found")), replace={"_rels/.rels": empty_rels}) == "Found"


def test_broken_footnotes_part_is_noted_and_the_body_kept(tmp_path: Path) -> None:
    body = p(r("Body"), note_reference("footnote", 1))
    document = read(
        tmp_path,
        body,
        footnotes=note("footnote", 1, p(r("x"))),
        replace={"word/footnotes.xml": b"<w:footnotes"},
    )
    assert document.text == "Body"
    assert document.notes == ("Its footnotes (word/footnotes.xml) are damaged and were left out.",)
