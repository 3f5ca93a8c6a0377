"""Image size parsing and checks: ``W*H`` / ``WxH`` / ``W×H`` and named presets."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from bot.i18n import Text

from .errors import InvalidOption

# ASCII digits only (``\d`` would also take other scripts' digits), a bounded count of them (no
# 20-digit sides), and ``\Z``: ``$`` would also match before a final newline.
_DIMENSIONS = re.compile(r"^\s*([0-9]{2,5})\s*[*xX×]\s*([0-9]{2,5})\s*\Z")
_RATIO = re.compile(r"^\s*([0-9]{1,2})\s*:\s*([0-9]{1,2})\s*\Z")


@dataclass(frozen=True, slots=True)
class SizeRule:
    """What a model accepts as ``size`` in one mode."""

    min_side_pixels: int  # total pixels must be >= min_side_pixels**2
    max_side_pixels: int  # total pixels must be <= max_side_pixels**2
    presets: Mapping[str, tuple[int, int]]
    max_aspect: float | None = None  # e.g. 8.0 for "between 1:8 and 8:1"

    def describe(self, *, image_set: bool = False) -> Text:
        """The rule, for an error message (``image_set``: this is the image-set mode's rule)."""
        lo, hi = self.min_side_pixels, self.max_side_pixels
        optional = {
            "aspect": Text("rule.size.aspect", {"ratio": int(self.max_aspect)}) if self.max_aspect else "",
            "presets": Text("rule.size.presets", {"presets": ", ".join(self.presets)}) if self.presets else "",
            "mode": Text("rule.size.in_image_set") if image_set else "",
        }
        return Text("rule.size.pixels", {"low": f"{lo}×{lo}", "high": f"{hi}×{hi}", **optional})


def dimensions(wire_size: str, presets: Mapping[str, tuple[int, int]]) -> tuple[int, int]:
    """Width and height of a wire size (``"1024*768"`` or a preset name)."""
    if wire_size in presets:
        return presets[wire_size]
    match = _DIMENSIONS.match(wire_size)
    if match is None:
        raise ValueError(f"not a size: {wire_size!r}")
    return int(match[1]), int(match[2])


def normalize_size(
    text: str,
    rule: SizeRule,
    *,
    ratio_sizes: Mapping[str, str],
    field: str = "size",
    image_set: bool = False,
) -> str:
    """Turn what a user typed into the wire form the gateway expects, or raise.

    Accepts a preset (case-insensitive), ``W*H`` with ``*``, ``x`` or ``×``, or an aspect
    ratio such as ``16:9`` that the model has a suggested size for.
    """
    typed = text.strip()
    for name in rule.presets:
        if typed.casefold() == name.casefold():
            return name
    ratio = _RATIO.match(typed)
    if ratio is not None:
        key = f"{int(ratio[1])}:{int(ratio[2])}"
        if key in ratio_sizes:
            return normalize_size(ratio_sizes[key], rule, ratio_sizes={}, field=field, image_set=image_set)
        known = ", ".join(ratio_sizes)
        raise InvalidOption(field, Text("rule.size.ratio", {"ratios": known}), text)
    match = _DIMENSIONS.match(typed)
    if match is None:
        raise InvalidOption(field, rule.describe(image_set=image_set), text)
    width, height = int(match[1]), int(match[2])
    pixels = width * height
    if not rule.min_side_pixels**2 <= pixels <= rule.max_side_pixels**2:
        raise InvalidOption(field, rule.describe(image_set=image_set), text)
    if rule.max_aspect is not None and max(width, height) > rule.max_aspect * min(width, height):
        raise InvalidOption(field, rule.describe(image_set=image_set), text)
    return f"{width}*{height}"
