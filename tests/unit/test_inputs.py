"""Members' input images: fetched only from Discord's hosts, capped while streaming, decoded and checked."""

from __future__ import annotations

import asyncio
import hashlib
import io
from collections.abc import AsyncIterator

import aiohttp
import pytest
from aiohttp import web
from PIL import Image

from bot.catalogue import QWEN, WAN, ImageFormat, InvalidOption
from bot.inputs import (
    MAX_INPUT_PIXELS,
    Attachment,
    AttachmentFetcher,
    AttachmentUnavailable,
    FetchProblem,
    HostNotAllowed,
    UnreadableImage,
    fetch_all,
    inspect_image,
)
from bot.settings import Settings, SettingsError
from tests.fakes.gateway_faults import bomb_png
from tests.fakes.server import serve

MIB = 1024 * 1024


def encode(image: Image.Image, fmt: str, **options: object) -> bytes:
    out = io.BytesIO()
    image.save(out, format=fmt, **options)
    return out.getvalue()


def rgb(width: int = 320, height: int = 240) -> Image.Image:
    return Image.new("RGB", (width, height), (200, 30, 30))


# -- checking --------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", list(ImageFormat))
def test_qwen_takes_every_documented_format_as_it_is(kind: ImageFormat) -> None:
    fmt = kind.label
    data = encode(rgb(), fmt)
    checked = inspect_image(data, QWEN.edit, field="image", name=f"cat.{fmt.lower()}")
    assert (checked.media_type, checked.width, checked.height, checked.flattened) == (kind, 320, 240, False)
    assert checked.data == data and checked.digest == hashlib.sha256(data).hexdigest()
    assert checked.byte_size == len(data) and checked.name == f"cat.{fmt.lower()}"


@pytest.mark.parametrize("fmt", ["GIF", "TIFF"])
def test_wan_refuses_formats_it_does_not_take(fmt: str) -> None:
    with pytest.raises(InvalidOption) as info:
        inspect_image(encode(rgb(), fmt), WAN.edit, field="image2", name="x")
    assert (info.value.field, info.value.rule.key, info.value.value) == ("image2", "rule.edit.format", fmt)
    assert info.value.rule.values == {"formats": "JPEG, PNG, BMP, WEBP"}


def test_wan_flattens_a_transparent_png_onto_white_and_says_so() -> None:
    image = Image.new("RGBA", (300, 300), (0, 0, 255, 255))
    image.paste((0, 0, 0, 0), (0, 0, 150, 300))  # the left half fully transparent
    checked = inspect_image(encode(image, "PNG"), WAN.edit, field="image", name="logo.png")
    assert checked.flattened and checked.media_type is ImageFormat.PNG
    with Image.open(io.BytesIO(checked.data)) as flat:
        assert flat.mode == "RGB"
        assert flat.getpixel((10, 10)) == (255, 255, 255) and flat.getpixel((200, 10)) == (0, 0, 255)
    assert checked.digest == hashlib.sha256(checked.data).hexdigest()


def test_an_opaque_alpha_channel_is_dropped_without_a_word() -> None:
    checked = inspect_image(encode(Image.new("RGBA", (300, 300), (9, 9, 9, 255)), "PNG"), WAN.edit, field="image")
    assert not checked.flattened
    with Image.open(io.BytesIO(checked.data)) as flat:
        assert flat.mode == "RGB"


def test_a_palette_png_with_a_transparent_colour_is_flattened_too() -> None:
    image = Image.new("P", (300, 300), 0)
    image.putpalette([0, 0, 0, 255, 0, 0] + [0] * 762)
    image.paste(1, (0, 0, 300, 150))
    checked = inspect_image(encode(image, "PNG", transparency=0), WAN.edit, field="image")
    assert checked.flattened


def test_qwen_keeps_transparency() -> None:
    data = encode(Image.new("RGBA", (300, 300), (0, 0, 0, 0)), "PNG")
    checked = inspect_image(data, QWEN.edit, field="image")
    assert checked.data == data and not checked.flattened


@pytest.mark.parametrize(
    "data",
    [b"not an image at all", encode(rgb(), "PNG")[:400], encode(rgb(), "JPEG")[:300], b""],
    ids=["garbage", "truncated png", "truncated jpeg", "empty"],
)
def test_a_corrupt_file_is_a_typed_refusal(data: bytes) -> None:
    with pytest.raises(UnreadableImage) as info:
        inspect_image(data, QWEN.edit, field="image3", name="broken.png")
    assert (info.value.field, info.value.rule.key, info.value.value) == ("image3", "rule.edit.unreadable", "broken.png")


