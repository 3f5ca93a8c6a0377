"""Regions of an image a member can pick (Vary region), as the gateway's ``bbox_list`` boxes.

A box is ``[x1, y1, x2, y2]``: the top-left and bottom-right pixels it covers, in the input image's
own pixels, with ``(0, 0)`` the top-left pixel (so ``x2 <= width - 1``). On an odd side the middle row
or column belongs to both halves: each half is the mirror image of the other, and together they
cover the whole image.
"""

from __future__ import annotations

from collections.abc import Sequence
from enum import StrEnum

from bot.gateway.models import BBoxList, Box


class Region(StrEnum):
    """A preset part of an image; the values are stable (they travel in custom ids and selects)."""

    LEFT_HALF = "left"
    RIGHT_HALF = "right"
    TOP_HALF = "top"
    BOTTOM_HALF = "bottom"
    CENTRE = "centre"
    TOP_LEFT = "top_left"
    TOP_RIGHT = "top_right"
    BOTTOM_LEFT = "bottom_left"
    BOTTOM_RIGHT = "bottom_right"

    @property
    def message_key(self) -> str:
        """The catalogue key of its name for members, e.g. ``region.left``."""
        return f"region.{self.value}"


def _first_half(side: int) -> tuple[int, int]:
    return 0, (side + 1) // 2 - 1  # ceil(side / 2) pixels: an odd side's middle pixel is in both halves


def _second_half(side: int) -> tuple[int, int]:
    return side // 2, side - 1


def _whole(side: int) -> tuple[int, int]:
    return 0, side - 1


def _middle(side: int) -> tuple[int, int]:
    margin = side // 4  # the middle half: a quarter off each end, the same on both
    return margin, side - 1 - margin


_SPANS = {  # (columns, rows) of each region
    Region.LEFT_HALF: (_first_half, _whole),
    Region.RIGHT_HALF: (_second_half, _whole),
    Region.TOP_HALF: (_whole, _first_half),
    Region.BOTTOM_HALF: (_whole, _second_half),
    Region.CENTRE: (_middle, _middle),
    Region.TOP_LEFT: (_first_half, _first_half),
    Region.TOP_RIGHT: (_second_half, _first_half),
    Region.BOTTOM_LEFT: (_first_half, _second_half),
    Region.BOTTOM_RIGHT: (_second_half, _second_half),
}


def region_box(region: Region, width: int, height: int) -> Box:
    """The box ``(x1, y1, x2, y2)`` of ``region`` in an image of ``width``×``height`` pixels."""
    if width < 2 or height < 2:
        raise ValueError(f"an image of {width}×{height} pixels has no regions")
    columns, rows = _SPANS[region]
    x1, x2 = columns(width)
    y1, y2 = rows(height)
    return x1, y1, x2, y2


def bbox_list_for(region: Region, sizes: Sequence[tuple[int, int]], *, image: int = 0) -> BBoxList:
    """The ``bbox_list`` for ``region`` of input ``image`` (0-based): one list per input image, in
    order, empty for the others, as the gateway wants it. ``sizes`` are the inputs' (width, height)."""
    if not 0 <= image < len(sizes):
        raise IndexError(f"no input image {image} among {len(sizes)}")
    return tuple((region_box(region, *size),) if index == image else () for index, size in enumerate(sizes))
