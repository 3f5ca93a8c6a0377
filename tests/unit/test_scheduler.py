"""Fairness and limits of the job scheduler."""

from __future__ import annotations

import pytest

from bot.jobs.scheduler import FairScheduler, Limits, OverLimit, Ticket


def ticket(job: str, user: int, guild: int | None = 1) -> Ticket:
    return Ticket(job, user, guild)


def drain(scheduler: FairScheduler) -> list[str]:
    started = []
    while (t := scheduler.next_ready()) is not None:
        started.append(t.job_id)
        scheduler.finish(t.job_id)
    return started


def test_users_take_turns() -> None:
    scheduler = FairScheduler(Limits(global_running=1, user_running=1, user_pending=10, server_running=10))
    for i in range(4):
        scheduler.add(ticket(f"a{i}", 1))
    scheduler.add(ticket("b0", 2))
    scheduler.add(ticket("c0", 3))
    scheduler.add(ticket("b1", 2))
    assert scheduler.order() == ["a0", "b0", "c0", "a1", "b1", "a2", "a3"]
    assert scheduler.position("c0") == 3 and scheduler.position("a3") == 7
    assert drain(scheduler) == ["a0", "b0", "c0", "a1", "b1", "a2", "a3"]


def test_global_limit() -> None:
    scheduler = FairScheduler(Limits(global_running=2, user_running=5, user_pending=10, server_running=5))
    for i in range(3):
        scheduler.add(ticket(f"j{i}", i))
    assert scheduler.next_ready() is not None and scheduler.next_ready() is not None
    assert scheduler.next_ready() is None
    scheduler.finish("j0")
    started = scheduler.next_ready()
    assert started is not None and started.job_id == "j2"


def test_per_user_running_limit_lets_others_pass() -> None:
    scheduler = FairScheduler(Limits(global_running=10, user_running=1, user_pending=10, server_running=10))
    scheduler.add(ticket("a0", 1))
    scheduler.add(ticket("a1", 1))
    scheduler.add(ticket("b0", 2))
    started = [scheduler.next_ready(), scheduler.next_ready(), scheduler.next_ready()]
    assert [t.job_id if t else None for t in started] == ["a0", "b0", None]


def test_per_server_limit() -> None:
    scheduler = FairScheduler(Limits(global_running=10, user_running=10, user_pending=10, server_running=1))
    scheduler.add(ticket("x", 1, guild=100))
    scheduler.add(ticket("y", 2, guild=100))
    scheduler.add(ticket("z", 3, guild=200))
    assert [scheduler.next_ready().job_id, scheduler.next_ready().job_id] == ["x", "z"]  # type: ignore[union-attr]
    assert scheduler.next_ready() is None


def test_pending_limit_counts_waiting_and_running() -> None:
    scheduler = FairScheduler(Limits(global_running=1, user_running=1, user_pending=2, server_running=1))
    scheduler.add(ticket("a0", 1))
    scheduler.next_ready()
    scheduler.add(ticket("a1", 1))
    with pytest.raises(OverLimit) as info:
        scheduler.add(ticket("a2", 1))
    assert (info.value.pending, info.value.limit) == (2, 2)
    scheduler.add(ticket("a2", 1), enforce_limit=False)  # resumed jobs are never refused
    assert scheduler.pending_for(1) == 3


def test_cancel_removes_only_waiting_jobs() -> None:
    scheduler = FairScheduler(Limits(global_running=1))
    scheduler.add(ticket("a", 1))
    scheduler.add(ticket("b", 2))
    scheduler.next_ready()
    assert not scheduler.remove("a")  # running
    assert scheduler.remove("b") and not scheduler.is_waiting("b")
    assert scheduler.waiting == 0 and scheduler.order() == []


def test_positions_follow_every_change() -> None:
    scheduler = FairScheduler(Limits(global_running=1, user_running=1, user_pending=10, server_running=10))
    for job, user in (("a0", 1), ("a1", 1), ("b0", 2)):
        scheduler.add(ticket(job, user))
    assert [scheduler.position(j) for j in ("a0", "a1", "b0")] == [1, 3, 2]
    scheduler.next_ready()  # a0 starts
    assert [scheduler.position(j) for j in ("a0", "a1", "b0")] == [None, 2, 1]
    scheduler.remove("b0")
    assert scheduler.position("a1") == 1 and not scheduler.is_waiting("b0")
    scheduler.add(ticket("c0", 3))
    assert scheduler.position("c0") == 2 and scheduler.waiting == 2
