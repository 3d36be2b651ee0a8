"""Is the text we read what the document says? A check for garbled extraction.

A PDF whose fonts lack a Unicode map, or a text file decoded with the wrong code page, gives
text that looks like text to a program and like noise to a person. Sending it to a paid model
wastes the call and still ends "done". This check looks for the marks such text leaves:

- characters that could not be decoded (U+FFFD) or that only mean something inside one font
  (the private-use area);
- control characters, which no real prose holds;
- charset-normalizer's "mess" measure: accents in impossible places, symbols inside words, the
  marks of one code page read as another;
- words that mix alphabets which never share a word (Latin with Cyrillic, Greek with Hebrew):
  the sign of glyphs mapped to the wrong characters.

The thresholds were set on the public corpus of benchmarks/corpus.py (see the closing note of
issue 13): none of its readable documents is flagged.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter

from charset_normalizer.md import mess_ratio

# Too little text says nothing either way (a title page, a short note).
MIN_CHARS = 200
# Judging needs a sample, not a whole book.
SAMPLE_CHARS = 100_000
REPLACEMENT_SHARE = 0.02
PRIVATE_USE_SHARE = 0.05
CONTROL_SHARE = 0.02
MESS_RATIO = 0.25
MIXED_WORDS_SHARE = 0.15

_WORD = re.compile(r"\w{3,}")
# The alphabets we tell apart, by the first word of a letter's Unicode name. Japanese mixes
# kanji and kana in one word, Korean may add hanja, and East Asian text uses full-width Latin:
# one family. Letters of other names (modifier letters, ordinal indicators) are not judged.
_FAMILIES = {
    "LATIN": "LATIN", "CYRILLIC": "CYRILLIC", "GREEK": "GREEK", "ARMENIAN": "ARMENIAN",
    "GEORGIAN": "GEORGIAN", "HEBREW": "HEBREW", "ARABIC": "ARABIC", "THAI": "THAI",
    "DEVANAGARI": "DEVANAGARI", "BENGALI": "BENGALI", "TAMIL": "TAMIL",
    "CJK": "CJK", "HIRAGANA": "CJK", "KATAKANA": "CJK", "KATAKANA-HIRAGANA": "CJK",
    "HANGUL": "CJK", "FULLWIDTH": "CJK", "HALFWIDTH": "CJK", "IDEOGRAPHIC": "CJK",
}  # fmt: skip


_WRITTEN_TOGETHER = frozenset({"CJK", "LATIN"})


def _script(char: str) -> str | None:
    if not char.isalpha():
        return None
    return _FAMILIES.get(unicodedata.name(char, "").split(" ", 1)[0])


def _mixed_words_share(sample: str) -> float:
    words = _WORD.findall(sample)
    if not words:
        return 0.0
    mixed = 0
    for word in words:
        scripts = {_script(c) for c in word} - {None}
        # Chinese and Japanese run Latin names and units into their words ("PalmOne的CEO",
        # "酸牛奶480g"): that pair is how those languages are written.
        if len(scripts) > 1 and not scripts <= _WRITTEN_TOGETHER:
            mixed += 1
    return mixed / len(words)


def doubt(text: str) -> str | None:
    """Why the text looks garbled, in words for the person; None when it looks like text."""
    sample = text[:SAMPLE_CHARS]
    visible = [c for c in sample if not c.isspace()]
    if len(visible) < MIN_CHARS:
        return None
    counts = Counter(unicodedata.category(c) for c in visible)
    total = len(visible)
    replacement = sample.count("\ufffd") / total
    if replacement > REPLACEMENT_SHARE:
        return (
            f"{replacement:.0%} of its characters could not be decoded (they show as �): the "
            "file's encoding or fonts are broken"
        )
    private = counts["Co"] / total
    if private > PRIVATE_USE_SHARE:
        return (
            f"{private:.0%} of its characters are private symbols of its fonts, not letters: "
            "the PDF does not say which characters its glyphs are"
        )
    controls = counts["Cc"] / total
    if controls > CONTROL_SHARE:
        return f"{controls:.0%} of its characters are control codes, which text does not hold"
    mixed = _mixed_words_share(sample)
    if mixed > MIXED_WORDS_SHARE:
        return (
            f"{mixed:.0%} of its words mix letters of different alphabets: its characters "
            "were probably mapped wrongly"
        )
    mess = mess_ratio(sample, maximum_threshold=1.0)
    if mess > MESS_RATIO:
        return (
            "it reads as noise (accents and symbols in impossible places): it was probably "
            "decoded with the wrong code page or font map"
        )
    return None
