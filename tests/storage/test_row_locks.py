"""PostgreSQL: changes of several jobs lock their rows in one order, and a claim starts only waiting jobs.

Two transactions that lock the same rows in opposite orders wait for each other: PostgreSQL
stalls both for its ``deadlock_timeout`` (a second), then aborts one. The bench caught a lease
renewal and a batch of endings doing that, with every admission behind them waiting a second.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import psycopg

from bot.storage.endings import Ending, end_together
from bot.storage.records import Job, Status
from bot.storage.store import Storage, open_storage
from tests.databases import database_url
from tests.storage.test_endings import ROOM
from tests.storage.test_job_store import LEASE, new_job, picker


@asynccontextmanager
async def running_jobs(tmp_path: Path, count: int) -> AsyncIterator[tuple[str, Storage, list[Job]]]:
    """``count`` jobs running in process "p" on a new PostgreSQL schema, by id; and the schema's URL."""
    async with database_url("postgres", tmp_path) as url, open_storage(url) as storage:
        for _ in range(count):
            admitted = await storage.jobs.admit(new_job(7), pending_limit=50, now=1.0)
            await storage.jobs.acknowledged(admitted.id, 1, now=1.0)
        running = await storage.jobs.claim_many("p", pick=picker(ROOM), lease=LEASE, now=2.0, room=count)
        assert len(running) == count
        ordered = sorted(running, key=lambda job: job.id)
        # Rewritten highest id first, their rows lie in the table in that order: a statement that
        # locked rows in the order it scans them would take the highest first.
        for job in reversed(ordered):
            await storage.database.execute("UPDATE jobs SET notes = notes WHERE id = ?", (job.id,))
        yield url, storage, ordered


async def waiting_for_locks(admin: psycopg.AsyncConnection[tuple[int]], count: int) -> None:
    """Return once ``count`` sessions of this database wait for a lock (behind the holder, or its next waiter)."""
    async with asyncio.timeout(10):
        while True:
            cursor = await admin.execute(
                "SELECT count(*) FROM pg_stat_activity"
                " WHERE datname = current_database() AND cardinality(pg_blocking_pids(pid)) > 0"
            )
            row = await cursor.fetchone()
            if row is not None and row[0] >= count:
                return
            await asyncio.sleep(0.01)


async def can_lock_now(url: str, job_id: str) -> bool:
    """Whether no other transaction holds ``job_id``'s row."""
    async with await psycopg.AsyncConnection.connect(url) as probe:
        try:
            await probe.execute("SELECT id FROM jobs WHERE id = %s FOR UPDATE NOWAIT", (job_id,))
        except psycopg.errors.LockNotAvailable:
            return False
        finally:
            await probe.rollback()
    return True


async def test_endings_a_lease_renewal_and_the_token_sweep_lock_jobs_in_the_order_of_their_ids(tmp_path: Path) -> None:
    async with running_jobs(tmp_path, 3) as (url, storage, (low, middle, high)):
        admin = await psycopg.AsyncConnection.connect(url, autocommit=True)
        blocker = await psycopg.AsyncConnection.connect(url)
        async with admin, blocker:
            await blocker.execute("SELECT id FROM jobs WHERE id = %s FOR UPDATE", (low.id,))
            columns = {"status": Status.DONE, "finished_at": 3.0, "lease_owner": None, "lease_expires_at": None}
            endings = [Ending(job.id, columns, (Status.RUNNING,), "p", 1) for job in (high, middle, low)]
            ending = asyncio.create_task(end_together(storage.database, endings))
            await waiting_for_locks(admin, 1)
            # It waits at the lowest id, holding none of the others: handed the highest first, it
            # would hold that row while it waited, and a renewal could hold the lowest and wait for it.
            assert await can_lock_now(url, high.id) and await can_lock_now(url, middle.id)
            renewal = asyncio.create_task(storage.jobs.renew("p", [high.id, middle.id, low.id], until=99.0))
            await waiting_for_locks(admin, 2)
            assert await can_lock_now(url, high.id)
            sweep = asyncio.create_task(storage.jobs.forget_expired(2000.0, click_window=5.0))  # every token expired
            await waiting_for_locks(admin, 3)
            assert await can_lock_now(url, high.id) and await can_lock_now(url, middle.id)
            await blocker.commit()
            async with asyncio.timeout(10):  # (a deadlock would raise here after PostgreSQL's second)
                ended, renewed, forgotten = await asyncio.gather(ending, renewal, sweep)
        stored = [await storage.jobs.get(job.id) for job in (low, middle, high)]
    assert ended == [True, True, True]
    assert renewed == set()  # it waited for the endings, then found the jobs no longer running
    assert forgotten == 0  # the endings had erased the tokens already
    assert [job.status for job in stored if job is not None] == [Status.DONE] * 3


async def test_a_claim_does_not_start_a_job_cancelled_after_it_read_the_queue(tmp_path: Path) -> None:
    async with database_url("postgres", tmp_path) as url, open_storage(url) as storage:
        admitted = await storage.jobs.admit(new_job(7), pending_limit=50, now=1.0)
        await storage.jobs.acknowledged(admitted.id, 1, now=1.0)
        choose = picker(ROOM)

        def pick_then_cancel_elsewhere(state):  # type: ignore[no-untyped-def]
            chosen = choose(state)
            if chosen is not None:  # another process cancels it between the claim's read and its update
                with psycopg.connect(url, autocommit=True) as other:
                    other.execute("UPDATE jobs SET status = %s WHERE id = %s", (Status.CANCELLED, chosen))
            return chosen

        started = await storage.jobs.claim_many("p", pick=pick_then_cancel_elsewhere, lease=LEASE, now=2.0, room=1)
        stored = await storage.jobs.get(admitted.id)
    assert started == []
    assert stored is not None and stored.status is Status.CANCELLED and stored.lease_owner is None