def test_a_decompression_bomb_is_refused_before_decoding() -> None:
    with pytest.raises(InvalidOption) as info:
        inspect_image(bomb_png(), QWEN.edit, field="image", name="bomb.png")
    assert info.value.rule.key == "rule.edit.too_many_pixels"
    assert info.value.rule.values == {"max_megapixels": MAX_INPUT_PIXELS // 1_000_000}
    assert Image.MAX_IMAGE_PIXELS  # the bomb limit stays on


def test_wan_pixel_sides() -> None:
    with pytest.raises(InvalidOption) as info:
        inspect_image(encode(rgb(239, 400), "PNG"), WAN.edit, field="image", name="small.png")
    assert (info.value.rule.key, info.value.value) == ("rule.edit.sides", "239×400")


def test_bytes_over_the_limit() -> None:
    with pytest.raises(InvalidOption) as info:
        inspect_image(b"\0" * (10 * MIB + 1), QWEN.edit, field="image", name="huge.png")
    assert (info.value.rule.key, info.value.rule.values, info.value.value) == (
        "rule.edit.too_large",
        {"limit_mib": 10},
        "huge.png",
    )


# -- fetching --------------------------------------------------------------------------------


class FakeCdn:
    """Serves files like Discord's CDN: with or without a declared size, or stalling."""

    def __init__(self) -> None:
        self.files: dict[str, bytes] = {}
        self.declared_length: int | None = None
        self.stall = False
        self.requests: list[str] = []

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_get("/attachments/{name}", self._file)
        return app

    async def _file(self, request: web.Request) -> web.StreamResponse:
        self.requests.append(request.path)
        name = request.match_info["name"]
        if name == "moved":
            raise web.HTTPFound("http://169.254.169.254/latest")
        if name not in self.files:
            return web.Response(status=404)
        if self.stall:
            await asyncio.sleep(30)
        data = self.files[name]
        response = web.StreamResponse()
        if self.declared_length is not None:
            response.headers["Content-Length"] = str(self.declared_length)
        else:
            response.enable_chunked_encoding()
        await response.prepare(request)
        try:
            for start in range(0, len(data), 64 * 1024):
                await response.write(data[start : start + 64 * 1024])
        except (ConnectionResetError, aiohttp.ClientConnectionResetError):
            pass
        return response


@pytest.fixture
async def cdn() -> AsyncIterator[tuple[FakeCdn, str]]:
    fake = FakeCdn()
    async with serve(fake.app()) as base_url:
        yield fake, base_url


async def test_only_discords_hosts_and_the_configured_ones_are_fetched(
    http: aiohttp.ClientSession, cdn: tuple[FakeCdn, str]
) -> None:
    fake, base = cdn
    strict = AttachmentFetcher(http)
    assert strict.allows("https://cdn.discordapp.com/attachments/1/2/cat.png?ex=1&hm=2")
    assert strict.allows("https://media.discordapp.net/attachments/1/2/cat.png")
    for url in [
        f"{base}/attachments/cat.png",
        "http://cdn.discordapp.com/attachments/1/2/cat.png",  # not HTTPS
        "https://cdn.discordapp.com.evil.example/a.png",
        "https://user:pw@cdn.discordapp.com/a.png",
        "https://cdn.discordapp.com:8443/a.png",
        "file:///etc/passwd",
        "not a url",
    ]:
        assert not strict.allows(url), url
    with pytest.raises(HostNotAllowed):
        await strict.fetch(f"{base}/attachments/cat.png", QWEN, field="image")
    assert fake.requests == []  # refused without a request
    assert AttachmentFetcher(http, extra_hosts=[base]).allows(f"{base}/attachments/cat.png")


async def test_a_fetched_attachment_is_checked(http: aiohttp.ClientSession, cdn: tuple[FakeCdn, str]) -> None:
    fake, base = cdn
    fake.files["cat.png"] = data = encode(rgb(640, 480), "PNG")
    checked = await AttachmentFetcher(http, extra_hosts=[base]).fetch(
        f"{base}/attachments/cat.png", WAN, field="image", name="cat.png"
    )
    assert (checked.digest, checked.width, checked.height) == (hashlib.sha256(data).hexdigest(), 640, 480)


@pytest.mark.parametrize("framing", ["chunked", "content-length"])
async def test_the_byte_cap_holds_while_streaming_whatever_the_declared_size(
    http: aiohttp.ClientSession, cdn: tuple[FakeCdn, str], framing: str
) -> None:
    fake, base = cdn
    fake.files["big.png"] = b"\x89PNG" + b"\0" * (12 * MIB)
    fake.declared_length = 12 * MIB + 4 if framing == "content-length" else None  # chunked: no size at all
    fetcher = AttachmentFetcher(http, extra_hosts=[base])
    with pytest.raises(InvalidOption) as info:
        await fetcher.fetch(f"{base}/attachments/big.png", QWEN, field="image2", name="big.png")
    assert (info.value.field, info.value.rule.key, info.value.value) == ("image2", "rule.edit.too_large", "big.png")
    data = await fetcher.read_capped(f"{base}/attachments/big.png", cap=MIB, field="image")
    assert len(data) == MIB


async def test_download_failures_are_typed(http: aiohttp.ClientSession, cdn: tuple[FakeCdn, str]) -> None:
    fake, base = cdn
    fetcher = AttachmentFetcher(http, extra_hosts=[base], timeout=0.5)
    with pytest.raises(AttachmentUnavailable) as gone:
        await fetcher.fetch(f"{base}/attachments/deleted.png", QWEN, field="image")
    assert (gone.value.problem, gone.value.status, gone.value.message().key) == (
        FetchProblem.GONE,
        404,
        "input.fetch.gone",
    )
    assert gone.value.message().values == {"field": "image"}
    with pytest.raises(AttachmentUnavailable) as moved:  # redirects are never followed
        await fetcher.fetch(f"{base}/attachments/moved", QWEN, field="image")
    assert (moved.value.problem, moved.value.status) == (FetchProblem.UNAVAILABLE, 302)
    fake.files["slow.png"], fake.stall = encode(rgb(), "PNG"), True
    with pytest.raises(AttachmentUnavailable) as slow:
        await fetcher.fetch(f"{base}/attachments/slow.png", QWEN, field="image")
    assert slow.value.problem is FetchProblem.TIMEOUT
    closed = AttachmentFetcher(http, extra_hosts=["http://127.0.0.1:9"])
    with pytest.raises(AttachmentUnavailable) as unreachable:
        await closed.fetch("http://127.0.0.1:9/attachments/a.png", QWEN, field="image")
    assert unreachable.value.problem is FetchProblem.UNREACHABLE


async def test_several_images_are_checked_together_and_the_first_failure_in_order_wins(
    http: aiohttp.ClientSession, cdn: tuple[FakeCdn, str]
) -> None:
    fake, base = cdn
    fake.files["a.png"] = encode(rgb(), "PNG")
    fake.files["b.gif"] = encode(rgb(), "GIF")
    fake.files["c.txt"] = b"hello"
    fetcher = AttachmentFetcher(http, extra_hosts=[base])
    images = await fetch_all(
        fetcher, QWEN, [Attachment(f"{base}/attachments/a.png"), Attachment(f"{base}/attachments/b.gif")]
    )
    assert [i.media_type for i in images] == [ImageFormat.PNG, ImageFormat.GIF]
    wan_inputs = [Attachment(f"{base}/attachments/{name}", name) for name in ("a.png", "b.gif", "c.txt")]
    with pytest.raises(InvalidOption) as info:
        await fetch_all(fetcher, WAN, wan_inputs)
    assert (info.value.field, info.value.rule.key) == ("image2", "rule.edit.format")  # before image3's


def test_the_attachment_hosts_setting_feeds_the_fetcher() -> None:
    env = {"DISCORD_TOKEN": "t", "GATEWAY_API_KEY": "k"}
    assert Settings.from_env(env).attachment_hosts == ()
    settings = Settings.from_env(env | {"ATTACHMENT_HOSTS": " media.example.com , http://127.0.0.1:8123 "})
    assert settings.attachment_hosts == ("media.example.com", "http://127.0.0.1:8123")
    fetcher = AttachmentFetcher(None, extra_hosts=settings.attachment_hosts)  # type: ignore[arg-type]
    assert fetcher.allows("https://media.example.com/a.png") and fetcher.allows("http://127.0.0.1:8123/a.png")
    assert not fetcher.allows("http://127.0.0.1:8124/a.png") and not fetcher.allows("http://media.example.com/a.png")
    for bad in ["ftp://x", "http://h/path", "http://h:99999", "a b", "http://"]:
        with pytest.raises(SettingsError, match="ATTACHMENT_HOSTS"):
            Settings.from_env(env | {"ATTACHMENT_HOSTS": bad})
