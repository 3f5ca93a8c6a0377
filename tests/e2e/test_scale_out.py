"""Several processes on one PostgreSQL database: shards, workers, kills, limits across processes."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest

from bot.storage import open_storage
from tests.bed import Bed, open_bed
from tests.databases import postgres_schema
from tests.fakes.discord import Interaction, Message

from .helpers import (
    Samples,
    attachment_bytes,
    expected_images,
    free_port,
    last_body,
    result_of,
    scrape,
    set_policy,
    value,
)


@pytest.fixture
async def shared_bed(tmp_path: Path) -> AsyncIterator[Bed]:
    """The local Discord and gateway, and a PostgreSQL schema that every process of the test shares."""
    async with postgres_schema() as url, open_bed(tmp_path / "data", database_url=url) as bed:
        yield bed


async def test_each_gateway_process_connects_only_its_shards(shared_bed: Bed) -> None:
    bed = shared_bed
    async with (
        bed.bot_process(env={"SHARD_COUNT": "2", "SHARD_IDS": "0"}),
        bed.bot_process(env={"SHARD_COUNT": "2", "SHARD_IDS": "1"}),
    ):
        assert sorted(bed.discord.shards_identified) == [(0, 2), (1, 2)]
        interaction = await bed.discord.slash("alice", "imagine", "qwen", prompt="sharded", size="512*512")
        message = await result_of(bed.discord, interaction, timeout=20)
    assert attachment_bytes(message) == expected_images(last_body(bed.gateway))


async def test_a_configured_gateway_url_is_used_rather_than_discords_answer(bed: Bed) -> None:
    bed.discord.gateway_bot_url = "ws://127.0.0.1:9/nothing-here"  # as if only a proxy were reachable
    async with bed.bot():
        interaction = await imagine(bed, "alice", "through the proxy")
        assert len((await result_of(bed.discord, interaction)).attachments) == 1


async def all_acknowledged(bed: Bed, count: int) -> None:
    """Wait until ``count`` open jobs are acknowledged (what makes a job claimable by another process)."""
    async with open_storage(bed.settings().database_url, migrate=False) as storage, asyncio.timeout(20):
        while sum(job.acknowledged_at is not None for job in await storage.jobs.open_jobs()) < count:  # noqa: ASYNC110
            await asyncio.sleep(0.05)


def scaled(bed: Bed, **env: str) -> None:
    bed.extra_env.update({"MAX_PENDING_PER_USER": "10", "JOB_LEASE_SECONDS": "2", **env})


async def imagine(bed: Bed, user: str, prompt: str) -> Interaction:
    return await bed.discord.slash(user, "imagine", "qwen", prompt=prompt, size="512*512")


def delivered(bed: Bed) -> list[Message]:
    return [m for m in bed.discord.channel_messages() if m.attachments]


def prompts(bed: Bed) -> Counter[str]:
    return Counter(body["input"]["messages"][0]["content"][0]["text"] for body in bed.gateway.requests)  # type: ignore[index]


async def test_a_bot_and_two_workers_deliver_each_job_once_within_the_global_limit(shared_bed: Bed) -> None:
    bed = shared_bed
    scaled(bed, MAX_CONCURRENT_JOBS="2", MAX_RUNNING_PER_USER="2")
    bed.gateway.latency = 0.15
    async with bed.bot_process() as main, bed.worker_process() as first, bed.worker_process() as second:
        users = ("alice", "bob", "carol", "dave", "mod")
        interactions = [await imagine(bed, users[i % 5], f"job {i}") for i in range(30)]
        results = [await result_of(bed.discord, i, timeout=60) for i in interactions]
        await asyncio.sleep(0.5)  # anything delivered twice would show up now
        logs = [main.output, first.output, second.output]
    assert all(len(m.attachments) == 1 for m in results)
    assert [m.id for m in results] == [i.original_id for i in interactions]  # on each job's own message
    assert len(delivered(bed)) == 30 and set(prompts(bed).values()) == {1}
    assert bed.gateway.max_in_flight == 2  # the limit holds across the three processes
    claims = [log.count(" claimed by ") for log in logs]
    assert sum(claims) == 30 and all(claims[1:]), claims  # the workers took their share
    # Nothing went wrong, so nothing in any process's log says it did (an operator reads these).
    assert [line for log in logs for line in log.splitlines() if " WARNING " in line or " ERROR " in line] == []


async def test_a_job_whose_process_is_killed_mid_generation_is_delivered_once_by_another(shared_bed: Bed) -> None:
    bed = shared_bed
    scaled(bed, MAX_CONCURRENT_JOBS="1")
    bed.gateway.hold = asyncio.Event()
    async with bed.bot_process() as main, bed.worker_process() as worker:
        interaction = await imagine(bed, "alice", "interrupted")
        await bed.discord.wait_for(lambda: bed.gateway.in_flight == 1)
        runner, survivor = (main, worker) if " claimed by " in main.output else (worker, main)
        await runner.kill()  # mid-generation, no chance to clean up
        bed.gateway.hold.set()
        message = await result_of(bed.discord, interaction, timeout=30)
        await asyncio.sleep(0.5)
        assert " claimed by " in survivor.output
    assert len(message.attachments) == 1 and message.id == interaction.original_id
    assert "ran again" in message.text
    assert len(delivered(bed)) == 1 and prompts(bed)["interrupted"] == 2


async def test_workers_deliver_what_was_queued_when_the_bot_process_dies(shared_bed: Bed) -> None:
    bed = shared_bed
    scaled(bed, MAX_CONCURRENT_JOBS="1")
    bed.gateway.latency = 0.3
    async with bed.bot_process() as main, bed.worker_process():
        interactions = [await imagine(bed, user, f"queued for {user}") for user in ("alice", "bob", "carol")]
        await bed.discord.wait_for(lambda: bed.gateway.in_flight == 1)
        await all_acknowledged(bed, 3)  # and so claimable by any process
        await main.kill()
        since = len(bed.discord.requests_seen)
        results = [await result_of(bed.discord, i, timeout=30) for i in interactions]
    for interaction, message in zip(interactions, results, strict=True):
        assert len(message.attachments) == 1 and message.id == interaction.original_id
    assert len(delivered(bed)) == 3
    edits = [r for r in bed.discord.requests_seen[since:] if r.startswith("PATCH")]
    assert edits and all("/webhooks/{app}/{token}/messages/" in r for r in edits)  # through the interaction
    async with bed.bot_process():  # a restarted bot finds nothing left to do and posts nothing more
        await asyncio.sleep(1.0)
    assert len(delivered(bed)) == 3


async def test_cancel_on_the_bot_process_stops_a_job_queued_for_the_workers(shared_bed: Bed) -> None:
    bed = shared_bed
    scaled(bed, MAX_CONCURRENT_JOBS="1")
    bed.gateway.hold = asyncio.Event()
    async with bed.bot_process(), bed.worker_process():
        running = await imagine(bed, "alice", "running")
        await bed.discord.wait_for(lambda: bed.gateway.in_flight == 1)
        waiting = await imagine(bed, "bob", "waiting")
        status = await bed.discord.wait_original(waiting, lambda m: "**Queued**" in m.text)
        cancel = await bed.discord.click("bob", status, status.custom_ids[0])
        await bed.discord.wait_original(waiting, lambda m: "**Cancelled**" in m.text)
        bed.gateway.hold.set()
        assert len((await result_of(bed.discord, running, timeout=20)).attachments) == 1
        await asyncio.sleep(0.5)
    assert cancel.acknowledged and prompts(bed) == Counter({"running": 1})


async def test_a_worker_serves_its_own_metrics_and_health(shared_bed: Bed) -> None:
    bed = shared_bed
    scaled(bed, MAX_CONCURRENT_JOBS="1")
    bed.gateway.hold = asyncio.Event()
    port = free_port()
    async with (
        bed.bot_process() as main,
        bed.worker_process(env={"METRICS_PORT": str(port)}) as worker,
        aiohttp.ClientSession() as http,
    ):
        base = f"http://127.0.0.1:{port}"
        async with http.get(f"{base}/healthz") as health:
            assert health.status == 200
        interactions = [await imagine(bed, user, f"counted {user}") for user in ("alice", "bob", "carol")]
        await bed.discord.wait_for(lambda: bed.gateway.in_flight == 1)
        await all_acknowledged(bed, 3)  # and so claimable by any process
        await main.kill()  # from now on the worker does everything (the first job after its lease)
        bed.gateway.hold.set()
        for interaction in interactions:
            await result_of(bed.discord, interaction, timeout=30)

        def finished(samples: Samples) -> float:
            return sum(v for (name, _), v in samples.items() if name == "imagine_jobs_finished_total")

        async with asyncio.timeout(10):  # a job is counted just after its result is posted
            while finished(samples := await scrape(http, base)) != 3:  # noqa: ASYNC110
                await asyncio.sleep(0.05)
        claimed = worker.output.count(" claimed by ")
    assert claimed == 3  # this worker's own jobs, counted by this worker
    assert value(samples, "imagine_queue_depth", state="queued") == 0  # read from the shared database
    assert any(bed.data_dir.glob("heartbeat-*"))  # for the container's health check


async def test_an_allowance_holds_with_a_bot_and_a_worker_on_postgresql(shared_bed: Bed) -> None:
    bed = shared_bed
    scaled(bed, MAX_PENDING_PER_USER="50")
    async with bed.bot_process(), bed.worker_process():
        await set_policy(bed, lambda p: p.with_limits(member_daily=5))
        burst = await asyncio.gather(*(imagine(bed, "alice", f"burst {i}") for i in range(30)))
        answers = [await bed.discord.wait_original(i, lambda m: bool(m.text) and not m.loading) for i in burst]
        accepted = [i for i, a in zip(burst, answers, strict=True) if a.ephemeral_to is None]
        for interaction in accepted:
            await result_of(bed.discord, interaction, timeout=30)
        usage = await bed.discord.slash("alice", "imagine", "qwen", prompt="one more", size="512*512")
        refused = await bed.discord.wait_original(usage, lambda m: bool(m.text))
    assert len(accepted) == 5 and len(delivered(bed)) == 5 and len(bed.gateway.requests) == 5
    assert "5 of 5 images used today" in refused.text  # settled by whichever process ran each job


async def test_a_process_runs_no_more_than_its_share(shared_bed: Bed) -> None:
    bed = shared_bed
    scaled(bed, MAX_CONCURRENT_JOBS="3", MAX_JOBS_PER_PROCESS="1")
    bed.gateway.hold = asyncio.Event()
    async with bed.bot_process() as main, bed.worker_process() as worker:
        # one at a time, so which process takes which is known (the local Discord sends without waiting)
        alice = await imagine(bed, "alice", "share alice")
        await bed.discord.wait_for(lambda: bed.gateway.in_flight == 1)  # in the gateway process
        bob = await imagine(bed, "bob", "share bob")
        await bed.discord.wait_for(lambda: bed.gateway.in_flight == 2)  # no room there: in the worker
        carol = await imagine(bed, "carol", "share carol")
        # the global limit (3) had room, the processes did not: the third waits, alone in the queue
        await bed.discord.wait_original(carol, lambda m: "**Queued** — position 1 of 1" in m.text)
        assert bed.gateway.in_flight == 2
        bed.gateway.hold.set()
        for interaction in (alice, bob, carol):
            await result_of(bed.discord, interaction, timeout=30)
        claims = (main.output.count(" claimed by "), worker.output.count(" claimed by "))
    assert bed.gateway.max_in_flight == 2 and sum(claims) == 3 and min(claims) >= 1
