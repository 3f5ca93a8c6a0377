"""The edit endpoint (``POST /v1/images/edits``) of one model, and how an edit of members' images is built.

Each :class:`~bot.catalogue.spec.ModelSpec` holds one :class:`EditSpec`; :func:`build_edit` checks
every rule of it (the images, then the options) before anything reaches the gateway, and names the
image (``image2``) or option and the rule it breaks.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING, Protocol

from bot.gateway.models import BBoxList, GenerationRequest
from bot.i18n import Text

from .errors import InvalidOption
from .regions import Region, bbox_list_for
from .sizes import SizeRule, normalize_size

if TYPE_CHECKING:
    from .spec import Feature, ModelSpec

SAME_AS_INPUT = "input"  # the edit size that follows the input image (the ui offers it first)
_MIB = 1024 * 1024


class ImageFormat(StrEnum):
    """An image file format an edit endpoint may accept; values are the media types sent in data URIs."""

    JPEG = "image/jpeg"
    PNG = "image/png"
    BMP = "image/bmp"
    TIFF = "image/tiff"
    WEBP = "image/webp"
    GIF = "image/gif"

    @property
    def label(self) -> str:
        """The format's usual name, e.g. ``JPEG`` (the same in every language)."""
        return self.name


class EditInput(Protocol):
    """What the catalogue needs to know about one input image (checked, or read back from the store)."""

    @property
    def digest(self) -> str: ...  # sha256 of the bytes sent, hex
    @property
    def media_type(self) -> str: ...  # an ImageFormat value
    @property
    def width(self) -> int: ...
    @property
    def height(self) -> int: ...
    @property
    def byte_size(self) -> int: ...


