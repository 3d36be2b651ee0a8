"""Which models read images, and how many page images one call may carry.

Scanned PDFs and photos of pages have no text to extract, but the providers Paceline targets
read images: DashScope's Qwen-VL and Qwen-OCR, OpenAI's GPT-4o class, llava-style local models.
A model's name says whether it can (there is no API for it), so a table of name patterns
decides, and the ``vision`` setting overrides it for a model the table does not know.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

# Qwen-VL's default budget per image (max_pixels = 1280 * 28 * 28): about 1,000 x 1,000 pixels,
# enough for body text on a page. Bigger images are scaled down by the server anyway, and cost
# more to upload.
MAX_IMAGE_PIXELS = 1280 * 28 * 28
# OpenAI scales images to fit 2048 x 2048 first.
MAX_IMAGE_SIDE = 2048


@dataclass(frozen=True)
class VisionSpec:
    images_per_call: int  # page images one request may carry


# First match wins. OCR models and local llava-style models take one image per request; the
# general vision models of the big providers read several pages at once.
_MODELS: tuple[tuple[re.Pattern[str], VisionSpec], ...] = tuple(
    (re.compile(pattern, re.IGNORECASE), VisionSpec(per_call))
    for pattern, per_call in (
        (r"ocr", 1),
        (r"qwen[\d.]*-?vl|qvq|qwen-omni", 4),
        (r"gpt-4o|gpt-4\.1|gpt-4-turbo|gpt-4-vision|gpt-5|^o[134]\b|^o[134]-", 4),
        (r"llava|bakllava|vision|minicpm-v|moondream|gemma-?3|pixtral|internvl|glm-4v", 1),
    )
)

# Named when a document needs a model that reads images and the chosen one does not.
EXAMPLES = "Qwen-VL (qwen-vl-max, qwen-vl-plus), Qwen-OCR (qwen-vl-ocr), GPT-4o, or llava"

SETTING_VALUES = ("auto", "yes", "no")


def vision_spec(model: str, setting: str = "auto") -> VisionSpec | None:
    """How ``model`` reads images, or None if it reads text only.

    ``setting`` is the person's word: "yes" or "no", or "auto" to go by the model's name.
    """
    if setting == "no":
        return None
    for pattern, spec in _MODELS:
        if pattern.search(model or ""):
            return spec
    # "yes" for a model the table does not know: one image per call is what every vision
    # model accepts.
    return VisionSpec(1) if setting == "yes" else None


def image_tokens(width: int, height: int) -> int:
    """Prompt tokens an image costs, for the pacer's tokens-per-minute estimate.

    Qwen-VL counts one token per 28 x 28 pixels (capped by max_pixels); OpenAI 170 per 512-pixel
    tile plus 85. The larger of the two keeps a tokens limit safe with either.
    """
    qwen = min(1280, math.ceil(width / 28) * math.ceil(height / 28)) + 2
    scale = min(1.0, 768 / max(1, min(width, height)))
    tiles = math.ceil(width * scale / 512) * math.ceil(height * scale / 512)
    return max(qwen, 85 + 170 * tiles)
