"""HTML and XHTML: the visible text, with blocks kept apart and scripts and styles dropped.

The stdlib ``html.parser`` is enough here: we want readable text, not a DOM, and it copes with
the broken markup real pages are made of.
"""

from __future__ import annotations

import codecs
import re
from html.parser import HTMLParser

from core.documents import text_formats
from core.documents.extract import register
from core.documents.source import Source

HTML_SUFFIXES = frozenset({".html", ".htm", ".xhtml"})

# Content nobody reads on the page. <title> belongs to <head> even when a page forgets <head>.
SKIPPED = frozenset({"script", "style", "template", "noscript", "head", "title"})
# What may stand inside <head>; anything else there means the page's body has begun (as in
# browsers, which close an unterminated <head> at the first body element).
HEAD_CONTENT = frozenset(
    {"base", "link", "meta", "noscript", "script", "style", "template", "title"}
)
# Blocks that stand as paragraphs of their own (a blank line around them).
PARAGRAPHS = frozenset(
    {
        "address", "article", "aside", "blockquote", "details", "dl", "fieldset", "figure",
        "footer", "form", "h1", "h2", "h3", "h4", "h5", "h6", "header", "hr", "main", "nav",
        "ol", "p", "pre", "section", "table", "ul",
    }
)  # fmt: skip
# Blocks that only start a new line.
LINES = frozenset(
    {"br", "caption", "dd", "div", "dt", "figcaption", "li", "option", "summary", "tr"}
)
CELLS = frozenset({"td", "th"})

# The encoding a page declares: <meta charset=...>, <meta http-equiv content="...; charset=...">
# or an XML declaration. Browsers look only at the first 1024 bytes; so do we.
_DECLARED = re.compile(
    rb"""<meta[^>]+charset\s*=\s*["']?\s*([\w.:-]+)|<\?xml[^>]+encoding\s*=\s*["']([\w.:-]+)""",
    re.IGNORECASE,
)
# WHATWG encoding rules: these labels mean windows-1252, and a UTF-16 label without a BOM
# cannot be right (the bytes we matched were ASCII), so it means UTF-8.
_LABEL_OVERRIDES = {
    "iso-8859-1": "cp1252",
    "latin1": "cp1252",
    "latin-1": "cp1252",
    "us-ascii": "cp1252",
    "ascii": "cp1252",
    "utf-16": "utf-8",
    "utf-16le": "utf-8",
    "utf-16be": "utf-8",
}


def decode_html(raw: bytes, name: str) -> str:
    """A byte order mark wins, then the page's own declaration, then detection."""
    if raw.startswith(tuple(bom for bom, _ in text_formats.BOMS)):
        return text_formats.decode_bytes(raw, name)
    match = _DECLARED.search(raw[:1024])
    if match:
        label = (match.group(1) or match.group(2)).decode("ascii").lower()
        label = _LABEL_OVERRIDES.get(label, label)
        try:
            codecs.lookup(label)
        except LookupError:
            pass  # an unknown label: let detection decide
        else:
            return raw.decode(label, errors="replace")
    return text_formats.decode_bytes(raw, name)


class _TextCollector(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)  # entities arrive decoded in handle_data
        self.out: list[str] = []
        self._skipping: list[str] = []  # open skipped elements, innermost last
        self._pre = 0
        self._cells_in_row = 0
        self._word_ended = False  # text right after an image's words needs a space first
        # Open lists, innermost last: the next number of an <ol>, or None for a <ul>.
        self._lists: list[int | None] = []

    def _break(self, newlines: int) -> None:
        # Adjacent breaks merge (</div><div> is one line break, not two): keep the larger.
        if self.out and not self.out[-1].strip("\n"):
            newlines = max(newlines, len(self.out.pop()))
        if self.out:
            self.out[-1] = self.out[-1].rstrip(" ")
        self.out.append("\n" * newlines)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if self._skipping == ["head"] and (tag == "body" or tag not in HEAD_CONTENT):
            self._skipping.clear()
        if tag in SKIPPED:
            self._skipping.append(tag)
            return
        if self._skipping:
            return
        if tag == "br":
            # Each <br> is a line of its own: two of them leave a blank line.
            if self.out:
                self.out[-1] = self.out[-1].rstrip(" ")
            self.out.append("\n")
        elif tag in PARAGRAPHS:
            self._break(2)
        elif tag in LINES:
            self._break(1)
        if tag in ("ol", "ul"):
            start = dict(attrs).get("start") or "1"
            self._lists.append(int(start) if tag == "ol" and start.isdigit() else None)
        elif tag == "li":
            # The item's number or bullet, as the page shows it: "3." carries meaning.
            number = self._lists[-1] if self._lists else None
            self.out.append("- " if number is None else f"{number}. ")
            if number is not None:
                self._lists[-1] = number + 1
        elif tag == "img":
            alt = " ".join((dict(attrs).get("alt") or "").split())
            if alt:  # a picture's words, as a reader without images hears them
                before = "" if not self.out or self.out[-1][-1:].isspace() else " "
                self.out.append(f"{before}[Image: {alt}]")
                self._word_ended = True
        if tag == "tr":
            self._cells_in_row = 0
        elif tag in CELLS:
            if self._cells_in_row:
                self.out.append(" | ")
            self._cells_in_row += 1
        elif tag == "pre":
            self._pre += 1

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        # <br/>, <hr/>, and XHTML's <script src="..."/>, which has no content to skip.
        if tag in SKIPPED:
            return
        self.handle_starttag(tag, attrs)
        if tag not in LINES:
            self.handle_endtag(tag)

    def handle_endtag(self, tag: str) -> None:
        if tag in SKIPPED:
            if tag in self._skipping:
                # Close it and anything left open inside it (browsers do the same).
                del self._skipping[len(self._skipping) - 1 - self._skipping[::-1].index(tag) :]
            return
        if self._skipping:
            return
        if tag == "pre":
            self._pre = max(0, self._pre - 1)
        elif tag in ("ol", "ul") and self._lists:
            self._lists.pop()
        if tag in PARAGRAPHS:
            self._break(2)
        elif tag in LINES and tag != "br":
            self._break(1)

    def handle_data(self, data: str) -> None:
        if self._skipping:
            return
        if not self._pre:
            # Outside <pre>, any run of whitespace is one space (as a browser shows it).
            data = re.sub(r"\s+", " ", data)
            if not self.out or self.out[-1].endswith("\n"):
                data = data.lstrip(" ")
        if self._word_ended and data:
            self._word_ended = False
            if not data[0].isspace():
                data = " " + data
        if data:
            self.out.append(data)


def html_to_text(markup: str) -> str:
    parser = _TextCollector()
    parser.feed(markup)
    parser.close()
    text = "".join(parser.out)
    text = re.sub(r"[ \t]+\n", "\n", text)
    return re.sub(r"\n{3,}", "\n\n", text).strip()


def read_html(source: Source) -> str:
    return html_to_text(decode_html(source.data, source.name))


register(HTML_SUFFIXES, "html", read_html)
