"""What an extractor is given: one document's bytes, read once, and where to leave notes.

The worker reads a file once (bytes, then the hash check, then extraction from memory), so the
text always comes from exactly the bytes that were checked. Extractors never open the path.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Limits:
    max_bytes: int = 50 * 1024 * 1024
    max_chars: int = 2_000_000
    max_docx_uncompressed: int = 200 * 1024 * 1024
    max_pages: int = 5_000


@dataclass
class Source:
    """A document in memory. ``name`` is the file name, for messages a person reads."""

    name: str
    data: bytes
    limits: Limits = field(default_factory=Limits)
    # One-line remarks for the job's log: a page that could not be read, a library's warnings.
    notes: list[str] = field(default_factory=list)

    def note(self, text: str) -> None:
        if text not in self.notes:  # a library may warn the same thing on every page
            self.notes.append(text)


Extractor = Callable[[Source], str]
