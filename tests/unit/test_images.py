"""Fitting images to Discord's upload limit."""

from __future__ import annotations

import io
import struct
import subprocess
import sys
import warnings
from pathlib import Path

import pytest
from PIL import Image

from bot.images import MAX_PIXELS, BrokenImage, PreparedImage, png_text, verify_image
from bot.images import prepare_image as prepare_file
from bot.spool import Spool, SpooledFile
from tests.fakes.gateway_faults import bomb_png
from tests.fakes.images import render_png
from tests.paths import PROJECT


@pytest.fixture
def spool(tmp_path: Path) -> Spool:
    return Spool(tmp_path / "spool", in_memory=0)  # every file on disk: these tests look at the files


def spooled(spool: Spool, data: bytes) -> SpooledFile:
    return spool.keep(data, ".img")


def prepare_image(data: bytes, spool: Spool, **options: object) -> PreparedImage:
    """``prepare_image`` on ``data`` spooled to a file, as the gateway client leaves it."""
    return prepare_file(spooled(spool, data), spool=spool, **options)  # type: ignore[arg-type]


def test_an_image_that_fits_is_untouched(spool: Spool) -> None:
    png = render_png("fits", 640, 480)
    prepared = prepare_image(png, spool, stem="abc_1", limit=len(png))
    assert prepared.file.read_bytes() == png and prepared.filename == "abc_1.png"
    assert not prepared.reencoded and (prepared.width, prepared.height) == (640, 480)
    assert list(spool.folder.iterdir()) == [prepared.file.path]  # no copy was made


def test_a_png_is_tagged_with_its_parameters_in_a_copy_and_its_source_consumed(spool: Spool) -> None:
    png = render_png("tagged", 640, 480, style="textured")
    source = spooled(spool, png)
    prepared = prepare_file(source, spool=spool, stem="t", limit=len(png) * 2, metadata='{"seed": 7}')
    tagged = prepared.file.read_bytes()
    assert png_text(tagged) == {"parameters": '{"seed": 7}'}
    with Image.open(io.BytesIO(tagged)) as image, Image.open(io.BytesIO(png)) as original:
        assert image.tobytes() == original.tobytes()
    assert prepared.file.size == len(tagged) and not source.path.exists()
    assert list(spool.folder.iterdir()) == [prepared.file.path]


def test_a_broken_image_leaves_no_file_behind(spool: Spool) -> None:
    with pytest.raises(BrokenImage):
        prepare_image(TEXTURED[:1000], spool, stem="x", limit=len(TEXTURED), metadata="{}")
    assert not spool.folder.exists() or list(spool.folder.iterdir()) == []


def test_a_large_image_is_reencoded_then_downscaled_until_it_fits(spool: Spool) -> None:
    png = render_png("noise", 1024, 1024, style="noisy")
    limit = 200_000
    assert len(png) > limit
    prepared = prepare_image(png, spool, stem="abc_2", limit=limit)
    assert prepared.file.size <= limit and prepared.reencoded and prepared.filename == "abc_2.webp"
    assert prepared.downscaled and prepared.original_size == (1024, 1024)
    with Image.open(prepared.file.path) as image:
        assert image.format == "WEBP" and image.size == (prepared.width, prepared.height)
    assert list(spool.folder.iterdir()) == [prepared.file.path]  # the original and larger tries are gone


def png_chunk_ends(png: bytes) -> list[tuple[bytes, int]]:
    """(chunk type, offset just past it) for every chunk."""
    out, position = [], 8
    while position < len(png):
        (length,) = struct.unpack(">I", png[position : position + 4])
        position += 12 + length
        out.append((png[position - 8 - length : position - 4 - length], position))
    return out


TEXTURED = render_png("verify", 1024, 1024, style="textured")  # several IDAT chunks, like a real model's PNG


