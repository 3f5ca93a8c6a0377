"""Daily allowances in the database: exact reservations under bursts, settled when jobs end."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.catalogue import QWEN, WAN, ImagineOptions
from bot.jobs.fairness import Limits, pick_next
from bot.policy import AllowanceKind
from bot.storage.records import Action, NewJob, Status
from bot.storage.store import Storage, open_storage
from bot.storage.usage import AllowanceExceeded, Budget
from tests.databases import BACKENDS, database_url

DAY = "2026-12-04"
WIDE = Limits(global_running=100, user_running=100, user_pending=100, server_running=100)


@pytest.fixture(params=BACKENDS)
async def storage(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Storage]:
    async with database_url(request.param, tmp_path) as url, open_storage(url) as opened:
        yield opened


def job(user: int, n: int = 1, guild: int | None = 1, *, sequential: bool = False) -> NewJob:
    if sequential:
        request = WAN.build_request(ImagineOptions(prompt="set", n=n, sequential=True), random_seed=lambda: 1)
    else:
        request = QWEN.build_request(ImagineOptions(prompt="p", n=n), random_seed=lambda: 1)
    return NewJob(request=request, action=Action.IMAGINE, guild_id=guild, channel_id=5, user_id=user)


async def admit(storage: Storage, new: NewJob, budget: Budget) -> bool:
    try:
        await storage.jobs.admit(new, pending_limit=100, now=1.0, budget=budget)
    except AllowanceExceeded:
        return False
    return True


async def test_a_burst_of_thirty_clicks_gets_exactly_the_allowance(storage: Storage) -> None:
    budget = Budget(DAY, member_limit=5, server_limit=None)
    admitted = await asyncio.gather(*(admit(storage, job(7), budget) for _ in range(30)))
    assert sum(admitted) == 5
    usage = await storage.usage.today(DAY, 1, 7)
    assert (usage.member_used, usage.member_reserved) == (0, 5)


async def test_refusals_name_the_allowance_and_the_figures(storage: Storage) -> None:
    budget = Budget(DAY, member_limit=5, server_limit=6)
    await storage.jobs.admit(job(1, n=3), pending_limit=10, now=1.0, budget=budget)
    with pytest.raises(AllowanceExceeded) as member:
        await storage.jobs.admit(job(1, n=3), pending_limit=10, now=1.0, budget=budget)
    assert (member.value.refusal.kind, member.value.refusal.used, member.value.refusal.limit) == (
        AllowanceKind.MEMBER,
        3,
        5,
    )
    await storage.jobs.admit(job(2, n=2), pending_limit=10, now=1.0, budget=budget)  # 3 + 2 = 5 of 6
    with pytest.raises(AllowanceExceeded) as server:
        await storage.jobs.admit(job(3, n=2), pending_limit=10, now=1.0, budget=budget)
    assert (server.value.refusal.kind, server.value.refusal.used, server.value.refusal.limit) == (
        AllowanceKind.SERVER,
        5,
        6,
    )
    assert await admit(storage, job(3, n=1), budget)  # exactly to the limit is allowed


async def test_endings_settle_the_reservation(storage: Storage) -> None:
    budget = Budget(DAY, member_limit=None, server_limit=None)
    done = await storage.jobs.admit(job(1, n=2), pending_limit=10, now=1.0, budget=budget)
    failed = await storage.jobs.admit(job(1, n=3), pending_limit=10, now=1.0, budget=budget)
    cancelled = await storage.jobs.admit(job(1, n=4), pending_limit=10, now=1.0, budget=budget)
    partial = await storage.jobs.admit(job(1, n=12, sequential=True), pending_limit=10, now=1.0, budget=budget)
    assert (await storage.usage.today(DAY, 1, 1)).member_reserved == 21
    for admitted in (done, failed, partial):
        await storage.jobs.acknowledged(admitted.id, 9, now=1.0)
    claims = [await storage.jobs.claim("p", pick=lambda s: pick_next(s, WIDE), lease=60, now=2.0) for _ in range(3)]
    assert {c.id for c in claims if c} == {done.id, failed.id, partial.id}
    await storage.jobs.mark_done(done.id, owner="p", message_id=1, image_count=2, gateway_request_id=None, now=3.0)
    await storage.jobs.mark_failed(failed.id, owner="p", error="boom", now=3.0)
    assert await storage.jobs.cancel(cancelled.id, now=3.0)
    await storage.jobs.mark_done(partial.id, owner="p", message_id=1, image_count=9, gateway_request_id=None, now=3.0)
    usage = await storage.usage.today(DAY, 1, 1)
    assert (usage.member_used, usage.member_reserved) == (2 + 9, 0)  # 9 of 12 keeps 9; failure and cancel none
    assert not await storage.jobs.cancel(cancelled.id, now=4.0)  # an ending settles once
    assert (await storage.usage.today(DAY, 1, 1)).member_used == 11
    ended = await storage.jobs.get(partial.id)
    assert ended is not None and ended.status is Status.DONE and ended.reserved == 12 and ended.usage_day == DAY


async def test_direct_messages_and_servers_are_counted_apart(storage: Storage) -> None:
    budget = Budget(DAY, member_limit=2, server_limit=None)
    assert await admit(storage, job(1, n=2, guild=None), budget)
    assert not await admit(storage, job(1, n=1, guild=None), budget)
    assert await admit(storage, job(1, n=2, guild=1), budget)  # another server, another allowance
    usage = await storage.usage.today(DAY, None, 1)
    assert (usage.member_reserved, usage.server_reserved) == (2, 2)


async def test_top_members_of_the_day(storage: Storage) -> None:
    budget = Budget(DAY, member_limit=None, server_limit=None)
    for user, n in ((1, 1), (2, 3), (3, 2)):
        admitted = await storage.jobs.admit(job(user, n=n), pending_limit=10, now=1.0, budget=budget)
        await storage.jobs.acknowledged(admitted.id, 9, now=1.0)
        claimed = await storage.jobs.claim("p", pick=lambda s: pick_next(s, WIDE), lease=60, now=2.0)
        assert claimed is not None
        await storage.jobs.mark_done(
            claimed.id, owner="p", message_id=1, image_count=n, gateway_request_id=None, now=3.0
        )
    usage = await storage.usage.today(DAY, 1, 3)
    assert usage.top == ((2, 3), (3, 2), (1, 1)) and usage.server_used == 6 and usage.member_used == 2


async def test_policy_documents_are_read_in_one_query_and_updated_atomically(storage: Storage) -> None:
    empty = await storage.policies.load(1, 7)
    assert empty.policy == {} and empty.preferences == {}

    def add(key: str):  # type: ignore[no-untyped-def]
        return lambda policy: {**policy, key: True}

    await asyncio.gather(*(storage.policies.update_policy(1, add(f"k{i}"), now=1.0) for i in range(10)))
    await asyncio.gather(*(storage.policies.update_preferences(8, add(f"p{i}"), now=1.0) for i in range(10)))
    assert set((await storage.policies.load(None, 8)).preferences) == {f"p{i}" for i in range(10)}
    await storage.policies.set_preferences(7, {"qwen": {"size": "1024*1024"}}, now=1.0)
    loaded = await storage.policies.load(1, 7)
    assert set(loaded.policy) == {f"k{i}" for i in range(10)}  # no update was lost
    assert loaded.preferences == {"qwen": {"size": "1024*1024"}}
    assert (await storage.policies.load(2, 8)).policy == {}  # another server
    await storage.policies.reset_policy(1)
    await storage.policies.reset_preferences(7)
    assert await storage.policies.load(1, 7) == empty
