"""The gateway client against the local gateway, including every failure it documents."""

from __future__ import annotations

import asyncio
import hashlib
import io
import logging
from pathlib import Path

import aiohttp
import pytest
from PIL import Image

from bot.catalogue import QWEN, WAN, ImagineOptions
from bot.gateway import (
    BadRequest,
    ContentRejected,
    GatewayClient,
    GatewayTimeout,
    GatewayUnavailable,
    ImageDownloadFailed,
    IncompleteResult,
    MalformedResponse,
    QuotaExhausted,
    RateLimited,
    ServerError,
    Unauthorized,
)
from bot.gateway._body import IN_MEMORY
from bot.gateway.client import MAX_DOWNLOADS
from bot.gateway.models import GenerationRequest
from bot.gateway.retry import MAX_ATTEMPTS
from bot.spool import Spool
from tests.fakes.gateway import API_KEY, FakeGateway, Fault, image_key
from tests.fakes.images import render_png

REQUEST = QWEN.build_request(ImagineOptions(prompt="a red fox", size="1024*1024", n=2, seed=11), random_seed=lambda: 0)


def make_client(
    gateway: FakeGateway, http: aiohttp.ClientSession, **kwargs: object
) -> tuple[GatewayClient, list[float]]:
    sleeps: list[float] = []

    async def record_sleep(seconds: float) -> None:
        sleeps.append(seconds)

    options = {"base_url": gateway.base_url, "api_key": API_KEY, "sleep": record_sleep, **kwargs}
    return GatewayClient(http, **options), sleeps  # type: ignore[arg-type]


@pytest.mark.parametrize("response_format", ["url", "b64_json"])
async def test_generates_real_pngs(
    fake_gateway: FakeGateway, http: aiohttp.ClientSession, response_format: str
) -> None:
    client, _ = make_client(fake_gateway, http, response_format=response_format)
    result = await client.generate(REQUEST)
    assert len(result.images) == 2
    assert result.request_id
    for image in result.images:
        with Image.open(io.BytesIO(image.file.read_bytes())) as decoded:
            assert (decoded.format, decoded.size) == ("PNG", (1024, 1024))
    assert (result.images[0].source_url is not None) == (response_format == "url")
    (body,) = fake_gateway.requests
    assert body == REQUEST.to_payload(response_format)  # type: ignore[arg-type]


async def test_same_seed_same_bytes(fake_gateway: FakeGateway, http: aiohttp.ClientSession) -> None:
    client, _ = make_client(fake_gateway, http)
    first, again, other = await asyncio.gather(
        client.generate(REQUEST), client.generate(REQUEST), client.generate(REQUEST.with_seed(12))
    )
    digest = [hashlib.sha256(i.file.read_bytes()).hexdigest() for i in first.images]
    assert digest == [hashlib.sha256(i.file.read_bytes()).hexdigest() for i in again.images]
    assert digest != [hashlib.sha256(i.file.read_bytes()).hexdigest() for i in other.images]


@pytest.mark.parametrize("response_format", ["url", "b64_json"])
async def test_large_images_are_streamed_to_spooled_files(
    fake_gateway: FakeGateway, http: aiohttp.ClientSession, tmp_path: Path, response_format: str
) -> None:
    fake_gateway.image_style = "textured"  # ≈ 1.5 MB each: the answer inlining them is read into a file
    spool = Spool(tmp_path / "spool")
    client, _ = make_client(fake_gateway, http, response_format=response_format, spool=spool)
    result = await client.generate(REQUEST)
    keys = [image_key(REQUEST.model, "a red fox", 1024, 1024, 11, index) for index in range(2)]
    expected = [render_png(key, 1024, 1024, style="textured") for key in keys]
    assert len(expected[0]) * 2 > IN_MEMORY
    assert [image.file.read_bytes() for image in result.images] == expected
    assert sorted(spool.folder.iterdir()) == sorted(image.file.path for image in result.images)  # nothing else left


async def test_wan_palette_body_is_accepted(fake_gateway: FakeGateway, http: aiohttp.ClientSession) -> None:
    request = WAN.build_request(
        ImagineOptions(prompt="still life", size="1K", palette="#112233, #445566, #778899, #AABBCC"),
        random_seed=lambda: 3,
    )
    client, _ = make_client(fake_gateway, http)
    assert len((await client.generate(request)).images) == 1
    assert fake_gateway.requests[0]["color_palette"][0] == {"hex": "#112233", "ratio": "25.00%"}


async def test_unauthorized_and_key_not_leaked(
    fake_gateway: FakeGateway, http: aiohttp.ClientSession, caplog: pytest.LogCaptureFixture
) -> None:
    client, sleeps = make_client(fake_gateway, http, api_key="sk-wrong-secret")
    caplog.set_level(logging.DEBUG)
    with pytest.raises(Unauthorized) as info:
        await client.generate(REQUEST)
    assert info.value.status == 401 and sleeps == []
    assert "sk-wrong-secret" not in caplog.text and "sk-wrong-secret" not in str(info.value)


