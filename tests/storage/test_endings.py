"""Endings that arrive while one is being recorded share the next transaction, each guarded on its own."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import cast

from bot.jobs.fairness import Limits
from bot.storage.database import Database
from bot.storage.jobs import JobStore
from bot.storage.records import Status
from bot.storage.store import open_storage
from bot.storage.usage import Budget
from tests.databases import database_url
from tests.storage.test_group_admission import Counting
from tests.storage.test_job_store import LEASE, new_job, picker

DAY = "2026-12-04"
ROOM = Limits(global_running=50, user_running=50, user_pending=50, server_running=50)


async def test_a_stream_of_endings_shares_transactions_and_each_ends_once(tmp_path: Path) -> None:
    # PostgreSQL: a transaction there waits on round trips, so endings arrive while one runs. (On
    # SQLite a transaction never yields to the loop, so each ending is alone, as it always was.)
    async with database_url("postgres", tmp_path) as url, open_storage(url) as storage:
        counting = Counting(storage.database)
        jobs = JobStore(cast(Database, counting))
        budget = Budget(DAY, member_limit=100, server_limit=None)
        for _ in range(20):
            admitted = await jobs.admit(new_job(7), pending_limit=50, now=1.0, budget=budget)
            await jobs.acknowledged(admitted.id, 1, now=1.0)
        running = []
        while claimed := await jobs.claim_many("p", pick=picker(ROOM), lease=LEASE, now=2.0, room=20):
            running += claimed
        before = counting.transactions

        async def done(job_id: str, owner: str) -> bool:
            return await jobs.mark_done(
                job_id, owner=owner, message_id=9, image_count=1, gateway_request_id=None, now=3.0
            )

        owners = ["p"] * 19 + ["someone else"]  # the last was taken over: its ending is refused
        ended = await asyncio.gather(*(done(job.id, owner) for job, owner in zip(running, owners, strict=True)))
        transactions = counting.transactions - before
        again = await done(running[0].id, "p")
        stored = [await jobs.get(job.id) for job in running]
        usage = await storage.usage.today(DAY, 1, 7)
    assert ended == [True] * 19 + [False]
    assert transactions < 10  # not one each
    assert again is False  # ended exactly once
    assert [s.status for s in stored if s is not None] == [Status.DONE] * 19 + [Status.RUNNING]
    assert (usage.member_used, usage.member_reserved) == (19, 1)  # the refused one still holds its image
