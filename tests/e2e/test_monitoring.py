"""Monitoring end to end: metrics scraped over HTTP around real jobs, /healthz, and purged results."""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TypeVar

import aiohttp

from bot.client import ImagineBot
from bot.gateway.client import DOWNLOAD_ENDPOINT, GENERATIONS_PATH
from bot.metrics import Metrics
from bot.retention import DAY, Retention, RetentionPolicy
from bot.runtime import open_bot
from bot.storage import Status
from tests.bed import Bed, open_bed
from tests.fakes.discord import Message
from tests.fakes.gateway import QWEN, Fault

from .helpers import Samples, free_port, result_of, scrape, value

T = TypeVar("T")
MODEL = {"model": QWEN}


def serve_metrics_from(bed: Bed) -> str:
    """Turn on the bot's metrics server (as an operator would, in its environment); return its base URL."""
    port = free_port()
    bed.extra_env["METRICS_PORT"] = str(port)
    return f"http://127.0.0.1:{port}"


async def until(probe: Callable[[], Awaitable[T | None]], timeout: float = 15.0) -> T:
    """Poll ``probe`` until it returns something (the bot records a job just after posting it)."""
    async with asyncio.timeout(timeout):
        while True:
            found = await probe()
            if found is not None:
                return found
            await asyncio.sleep(0.05)


def job_of(message: Message) -> str:
    found = re.search(r"id `([0-9a-z]+)`", message.text)
    assert found is not None, message.text
    return found[1]


async def test_metrics_move_with_a_delivered_and_a_failed_job(tmp_path: Path) -> None:
    # A small upload limit: the delivered image must be re-encoded to fit.
    async with open_bed(tmp_path / "data", upload_limit=4096) as bed, aiohttp.ClientSession() as http:
        base = serve_metrics_from(bed)
        async with bed.bot():
            before = await scrape(http, base)

            bed.gateway.fail_next(Fault.RATE_LIMIT_RETRY_AFTER)  # retried at once, then it works
            done = await bed.discord.slash("alice", "imagine", "qwen", prompt="works", size="512*512")
            assert (await result_of(bed.discord, done)).attachments

            async def delivered_counted() -> Samples | None:
                now = await scrape(http, base)
                finished = value(now, "imagine_jobs_finished_total", **MODEL, action="imagine", outcome="delivered")
                return now if finished == 1 else None

            middle = await until(delivered_counted)

            bed.gateway.fail_next(Fault.QUOTA)  # never retried
            failed = await bed.discord.slash("alice", "imagine", "qwen", prompt="fails", size="512*512")
            assert "out of credits" in (await result_of(bed.discord, failed)).text

            async def failure_counted() -> Samples | None:
                now = await scrape(http, base)
                finished = value(now, "imagine_jobs_finished_total", **MODEL, action="imagine", outcome="failed")
                return now if finished == 1 else None

            after = await until(failure_counted)

    def moved(name: str, first: Samples, second: Samples, **labels: str) -> float:
        return value(second, name, **labels) - value(first, name, **labels)

    # The delivered job.
    assert moved("imagine_jobs_accepted_total", before, middle, **MODEL, action="imagine") == 1
    assert moved("imagine_job_wait_seconds_count", before, middle, **MODEL) == 1
    assert moved("imagine_job_run_seconds_count", before, middle, **MODEL) == 1
    assert value(middle, "imagine_job_run_seconds_sum", **MODEL) > 0
    requests = "imagine_gateway_requests_total"
    assert moved(requests, before, middle, endpoint=GENERATIONS_PATH, status="429") == 1
    assert moved(requests, before, middle, endpoint=GENERATIONS_PATH, status="200") == 1
    assert moved(requests, before, middle, endpoint=DOWNLOAD_ENDPOINT, status="200") == 1
    retries = "imagine_gateway_retries_total"
    assert moved(retries, before, middle, endpoint=GENERATIONS_PATH, error="RateLimited") == 1
    assert moved("imagine_images_generated_total", before, middle, **MODEL) == 1
    assert moved("imagine_upload_reencodes_total", before, middle, **MODEL) == 1
    discord_ok = sum(v for (name, labels), v in middle.items() if name == "imagine_discord_http_responses_total")
    assert discord_ok > sum(v for (name, _), v in before.items() if name == "imagine_discord_http_responses_total")

    # The failed job: counted as failed, with its 429, and no image.
    assert moved("imagine_jobs_accepted_total", middle, after, **MODEL, action="imagine") == 1
    assert moved("imagine_jobs_finished_total", middle, after, **MODEL, action="imagine", outcome="delivered") == 0
    assert moved("imagine_job_run_seconds_count", middle, after, **MODEL) == 1
    assert moved(requests, middle, after, endpoint=GENERATIONS_PATH, status="429") == 1
    assert moved(retries, middle, after, endpoint=GENERATIONS_PATH, error="RateLimited") == 0
    assert moved("imagine_images_generated_total", middle, after, **MODEL) == 0

    assert value(after, "imagine_queue_depth", state="queued") == 0
    assert value(after, "imagine_queue_depth", state="running") == 0
    ids = {str(bed.discord.guild_id), str(bed.discord.channel.id), *(str(u.id) for u in bed.discord.users.values())}
    label_values = {v for _, labels in after for _, v in labels}
    assert not any(some_id in label for label in label_values for some_id in ids)


