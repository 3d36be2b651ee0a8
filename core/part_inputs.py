"""What each call of a job carries: a part of the text, or a group of page images.

A document is cut into text parts by the analyzer (its part size); its page images (scans,
photos, core/documents/source.py) follow in groups of as many as the model takes in one call
(core/vision.py). Each part is checkpointed by a hash of what it carries, so a stored answer
is reused only for the very same text or the very same pages.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from core.analyzers.base import Analyzer
from core.documents import Document
from core.documents.source import PageImage

# A page image counts as this many characters of work, for the ETA (a page of text is about
# 3,000 characters, and a model reading its picture takes at least as long).
IMAGE_UNITS = 3000


@dataclass(frozen=True)
class PartInput:
    text: str
    images: tuple[PageImage, ...] = ()

    @property
    def units(self) -> int:
        return len(self.text) + IMAGE_UNITS * len(self.images)

    @property
    def sha(self) -> str:
        digest = hashlib.sha256(self.text.encode("utf-8", "surrogatepass"))
        for image in self.images:
            digest.update(b"\0image\0" + image.data)
        return digest.hexdigest()[:32]


def cut_document(document: Document, analyzer: Analyzer) -> list[PartInput]:
    parts = [PartInput(chunk) for chunk in analyzer.split(document.text)] if document.text else []
    if document.images:
        vision = analyzer.vision
        per_call = vision.images_per_call if vision else 1
        images = document.images
        parts += [PartInput("", images[i : i + per_call]) for i in range(0, len(images), per_call)]
    return parts


def text_sha(text: str) -> str:
    return PartInput(text).sha
