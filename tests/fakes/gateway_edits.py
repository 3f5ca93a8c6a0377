"""The local gateway's edit endpoint: the input images and ``bbox_list`` rules, and what it received.

Written from docs/gateway.md ("Editing endpoint") and the vendored edit OpenAPI files on their own
(never from the bot's catalogue), so a bot that sends a wrong edit is caught here as it would be
by the real gateway.
"""

from __future__ import annotations

import base64
import hashlib
import io
import re
from dataclasses import dataclass
from typing import Any

from PIL import Image

QWEN = "qwen-image-2.0-pro"
WAN = "wan2.7-image-pro"
# model -> (fewest images, most images, bytes per image, media types, pixels per side, max aspect)
EDIT_INPUTS: dict[str, tuple[int, int, int, frozenset[str], tuple[int, int] | None, int | None]] = {
    QWEN: (1, 3, 10 * 1024 * 1024, frozenset({"jpeg", "png", "bmp", "tiff", "webp", "gif"}), None, None),
    WAN: (1, 9, 20 * 1024 * 1024, frozenset({"jpeg", "png", "bmp", "webp"}), (240, 8000), 8),
}
MAX_BOXES = 2  # per image (wan)
_DATA_URI = re.compile(r"^data:image/([a-z]+);base64,(.+)\Z", flags=re.S)
_PILLOW_TYPES = {
    "JPEG": "jpeg",
    "MPO": "jpeg",
    "PNG": "png",
    "BMP": "bmp",
    "TIFF": "tiff",
    "WEBP": "webp",
    "GIF": "gif",
}


class EditViolation(ValueError):
    """An edit body that breaks the contract (the fake answers 400)."""


@dataclass(frozen=True, slots=True)
class InputImage:
    """One input image as the gateway decoded it."""

    data: bytes
    media_type: str  # what the data URI declared, e.g. "image/png"
    width: int
    height: int

    @property
    def digest(self) -> str:
        return hashlib.sha256(self.data).hexdigest()


@dataclass(frozen=True, slots=True)
class ReceivedEdit:
    """What one accepted edit request carried: the images in order, the instruction, the boxes."""

    model: str
    images: tuple[InputImage, ...]
    instruction: str
    bbox_list: list[list[list[int]]] | None
    size: str
    n: int
    seed: int

    @property
    def digests(self) -> list[str]:
        """The sha256 of each input image, in the order they were sent."""
        return [image.digest for image in self.images]


def check_edit(model: str, images: list[Any], instruction: str, body: dict[str, Any]) -> ReceivedEdit:
    """Check the input images and ``bbox_list`` of an edit of ``model``; return what was received."""
    low, high, _, _, _, _ = EDIT_INPUTS[model]
    if not low <= len(images) <= high:
        raise EditViolation(f"{model} edits take {low}-{high} images, got {len(images)}")
    decoded = tuple(input_image(model, index, value) for index, value in enumerate(images))
    bbox_list = body.get("bbox_list")
    if bbox_list is not None:
        if model != WAN:
            raise EditViolation(f"bbox_list is not accepted for {model}")
        check_bbox_list(bbox_list, [(image.width, image.height) for image in decoded])
    return ReceivedEdit(model, decoded, instruction, bbox_list, str(body["size"]), int(body["n"]), int(body["seed"]))


def input_image(model: str, index: int, value: Any) -> InputImage:
    """Decode one ``{"image": …}`` value: a data URI of an accepted format, size and shape."""
    _, _, max_bytes, formats, sides, max_aspect = EDIT_INPUTS[model]
    where = f"image {index + 1}"
    match = _DATA_URI.match(value) if isinstance(value, str) else None
    if match is None:
        raise EditViolation(f"{where} must be a data URI (data:image/<type>;base64,…) here")
    declared = match[1]
    if declared not in formats:
        raise EditViolation(f"{where}: image/{declared} is not accepted for {model}")
    try:
        data = base64.b64decode(match[2], validate=True)
    except ValueError:
        raise EditViolation(f"{where}: its base64 is invalid") from None
    if len(data) > max_bytes:
        raise EditViolation(f"{where} is over {max_bytes} bytes")
    try:
        with Image.open(io.BytesIO(data)) as image:
            image.load()
            actual, (width, height) = _PILLOW_TYPES.get(image.format or ""), image.size
            alpha = image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info
    except (OSError, SyntaxError, ValueError):
        raise EditViolation(f"{where} cannot be decoded") from None
    if actual != declared:
        raise EditViolation(f"{where} is declared image/{declared} but is {actual}")
    if model == WAN and actual == "png" and alpha:
        raise EditViolation(f"{where}: wan takes PNG without an alpha channel")
    if sides is not None and not (sides[0] <= width <= sides[1] and sides[0] <= height <= sides[1]):
        raise EditViolation(f"{where} must be {sides[0]}-{sides[1]} px per side, is {width}x{height}")
    if max_aspect is not None and max(width, height) > max_aspect * min(width, height):
        raise EditViolation(f"{where}: aspect ratio out of 1:{max_aspect}..{max_aspect}:1")
    return InputImage(data, f"image/{declared}", width, height)


def check_bbox_list(value: Any, sizes: list[tuple[int, int]]) -> None:
    """One list per image, at most two ``[x1, y1, x2, y2]`` boxes each, integers within the image.

    Coordinates are pixels with (0, 0) the top-left one, so the largest is ``width - 1``.
    """
    if not isinstance(value, list) or len(value) != len(sizes):
        raise EditViolation(f"bbox_list must hold one list per input image ({len(sizes)})")
    for index, (boxes, (width, height)) in enumerate(zip(value, sizes, strict=True)):
        if not isinstance(boxes, list) or len(boxes) > MAX_BOXES:
            raise EditViolation(f"bbox_list[{index}] must be a list of at most {MAX_BOXES} boxes")
        for box in boxes:
            if not isinstance(box, list) or len(box) != 4 or not all(_is_int(v) for v in box):
                raise EditViolation(f"bbox_list[{index}]: a box is [x1, y1, x2, y2] integers, not {box!r}")
            x1, y1, x2, y2 = box
            if not (0 <= x1 <= x2 < width and 0 <= y1 <= y2 < height):
                raise EditViolation(f"bbox_list[{index}]: box {box} is not inside {width}x{height}")


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)