async def test_a_key_quoted_back_by_the_gateway_goes_no_further(
    fake_gateway: FakeGateway, http: aiohttp.ClientSession
) -> None:
    client, _ = make_client(fake_gateway, http)
    fake_gateway.fail_next_with(401, "invalid_api_key", f"Incorrect API key provided: {API_KEY} (request id: q)")
    with pytest.raises(Unauthorized) as info:
        await client.generate(REQUEST)
    assert API_KEY not in str(info.value) and "Incorrect API key provided: ***" in info.value.message
    assert info.value.request_id == "q"


async def test_a_revised_prompt_of_another_shape_is_ignored(
    fake_gateway: FakeGateway, http: aiohttp.ClientSession
) -> None:
    client, _ = make_client(fake_gateway, http, response_format="b64_json")
    fake_gateway.revised_prompt_override = {"text": "a fox, detailed"}  # a gateway build that changed the shape
    result = await client.generate(REQUEST)
    assert len(result.images) == 2 and all(image.revised_prompt is None for image in result.images)


@pytest.mark.parametrize(
    ("fault", "error", "code"),
    [
        (Fault.MODERATION, ContentRejected, "DataInspectionFailed"),
        (Fault.RESULT_MODERATION, ContentRejected, "DataInspectionFailed"),
        (Fault.QUOTA, QuotaExhausted, "insufficient_user_quota"),
        (Fault.MALFORMED, MalformedResponse, None),
        (Fault.EMPTY, MalformedResponse, None),
        (Fault.IMAGE_404, ImageDownloadFailed, None),
    ],
)
async def test_failures_that_are_not_retried(
    fake_gateway: FakeGateway,
    http: aiohttp.ClientSession,
    fault: Fault,
    error: type[Exception],
    code: str | None,
) -> None:
    client, sleeps = make_client(fake_gateway, http)
    fake_gateway.fail_next(fault)
    with pytest.raises(error) as info:
        await client.generate(REQUEST)
    assert getattr(info.value, "code", None) == code
    assert len(fake_gateway.requests) == 1 and sleeps == []


async def test_moderation_request_id_is_extracted(fake_gateway: FakeGateway, http: aiohttp.ClientSession) -> None:
    client, _ = make_client(fake_gateway, http)
    fake_gateway.fail_next(Fault.MODERATION)
    with pytest.raises(ContentRejected) as info:
        await client.generate(REQUEST)
    assert info.value.request_id == "fake-mod"


async def test_invalid_request_is_bad_request(fake_gateway: FakeGateway, http: aiohttp.ClientSession) -> None:
    client, sleeps = make_client(fake_gateway, http)
    bad = GenerationRequest(model=QWEN.model_id, prompt="x", size="4096*4096", n=1, seed=1)
    with pytest.raises(BadRequest) as info:
        await client.generate(bad)
    assert info.value.status == 400 and sleeps == []
    assert fake_gateway.rejected


@pytest.mark.parametrize("fault", [Fault.RATE_LIMIT, Fault.SERVER_500, Fault.BAD_GATEWAY, Fault.UNAVAILABLE])
async def test_transient_failures_are_retried_with_backoff(
    fake_gateway: FakeGateway, http: aiohttp.ClientSession, fault: Fault
) -> None:
    client, sleeps = make_client(fake_gateway, http)
    fake_gateway.fail_next(fault, times=MAX_ATTEMPTS - 1)
    result = await client.generate(REQUEST)
    assert len(result.images) == 2
    assert len(fake_gateway.requests) == MAX_ATTEMPTS
    assert len(sleeps) == MAX_ATTEMPTS - 1 and all(0 < s <= 20 for s in sleeps)
    assert sleeps[1] > 0.9  # the second wait backs off (jitter keeps it in [1, 2])


@pytest.mark.parametrize(("fault", "error"), [(Fault.RATE_LIMIT, RateLimited), (Fault.UNAVAILABLE, ServerError)])
async def test_retries_are_bounded(
    fake_gateway: FakeGateway, http: aiohttp.ClientSession, fault: Fault, error: type[Exception]
) -> None:
    client, sleeps = make_client(fake_gateway, http)
    fake_gateway.fail_next(fault, times=10)
    with pytest.raises(error):
        await client.generate(REQUEST)
    assert len(fake_gateway.requests) == MAX_ATTEMPTS and len(sleeps) == MAX_ATTEMPTS - 1


async def test_retry_after_is_honoured(fake_gateway: FakeGateway, http: aiohttp.ClientSession) -> None:
    client, sleeps = make_client(fake_gateway, http)
    fake_gateway.fail_next(Fault.RATE_LIMIT_RETRY_AFTER)
    await client.generate(REQUEST)
    assert sleeps == [0.0]


async def test_hang_past_timeout(fake_gateway: FakeGateway, http: aiohttp.ClientSession) -> None:
    client, _ = make_client(fake_gateway, http, timeout=0.3)
    fake_gateway.fail_next(Fault.HANG)
    with pytest.raises(GatewayTimeout):
        await client.generate(REQUEST)
    assert len(fake_gateway.requests) == 1  # a timeout is never retried: it may still be billed


