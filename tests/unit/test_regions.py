"""Vary region: each preset's box in the input image's pixels, for even and odd sizes."""

from __future__ import annotations

import pytest

from bot.catalogue import Region, bbox_list_for, region_box

EXPECTED = {  # (width, height) -> region -> (x1, y1, x2, y2), inclusive pixel coordinates
    (1000, 600): {
        Region.LEFT_HALF: (0, 0, 499, 599),
        Region.RIGHT_HALF: (500, 0, 999, 599),
        Region.TOP_HALF: (0, 0, 999, 299),
        Region.BOTTOM_HALF: (0, 300, 999, 599),
        Region.CENTRE: (250, 150, 749, 449),
        Region.TOP_LEFT: (0, 0, 499, 299),
        Region.TOP_RIGHT: (500, 0, 999, 299),
        Region.BOTTOM_LEFT: (0, 300, 499, 599),
        Region.BOTTOM_RIGHT: (500, 300, 999, 599),
    },
    (1001, 599): {  # odd sides: the middle column and row belong to both halves
        Region.LEFT_HALF: (0, 0, 500, 598),
        Region.RIGHT_HALF: (500, 0, 1000, 598),
        Region.TOP_HALF: (0, 0, 1000, 299),
        Region.BOTTOM_HALF: (0, 299, 1000, 598),
        Region.CENTRE: (250, 149, 750, 449),
        Region.TOP_LEFT: (0, 0, 500, 299),
        Region.TOP_RIGHT: (500, 0, 1000, 299),
        Region.BOTTOM_LEFT: (0, 299, 500, 598),
        Region.BOTTOM_RIGHT: (500, 299, 1000, 598),
    },
    (3, 2): {
        Region.LEFT_HALF: (0, 0, 1, 1),
        Region.RIGHT_HALF: (1, 0, 2, 1),
        Region.TOP_HALF: (0, 0, 2, 0),
        Region.BOTTOM_HALF: (0, 1, 2, 1),
        Region.CENTRE: (0, 0, 2, 1),
        Region.TOP_LEFT: (0, 0, 1, 0),
        Region.TOP_RIGHT: (1, 0, 2, 0),
        Region.BOTTOM_LEFT: (0, 1, 1, 1),
        Region.BOTTOM_RIGHT: (1, 1, 2, 1),
    },
}


@pytest.mark.parametrize("size", list(EXPECTED))
@pytest.mark.parametrize("region", list(Region))
def test_every_preset(size: tuple[int, int], region: Region) -> None:
    assert region_box(region, *size) == EXPECTED[size][region]


@pytest.mark.parametrize("size", [(240, 240), (241, 8000), (7999, 1001), (2, 2), (1024, 1023)])
@pytest.mark.parametrize("region", list(Region))
def test_boxes_are_inside_the_image_and_mirror_each_other(size: tuple[int, int], region: Region) -> None:
    width, height = size
    x1, y1, x2, y2 = region_box(region, width, height)
    assert 0 <= x1 <= x2 <= width - 1
    assert 0 <= y1 <= y2 <= height - 1
    mirror = {"left": "right", "right": "left", "top": "bottom", "bottom": "top"}
    if region.value in mirror:  # a half reflected through the centre is the other half
        other = region_box(Region(mirror[region.value]), width, height)
        assert (width - 1 - x2, height - 1 - y2, width - 1 - x1, height - 1 - y1) == other


@pytest.mark.parametrize("size", [(1000, 600), (1001, 599), (7, 9)])
def test_halves_and_quarters_cover_the_whole_image(size: tuple[int, int]) -> None:
    width, height = size
    halves = [Region.LEFT_HALF, Region.RIGHT_HALF], [Region.TOP_HALF, Region.BOTTOM_HALF]
    quarters = [Region.TOP_LEFT, Region.TOP_RIGHT, Region.BOTTOM_LEFT, Region.BOTTOM_RIGHT]
    for group in (*halves, quarters):
        covered = set()
        for region in group:
            x1, y1, x2, y2 = region_box(region, width, height)
            covered |= {(x, y) for x in range(x1, x2 + 1) for y in range(y1, y2 + 1)}
        assert len(covered) == width * height


def test_the_bbox_list_has_one_list_per_image_in_order() -> None:
    sizes = [(1000, 600), (1001, 599), (500, 500)]
    assert bbox_list_for(Region.LEFT_HALF, sizes, image=1) == ((), ((0, 0, 500, 598),), ())
    assert bbox_list_for(Region.CENTRE, sizes[:1]) == (((250, 150, 749, 449),),)
    with pytest.raises(IndexError):
        bbox_list_for(Region.CENTRE, sizes, image=3)
    with pytest.raises(ValueError, match="no regions"):
        region_box(Region.CENTRE, 1, 100)


def test_regions_have_stable_values_and_message_keys() -> None:
    values = "left right top bottom centre top_left top_right bottom_left bottom_right"
    assert [r.value for r in Region] == values.split()
    assert Region.TOP_LEFT.message_key == "region.top_left"
