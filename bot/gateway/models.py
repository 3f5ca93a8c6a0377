"""Typed request and result models at the gateway boundary."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from bot.spool import SpooledFile

ResponseFormat = Literal["url", "b64_json"]


@dataclass(frozen=True, slots=True)
class PaletteColor:
    """One colour of a wan colour palette, already in wire form (`#RRGGBB`, `"12.50%"`)."""

    hex: str
    ratio: str


@dataclass(frozen=True, slots=True)
class ImageSource:
    """Where a variation's input image lives: an attachment of a Discord message."""

    channel_id: int
    message_id: int
    filename: str


Box = tuple[int, int, int, int]  # [x1, y1, x2, y2] in an input image's pixels
BBoxList = tuple[tuple[Box, ...], ...]  # one tuple of boxes per input image, in order


@dataclass(frozen=True, slots=True)
class GenerationRequest:
    """A complete, validated request for one model: text-to-image, or an edit of input images.

    Fields a model does not accept stay ``None`` and are never sent. ``size``, ``n``,
    ``seed`` and ``watermark`` are always sent so that a stored request replays exactly.
    An edit of members' images names them by content (``inputs``: sha256 digests, in order),
    so a stored request replays with the same images in any process, long after Discord's
    links expired; their bytes live in the input store.
    """

    model: str
    prompt: str
    size: str
    n: int
    seed: int
    watermark: bool = False
    negative_prompt: str | None = None
    prompt_extend: bool | None = None
    thinking_mode: bool | None = None
    enable_sequential: bool | None = None
    color_palette: tuple[PaletteColor, ...] | None = None
    source: ImageSource | None = None  # set for a variation (an edit of that image)
    inputs: tuple[str, ...] = ()  # an edit of members' images: their sha256 digests (hex), in order
    bbox_list: BBoxList | None = None  # wan: the boxes to edit, one tuple per input image

    @property
    def is_edit(self) -> bool:
        """Whether this goes to the edit endpoint (input images, or a variation's source)."""
        return bool(self.inputs) or self.source is not None

    def to_payload(self, response_format: ResponseFormat = "url", images: Sequence[str] = ()) -> dict[str, Any]:
        """Build the JSON body: for ``/v1/images/generations``, or with ``images`` for ``/v1/images/edits``.

        ``images`` are data URIs (or URLs) of the input images: for an edit of members' images,
        one per digest of ``inputs``, in the same order. They come before the one text item (the
        instruction), as the contract says.
        """
        if self.inputs and len(images) != len(self.inputs):
            raise ValueError(f"this edit has {len(self.inputs)} input images, {len(images)} were given")
        content: list[dict[str, str]] = [{"image": image} for image in images]
        content.append({"text": self.prompt})
        body: dict[str, Any] = {
            "model": self.model,
            "response_format": response_format,
            "input": {"messages": [{"role": "user", "content": content}]},
            "size": self.size,
            "n": self.n,
            "watermark": self.watermark,
            "seed": self.seed,
        }
        optional: dict[str, Any] = {
            "negative_prompt": self.negative_prompt,
            "prompt_extend": self.prompt_extend,
            "thinking_mode": self.thinking_mode,
            "enable_sequential": self.enable_sequential,
        }
        body.update({key: value for key, value in optional.items() if value is not None})
        if self.color_palette is not None:
            body["color_palette"] = [{"hex": c.hex, "ratio": c.ratio} for c in self.color_palette]
        if self.bbox_list is not None:
            body["bbox_list"] = [[list(box) for box in boxes] for boxes in self.bbox_list]
        return body

    def with_seed(self, seed: int) -> GenerationRequest:
        """Return the same request with another seed."""
        return dataclasses.replace(self, seed=seed)

    def to_dict(self) -> dict[str, Any]:
        """Serialize for storage (the inverse of :meth:`from_dict`).

        What ``dataclasses.asdict`` gives, built directly: it deep-copied every field, which cost
        a tenth of a millisecond per job (twice: admission and the result's metadata).
        """
        values = {field.name: getattr(self, field.name) for field in dataclasses.fields(self)}
        if self.color_palette is not None:
            values["color_palette"] = tuple(dataclasses.asdict(color) for color in self.color_palette)
        if self.source is not None:
            values["source"] = dataclasses.asdict(self.source)
        return values

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> GenerationRequest:
        """Rebuild a stored request."""
        values = dict(data)
        palette = values.pop("color_palette", None)
        colors = tuple(PaletteColor(**c) for c in palette) if palette is not None else None
        source = values.pop("source", None)
        inputs = tuple(values.pop("inputs", None) or ())  # absent in requests stored before edits
        boxes = values.pop("bbox_list", None)
        bbox_list = tuple(tuple(_box(box) for box in image) for image in boxes) if boxes is not None else None
        return cls(
            **values,
            color_palette=colors,
            source=ImageSource(**source) if source else None,
            inputs=inputs,
            bbox_list=bbox_list,
        )


def _box(values: Sequence[int]) -> Box:
    x1, y1, x2, y2 = values
    return int(x1), int(y1), int(x2), int(y2)


@dataclass(frozen=True, slots=True)
class GeneratedImage:
    """One image returned by the gateway, already downloaded or decoded into a spooled file."""

    file: SpooledFile
    source_url: str | None = None
    revised_prompt: str | None = None


@dataclass(frozen=True, slots=True)
class GenerationResult:
    """What the gateway produced for one request."""

    images: tuple[GeneratedImage, ...]
    created: int | None = None
    request_id: str | None = None
    metadata: dict[str, Any] = field(default_factory=dict)

    @property
    def revised_prompt(self) -> str | None:
        """The first non-empty revised prompt, if the gateway returned one."""
        return next((img.revised_prompt for img in self.images if img.revised_prompt), None)
