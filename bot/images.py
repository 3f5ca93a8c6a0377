"""Spooled images → Discord-ready files. Blocking and CPU-bound: run these in the producer's image pool.

Images stay in files (see :mod:`bot.spool`): checking one reads it chunk by chunk, tagging one
copies it with the kernel's help, and only a re-encode decodes its pixels.
"""

from __future__ import annotations

import contextlib
import io
import os
import shutil
import struct
import zlib
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from PIL import Image

from bot.spool import Spool, SpooledFile

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
METADATA_KEY = "parameters"
# Twice the largest image the gateway documents (wan 4K, 4096²): room for "may differ slightly",
# and below Pillow's own bomb limit, so any image that would only make Pillow *warn*
# (DecompressionBombWarning) is refused here as well. A warnings filter cannot do that job:
# warnings.catch_warnings() is not thread-safe, and images are checked in worker threads.
MAX_PIXELS = 2 * 4096 * 4096
# What Pillow raises on hostile bytes (SyntaxError: a broken PNG chunk or checksum).
_DECODE_ERRORS = (OSError, SyntaxError, ValueError, EOFError, IndexError, struct.error, zlib.error)
_SCALE_STEP = 0.8  # each downscale keeps 80% of each side (64% of the pixels)
_MIN_SIDE = 256


@dataclass(frozen=True, slots=True)
class PreparedImage:
    """One image as it will be uploaded."""

    filename: str
    file: SpooledFile
    width: int
    height: int
    original_size: tuple[int, int]
    reencoded: bool  # True when the original did not fit the upload limit
    source_url: str | None = None  # the gateway's link to the original, while it lasts

    @property
    def downscaled(self) -> bool:
        """Whether the pixels were reduced to fit."""
        return (self.width, self.height) != self.original_size


def load_codecs() -> None:
    """Import Pillow's format plugins now: ~25 ms of imports the first image would otherwise wait for."""
    Image.preinit()


def result_stem(job_id: str, number: int) -> str:
    """The file name, without extension, of a result's image ``number`` (1-based): ``<job id>_<number>``."""
    return f"{job_id}_{number}"


def result_image_number(filename: str, job_id: str) -> int | None:
    """The number of a result's image from its file name (see :func:`result_stem`); ``None``: not that job's."""
    prefix, _, number = filename.partition(".")[0].rpartition("_")
    return int(number) if prefix == job_id and number.isascii() and number.isdigit() else None


class SourceProblem(StrEnum):
    """Why a variation's input image is not available (the ui words it)."""

    MESSAGE_GONE = "message_gone"
    ATTACHMENT_GONE = "attachment_gone"
    UNREADABLE = "unreadable"


class SourceImageGone(Exception):
    """A variation's input image can no longer be fetched (its message or attachment is gone)."""

    def __init__(self, problem: SourceProblem, detail: str = "") -> None:
        self.problem = problem
        super().__init__(f"{problem.value}: {detail}" if detail else problem.value)


class BrokenImage(ValueError):
    """Bytes that are not one complete, sane image: undecodable, truncated, or a decompression bomb."""


def verify_image(data: bytes | Path, *, max_pixels: int = MAX_PIXELS) -> tuple[str, tuple[int, int]]:
    """Check that ``data`` is a complete image of at most ``max_pixels``; return its format and size.

    A PNG is checked with Pillow's ``verify()``: it walks every chunk up to IEND and checks each
    CRC without inflating the pixels, so a file cut anywhere (even between chunks) fails. That
    costs ~1 ms for a 4 MB 2K PNG where decoding it costs ~75 ms. Other formats (the gateway
    documents PNG only) are decoded in full. Raises :class:`BrokenImage`.
    """
    limit = min(max_pixels, Image.MAX_IMAGE_PIXELS or max_pixels)
    declared = _png_size(data if isinstance(data, bytes) else _head(data, 24))
    if declared is not None and declared[0] * declared[1] > limit:  # before Pillow warns or raises about it
        raise BrokenImage(f"it declares {declared[0]}×{declared[1]} pixels, more than the {limit} allowed")
    try:
        with Image.open(io.BytesIO(data) if isinstance(data, bytes) else data) as image:
            kind, (width, height) = image.format or "", image.size
            if width * height > limit:
                raise BrokenImage(f"it declares {width}×{height} pixels, more than the {limit} allowed")
            if kind == "PNG":
                image.verify()
            else:
                image.load()
    except Image.DecompressionBombError:
        raise BrokenImage(f"it declares more than {limit} pixels (a decompression bomb)") from None
    except _DECODE_ERRORS as exc:
        raise BrokenImage(_decode_problem(exc)) from None
    return kind, (width, height)


def _head(path: Path, count: int) -> bytes:
    with path.open("rb") as file:
        return file.read(count)


def _png_size(data: bytes) -> tuple[int, int] | None:
    """Width and height from a PNG's IHDR, which the format requires to come first."""
    if not data.startswith(PNG_SIGNATURE) or data[12:16] != b"IHDR" or len(data) < 24:
        return None
    width, height = struct.unpack(">II", data[16:24])
    return width, height


def _decode_problem(exc: Exception) -> str:
    text = str(exc).strip() or type(exc).__name__
    if "truncated" in text.casefold():
        return "it is truncated"
    if isinstance(exc, OSError) and "cannot identify" in text:
        return "it is not an image"
    return f"it does not decode ({text[:100]})"


