"""Pictures of pages, sized and encoded for a model that reads images.

A page image is scaled to the model's pixel budget (core/vision.py: larger images are scaled
down by the server anyway and only cost upload time) and stored as JPEG: scans and photos
compress to a tenth of PNG's size, and models read JPEG text as well.
"""

from __future__ import annotations

import io
import math

from PIL import Image, ImageOps

from core.documents.source import PageImage
from core.vision import MAX_IMAGE_SIDE

JPEG_QUALITY = 85


def encode(image: Image.Image, label: str, max_pixels: int) -> PageImage:
    image = ImageOps.exif_transpose(image)  # a phone photo's rotation lives in its EXIF tag
    if image.mode in ("1", "L", "I;16", "I"):
        image = image.convert("L")  # scans are often grey or black-and-white
    elif image.mode != "RGB":
        # Transparency over white, as a viewer shows it.
        rgba = image.convert("RGBA")
        image = Image.new("RGB", rgba.size, "white")
        image.paste(rgba, mask=rgba.getchannel("A"))
    width, height = image.size
    scale = min(1.0, math.sqrt(max_pixels / max(1, width * height)),
                MAX_IMAGE_SIDE / max(width, height))  # fmt: skip
    if scale < 1.0:
        size = (max(1, int(width * scale)), max(1, int(height * scale)))
        image = image.resize(size, Image.Resampling.LANCZOS)
    out = io.BytesIO()
    image.save(out, "JPEG", quality=JPEG_QUALITY, optimize=True)
    return PageImage(out.getvalue(), "image/jpeg", image.width, image.height, label)