async def test_queue_depth_is_read_from_the_database_and_refusals_are_counted(bed: Bed) -> None:
    base = serve_metrics_from(bed)
    bed.extra_env |= {"MAX_CONCURRENT_JOBS": "1", "MAX_PENDING_PER_USER": "2"}
    bed.gateway.hold = asyncio.Event()
    async with bed.bot(), aiohttp.ClientSession() as http:
        first = await bed.discord.slash("alice", "imagine", "qwen", prompt="runs", size="512*512")
        await bed.discord.wait_for(lambda: bed.gateway.in_flight == 1)
        second = await bed.discord.slash("alice", "imagine", "qwen", prompt="waits", size="512*512")
        await bed.discord.wait_original(second, lambda m: "**Queued**" in m.text)
        refused = await bed.discord.slash("alice", "imagine", "qwen", prompt="one too many", size="512*512")
        await bed.discord.wait_original(refused, lambda m: m.ephemeral_to is not None)
        busy = await scrape(http, base)
        bed.gateway.hold.set()
        await result_of(bed.discord, first)
        await result_of(bed.discord, second)
    assert value(busy, "imagine_queue_depth", state="running") == 1
    assert value(busy, "imagine_queue_depth", state="queued") == 1
    assert value(busy, "imagine_refusals_total", kind="pending_limit") == 1


async def test_healthz_is_ok_only_while_connected(bed: Bed) -> None:
    base = serve_metrics_from(bed)
    # The heartbeat is written there (on PostgreSQL nothing else creates it; start-up checks are not ours).
    bed.data_dir.mkdir(parents=True, exist_ok=True)

    async def health(http: aiohttp.ClientSession) -> int:
        async with http.get(f"{base}/healthz") as response:
            return response.status

    async with open_bot(bed.settings()) as bot, aiohttp.ClientSession() as http:
        assert await health(http) == 503  # serving, but not logged in yet
        runner = asyncio.create_task(bot.start(bed.discord.token))

        async def ok() -> bool | None:
            return True if await health(http) == 200 else None

        await until(ok)
        await bot.shutdown(grace=0)
        await asyncio.wait_for(runner, 10)
        assert await health(http) == 503  # closed


async def test_a_purged_result_says_so_on_its_buttons_and_in_show(bed: Bed) -> None:
    bed.extra_env["RETENTION_DAYS"] = "30"
    async with bed.bot() as bot:
        message = await result_of(
            bed.discord, await bed.discord.slash("alice", "imagine", "qwen", prompt="long ago", size="512*512")
        )
        job_id = job_of(message)
        await until(lambda: done(bot, job_id))
        a_month_later = Retention(
            bot.storage.jobs,
            bot.settings.data_dir,
            RetentionPolicy(record_days=30),
            metrics=Metrics(),
            clock=lambda: time.time() + 31 * DAY,
        )
        assert (await a_month_later.purge()).records == 1

        click = await bed.discord.click("bob", message, f"img:same:{job_id}")
        answer = await bed.discord.wait_original(click, lambda m: bool(m.text))
        show = await bed.discord.slash("alice", "show", id=job_id)
        shown = await bed.discord.wait_original(show, lambda m: bool(m.text))
    assert answer.ephemeral_to is not None
    assert "This result is older than 30 days and is no longer stored" in answer.text
    assert shown.ephemeral_to is not None
    assert f"There is no result with id `{job_id}`. A result older than 30 days is no longer stored" in shown.text
    assert len(bed.gateway.requests) == 1  # nothing ran again


async def done(bot: ImagineBot, job_id: str) -> bool | None:
    job = await bot.storage.jobs.get(job_id)
    return True if job is not None and job.status is Status.DONE else None