async def test_fewer_images_than_asked(fake_gateway: FakeGateway, http: aiohttp.ClientSession) -> None:
    client, _ = make_client(fake_gateway, http)
    fake_gateway.fail_next(Fault.FEWER)
    with pytest.raises(IncompleteResult) as info:
        await client.generate(REQUEST)
    assert len(info.value.result.images) == 1 and info.value.expected == 2


async def test_fewer_images_is_normal_in_image_set_mode(fake_gateway: FakeGateway, http: aiohttp.ClientSession) -> None:
    request = WAN.build_request(ImagineOptions(prompt="comic", size="1K", n=3, sequential=True), random_seed=lambda: 1)
    client, _ = make_client(fake_gateway, http)
    fake_gateway.fail_next(Fault.FEWER)
    assert len((await client.generate(request)).images) == 2


async def test_download_size_cap(fake_gateway: FakeGateway, http: aiohttp.ClientSession, tmp_path: Path) -> None:
    spool = Spool(tmp_path / "spool")
    client, _ = make_client(fake_gateway, http, download_limit=1000, spool=spool)
    with pytest.raises(ImageDownloadFailed, match="larger"):
        await client.generate(REQUEST)
    assert not spool.folder.exists() or list(spool.folder.iterdir()) == []  # refused before a file was made


async def test_downloads_take_turns(fake_gateway: FakeGateway, http: aiohttp.ClientSession) -> None:
    """No more than MAX_DOWNLOADS images stream at once; the others start as those finish."""
    fake_gateway.downloads.hold = release = asyncio.Event()
    client, _ = make_client(fake_gateway, http)
    requests = [REQUEST.with_seed(seed) for seed in range(MAX_DOWNLOADS)]  # 2 images each: twice the turns
    calls = asyncio.gather(*(client.generate(request) for request in requests))
    async with asyncio.timeout(10):
        while fake_gateway.downloads.now < MAX_DOWNLOADS:  # noqa: ASYNC110 - a counter in the fake server
            await asyncio.sleep(0.01)
    await asyncio.sleep(0.2)  # time enough for more to start, were they not held back
    assert fake_gateway.downloads.now == MAX_DOWNLOADS
    release.set()
    results = await calls
    assert [len(result.images) for result in results] == [2] * MAX_DOWNLOADS
    assert fake_gateway.downloads.most == MAX_DOWNLOADS


async def test_unreachable_gateway(http: aiohttp.ClientSession) -> None:
    sleeps: list[float] = []

    async def record(seconds: float) -> None:
        sleeps.append(seconds)

    client = GatewayClient(http, base_url="http://127.0.0.1:9", api_key="k", sleep=record)
    with pytest.raises(GatewayUnavailable):
        await client.generate(REQUEST)
    assert len(sleeps) == MAX_ATTEMPTS - 1


@pytest.mark.parametrize("spec", [QWEN, WAN], ids=lambda s: s.key)
async def test_variation_is_an_edit_with_a_data_uri(
    fake_gateway: FakeGateway, http: aiohttp.ClientSession, spec: object
) -> None:
    from bot.catalogue import ModelSpec
    from bot.gateway.models import ImageSource
    from tests.fakes.images import render_png

    assert isinstance(spec, ModelSpec)
    parent = spec.build_request(ImagineOptions(prompt="a boat", size="1024*1024", n=2), random_seed=lambda: 5)
    variation = spec.variation(parent, ImageSource(1, 2, "abc_1.png"), seed=99)
    assert (variation.prompt, variation.seed, variation.n, variation.source) == (
        "a boat",
        99,
        2,
        ImageSource(1, 2, "abc_1.png"),
    )
    client, _ = make_client(fake_gateway, http)
    source = render_png("input", 1024, 1024)
    result = await client.generate(variation, [source])
    assert len(result.images) == 2
    (body,) = fake_gateway.requests
    first, text = body["input"]["messages"][0]["content"]
    assert text == {"text": "a boat"} and first["image"].startswith("data:image/png;base64,")
    assert "thinking_mode" not in body and "enable_sequential" not in body


def test_wan_variation_of_a_4k_image_asks_for_2k() -> None:
    from bot.gateway.models import ImageSource

    parent = WAN.build_request(ImagineOptions(prompt="p", size="4K", n=4), random_seed=lambda: 1)
    variation = WAN.variation(parent, ImageSource(1, 2, "x_1.png"), seed=3)
    assert variation.size == "2K" and variation.n == 4 and variation.thinking_mode is None
    sequential = WAN.build_request(ImagineOptions(prompt="p", size="1K", n=12, sequential=True), random_seed=lambda: 1)
    assert WAN.variation(sequential, ImageSource(1, 2, "x_1.png"), seed=3).n == 4


async def test_expired_image_url_is_a_download_failure(fake_gateway: FakeGateway, http: aiohttp.ClientSession) -> None:
    fake_gateway.url_ttl = -1  # the links the gateway returns are already expired
    client, sleeps = make_client(fake_gateway, http)
    with pytest.raises(ImageDownloadFailed, match="404"):
        await client.generate(REQUEST)
    assert len(fake_gateway.requests) == 1 and sleeps == []  # never re-generated (that would bill again)
