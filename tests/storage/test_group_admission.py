"""A burst of one member's requests shares transactions, each request checked as if admitted alone, in order."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, cast

import pytest

from bot.storage.admissions import PendingLimitReached
from bot.storage.database import Database, Dialect, Session
from bot.storage.group_commit import GroupCommit
from bot.storage.jobs import JobStore
from bot.storage.records import Status
from bot.storage.store import Storage, open_storage
from bot.storage.usage import AllowanceExceeded, Budget
from tests.databases import BACKENDS, database_url
from tests.storage.test_job_store import new_job


@pytest.fixture(params=BACKENDS)
async def storage(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Storage]:
    async with database_url(request.param, tmp_path) as url, open_storage(url) as opened:
        yield opened


class Counting:
    """The database, counting the transactions begun on it."""

    def __init__(self, database: Database) -> None:
        self.database, self.transactions = database, 0

    @asynccontextmanager
    async def transaction(self, *, locks: Sequence[str] = ()) -> AsyncIterator[Session]:
        self.transactions += 1
        async with self.database.transaction(locks=locks) as tx:
            yield tx

    def __getattr__(self, name: str) -> Any:
        return getattr(self.database, name)


async def outcome(jobs: JobStore, user: int, budget: Budget | None = None) -> str:
    try:
        job = await jobs.admit(new_job(user), pending_limit=25, now=1.0, budget=budget)
    except PendingLimitReached as full:
        return f"full at {full.pending}"
    except AllowanceExceeded:
        return "spent"
    return job.id


async def test_a_burst_shares_transactions_and_stops_exactly_at_the_limit(storage: Storage) -> None:
    counting = Counting(storage.database)
    jobs = JobStore(cast(Database, counting))
    outcomes = await asyncio.gather(*(outcome(jobs, 7) for _ in range(40)))
    admitted = [o for o in outcomes if not o.startswith("full")]
    assert len(admitted) == 25 and outcomes.count("full at 25") == 15
    if storage.dialect is Dialect.POSTGRES:
        assert 2 <= counting.transactions < 40  # the first alone, then those that waited, together
    else:
        assert counting.transactions == 40  # SQLite's transactions never yield: none ever waits for another
    stored = [await jobs.get(job_id) for job_id in admitted]
    assert all(job is not None and job.status is Status.QUEUED and job.user_id == 7 for job in stored)
    assert len(set(admitted)) == 25 and len(await jobs.open_jobs()) == 25


async def test_in_one_batch_each_request_sees_the_images_reserved_before_it(storage: Storage) -> None:
    budget = Budget("2026-12-04", member_limit=4, server_limit=10)
    outcomes = await asyncio.gather(*(outcome(storage.jobs, user, budget) for user in (1, 1, 2) * 4))
    assert outcomes.count("spent") == 12 - 8  # four images each for members 1 and 2, one per job
    usage = await storage.usage.today("2026-12-04", 1, 1)
    assert (usage.member_reserved, usage.server_reserved) == (4, 8)


class Held:
    """A commit function that holds each batch until let through, and records what it was given."""

    def __init__(self) -> None:
        self.batches: list[list[str]] = []
        self.permits = asyncio.Semaphore(0)  # one per batch let through
        self.fail = False

    async def __call__(self, items: list[str]) -> list[str | Exception]:
        self.batches.append(items)
        await self.permits.acquire()
        if self.fail:
            raise RuntimeError("the database went away")
        return [f"stored {item}" for item in items]


async def started(*coroutines: Any) -> list[asyncio.Task[Any]]:
    tasks = []
    for coroutine in coroutines:
        tasks.append(asyncio.create_task(coroutine))
        await asyncio.sleep(0)  # each queues before the next
    return tasks


def recording_undos(commit: Held) -> tuple[GroupCommit[str, str], list[str]]:
    """A group commit over ``commit``, and the list its undos are recorded in."""
    undone: list[str] = []

    async def orphaned(result: str) -> None:
        undone.append(result)

    return GroupCommit[str, str](commit, orphaned=orphaned), undone


async def test_a_request_cancelled_while_it_waits_is_left_out() -> None:
    commit = Held()
    group, undone = recording_undos(commit)
    first, second, third = await started(*(group.submit("alice", item) for item in ("a", "b", "c")))
    second.cancel()
    commit.permits.release()
    commit.permits.release()
    assert (await first, await third) == ("stored a", "stored c")
    assert commit.batches == [["a"], ["c"]] and undone == []
    with pytest.raises(asyncio.CancelledError):
        await second


async def test_a_request_whose_caller_left_during_its_batch_is_undone() -> None:
    commit = Held()
    group, undone = recording_undos(commit)
    first, second, third = await started(*(group.submit("alice", item) for item in ("a", "b", "c")))
    commit.permits.release()
    assert await first == "stored a"
    while len(commit.batches) < 2:  # noqa: ASYNC110 - until the batch of b and c is being committed
        await asyncio.sleep(0)
    second.cancel()
    commit.permits.release()
    assert await third == "stored c"
    assert commit.batches == [["a"], ["b", "c"]] and undone == ["stored b"]


async def test_a_failed_batch_fails_each_of_its_requests_and_frees_the_key() -> None:
    commit = Held()

    async def orphaned(result: str) -> None:
        raise AssertionError(result)

    group = GroupCommit[str, str](commit, orphaned=orphaned)
    first, second, third = await started(*(group.submit("alice", item) for item in ("a", "b", "c")))
    commit.fail = True
    for _ in range(2):  # a, then b and c together
        commit.permits.release()
    for task in (first, second, third):
        with pytest.raises(RuntimeError, match="went away"):
            await task
    commit.fail = False
    for _ in range(2):
        commit.permits.release()
    assert await group.submit("alice", "d") == "stored d"  # nothing stuck behind the failure
    assert await group.submit("bob", "e") == "stored e"
    assert commit.batches == [["a"], ["b", "c"], ["d"], ["e"]]


async def test_a_caller_that_leaves_just_after_its_batch_committed_has_its_result_undone() -> None:
    commit = Held()
    group, undone = recording_undos(commit)
    first, second = await started(group.submit("alice", "a"), group.submit("alice", "b"))
    commit.permits.release()
    commit.permits.release()
    while not second.done():  # until b's result is set, and its caller has not resumed yet
        awaited = second._fut_waiter  # type: ignore[attr-defined]  # (CPython's Task: the future it awaits)
        if awaited is not None and awaited.done():
            second.cancel()
        await asyncio.sleep(0)
    with pytest.raises(asyncio.CancelledError):
        await second
    await asyncio.sleep(0)  # the undo runs in the background
    assert await first == "stored a" and undone == ["stored b"]
