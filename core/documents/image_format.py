"""Image files (a photo or scan of a page): read by a model that reads images, never as text."""

from __future__ import annotations

import io
import warnings

from PIL import Image, UnidentifiedImageError

from core.documents import page_images
from core.documents.extract import register
from core.documents.source import Source
from core.errors import DocumentError
from core.vision import EXAMPLES

IMAGE_SUFFIXES = frozenset({".png", ".jpg", ".jpeg", ".webp", ".tif", ".tiff", ".gif", ".bmp"})


def needs_vision(name: str, what: str) -> DocumentError:
    return DocumentError(
        "needs_vision",
        f"{name} {what}: only a model that reads images can analyse it, such as {EXAMPLES}. "
        "Choose one in Settings (or mark your model as reading images there), then "
        "re-trigger this job.",
    )


def read_image(source: Source) -> str:
    if not source.limits.render_images:
        raise needs_vision(source.name, "is a picture, with no text to extract")
    with warnings.catch_warnings():
        # Pillow only warns about a "decompression bomb" below twice its pixel limit.
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            image = Image.open(io.BytesIO(source.data))
            frames = getattr(image, "n_frames", 1)
            if frames > source.limits.max_images:
                raise DocumentError(
                    "too_large",
                    f"{source.name} holds {frames} pages; the limit is "
                    f"{source.limits.max_images} page images per document. Split it.",
                )
            for frame in range(frames):  # a multi-page TIFF is a scanned document
                image.seek(frame)
                label = source.name if frames == 1 else f"{source.name}, page {frame + 1}"
                image.load()
                source.images.append(
                    page_images.encode(image, label, source.limits.max_image_pixels)
                )
        except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
            raise DocumentError(
                "too_large",
                f"{source.name} is a picture of more pixels than Paceline opens ({exc}).",
            ) from exc
        except (UnidentifiedImageError, OSError, ValueError, SyntaxError, EOFError) as exc:
            # Pillow reports a truncated or damaged file as OSError or SyntaxError.
            raise DocumentError(
                "corrupt",
                f"{source.name} is damaged or not really an image ({exc}). Open it in an "
                "image viewer and save it again.",
            ) from exc
    return ""


register(IMAGE_SUFFIXES, "image", read_image)
