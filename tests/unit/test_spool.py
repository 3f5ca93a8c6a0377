"""Spooled files: a small one stays in memory, a larger one goes to disk as it grows, and both read the same."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from PIL import Image

from bot.images import PreparedImage, png_text, prepare_image
from bot.spool import Spool, SpoolFull
from bot.ui.courier import Payload
from tests.fakes.images import render_png


def test_a_small_file_is_kept_in_memory_and_makes_no_folder(tmp_path: Path) -> None:
    spool = Spool(tmp_path / "spool", in_memory=100)
    with spool.writer(".img") as writer:
        writer.write(b"a" * 60)
        writer.write(b"b" * 40)
        small = writer.finish()
    assert small.path is None and small.size == 100 and small.read_bytes() == b"a" * 60 + b"b" * 40
    assert small.head(3) == b"aaa" and small.open().read() == small.read_bytes()
    small.copy_to(tmp_path / "copy")
    assert (tmp_path / "copy").read_bytes() == small.read_bytes()
    small.discard()  # nothing to remove
    assert not spool.folder.exists()
    with pytest.raises(ValueError, match="in memory"):
        _ = small.file_path


def test_a_file_that_grows_past_the_threshold_goes_to_disk_whole(tmp_path: Path) -> None:
    spool = Spool(tmp_path / "spool", in_memory=100)
    with spool.writer(".img") as writer:
        writer.write(b"a" * 60)
        writer.write(b"b" * 60)  # past 100: what was kept goes to the file first
        writer.write(b"c")
        large = writer.finish()
    assert large.path is not None and large.data is None
    assert large.path.read_bytes() == b"a" * 60 + b"b" * 60 + b"c" and large.size == 121
    large.discard()
    assert list(spool.folder.iterdir()) == []


@pytest.mark.parametrize("in_memory", [0, 100])
def test_an_abandoned_file_leaves_nothing(tmp_path: Path, in_memory: int) -> None:
    spool = Spool(tmp_path / "spool", in_memory=in_memory, limit=150)
    with spool.writer(".img") as writer:
        writer.write(b"a" * 120)
        with pytest.raises(SpoolFull):
            writer.write(b"b" * 40)  # past the cap
    assert not spool.folder.exists() or list(spool.folder.iterdir()) == []


def test_a_small_png_is_checked_and_tagged_in_memory(tmp_path: Path) -> None:
    spool = Spool(tmp_path / "spool")
    png = render_png("small", 512, 512)
    prepared = prepare_image(spool.keep(png, ".img"), spool=spool, stem="j_1", limit=len(png) * 2, metadata="{}")
    assert prepared.file.path is None and prepared.filename == "j_1.png"
    tagged = prepared.file.read_bytes()
    assert png_text(tagged) == {"parameters": "{}"}
    with Image.open(io.BytesIO(tagged)) as image, Image.open(io.BytesIO(png)) as original:
        assert image.tobytes() == original.tobytes()
    assert not spool.folder.exists()


def test_an_image_in_memory_can_be_reencoded_to_fit(tmp_path: Path) -> None:
    spool = Spool(tmp_path / "spool", in_memory=1 << 24)  # the whole noisy PNG stays in memory
    png = render_png("noise", 1024, 1024, style="noisy")
    source = spool.keep(png, ".img")
    assert source.path is None
    prepared = prepare_image(source, spool=spool, stem="j_2", limit=200_000)
    assert prepared.reencoded and prepared.file.size <= 200_000 and prepared.filename == "j_2.webp"
    with Image.open(prepared.file.open()) as image:
        assert image.format == "WEBP" and image.size == (prepared.width, prepared.height)


def test_an_upload_reads_an_image_kept_in_memory_whatever_its_size(tmp_path: Path) -> None:
    spool = Spool(tmp_path / "spool", in_memory=1 << 24)
    data = bytes(range(256)) * 2048  # 512 KiB, kept in memory by this spool
    image = PreparedImage("j_1.png", spool.keep(data, ".png"), 1, 1, (1, 1), reencoded=False)
    (upload,) = Payload("", (image,)).files()
    assert upload.filename == "j_1.png" and upload.fp.read() == data
