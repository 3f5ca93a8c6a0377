"""The job store on both backends: admission, claims under limits, leases, endings, migrations."""

from __future__ import annotations

import asyncio
import json
import random
import sqlite3
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from pathlib import Path

import pytest

from bot.catalogue import QWEN, ImagineOptions
from bot.jobs.fairness import Limits, pick_next
from bot.storage.admissions import PendingLimitReached
from bot.storage.database import Dialect
from bot.storage.migrations import SCHEMA_VERSION, migrations
from bot.storage.records import Action, NewJob, Status
from bot.storage.store import Storage, open_storage
from tests.databases import BACKENDS, database_url

LEASE = 30.0
WIDE = Limits(global_running=100, user_running=100, user_pending=100, server_running=100)


@pytest.fixture(params=BACKENDS)
async def url(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    async with database_url(request.param, tmp_path) as value:
        yield value


@pytest.fixture
async def storage(url: str) -> AsyncIterator[Storage]:
    async with open_storage(url) as opened:
        yield opened


def new_job(user: int, guild: int | None = 1, prompt: str = "a lighthouse") -> NewJob:
    request = QWEN.build_request(ImagineOptions(prompt=prompt), random_seed=lambda: 7)
    return NewJob(
        request=request,
        action=Action.IMAGINE,
        guild_id=guild,
        channel_id=5,
        user_id=user,
        interaction_token="secret-token",
        token_expires_at=1000.0,
    )


def picker(limits: Limits):  # type: ignore[no-untyped-def]
    return lambda state: pick_next(state, limits)


async def test_admitted_job_reads_back_identically(storage: Storage) -> None:
    admitted = await storage.jobs.admit(new_job(3), pending_limit=5, now=100.0)
    assert await storage.jobs.get(admitted.id) == admitted
    assert admitted.status is Status.QUEUED and admitted.token(now=999.0) == "secret-token"
    assert admitted.token(now=1000.0) is None  # expired tokens are never handed out
    assert "secret-token" not in repr(admitted)


async def test_pending_limit_counts_open_jobs_only(storage: Storage) -> None:
    first = await storage.jobs.admit(new_job(3), pending_limit=2, now=1.0)
    await storage.jobs.admit(new_job(3), pending_limit=2, now=2.0)
    with pytest.raises(PendingLimitReached) as refused:
        await storage.jobs.admit(new_job(3), pending_limit=2, now=3.0)
    assert (refused.value.pending, refused.value.limit) == (2, 2)
    await storage.jobs.admit(new_job(4), pending_limit=2, now=3.0)  # another user is not affected
    assert await storage.jobs.cancel(first.id, now=4.0)
    await storage.jobs.admit(new_job(3), pending_limit=2, now=5.0)  # a cancelled job frees a place


async def test_a_burst_of_admissions_never_passes_the_limit(storage: Storage) -> None:
    async def one(i: int) -> bool:
        try:
            await storage.jobs.admit(new_job(9), pending_limit=5, now=float(i))
        except PendingLimitReached:
            return False
        return True

    results = await asyncio.gather(*(one(i) for i in range(30)))
    assert sum(results) == 5


async def test_claims_take_turns_between_users(storage: Storage) -> None:
    ids = {}
    for at, (name, user) in enumerate([("a0", 1), ("a1", 1), ("a2", 1), ("b0", 2), ("c0", 3), ("b1", 2)]):
        ids[(await storage.jobs.admit(new_job(user), pending_limit=10, now=float(at))).id] = name
    one_at_a_time = Limits(global_running=1, user_running=1, user_pending=10, server_running=10)
    started = []
    for step in range(6):
        now = 100.0 + step
        job = await storage.jobs.claim("p1", pick=picker(one_at_a_time), lease=LEASE, now=now)
        assert job is not None and job.status is Status.RUNNING and job.lease_owner == "p1"
        assert await storage.jobs.claim("p2", pick=picker(one_at_a_time), lease=LEASE, now=now) is None
        started.append(ids[job.id])
        assert await storage.jobs.mark_done(
            job.id, owner="p1", message_id=1, image_count=1, gateway_request_id=None, now=now
        )
    assert started == ["a0", "b0", "c0", "a1", "b1", "a2"]


async def test_a_job_is_claimed_only_once_acknowledged_or_long_after(storage: Storage) -> None:
    first = await storage.jobs.admit(new_job(1), pending_limit=5, now=0.0)
    second = await storage.jobs.admit(new_job(2), pending_limit=5, now=0.0)
    assert await storage.jobs.claim("p", pick=picker(WIDE), lease=1000.0, now=1.0) is None
    await storage.jobs.acknowledged(second.id, 77, now=1.0)
    claimed = await storage.jobs.claim("p", pick=picker(WIDE), lease=1000.0, now=2.0)
    assert claimed is not None and claimed.id == second.id and claimed.status_message_id == 77
    assert await storage.jobs.claim("p", pick=picker(WIDE), lease=1000.0, now=59.0) is None
    orphan = await storage.jobs.claim("p", pick=picker(WIDE), lease=1000.0, now=61.0)  # its process died mid-ack
    assert orphan is not None and orphan.id == first.id


async def test_an_expired_lease_is_claimed_again_and_the_old_owner_cannot_finish(storage: Storage) -> None:
    admitted = await storage.jobs.admit(new_job(1), pending_limit=5, now=0.0)
    await storage.jobs.acknowledged(admitted.id, 5, now=0.0)
    claimed = await storage.jobs.claim("dead", pick=picker(WIDE), lease=LEASE, now=10.0)
    assert claimed is not None and claimed.attempts == 1
    assert await storage.jobs.renew("dead", [admitted.id], until=45.0) == {admitted.id}
    assert await storage.jobs.claim("live", pick=picker(WIDE), lease=LEASE, now=44.0) is None  # still leased
    again = await storage.jobs.claim("live", pick=picker(WIDE), lease=LEASE, now=46.0)
    assert again is not None and again.id == admitted.id and again.attempts == 2 and again.lease_owner == "live"
    assert await storage.jobs.renew("dead", [admitted.id], until=100.0) == set()
    assert not await storage.jobs.mark_done(
        admitted.id, owner="dead", message_id=1, image_count=1, gateway_request_id=None, now=50.0
    )
    assert await storage.jobs.mark_failed(admitted.id, owner="live", error="boom", now=51.0)
    ended = await storage.jobs.get(admitted.id)
    assert ended is not None and ended.status is Status.FAILED and ended.interaction_token is None


async def test_release_requeues_and_cancel_only_stops_waiting_jobs(storage: Storage) -> None:
    job = await storage.jobs.admit(new_job(1), pending_limit=5, now=0.0)
    await storage.jobs.acknowledged(job.id, 5, now=0.0)
    assert await storage.jobs.claim("p", pick=picker(WIDE), lease=LEASE, now=1.0) is not None
    assert not await storage.jobs.cancel(job.id, now=2.0)  # running: too late to cancel
    await storage.jobs.release("p", job.id)
    assert (await storage.jobs.get(job.id)).status is Status.QUEUED  # type: ignore[union-attr]
    assert await storage.jobs.cancel(job.id, now=3.0)
    assert await storage.jobs.claim("p", pick=picker(WIDE), lease=LEASE, now=4.0) is None


async def test_a_second_click_within_the_window_is_refused(storage: Storage) -> None:
    assert await storage.jobs.first_click(10, 1, "same_seed", window=5.0, now=100.0)
    assert not await storage.jobs.first_click(10, 1, "same_seed", window=5.0, now=103.0)
    assert await storage.jobs.first_click(10, 2, "same_seed", window=5.0, now=103.0)  # someone else
    assert await storage.jobs.first_click(10, 1, "new_seed", window=5.0, now=103.0)  # another button
    assert await storage.jobs.first_click(10, 1, "same_seed", window=5.0, now=106.0)


async def test_expired_tokens_are_forgotten(storage: Storage) -> None:
    job = await storage.jobs.admit(new_job(1), pending_limit=5, now=0.0)
    assert await storage.jobs.forget_expired(999.0, click_window=5.0) == 0
    assert await storage.jobs.forget_expired(1000.0, click_window=5.0) == 1
    assert (await storage.jobs.get(job.id)).interaction_token is None  # type: ignore[union-attr]


@pytest.mark.parametrize("seed", range(4))
async def test_concurrent_claimers_never_exceed_a_limit_or_share_a_job(url: str, seed: int) -> None:
    rng = random.Random(seed)
    limits = Limits(
        global_running=rng.randint(1, 4),
        user_running=rng.randint(1, 3),
        user_pending=100,
        server_running=rng.randint(1, 3),
    )
    users = {u: rng.choice([1, 2, None]) for u in range(1, 6)}
    async with open_storage(url) as setup:
        for i in range(24):
            user = rng.choice(list(users))
            await setup.jobs.admit(new_job(user, users[user]), pending_limit=100, now=float(i))
    running: dict[str, tuple[int, int | None]] = {}
    claimed: Counter[str] = Counter()

    async def claimer(name: str, storage: Storage) -> None:
        idle = 0
        while idle < 40:
            job = await storage.jobs.claim(name, pick=picker(limits), lease=LEASE, now=1000.0)
            if job is None:
                idle += 1
                await asyncio.sleep(0.002)
                continue
            idle = 0
            claimed[job.id] += 1
            running[job.id] = (job.user_id, job.guild_id)
            assert len(running) <= limits.global_running
            assert Counter(u for u, _ in running.values())[job.user_id] <= limits.user_running
            if job.guild_id is not None:
                assert Counter(g for _, g in running.values())[job.guild_id] <= limits.server_running
            await asyncio.sleep(rng.random() * 0.01)
            del running[job.id]  # before the database frees the slot: this view never over-counts
            assert await storage.jobs.mark_done(
                job.id, owner=name, message_id=1, image_count=1, gateway_request_id=None, now=1000.0
            )

    # Separate connections, as separate processes would have (SQLite: one process, one connection).
    connections = 4 if url.startswith("postgresql") else 1
    async with AsyncExitStack() as stack:
        stores = [await stack.enter_async_context(open_storage(url)) for _ in range(connections)]
        await asyncio.gather(*(claimer(f"p{i}", stores[i % len(stores)]) for i in range(4)))
    assert len(claimed) == 24 and set(claimed.values()) == {1}


async def columns_of(storage: Storage) -> set[tuple[str, str]]:
    if storage.dialect is Dialect.SQLITE:
        tables = await storage.database.fetchall(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
        )
        return {
            (t["name"], c["name"])
            for t in tables
            for c in await storage.database.fetchall(f"PRAGMA table_info({t['name']})")
        }
    rows = await storage.database.fetchall(
        "SELECT table_name, column_name FROM information_schema.columns WHERE table_schema = current_schema()"
    )
    return {(r["table_name"], r["column_name"]) for r in rows}


async def test_both_dialects_end_with_the_same_tables_and_columns(tmp_path: Path) -> None:
    assert len(migrations(Dialect.SQLITE)) == len(migrations(Dialect.POSTGRES)) == SCHEMA_VERSION
    async with database_url("postgres", tmp_path) as pg_url, open_storage(pg_url) as postgres:
        async with open_storage(f"sqlite:///{tmp_path / 'x.sqlite3'}") as sqlite:
            sqlite_columns = await columns_of(sqlite)
            assert await sqlite.schema_version() == await postgres.schema_version() == SCHEMA_VERSION
        postgres_columns = await columns_of(postgres)
    assert sqlite_columns == postgres_columns
    assert {("jobs", "lease_owner"), ("jobs", "interaction_token"), ("user_turns", "served_at")} <= sqlite_columns


async def test_a_version_3_sqlite_database_is_adopted_and_migrated(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite3"
    request = QWEN.build_request(ImagineOptions(prompt="from v3"), random_seed=lambda: 1)
    with sqlite3.connect(path) as old:
        for step in migrations(Dialect.SQLITE)[:3]:
            old.executescript(step.sql)
        old.execute("PRAGMA user_version = 3")
        old.execute(
            "INSERT INTO generations (id, action, channel_id, user_id, model, request, seed, status, created_at)"
            " VALUES ('oldjob01', 'imagine', 2, 3, ?, ?, 1, 'queued', 1.0)",
            (request.model, json.dumps(request.to_dict())),
        )
    async with open_storage(f"sqlite:///{path}", migrate=False) as storage:
        assert await storage.schema_version() == 3
        assert await storage.migrate() == SCHEMA_VERSION
        (job,) = await storage.jobs.open_jobs()
        assert job.id == "oldjob01" and job.request == request and job.lease_owner is None
    async with open_storage(f"sqlite:///{path}") as again:  # idempotent
        assert await again.schema_version() == SCHEMA_VERSION
