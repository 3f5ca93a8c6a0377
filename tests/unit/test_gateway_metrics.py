"""What the gateway client reports to its observer: each HTTP exchange by status, and each retry."""

from __future__ import annotations

import socket

import aiohttp
import pytest

from bot.catalogue import QWEN, ImagineOptions
from bot.gateway import GatewayClient, GatewayUnavailable, ImageDownloadFailed, QuotaExhausted
from bot.gateway.client import DOWNLOAD_ENDPOINT, GENERATIONS_PATH
from bot.gateway.retry import MAX_ATTEMPTS
from bot.metrics import Metrics
from tests.fakes.gateway import API_KEY, FakeGateway, Fault

REQUEST = QWEN.build_request(ImagineOptions(prompt="a red fox", size="512*512", n=2, seed=11), random_seed=lambda: 0)


def client(base_url: str, http: aiohttp.ClientSession, metrics: Metrics) -> GatewayClient:
    async def no_sleep(seconds: float) -> None:
        pass

    return GatewayClient(http, base_url=base_url, api_key=API_KEY, sleep=no_sleep, observer=metrics)


def requests(metrics: Metrics, endpoint: str, status: str) -> float:
    value = metrics.registry.get_sample_value
    return value("imagine_gateway_requests_total", {"endpoint": endpoint, "status": status}) or 0.0


async def test_success_counts_the_request_and_each_download(
    fake_gateway: FakeGateway, http: aiohttp.ClientSession
) -> None:
    metrics = Metrics()
    await client(fake_gateway.base_url, http, metrics).generate(REQUEST)
    assert requests(metrics, GENERATIONS_PATH, "200") == 1
    assert requests(metrics, DOWNLOAD_ENDPOINT, "200") == 2
    value = metrics.registry.get_sample_value
    assert value("imagine_gateway_request_duration_seconds_count", {"endpoint": GENERATIONS_PATH}) == 1


async def test_a_retried_rate_limit_counts_both_answers_and_one_retry(
    fake_gateway: FakeGateway, http: aiohttp.ClientSession
) -> None:
    metrics = Metrics()
    fake_gateway.fail_next(Fault.RATE_LIMIT_RETRY_AFTER)
    await client(fake_gateway.base_url, http, metrics).generate(REQUEST)
    assert requests(metrics, GENERATIONS_PATH, "429") == 1 and requests(metrics, GENERATIONS_PATH, "200") == 1
    retries = metrics.registry.get_sample_value(
        "imagine_gateway_retries_total", {"endpoint": GENERATIONS_PATH, "error": "RateLimited"}
    )
    assert retries == 1


async def test_quota_is_counted_and_not_retried(fake_gateway: FakeGateway, http: aiohttp.ClientSession) -> None:
    metrics = Metrics()
    fake_gateway.fail_next(Fault.QUOTA)
    with pytest.raises(QuotaExhausted):
        await client(fake_gateway.base_url, http, metrics).generate(REQUEST)
    assert requests(metrics, GENERATIONS_PATH, "429") == 1
    assert "imagine_gateway_retries_total" not in {
        sample.name for family in metrics.registry.collect() for sample in family.samples
    }


async def test_unreachable_gateway_is_a_status_kind(http: aiohttp.ClientSession) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]
    metrics = Metrics()
    with pytest.raises(GatewayUnavailable):
        await client(f"http://127.0.0.1:{closed_port}", http, metrics).generate(REQUEST)
    assert requests(metrics, GENERATIONS_PATH, "unreachable") == MAX_ATTEMPTS
    retries = metrics.registry.get_sample_value(
        "imagine_gateway_retries_total", {"endpoint": GENERATIONS_PATH, "error": "GatewayUnavailable"}
    )
    assert retries == MAX_ATTEMPTS - 1


async def test_an_expired_image_link_counts_its_404(fake_gateway: FakeGateway, http: aiohttp.ClientSession) -> None:
    metrics = Metrics()
    fake_gateway.fail_next(Fault.IMAGE_404)
    with pytest.raises(ImageDownloadFailed):
        await client(fake_gateway.base_url, http, metrics).generate(REQUEST)
    assert requests(metrics, DOWNLOAD_ENDPOINT, "404") == 1


async def test_the_client_works_without_an_observer(fake_gateway: FakeGateway, http: aiohttp.ClientSession) -> None:
    plain = GatewayClient(http, base_url=fake_gateway.base_url, api_key=API_KEY)
    assert len((await plain.generate(REQUEST)).images) == 2
