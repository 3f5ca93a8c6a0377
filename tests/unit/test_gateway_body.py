"""Reading large gateway answers: inline base64 images decoded straight into spooled files."""

from __future__ import annotations

import base64
import io
import json
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.gateway import _body
from bot.gateway._body import IN_MEMORY, PLACEHOLDER, read_body, split_images
from bot.gateway.errors import MalformedResponse
from bot.spool import Spool


@pytest.fixture
def spool(tmp_path: Path) -> Spool:
    return Spool(tmp_path / "spool", in_memory=0)  # every file on disk: these tests look at the files


def answer(*images: bytes, escape_slashes: bool = False) -> bytes:
    items = [{"b64_json": base64.b64encode(image).decode(), "revised_prompt": 'a "b64_json": "x"'} for image in images]
    text = json.dumps({"data": items, "metadata": {"request_id": "r1"}})
    return (text.replace("/", "\\/") if escape_slashes else text).encode()


@pytest.mark.parametrize("read", [7, 4096, 1 << 20])  # reads that split keys, escapes and quads anywhere
@pytest.mark.parametrize("escape_slashes", [False, True])
def test_each_image_becomes_a_file_and_the_rest_parses(
    spool: Spool, monkeypatch: pytest.MonkeyPatch, read: int, escape_slashes: bool
) -> None:
    monkeypatch.setattr(_body, "_READ", read)
    images = [bytes(range(256)) * 40 + b"\xff\xfe", b"\x00" * 1001, bytes(reversed(range(256))) * 3]
    rest, files = split_images(io.BytesIO(answer(*images, escape_slashes=escape_slashes)), spool, 1 << 20)
    body = json.loads(rest)
    assert [item["b64_json"] for item in body["data"]] == [f"{PLACEHOLDER}{i}" for i in range(3)]
    assert [item["revised_prompt"] for item in body["data"]] == ['a "b64_json": "x"'] * 3  # not taken for a key
    assert body["metadata"] == {"request_id": "r1"}
    assert [file.read_bytes() for file in files] == images
    assert sorted(spool.folder.iterdir()) == sorted(file.path for file in files)


@pytest.mark.parametrize(
    "broken",
    [
        pytest.param(b'{"data": [{"b64_json": "QUJD!!!!"}]}', id="not-base64"),
        pytest.param(b'{"data": [{"b64_json": "QUJDR"}]}', id="cut-quad"),
        pytest.param(b'{"data": [{"b64_json": "QUJD', id="ends-inside"),
    ],
)
def test_broken_base64_is_malformed_and_leaves_no_file(spool: Spool, broken: bytes) -> None:
    good = answer(b"first image")[:-1]  # a complete image before the broken one
    with pytest.raises(MalformedResponse):
        split_images(io.BytesIO(good.replace(b"]}", b", ") + broken[len(b'{"data": [') :]), spool, 1 << 20)
    assert not spool.folder.exists() or list(spool.folder.iterdir()) == []


def test_an_image_past_the_cap_is_malformed(spool: Spool) -> None:
    with pytest.raises(MalformedResponse, match="larger than 100 bytes"):
        split_images(io.BytesIO(answer(b"x" * 101)), spool, 100)
    assert not spool.folder.exists() or list(spool.folder.iterdir()) == []


async def test_an_answer_past_the_cap_is_malformed_and_leaves_no_file(spool: Spool) -> None:
    async def chunks() -> AsyncIterator[bytes]:
        for _ in range(20):
            yield b"x" * (256 * 1024)

    with pytest.raises(MalformedResponse, match="larger than"):
        await read_body(chunks(), spool, IN_MEMORY + 512 * 1024)
    assert not spool.folder.exists() or list(spool.folder.iterdir()) == []