@pytest.mark.parametrize(
    "cut",
    [
        pytest.param(len(TEXTURED) // 2, id="half"),
        pytest.param(len(TEXTURED) - 20, id="inside-the-last-idat"),
        pytest.param(len(TEXTURED) - 13, id="inside-the-last-idat-checksum"),
        pytest.param(len(TEXTURED) - 12, id="no-iend"),
        pytest.param(png_chunk_ends(TEXTURED)[1][1], id="after-the-first-idat"),
        pytest.param(40, id="inside-the-header"),
        pytest.param(8, id="signature-only"),
    ],
)
def test_a_truncated_png_is_broken(cut: int, spool: Spool) -> None:
    assert png_chunk_ends(TEXTURED)[1][0] == b"IDAT" and len(png_chunk_ends(TEXTURED)) > 4
    with pytest.raises(BrokenImage):
        prepare_image(TEXTURED[:cut], spool, stem="x", limit=len(TEXTURED))


def test_a_truncated_png_is_broken_on_the_reencode_path_too(spool: Spool) -> None:
    with pytest.raises(BrokenImage, match="truncated"):
        prepare_image(TEXTURED[: len(TEXTURED) // 2], spool, stem="x", limit=1000, metadata="{}")


def test_a_flipped_byte_is_caught_by_the_checksum() -> None:
    damaged = bytearray(TEXTURED)
    damaged[len(damaged) // 2] ^= 0xFF
    with pytest.raises(BrokenImage):
        verify_image(bytes(damaged))


@pytest.mark.parametrize(
    ("width", "height"),
    [
        (50_000, 50_000),  # over twice Pillow's limit: Pillow itself raises DecompressionBombError
        (MAX_PIXELS // 1000 + 1, 1000),  # just over the bot's own limit, under Pillow's
    ],
)
def test_a_decompression_bomb_is_broken(width: int, height: int, spool: Spool) -> None:
    bomb = bomb_png(width, height)
    assert len(bomb) < 200
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a PNG's size is read from its header, before Pillow warns or raises
        with pytest.raises(BrokenImage, match=f"{width}×{height} pixels"):
            prepare_image(bomb, spool, stem="x", limit=10_000_000)


def test_an_image_pillow_only_warns_about_is_refused_too(spool: Spool) -> None:
    out = io.BytesIO()
    Image.new("P", (16, 16)).save(out, format="GIF")
    gif = bytearray(out.getvalue())
    gif[6:10] = struct.pack("<HH", 10_000, 10_000)  # the logical screen: between Pillow's limit and twice it
    with pytest.warns(Image.DecompressionBombWarning), pytest.raises(BrokenImage, match="pixels"):
        prepare_image(bytes(gif), spool, stem="x", limit=10_000_000)


def test_the_bot_limit_follows_a_lower_pillow_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 100 * 100)
    with pytest.raises(BrokenImage, match="128×128 pixels, more than the 10000 allowed"):
        verify_image(render_png("small", 128, 128))


def test_not_an_image_is_broken(spool: Spool) -> None:
    with pytest.raises(BrokenImage, match="not an image"):
        prepare_image(b"this is not an image", spool, stem="x", limit=1000)


def test_other_formats_are_decoded_in_full() -> None:
    out = io.BytesIO()
    Image.new("RGB", (256, 256), (10, 20, 30)).save(out, format="JPEG")
    jpeg = out.getvalue()
    assert verify_image(jpeg) == ("JPEG", (256, 256))
    with pytest.raises(BrokenImage):
        verify_image(jpeg[: len(jpeg) // 2])


def test_a_complete_png_passes_with_its_bytes_untouched(spool: Spool) -> None:
    assert verify_image(TEXTURED) == ("PNG", (1024, 1024))
    prepared = prepare_image(TEXTURED, spool, stem="ok", limit=len(TEXTURED))
    assert prepared.file.read_bytes() == TEXTURED and not prepared.reencoded


def test_a_results_file_names_are_made_and_read_back_in_one_place() -> None:
    from bot.images import result_image_number, result_stem

    assert result_image_number(result_stem("0suwgwxi", 12) + ".webp", "0suwgwxi") == 12
    assert result_image_number("0suwgwxi_3.png", "other") is None  # another job's image
    assert (
        result_image_number("photo.png", "0suwgwxi") is None
        and result_image_number("0suwgwxi_x.png", "0suwgwxi") is None
    )


WARM_UP = """
import asyncio, types
import PIL.Image
from bot.jobs.producer import Producer
assert PIL.Image._initialized == 0, "a fresh process has no codec loaded yet"
producer = Producer(types.SimpleNamespace(spool=None))
asyncio.run(producer.warm_up())
producer.close()
print(PIL.Image._initialized)
"""


def test_the_image_codecs_are_loaded_before_the_first_image() -> None:
    """~25 ms of Pillow imports happen at start-up, in an image thread, not in a member's first job."""
    done = subprocess.run([sys.executable, "-c", WARM_UP], capture_output=True, text=True, cwd=PROJECT, check=True)
    assert int(done.stdout) >= 1
