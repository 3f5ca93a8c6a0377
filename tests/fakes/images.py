"""Deterministic PNG images for the fake gateway: same inputs, same bytes."""

from __future__ import annotations

import hashlib
import io
from functools import lru_cache

from PIL import Image, ImageDraw


@lru_cache(maxsize=64)
def render_png(key: str, width: int, height: int, *, noisy: bool = False) -> bytes:
    """A PNG of ``width``×``height`` whose pixels depend only on ``key``.

    ``noisy`` fills it with incompressible noise, for tests of upload-size limits.
    """
    digest = hashlib.sha256(key.encode()).digest()
    if noisy:
        seed = int.from_bytes(digest[:4], "big")
        image = Image.effect_noise((width, height), 64 + seed % 64).convert("RGB")
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
