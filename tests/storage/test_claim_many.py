"""Claiming several jobs in one transaction takes exactly the jobs, in the order, that claiming one at a time would."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.jobs.fairness import Limits
from bot.storage.jobs import Acknowledgement
from bot.storage.store import Storage, open_storage
from tests.databases import BACKENDS, database_url
from tests.storage.test_job_store import LEASE, new_job, picker

# (user, guild) of each job, oldest first: members with several jobs, two servers.
ARRIVALS = [(1, 1), (1, 1), (1, 1), (2, 1), (3, 2), (2, 1), (1, 1), (4, 2), (3, 2), (1, 1), (5, None)]
LIMITS = Limits(global_running=8, user_running=2, user_pending=100, server_running=4)


@pytest.fixture(params=BACKENDS)
async def two(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[tuple[Storage, Storage]]:
    """Two databases holding the same queue."""
    async with (
        database_url(request.param, tmp_path / "a") as first,
        database_url(request.param, tmp_path / "b") as second,
        open_storage(first) as a,
        open_storage(second) as b,
    ):
        for storage in (a, b):
            for at, (user, guild) in enumerate(ARRIVALS):
                job = await storage.jobs.admit(new_job(user, guild), pending_limit=100, now=float(at))
                await storage.jobs.acknowledged(job.id, None, now=float(at))
        yield a, b


@pytest.mark.parametrize("room", [1, 3, 8])
async def test_a_batch_claims_what_single_claims_would(two: tuple[Storage, Storage], room: int) -> None:
    single, batched = two
    one_by_one = []
    while (job := await single.jobs.claim("p", pick=picker(LIMITS), lease=LEASE, now=100.0)) is not None:
        one_by_one.append((job.user_id, job.guild_id, job.created_at))
    in_batches: list[tuple[int, int | None, float]] = []
    while claimed := await batched.jobs.claim_many("p", pick=picker(LIMITS), lease=LEASE, now=100.0, room=room):
        assert len(claimed) <= room
        in_batches += [(job.user_id, job.guild_id, job.created_at) for job in claimed]
    assert in_batches == one_by_one
    assert len(one_by_one) == LIMITS.global_running  # members 1, 2 and 3 at their 2, then 4 and 5


@pytest.mark.parametrize("backend", BACKENDS)
async def test_an_acknowledgement_rides_on_the_claim_that_starts_its_job(backend: str, tmp_path: Path) -> None:
    async with database_url(backend, tmp_path) as url, open_storage(url) as storage:
        job = await storage.jobs.admit(new_job(1, 1), pending_limit=10, now=1.0)
        other = await storage.jobs.admit(new_job(2, 1), pending_limit=10, now=1.5)
        assert await storage.jobs.claim_many("p", pick=picker(LIMITS), lease=LEASE, now=2.0, room=2) == []  # unanswered
        done = [Acknowledgement(job.id, 55, 2.5), Acknowledgement(other.id, 56, 2.6)]
        claimed = await storage.jobs.claim_many(
            "p", pick=picker(LIMITS), lease=LEASE, now=3.0, room=2, acknowledged=done
        )
        stored = [await storage.jobs.get(job.id), await storage.jobs.get(other.id)]
    assert [c.id for c in claimed] == [job.id, other.id]
    assert [(s.status_message_id, s.acknowledged_at) for s in stored if s is not None] == [(55, 2.5), (56, 2.6)]


@pytest.mark.parametrize("backend", BACKENDS)
async def test_acknowledgements_are_recorded_together_when_no_claim_runs(backend: str, tmp_path: Path) -> None:
    async with database_url(backend, tmp_path) as url, open_storage(url) as storage:
        jobs = [await storage.jobs.admit(new_job(1, i), pending_limit=10, now=1.0) for i in range(2)]
        await storage.jobs.record_acknowledgements([Acknowledgement(j.id, 70 + i, 2.0) for i, j in enumerate(jobs)])
        stored = [await storage.jobs.get(j.id) for j in jobs]
    assert [(s.status_message_id, s.acknowledged_at) for s in stored if s is not None] == [(70, 2.0), (71, 2.0)]
