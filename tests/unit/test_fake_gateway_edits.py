"""The local gateway enforces the edit contract on its own, and records what each edit carried."""

from __future__ import annotations

import base64
import io
from typing import Any

import aiohttp
import pytest
from PIL import Image

from tests.fakes.gateway import API_KEY, QWEN, WAN, FakeGateway


def encoded(width: int = 320, height: int = 240, fmt: str = "PNG", mode: str = "RGB", colour: object = 90) -> bytes:
    out = io.BytesIO()
    Image.new(mode, (width, height), colour).save(out, format=fmt)  # type: ignore[arg-type]
    return out.getvalue()


def uri(data: bytes, kind: str = "png") -> str:
    return f"data:image/{kind};base64,{base64.b64encode(data).decode()}"


def body(model: str, images: list[str], **fields: Any) -> dict[str, Any]:
    content: list[dict[str, str]] = [{"image": image} for image in images]
    content.append({"text": "make it blue"})
    size = "1024*1024" if model == QWEN else "1K"
    return {
        "model": model,
        "input": {"messages": [{"role": "user", "content": content}]},
        "size": size,
        "n": 1,
        "seed": 1,
        "watermark": False,
        **fields,
    }


async def post(http: aiohttp.ClientSession, gateway: FakeGateway, payload: dict[str, Any]) -> tuple[int, str]:
    headers = {"Authorization": f"Bearer {API_KEY}"}
    async with http.post(f"{gateway.base_url}/v1/images/edits", json=payload, headers=headers) as response:
        return response.status, await response.text()


async def refused(http: aiohttp.ClientSession, gateway: FakeGateway, payload: dict[str, Any], reason: str) -> None:
    status, text = await post(http, gateway, payload)
    assert status == 400, text
    assert reason in gateway.rejected[-1][1]


async def test_an_accepted_edit_is_recorded_with_its_images_in_order(
    http: aiohttp.ClientSession, fake_gateway: FakeGateway
) -> None:
    images = [encoded(300, 300, colour=10), encoded(400, 300, "JPEG", colour=20), encoded(250, 500, "WEBP")]
    kinds = ["png", "jpeg", "webp"]
    boxes = [[[0, 0, 149, 299]], [], [[0, 0, 249, 249], [10, 10, 20, 20]]]
    status, text = await post(
        http, fake_gateway, body(WAN, [uri(i, k) for i, k in zip(images, kinds, strict=True)], bbox_list=boxes)
    )
    assert status == 200, text
    (edit,) = fake_gateway.edits
    assert [image.data for image in edit.images] == images
    assert [image.media_type for image in edit.images] == ["image/png", "image/jpeg", "image/webp"]
    assert [(image.width, image.height) for image in edit.images] == [(300, 300), (400, 300), (250, 500)]
    assert (edit.instruction, edit.bbox_list, edit.model, edit.size) == ("make it blue", boxes, WAN, "1K")


@pytest.mark.parametrize(("model", "count"), [(QWEN, 4), (WAN, 10), (QWEN, 0)])
async def test_the_image_count_per_model(
    http: aiohttp.ClientSession, fake_gateway: FakeGateway, model: str, count: int
) -> None:
    await refused(http, fake_gateway, body(model, [uri(encoded())] * count), "images")


@pytest.mark.parametrize(
    ("model", "image", "reason"),
    [
        (WAN, uri(encoded(fmt="GIF"), "gif"), "image/gif is not accepted"),
        (WAN, uri(encoded(fmt="TIFF"), "tiff"), "image/tiff is not accepted"),
        (QWEN, uri(encoded(fmt="JPEG"), "png"), "declared image/png but is jpeg"),
        (QWEN, "https://cdn.discordapp.com/attachments/1/2/cat.png", "must be a data URI"),
        (QWEN, "data:image/png;base64,!!!", "base64 is invalid"),
        (QWEN, uri(b"\x89PNG not really"), "cannot be decoded"),
        (WAN, uri(encoded(mode="RGBA", colour=(0, 0, 0, 0))), "without an alpha channel"),
        (WAN, uri(encoded(239, 300)), "240-8000 px per side"),
        (WAN, uri(encoded(250, 2100)), "aspect ratio"),
    ],
)
async def test_input_images_are_checked(
    http: aiohttp.ClientSession, fake_gateway: FakeGateway, model: str, image: str, reason: str
) -> None:
    await refused(http, fake_gateway, body(model, [image]), reason)
    assert fake_gateway.edits == []


async def test_qwen_takes_gif_tiff_and_transparency(http: aiohttp.ClientSession, fake_gateway: FakeGateway) -> None:
    images = [uri(encoded(fmt="GIF"), "gif"), uri(encoded(fmt="TIFF"), "tiff"), uri(encoded(mode="RGBA"))]
    status, text = await post(http, fake_gateway, body(QWEN, images))
    assert status == 200, text


@pytest.mark.parametrize(
    ("boxes", "reason"),
    [
        ([[[0, 0, 10, 10]]], "one list per input image"),  # one list for two images
        ([[], [], []], "one list per input image"),
        ([[[0, 0, 5, 5], [0, 0, 5, 5], [0, 0, 5, 5]], []], "at most 2 boxes"),
        ([[[0, 0, 320, 10]], []], "not inside 320x240"),  # x2 is a pixel: at most width - 1
        ([[[5, 0, 4, 10]], []], "not inside"),
        ([[[0, 0, 10]], []], "[x1, y1, x2, y2] integers"),
        ([[[0, 0, 10.5, 10]], []], "[x1, y1, x2, y2] integers"),
        ([[[0, 0, True, 10]], []], "[x1, y1, x2, y2] integers"),
        ("[[0, 0, 1, 1]]", "one list per input image"),
    ],
)
async def test_bbox_list_shape_and_bounds(
    http: aiohttp.ClientSession, fake_gateway: FakeGateway, boxes: Any, reason: str
) -> None:
    images = [uri(encoded()), uri(encoded())]
    await refused(http, fake_gateway, body(WAN, images, bbox_list=boxes), reason)


async def test_qwen_takes_no_bbox_list_and_wan_takes_a_negative_prompt(
    http: aiohttp.ClientSession, fake_gateway: FakeGateway
) -> None:
    await refused(http, fake_gateway, body(QWEN, [uri(encoded())], bbox_list=[[]]), "bbox_list")
    status, _ = await post(http, fake_gateway, body(WAN, [uri(encoded())], negative_prompt="rust"))
    assert status == 200
    await refused(http, fake_gateway, body(QWEN, [uri(encoded())], negative_prompt="n" * 501), "negative_prompt")


@pytest.mark.parametrize(("model", "size"), [(WAN, "4K"), (WAN, "700*700"), (QWEN, "2K"), (QWEN, "4096*1100")])
async def test_edit_sizes(http: aiohttp.ClientSession, fake_gateway: FakeGateway, model: str, size: str) -> None:
    await refused(http, fake_gateway, body(model, [uri(encoded())], size=size), "size")
