"""Fitting images to Discord's upload limit."""

from __future__ import annotations

import io

from PIL import Image

from bot.images import prepare_image
from tests.fakes.images import render_png


def test_an_image_that_fits_is_untouched() -> None:
    png = render_png("fits", 640, 480)
    prepared = prepare_image(png, stem="abc_1", limit=len(png))
    assert prepared.data is png and prepared.filename == "abc_1.png"
    assert not prepared.reencoded and (prepared.width, prepared.height) == (640, 480)


def test_a_large_image_is_reencoded_then_downscaled_until_it_fits() -> None:
    png = render_png("noise", 1024, 1024, style="noisy")
    limit = 200_000
    assert len(png) > limit
    prepared = prepare_image(png, stem="abc_2", limit=limit)
    assert len(prepared.data) <= limit and prepared.reencoded and prepared.filename == "abc_2.webp"
    assert prepared.downscaled and prepared.original_size == (1024, 1024)
    with Image.open(io.BytesIO(prepared.data)) as image:
        assert image.format == "WEBP" and image.size == (prepared.width, prepared.height)
