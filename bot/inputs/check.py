"""Checking a member's image against a model's edit endpoint: decoded with Pillow, off the event loop.

The bytes are untrusted. Pillow's decompression-bomb limit stays on, the declared size is checked
before any pixel is decoded, and the file is then decoded in full, so a truncated or corrupt file
is refused here rather than by the gateway.
"""

from __future__ import annotations

import asyncio
import hashlib
import io
import struct
import zlib
from dataclasses import dataclass, field

from PIL import Image

from bot.catalogue import EditSpec, ImageFormat, InvalidOption
from bot.i18n import Text

from .errors import UnreadableImage

# Pillow's own bomb threshold (it warns above it, and refuses twice as many): an input with more
# pixels is refused before decoding. wan's largest input (8000²) is well below it.
MAX_INPUT_PIXELS = Image.MAX_IMAGE_PIXELS or 89_478_485
_DECODE_ERRORS = (OSError, SyntaxError, ValueError, EOFError, IndexError, struct.error, zlib.error)
_FORMATS = {  # Pillow's format names
    "JPEG": ImageFormat.JPEG,
    "MPO": ImageFormat.JPEG,  # a camera's multi-picture JPEG: a plain JPEG to everyone else
    "PNG": ImageFormat.PNG,
    "BMP": ImageFormat.BMP,
    "TIFF": ImageFormat.TIFF,
    "WEBP": ImageFormat.WEBP,
    "GIF": ImageFormat.GIF,
}
_ALPHA_MODES = frozenset({"RGBA", "LA", "PA", "RGBa", "La"})
WHITE = (255, 255, 255)


@dataclass(frozen=True, slots=True)
class CheckedImage:
    """An input image that passed every rule of one model's edit endpoint, as it will be sent.

    ``data`` are the bytes to store and send (re-encoded only when ``flattened``), ``digest`` their
    sha256. ``flattened``: the PNG had transparency and was put onto white (the model takes no alpha);
    the ui says so.
    """

    digest: str
    media_type: ImageFormat
    width: int
    height: int
    data: bytes = field(repr=False)
    flattened: bool = False
    name: str | None = None  # the attachment's file name, as the member knows it

    @property
    def byte_size(self) -> int:
        return len(self.data)


async def check_image(data: bytes, edit: EditSpec, *, field: str, name: str | None = None) -> CheckedImage:
    """Check ``data`` against ``edit`` in a worker thread; see :func:`inspect_image`."""
    return await asyncio.to_thread(inspect_image, data, edit, field=field, name=name)


def inspect_image(data: bytes, edit: EditSpec, *, field: str, name: str | None = None) -> CheckedImage:
    """Decode ``data`` and check it against ``edit``: format, bytes, pixels (blocking).

    A PNG with an alpha channel, where ``edit`` takes none, is flattened onto white. Raises
    :class:`~bot.catalogue.InvalidOption` (``field`` names the image option, the value is ``name``),
    :class:`~bot.inputs.errors.UnreadableImage` for a file Pillow cannot decode.
    """
    shown = name or field
    edit.check_bytes(len(data), field=field, value=shown)
    try:
        with Image.open(io.BytesIO(data)) as image:  # reads the header only
            width, height = image.size
            if width * height > MAX_INPUT_PIXELS:
                rule = Text("rule.edit.too_many_pixels", {"max_megapixels": MAX_INPUT_PIXELS // 1_000_000})
                raise InvalidOption(field, rule, f"{width}×{height}")
            kind = _FORMATS.get(image.format or "")
            edit.check_format(kind.value if kind else "", field=field, value=image.format or shown)
            assert kind is not None
            edit.check_pixels(width, height, field=field, value=f"{width}×{height}")
            image.load()  # every pixel: a truncated or corrupt file fails here
            flattened = False
            if edit.flatten_alpha and kind is ImageFormat.PNG and _has_alpha(image):
                data, flattened = _flatten(image)
                edit.check_bytes(len(data), field=field, value=shown)
    except Image.DecompressionBombError:
        rule = Text("rule.edit.too_many_pixels", {"max_megapixels": MAX_INPUT_PIXELS // 1_000_000})
        raise InvalidOption(field, rule, shown) from None
    except InvalidOption:
        raise
    except _DECODE_ERRORS:
        raise UnreadableImage(field, shown) from None
    digest = hashlib.sha256(data).hexdigest()
    return CheckedImage(digest, kind, width, height, data, flattened=flattened, name=name)


def _has_alpha(image: Image.Image) -> bool:
    return image.mode in _ALPHA_MODES or "transparency" in image.info


def _flatten(image: Image.Image) -> tuple[bytes, bool]:
    """The image on white, as a PNG without alpha; and whether anything was transparent at all.

    An alpha channel that is opaque everywhere is dropped silently: nothing changes to the eye.
    """
    rgba = image.convert("RGBA")
    alpha = rgba.getchannel("A")
    lowest, _ = alpha.getextrema()  # one band: (min, max)
    transparent = isinstance(lowest, int) and lowest < 255
    flat = Image.new("RGB", rgba.size, WHITE)
    flat.paste(rgba, mask=alpha)
    out = io.BytesIO()
    icc = image.info.get("icc_profile")
    flat.save(out, format="PNG", **({"icc_profile": icc} if icc else {}))
    return out.getvalue(), transparent