def prepare_image(
    source: SpooledFile, *, spool: Spool, stem: str, limit: int, metadata: str | None = None
) -> PreparedImage:
    """Check ``source`` is a complete image (see :func:`verify_image`) and make it fit ``limit`` bytes.

    The original is kept when it fits (with ``metadata`` embedded if it is a PNG). Otherwise it
    becomes a high-quality WebP, then is downscaled step by step until it fits. ``source`` is
    consumed: it becomes the result or is removed. Raises :class:`BrokenImage`.
    """
    try:
        kind, size = verify_image(source.data if source.data is not None else source.file_path)
        if metadata is not None and kind == "PNG":
            tagged = _tagged(source, spool, metadata)
            if tagged.size <= limit:
                source.discard()
                source = tagged
            else:
                tagged.discard()
        # The pixels are decoded only when the image must be re-encoded: decoding a 2K PNG costs
        # ~40-75 ms of CPU, where verifying it cost ~1 ms.
        if source.size <= limit:
            return PreparedImage(f"{stem}.{(kind or 'png').lower()}", source, *size, size, reencoded=False)
        return _reencode(source, spool, stem, limit, size)
    except BaseException:
        source.discard()
        raise


def _reencode(source: SpooledFile, spool: Spool, stem: str, limit: int, size: tuple[int, int]) -> PreparedImage:
    try:
        with source.open() as data, Image.open(data) as image:
            rgb = image.convert("RGBA" if image.mode in ("RGBA", "LA", "P") else "RGB")
    except _DECODE_ERRORS as exc:  # intact chunks around pixel data that does not inflate
        raise BrokenImage(_decode_problem(exc)) from None
    source.discard()
    width, height = size
    while True:
        candidate = rgb if (width, height) == size else rgb.resize((width, height), Image.Resampling.LANCZOS)
        path = spool.path(".webp")
        candidate.save(path, format="WEBP", quality=90, method=4)
        written = os.path.getsize(path)
        if written <= limit or min(width, height) <= _MIN_SIDE:
            return PreparedImage(f"{stem}.webp", spool.adopt(path), width, height, size, reencoded=True)
        os.unlink(path)
        width, height = int(width * _SCALE_STEP), int(height * _SCALE_STEP)


def _tagged(source: SpooledFile, spool: Spool, metadata: str) -> SpooledFile:
    """``source`` with ``metadata`` embedded: in memory if it was, else copied file to file."""
    if source.data is not None:
        return spool.keep(add_png_text(source.data, METADATA_KEY, metadata), ".png")
    return spool.adopt(tag_png_file(source.file_path, spool.path(".png"), METADATA_KEY, metadata))


def tag_png_file(source: Path, target: Path, key: str, text: str) -> Path:
    """Copy the PNG at ``source`` to ``target`` with an iTXt chunk after IHDR; the pixels are not touched.

    The bulk of the file is copied by the kernel (``copy_file_range``), never through Python.
    """
    with source.open("rb") as src, target.open("wb") as dst:
        head = src.read(len(PNG_SIGNATURE) + 8)
        ihdr_end = len(PNG_SIGNATURE) + 8 + struct.unpack(">I", head[8:12])[0] + 4
        head += src.read(ihdr_end - len(head))
        dst.write(head)
        dst.write(_itxt_chunk(key, text))
        dst.flush()
        _copy_rest(src, dst, offset=ihdr_end)
    return target


def _copy_rest(src: io.BufferedReader, dst: io.BufferedWriter, *, offset: int) -> None:
    remaining = os.fstat(src.fileno()).st_size - offset
    with contextlib.suppress(OSError):  # not supported here (another filesystem): copy below
        while remaining > 0:
            copied = os.copy_file_range(src.fileno(), dst.fileno(), remaining, offset)
            if copied == 0:
                break
            offset += copied
            remaining -= copied
    if remaining > 0:
        src.seek(offset)
        dst.seek(0, os.SEEK_END)
        shutil.copyfileobj(src, dst)


def _itxt_chunk(key: str, text: str) -> bytes:
    body = key.encode("latin-1") + b"\x00\x00\x00\x00\x00" + text.encode("utf-8")
    return struct.pack(">I", len(body)) + b"iTXt" + body + struct.pack(">I", zlib.crc32(b"iTXt" + body))


def add_png_text(png: bytes, key: str, text: str) -> bytes:
    """Insert an iTXt (UTF-8) chunk right after IHDR, leaving the image data untouched (no re-encode)."""
    ihdr_end = len(PNG_SIGNATURE) + 8 + struct.unpack(">I", png[8:12])[0] + 4
    view = memoryview(png)
    return b"".join((view[:ihdr_end], _itxt_chunk(key, text), view[ihdr_end:]))


def png_text(png: bytes) -> dict[str, str]:
    """The iTXt chunks of a PNG (the inverse of :func:`add_png_text`)."""
    out: dict[str, str] = {}
    position = len(PNG_SIGNATURE)
    while position + 8 <= len(png):
        length, kind = struct.unpack(">I4s", png[position : position + 8])
        if kind == b"iTXt":
            key, _, rest = png[position + 8 : position + 8 + length].partition(b"\x00")
            out[key.decode("latin-1")] = rest[4:].split(b"\x00", 2)[-1].decode("utf-8") if rest else ""
        position += 12 + length
    return out
