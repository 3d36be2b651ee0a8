"""Image files (a photo or scan of a page): read by a model that reads images, never as text."""

from __future__ import annotations

import io
import warnings

from PIL import Image, UnidentifiedImageError

from core.documents import page_images
from core.documents.extract import register
from core.documents.source import Source
from core.errors import DocumentError, resave_advice
from core.vision import EXAMPLES

IMAGE_SUFFIXES = frozenset({".png", ".jpg", ".jpeg", ".webp", ".tif", ".tiff", ".gif", ".bmp"})


def needs_vision(name: str, what: str) -> DocumentError:
    return DocumentError(
        "needs_vision",
        f"{name} {what}: only a model that reads images can analyse it, such as {EXAMPLES}. "
        "Choose one in Settings (or mark your model as reading images there), then "
        "re-trigger this job.",
    )


# What Pillow raises for a truncated or damaged picture, or data that is no picture at all.
UNREADABLE = (UnidentifiedImageError, OSError, ValueError, SyntaxError, EOFError)


def add_picture(source: Source, data: bytes, label: str) -> None:
    """The picture in ``data`` (each page of a multi-page TIFF) as page images of ``source``,
    encoded for the model within its limits. Raises DocumentError "too_large" for a picture
    of too many pixels or too many pages, and one of UNREADABLE if Pillow cannot read it."""
    limits = source.limits
    with warnings.catch_warnings():
        # Pillow only warns about a "decompression bomb" below twice its pixel limit.
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            image = Image.open(io.BytesIO(data))
            frames = getattr(image, "n_frames", 1)
            if len(source.images) + frames > limits.max_images:
                raise DocumentError(
                    "too_large",
                    f"{source.name} holds more than {limits.max_images} pages as pictures; "
                    f"the limit is {limits.max_images} page images per document. Split it.",
                )
            for frame in range(frames):  # a multi-page TIFF is a scanned document
                image.seek(frame)
                image.load()
                page = label if frames == 1 else f"{label}, page {frame + 1}"
                source.images.append(page_images.encode(image, page, limits.max_image_pixels))
        except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
            raise DocumentError(
                "too_large",
                f"{source.name} holds a picture of more pixels than Paceline opens ({exc}).",
            ) from exc


def read_image(source: Source) -> str:
    if not source.limits.render_images:
        raise needs_vision(source.name, "is a picture, with no text to extract")
    try:
        add_picture(source, source.data, source.name)
    except UNREADABLE as exc:
        # Pillow reports a truncated or damaged file as OSError or SyntaxError.
        raise DocumentError(
            "corrupt",
            f"{source.name} is damaged or not really an image ({exc}). "
            + resave_advice("an image viewer"),
        ) from exc
    return ""


register(IMAGE_SUFFIXES, "image", read_image)
