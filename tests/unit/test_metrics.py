"""The metrics object and its HTTP server, without a bot: names, labels, the Discord trace, /healthz."""

from __future__ import annotations

import socket
from collections.abc import Mapping

import aiohttp
import pytest
from aiohttp import web
from prometheus_client.parser import text_string_to_metric_families

from bot.metrics import JobOutcome, Metrics, serve_metrics
from bot.settings import Settings, SettingsError
from tests.fakes.server import serve

BASE_ENV = {"DISCORD_TOKEN": "t", "GATEWAY_API_KEY": "k"}


def samples(text: str) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def test_each_bot_has_its_own_registry() -> None:
    first, second = Metrics(), Metrics()  # a second registration in one registry would raise
    first.job_accepted("qwen-image-2.0-pro", "imagine")
    value = first.registry.get_sample_value
    assert value("imagine_jobs_accepted_total", {"model": "qwen-image-2.0-pro", "action": "imagine"}) == 1
    assert second.registry.get_sample_value("imagine_jobs_accepted_total", {"model": "x", "action": "y"}) is None


def test_names_follow_prometheus_conventions() -> None:
    metrics = Metrics()
    metrics.job_finished("m", "imagine", JobOutcome.DELIVERED, ran=12.5)
    metrics.gateway_request("/v1/images/generations", "200", 3.0)
    names = {family.name: family.type for family in metrics.registry.collect()}
    assert all(name.startswith("imagine_") for name in names)
    assert names["imagine_jobs_finished"] == "counter"  # exposed as imagine_jobs_finished_total
    assert names["imagine_job_run_seconds"] == "histogram"
    assert names["imagine_queue_depth"] == "gauge"
    value = metrics.registry.get_sample_value
    assert value("imagine_job_run_seconds_sum", {"model": "m"}) == 12.5
    assert value("imagine_job_run_seconds_bucket", {"model": "m", "le": "20.0"}) == 1


async def test_discord_trace_counts_responses_and_failures() -> None:
    metrics = Metrics()

    async def answer(request: web.Request) -> web.Response:
        return web.Response(status=200 if request.path == "/ok" else 404)

    app = web.Application()
    app.router.add_get("/{path}", answer)
    async with serve(app) as base, aiohttp.ClientSession(trace_configs=[metrics.discord_trace()]) as session:
        for path in ("/ok", "/ok", "/gone"):
            async with session.get(base + path):
                pass
        with pytest.raises(aiohttp.ClientConnectionError):
            async with session.get(f"http://127.0.0.1:{free_port()}/refused"):
                pass
    value = metrics.registry.get_sample_value
    assert value("imagine_discord_http_responses_total", {"method": "GET", "status": "200"}) == 2
    assert value("imagine_discord_http_responses_total", {"method": "GET", "status": "404"}) == 1
    assert value("imagine_discord_http_responses_total", {"method": "GET", "status": "error"}) == 1


async def test_server_reads_the_queue_at_scrape_time_and_reports_health() -> None:
    metrics = Metrics()
    counts: dict[str, int] = {"queued": 3, "running": 1, "done": 40}
    healthy = False

    async def job_counts() -> Mapping[str, int]:
        return counts

    port = free_port()
    async with (
        serve_metrics(metrics, host="127.0.0.1", port=port, healthy=lambda: healthy, job_counts=job_counts),
        aiohttp.ClientSession() as http,
    ):
        base = f"http://127.0.0.1:{port}"
        async with http.get(f"{base}/healthz") as response:
            assert response.status == 503
        healthy = True
        async with http.get(f"{base}/healthz") as response:
            assert response.status == 200
        async with http.get(f"{base}/metrics") as response:
            first = samples(await response.text())
        counts = {"queued": 0, "running": 2}
        async with http.get(f"{base}/metrics") as response:
            second = samples(await response.text())
    assert first[("imagine_queue_depth", frozenset({("state", "queued")}))] == 3
    assert first[("imagine_queue_depth", frozenset({("state", "running")}))] == 1
    assert second[("imagine_queue_depth", frozenset({("state", "queued")}))] == 0
    assert second[("imagine_queue_depth", frozenset({("state", "running")}))] == 2
    assert not any(name == "imagine_queue_depth" and ("state", "done") in labels for name, labels in first)


async def test_a_failing_queue_count_still_serves_the_rest() -> None:
    metrics = Metrics()
    metrics.refused("double_click")

    async def broken() -> Mapping[str, int]:
        raise RuntimeError("database gone")

    port = free_port()
    async with (
        serve_metrics(metrics, host="127.0.0.1", port=port, healthy=lambda: True, job_counts=broken),
        aiohttp.ClientSession() as http,
        http.get(f"http://127.0.0.1:{port}/metrics") as response,
    ):
        assert response.status == 200
        assert 'imagine_refusals_total{kind="double_click"} 1.0' in await response.text()


def test_settings_metrics_are_off_by_default_and_bound_to_loopback() -> None:
    settings = Settings.from_env(BASE_ENV)
    assert settings.metrics_port is None and settings.metrics_host == "127.0.0.1"
    opened = Settings.from_env({**BASE_ENV, "METRICS_PORT": "9464", "METRICS_HOST": "0.0.0.0"})
    assert opened.metrics_port == 9464 and opened.metrics_host == "0.0.0.0"
    for bad in ("0", "70000", "http"):
        with pytest.raises(SettingsError, match="METRICS_PORT must be a TCP port number"):
            Settings.from_env({**BASE_ENV, "METRICS_PORT": bad})
