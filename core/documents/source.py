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
    # Render scanned pages and read image files as page images, for a model that reads images
    # (core/vision.py). Off, they are refused with a message that names such models.
    render_images: bool = False
    max_images: int = 200  # page images per document: each is a share of a paid call
    max_image_pixels: int = 1280 * 28 * 28  # core.vision.MAX_IMAGE_PIXELS


@dataclass(frozen=True)
class PageImage:
    """A page as a picture, encoded for an OpenAI-compatible ``image_url`` part."""

    data: bytes
    mime: str  # "image/jpeg" or "image/png"
    width: int
    height: int
    label: str  # where it comes from: "page 3", or the image file's name


@dataclass
class Source:
    """A document in memory. ``name`` is the file name, for messages a person reads."""

    name: str
    data: bytes
    limits: Limits = field(default_factory=Limits)
    # One-line remarks for the job's log: a page that could not be read, a library's warnings.
    notes: list[str] = field(default_factory=list)
    images: list[PageImage] = field(default_factory=list)

    def note(self, text: str) -> None:
        if text not in self.notes:  # a library may warn the same thing on every page
            self.notes.append(text)


Extractor = Callable[[Source], str]
