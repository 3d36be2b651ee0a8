"""The analyzer protocol.

The worker, not the analyzer, owns the loop over parts, so that it can commit the start of
every paid call and checkpoint every finished part. An analyzer therefore offers three steps:
``split`` a document into parts, ``analyze_part`` (one call), and ``combine`` the part results
(one final call). A short document is one part and needs no combining call.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from core.documents.source import PageImage
from core.errors import RAISE_SETTING
from core.jobs import Profile
from core.vision import VisionSpec

# Output tokens the current call has streamed so far; the worker turns them into a share of the
# output it expects (core.eta.progress_share).
Progress = Callable[[int], None]


# The finish reason of an answer the model had to stop at the output limit (max_tokens).
CUT_AT_LIMIT = "length"


@dataclass(frozen=True)
class CallResult:
    text: str
    prompt_tokens: int = 0
    completion_tokens: int = 0
    headers: Mapping[str, str] = field(default_factory=dict)
    # Why the model stopped, as the provider said it ("stop", "length", ...); None if it did not.
    finish_reason: str | None = None
    output_limit: int = 0  # the output limit (max_tokens) the call was sent with; 0: none

    @property
    def cut_off(self) -> bool:
        """The answer stopped at the output limit: complete as a call, but not as an answer."""
        return self.finish_reason == CUT_AT_LIMIT


def cut_off_message(cut: Sequence[tuple[CallResult, str]]) -> str | None:
    """What a person reads about a job whose answer was cut at the output limit, or None.

    ``cut`` holds each cut call with where it was in the job ("part 2 of 3", "the combining
    call", or "" for a job of one call).
    """
    if not cut:
        return None
    limits = sorted({r.output_limit for r, _ in cut if r.output_limit})
    limit = f" of {limits[-1]} tokens" if limits else ""
    where = ", ".join(label for _, label in cut if label)
    return (
        f"The answer was cut off at the output limit{limit}"
        + (f" ({where})" if where else "")
        + f". Run it again with a larger output limit: {RAISE_SETTING['max_output_tokens']}."
    )


class Analyzer(Protocol):
    engine: str  # the key under which call durations are learned, e.g. "openai:qwen-plus"
    paced: bool  # remote calls are paced; the offline analyzer is not
    provider: str
    model: str
    part_chars: int  # the part size documents are cut with (a stored part records it)
    vision: VisionSpec | None  # how the model reads page images; None: text only

    def split(self, text: str) -> list[str]: ...

    async def analyze_part(
        self,
        text: str,
        profile: Profile,
        *,
        index: int,
        count: int,
        progress: Progress,
        images: Sequence[PageImage] = (),
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
