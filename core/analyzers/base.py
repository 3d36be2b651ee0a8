"""The analyzer protocol.

The worker, not the analyzer, owns the loop over parts, so that it can commit the start of
every paid call and checkpoint every finished part. An analyzer therefore offers three steps:
``split`` a document into parts, ``analyze_part`` (one call), and ``combine`` the part results
(one final call). A short document is one part and needs no combining call.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Protocol

from core.jobs import Profile

Progress = Callable[[float], None]  # share of the current call done, 0..1


@dataclass(frozen=True)
class CallResult:
    text: str
    prompt_tokens: int = 0
    completion_tokens: int = 0
    headers: Mapping[str, str] = field(default_factory=dict)


class Analyzer(Protocol):
    engine: str  # the key under which call durations are learned, e.g. "openai:qwen-plus"
    paced: bool  # remote calls are paced; the offline analyzer is not
    provider: str
    model: str
    part_chars: int  # the part size documents are cut with (a stored part records it)

    def split(self, text: str) -> list[str]: ...

    def estimate_tokens(self, text: str) -> int: ...

    async def analyze_part(
        self, text: str, profile: Profile, *, index: int, count: int, progress: Progress
    ) -> CallResult: ...

    async def combine(
        self, partials: list[str], profile: Profile, *, progress: Progress
    ) -> CallResult: ...

    async def aclose(self) -> None: ...


def split_text(text: str, max_chars: int) -> list[str]:
    """Split at paragraph, then line, then sentence boundaries into parts of at most max_chars."""
    if len(text) <= max_chars:
        return [text]
    parts: list[str] = []
    rest = text
    while len(rest) > max_chars:
        window = rest[:max_chars]
        cut = -1
        for sep in ("\n\n", "\n", ". ", " "):
            cut = window.rfind(sep)
            if cut >= max_chars // 2:
                cut += len(sep)
                break
        if cut < max_chars // 2:
            cut = max_chars
        parts.append(rest[:cut].strip())
        rest = rest[cut:]
    if rest.strip():
        parts.append(rest.strip())
    return [p for p in parts if p]