@dataclass(frozen=True, slots=True)
class EditSpec:
    """One model's edit endpoint, described once: inputs, sizes, counts and the fields it takes."""

    max_images: int
    formats: frozenset[ImageFormat]
    max_bytes: int  # per input image
    sizes: SizeRule  # the output size rule
    default_size: str  # what a variation falls back to when its parent's size does not fit ``sizes``
    max_n: int
    features: frozenset[Feature]  # optional fields this endpoint takes (negative prompt, bbox_list …)
    instruction_max: int
    negative_prompt_max: int = 0
    input_sides: tuple[int, int] | None = None  # each side of an input image, in pixels (None: no rule)
    input_max_aspect: float | None = None  # e.g. 8.0: an input image between 1:8 and 8:1
    flatten_alpha: bool = False  # the endpoint takes no PNG alpha channel: flatten it onto white
    max_boxes: int = 0  # bbox_list boxes per input image
    default_prompt_extend: bool = True

    @property
    def format_labels(self) -> str:
        """The accepted formats for a message, e.g. ``JPEG, PNG, BMP, WEBP``."""
        return ", ".join(f.label for f in ImageFormat if f in self.formats)

    def check_format(self, media_type: str, *, field: str, value: object) -> ImageFormat:
        """The format of an input image if this endpoint takes it, else raise ``rule.edit.format``."""
        try:
            kind = ImageFormat(media_type)
        except ValueError:
            kind = None
        if kind is None or kind not in self.formats:
            raise InvalidOption(field, Text("rule.edit.format", {"formats": self.format_labels}), value)
        return kind

    def check_bytes(self, byte_size: int, *, field: str, value: object) -> None:
        """Raise ``rule.edit.too_large`` for an input image over the byte limit."""
        if byte_size > self.max_bytes:
            raise InvalidOption(field, Text("rule.edit.too_large", {"limit_mib": self.max_bytes // _MIB}), value)

    def check_pixels(self, width: int, height: int, *, field: str, value: object) -> None:
        """Raise ``rule.edit.sides`` or ``rule.edit.aspect`` for an input image of the wrong shape."""
        if self.input_sides is not None:
            low, high = self.input_sides
            if not (low <= width <= high and low <= height <= high):
                rule = Text("rule.edit.sides", {"min": low, "max": high, "width": width, "height": height})
                raise InvalidOption(field, rule, value)
        if self.input_max_aspect is not None and max(width, height) > self.input_max_aspect * min(width, height):
            ratio = int(self.input_max_aspect)
            raise InvalidOption(
                field, Text("rule.edit.aspect", {"ratio": ratio, "width": width, "height": height}), value
            )

    def check_count(self, count: int, *, model: str) -> None:
        """Raise ``rule.edit.image_count`` for more input images than one edit takes."""
        if count > self.max_images:
            raise InvalidOption(
                "images", Text("rule.edit.image_count", {"max": self.max_images, "model": model}), count
            )

    def check_file(self, media_type: str, byte_size: int, size: tuple[int, int] | None, *, field: str) -> None:
        """Check one input image's format, bytes and (when known) sides against this endpoint's rules."""
        self.check_format(media_type, field=field, value=media_type)
        self.check_bytes(byte_size, field=field, value=f"{byte_size / _MIB:.1f} MiB")
        if size is not None:
            self.check_pixels(*size, field=field, value="{}×{}".format(*size))

    def check_input(self, image: EditInput, *, field: str) -> None:
        """Check one input image against every rule of this endpoint (format, bytes, sides)."""
        self.check_file(image.media_type, image.byte_size, (image.width, image.height), field=field)

    def same_as_input(self, width: int, height: int) -> str:
        """The wire size for "same as the input": its own size if allowed, else scaled into the range.

        The aspect ratio is kept; the total pixels are brought within the endpoint's range.
        """
        return "{}*{}".format(*fit_pixels(width, height, self.sizes))


@dataclass(frozen=True, slots=True)
class EditOptions:
    """What a member asked for in an edit, before validation. ``None`` means "not given"."""

    instruction: str
    size: str | None = None  # None or SAME_AS_INPUT: the size of the last input image (the gateway's reference)
    n: int | None = None
    seed: int | None = None
    negative_prompt: str | None = None
    prompt_extend: bool | None = None
    watermark: bool | None = None
    region: Region | None = None  # confine the edit to this part of one input image (wan)
    region_image: int = 0  # which input image (0-based) the region is in
    bbox_list: BBoxList | None = None  # boxes as stored, e.g. from the parent of a Remix (not with region)


def image_field(index: int) -> str:
    """The name of the option holding input image ``index`` (0-based): ``image``, ``image2``, ``image3`` …"""
    return "image" if index == 0 else f"image{index + 1}"


def build_edit(
    spec: ModelSpec, options: EditOptions, inputs: Sequence[EditInput], *, random_seed: Callable[[], int]
) -> GenerationRequest:
    """Validate an edit of ``inputs`` (in order) against every rule of ``spec`` and build its request.

    Raises :class:`InvalidOption` naming the image or option, the rule and the value.
    """
    from .spec import SEED_MAX, Feature  # the spec module imports this one

    edit = spec.edit
    if not inputs:
        raise InvalidOption(image_field(0), Text("rule.edit.image_required"), 0)
    edit.check_count(len(inputs), model=spec.display_name)
    for index, image in enumerate(inputs):
        edit.check_input(image, field=image_field(index))

    instruction = options.instruction.strip()
    if not instruction:
        raise InvalidOption("instruction", Text("rule.not_empty"), options.instruction)
    if len(instruction) > edit.instruction_max:
        rule = Text("rule.max_characters", {"limit": edit.instruction_max, "length": len(instruction)})
        raise InvalidOption("instruction", rule, _clip(instruction))

    given = {
        Feature.NEGATIVE_PROMPT: options.negative_prompt,
        Feature.PROMPT_EXTEND: options.prompt_extend,
        Feature.BBOX_LIST: options.region if options.region is not None else options.bbox_list,
    }
    for feature, value in given.items():
        if value is not None and feature not in edit.features:
            name = "region" if feature is Feature.BBOX_LIST else feature.value
            raise InvalidOption(name, Text("rule.unsupported", {"model": spec.display_name}), value)

    size = _size(edit, options.size, inputs[-1], spec.ratio_sizes)
    n = 1 if options.n is None else options.n
    if not 1 <= n <= edit.max_n:
        raise InvalidOption("count", Text("rule.count.range", {"max": edit.max_n}), n)
    seed = options.seed if options.seed is not None else random_seed()
    if not 0 <= seed <= SEED_MAX:
        raise InvalidOption("seed", Text("rule.seed", {"max": SEED_MAX}), seed)

    negative = None
    if options.negative_prompt is not None:
        negative = options.negative_prompt.strip() or None  # blank is "not given"
        if negative is not None and len(negative) > edit.negative_prompt_max:
            rule = Text("rule.max_characters", {"limit": edit.negative_prompt_max, "length": len(negative)})
            raise InvalidOption("negative_prompt", rule, _clip(negative))

    sizes = [(image.width, image.height) for image in inputs]
    bbox_list = options.bbox_list
    if options.region is not None:
        if bbox_list is not None:
            raise InvalidOption("region", Text("rule.edit.region_and_boxes"), options.region.value)
        if not 0 <= options.region_image < len(inputs):
            rule = Text("rule.edit.region_image", {"images": len(inputs)})
            raise InvalidOption("region", rule, options.region_image + 1)
        bbox_list = bbox_list_for(options.region, sizes, image=options.region_image)
    if bbox_list is not None:
        check_bbox_list(bbox_list, sizes, max_boxes=edit.max_boxes)

    prompt_extend = None
    if Feature.PROMPT_EXTEND in edit.features:
        prompt_extend = edit.default_prompt_extend if options.prompt_extend is None else options.prompt_extend
    return GenerationRequest(
        model=spec.model_id,
        prompt=instruction,
        size=size,
        n=n,
        seed=seed,
        watermark=bool(options.watermark),
        negative_prompt=negative,
        prompt_extend=prompt_extend,
        inputs=tuple(image.digest for image in inputs),
        bbox_list=bbox_list,
    )


def check_bbox_list(bbox_list: BBoxList, sizes: Sequence[tuple[int, int]], *, max_boxes: int) -> None:
    """Raise ``rule.edit.boxes`` unless ``bbox_list`` has one list per image of at most ``max_boxes``
    boxes ``[x1, y1, x2, y2]`` with ``0 <= x1 <= x2 < width`` and ``0 <= y1 <= y2 < height``."""
    rule = Text("rule.edit.boxes", {"max": max_boxes})
    if len(bbox_list) != len(sizes):
        raise InvalidOption("region", rule, len(bbox_list))
    for boxes, (width, height) in zip(bbox_list, sizes, strict=True):
        if len(boxes) > max_boxes:
            raise InvalidOption("region", rule, len(boxes))
        for box in boxes:
            if len(box) != 4:
                raise InvalidOption("region", rule, list(box))
            x1, y1, x2, y2 = box
            if not (0 <= x1 <= x2 < width and 0 <= y1 <= y2 < height):
                raise InvalidOption("region", rule, list(box))


def fit_pixels(width: int, height: int, rule: SizeRule) -> tuple[int, int]:
    """``width``×``height`` scaled (aspect kept, as near as whole pixels allow) into ``rule``'s pixel range."""
    low, high = rule.min_side_pixels**2, rule.max_side_pixels**2
    pixels = width * height
    if low <= pixels <= high:
        return width, height
    scale = math.sqrt((high if pixels > high else low) / pixels)
    w, h = max(1, round(width * scale)), max(1, round(height * scale))
    while w * h > high:  # rounding up went over: take a pixel off the longer side
        w, h = (w - 1, h) if w >= h else (w, h - 1)
    while w * h < low:  # rounding down fell short: add one to the shorter side
        w, h = (w + 1, h) if w <= h else (w, h + 1)
    return w, h


def _size(edit: EditSpec, typed: str | None, reference: EditInput, ratio_sizes: Mapping[str, str]) -> str:
    if typed is None or not typed.strip() or typed.strip().casefold() == SAME_AS_INPUT:
        # The gateway takes the output's aspect ratio from the last input image: so does "same as input".
        size = edit.same_as_input(reference.width, reference.height)
        return normalize_size(size, edit.sizes, ratio_sizes={})
    return normalize_size(typed, edit.sizes, ratio_sizes=ratio_sizes)


def _clip(text: str, limit: int = 80) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
