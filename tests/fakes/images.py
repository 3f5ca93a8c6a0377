"""Deterministic PNG images for the fake gateway: same inputs, same bytes."""

from __future__ import annotations

import hashlib
import io
from functools import lru_cache
from typing import Literal

from PIL import Image, ImageDraw

ImageStyle = Literal["flat", "textured", "noisy"]


@lru_cache(maxsize=64)
def render_png(key: str, width: int, height: int, *, style: ImageStyle = "flat") -> bytes:
    """A PNG of ``width``×``height`` whose pixels depend only on ``key``.

    ``flat`` compresses to almost nothing (fast tests); ``textured`` weighs what a real model's
    PNG does (≈ 4 MB at 2048²); ``noisy`` is incompressible, for upload-limit tests.
    """
    digest = hashlib.sha256(key.encode()).digest()
    sigma = 64 + int.from_bytes(digest[:4], "big") % 64
    if style == "noisy":
        image = Image.effect_noise((width, height), sigma).convert("RGB")
    elif style == "textured":
        small = Image.effect_noise((max(width // 8, 1), max(height // 8, 1)), sigma).convert("RGB")
        image = small.resize((width, height), Image.Resampling.BICUBIC)
    else:
        image = Image.new("RGB", (width, height), tuple(digest[:3]))
        draw = ImageDraw.Draw(image)
        for i in range(4):
            a, b, c, d = digest[4 + i * 4 : 8 + i * 4]
            box = (
                a * width // 512,
                b * height // 512,
                width // 2 + c * width // 512,
                height // 2 + d * height // 512,
            )
            draw.rectangle(box, fill=tuple(digest[16 + i * 3 : 19 + i * 3]))
    out = io.BytesIO()
    image.save(out, format="PNG", compress_level=1)
    return out.getvalue()
