"""The embedded offline analyzer: works with no key and no network, and is deterministic.

It reports the language (by stop-word profile), counts, reading time, keywords (term frequency
without stop words) and an extractive summary (the sentences that carry the most keywords,
kept in document order).
"""

from __future__ import annotations

import asyncio
import re
from collections import Counter
from collections.abc import Sequence

from core.analyzers.base import CallResult, Progress, split_text
from core.documents.source import PageImage
from core.jobs import Profile

WORDS_PER_MINUTE = 230

STOPWORDS: dict[str, frozenset[str]] = {
    "English": frozenset(
        "the a an and or but of to in on at for with by from as is are was were be been being "
        "it its this that these those there their they them he she his her we our you your i "
        "not no so if then than which who whom what when where why how all any each can could "
        "will would should may might must do does did done has have had having into about over "
        "also more most such only other some very just one two out up down".split()
    ),
    "German": frozenset(
        "der die das und oder aber von zu in im am an auf für mit bei aus als ist sind war "
        "waren sein es dies diese dieser dieses ein eine einer eines einem einen nicht kein "
        "keine auch wie wenn dann als dass was wer wo warum sich sie er wir ihr ich du den dem "
        "des zum zur noch nur schon sehr mehr so über unter nach vor durch werden wird wurde "
        "hat haben hatte kann können muss".split()
    ),
    "French": frozenset(
        "le la les un une des et ou mais de du au aux en dans sur pour par avec sans ce cet "
        "cette ces est sont était être il elle ils elles nous vous je tu ne pas plus que qui "
        "quoi dont où comme son sa ses leur leurs se si aussi très tout tous".split()
    ),
    "Spanish": frozenset(
        "el la los las un una unos unas y o pero de del al en con por para sin sobre es son "
        "era ser está están este esta estos estas ese esa que qui como cuando donde no más muy "
        "se su sus lo le les ya también todo todos".split()
    ),
    "Italian": frozenset(
        "il lo la i gli le un una uno e o ma di del della dei delle da dal in nel nella con su "
        "per tra fra è sono era essere questo questa questi che chi come quando dove non più "
        "molto si suo sua suoi anche tutto tutti".split()
    ),
    "Dutch": frozenset(
        "de het een en of maar van te in op aan voor met door uit als is zijn was waren dit "
        "dat deze die er niet geen ook hoe wanneer waar wie wat ik jij hij zij wij jullie ze "
        "zich naar bij om tot over nog al".split()
    ),
    "Portuguese": frozenset(
        "o a os as um uma uns umas e ou mas de do da dos das em no na nos nas com por para sem "
        "sobre é são era ser está este esta isso que quem como quando onde não mais muito se "
        "seu sua também todo todos".split()
    ),
}
ALL_STOPWORDS = frozenset().union(*STOPWORDS.values())

WORD_RE = re.compile(r"[^\W\d_][\w'’-]*", re.UNICODE)
SENTENCE_RE = re.compile(r"(?<=[.!?。！？])\s+|\n{2,}")
MARKUP_RE = re.compile(r"^[#>*\-+\s]+|[*_`]+", re.MULTILINE)

# Large texts are analysed in a thread so the window stays responsive.
INLINE_LIMIT = 20_000


def detect_language(words: list[str]) -> str:
    if not words:
        return "unknown"
    sample = [w.lower() for w in words[:5000]]
    scores = {lang: sum(1 for w in sample if w in stop) for lang, stop in STOPWORDS.items()}
    lang, score = max(scores.items(), key=lambda item: (item[1], item[0]))
    if score < max(2, len(sample) * 0.02):
        return "unknown"
    return lang


def keywords(words: list[str], limit: int = 10) -> list[tuple[str, int]]:
    counts = Counter(
        w.lower().strip("'’-") for w in words if len(w) > 2 and w.lower() not in ALL_STOPWORDS
    )
    # Sort by count, then alphabetically, so equal counts are stable across runs.
    return sorted(counts.items(), key=lambda item: (-item[1], item[0]))[:limit]


def sentences(text: str) -> list[str]:
    plain = MARKUP_RE.sub("", text)
    found = [" ".join(s.split()) for s in SENTENCE_RE.split(plain)]
    return [s for s in found if len(s.split()) >= 4]


def summary(text: str, key: list[tuple[str, int]], count: int = 3) -> list[str]:
    candidates = sentences(text)
    if not candidates:
        return []
    weights = dict(key)
    scored = []
    for n, sentence in enumerate(candidates):
        tokens = [w.lower() for w in WORD_RE.findall(sentence)]
        score = sum(weights.get(t, 0) for t in tokens) / (len(tokens) ** 0.5 or 1)
        scored.append((score, -n, n, sentence))
    best = sorted(scored, reverse=True)[:count]
    return [s for _, _, _, s in sorted(best, key=lambda item: item[2])]


def analyze_text(text: str, profile_name: str) -> str:
    words = WORD_RE.findall(text)
    key = keywords(words)
    lines = [line for line in text.splitlines() if line.strip()]
    paragraphs = [p for p in re.split(r"\n\s*\n", text) if p.strip()]
    minutes = len(words) / WORDS_PER_MINUTE
    reading = "under a minute" if minutes < 1 else f"about {round(minutes)} min"
    out = [
        f"## {profile_name} (offline analysis)",
        "",
        f"- **Language:** {detect_language(words)}",
        f"- **Words:** {len(words):,}",
        f"- **Characters:** {len(text):,}",
        f"- **Lines:** {len(lines):,} · **Paragraphs:** {len(paragraphs):,} · "
        f"**Sentences:** {len(sentences(text)):,}",
        f"- **Reading time:** {reading}",
        "",
        "### Keywords",
        "",
        ", ".join(f"{w} ({n})" for w, n in key) if key else "_none found_",
        "",
        "### Summary",
        "",
    ]
    picked = summary(text, key)
    out += [f"> {s}" if n == 0 else f"\n> {s}" for n, s in enumerate(picked)] or [
        "_The text has no full sentences to summarise._"
    ]
    return "\n".join(out).rstrip() + "\n"


class OfflineAnalyzer:
    engine = "offline"
    paced = False
    vision = None  # it reads text only: scans and pictures need a model that reads images
    provider = "offline"
    model = "builtin"

    def __init__(self, max_chars: int = 2_000_000) -> None:
        # One part per document: local analysis has no context limit worth splitting for.
        self.max_chars = max_chars

    @property
    def part_chars(self) -> int:
        return self.max_chars

    def split(self, text: str) -> list[str]:
        return split_text(text, self.max_chars)

    async def analyze_part(
        self,
        text: str,
        profile: Profile,
        *,
        index: int,
        count: int,
        progress: Progress,
        images: Sequence[PageImage] = (),
    ) -> CallResult:
        if len(text) > INLINE_LIMIT:
            result = await asyncio.to_thread(analyze_text, text, profile.name)
        else:
            result = analyze_text(text, profile.name)
        return CallResult(result)

    async def combine(
        self, partials: list[str], profile: Profile, *, progress: Progress
    ) -> CallResult:
        return CallResult("\n\n---\n\n".join(partials))

    async def aclose(self) -> None:
        return None
