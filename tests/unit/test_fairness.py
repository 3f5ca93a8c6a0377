"""The fairness rule: turns between users, the limits, and the positions members see."""

from __future__ import annotations

from dataclasses import dataclass, field

from bot.jobs.fairness import Limits, pick_next, start_order
from bot.storage.records import QueueEntry, QueueState


@dataclass
class Queue:
    """A queue driven the way the database drives it: jobs arrive, start (taking a turn) and end."""

    limits: Limits
    waiting: list[QueueEntry] = field(default_factory=list)
    running: list[QueueEntry] = field(default_factory=list)
    turns: dict[int, float] = field(default_factory=dict)
    clock: float = 0.0

    def add(self, job: str, user: int, guild: int | None = 1) -> None:
        self.clock += 1
        self.waiting.append(QueueEntry(job, user, guild, self.clock))

    def state(self) -> QueueState:
        return QueueState(tuple(self.waiting), tuple(self.running), dict(self.turns))

    def start(self) -> str | None:
        job_id = pick_next(self.state(), self.limits)
        if job_id is not None:
            self.clock += 1
            entry = next(e for e in self.waiting if e.job_id == job_id)
            self.waiting.remove(entry)
            self.running.append(entry)
            self.turns[entry.user_id] = self.clock
        return job_id

    def finish(self, job_id: str) -> None:
        self.running = [e for e in self.running if e.job_id != job_id]

    def drain(self) -> list[str]:
        started = []
        while (job_id := self.start()) is not None:
            started.append(job_id)
            self.finish(job_id)
        return started

    def position(self, job_id: str) -> int | None:
        order = start_order(self.state())
        return order.index(job_id) + 1 if job_id in order else None


def test_users_take_turns() -> None:
    queue = Queue(Limits(global_running=1, user_running=1, user_pending=10, server_running=10))
    for i in range(4):
        queue.add(f"a{i}", 1)
    queue.add("b0", 2)
    queue.add("c0", 3)
    queue.add("b1", 2)
    assert start_order(queue.state()) == ["a0", "b0", "c0", "a1", "b1", "a2", "a3"]
    assert queue.position("c0") == 3 and queue.position("a3") == 7
    assert queue.drain() == ["a0", "b0", "c0", "a1", "b1", "a2", "a3"]


def test_a_newcomer_waits_behind_users_already_waiting_but_ahead_of_the_one_just_served() -> None:
    queue = Queue(Limits(global_running=1, user_running=1, user_pending=10, server_running=10))
    queue.add("a0", 1)
    queue.add("a1", 1)
    queue.add("b0", 2)
    assert queue.start() == "a0"
    queue.finish("a0")
    queue.add("c0", 3)  # arrives after a0 started: b0 first (waiting longer), then a1 (served before c0 came)
    assert queue.drain() == ["b0", "a1", "c0"]


def test_global_limit() -> None:
    queue = Queue(Limits(global_running=2, user_running=5, user_pending=10, server_running=5))
    for i in range(3):
        queue.add(f"j{i}", i)
    assert queue.start() is not None and queue.start() is not None
    assert queue.start() is None
    queue.finish("j0")
    assert queue.start() == "j2"


def test_per_user_running_limit_lets_others_pass() -> None:
    queue = Queue(Limits(global_running=10, user_running=1, user_pending=10, server_running=10))
    queue.add("a0", 1)
    queue.add("a1", 1)
    queue.add("b0", 2)
    assert [queue.start(), queue.start(), queue.start()] == ["a0", "b0", None]


def test_per_server_limit() -> None:
    queue = Queue(Limits(global_running=10, user_running=10, user_pending=10, server_running=1))
    queue.add("x", 1, guild=100)
    queue.add("y", 2, guild=100)
    queue.add("z", 3, guild=200)
    queue.add("dm", 4, guild=None)  # direct messages have no server limit
    assert [queue.start(), queue.start(), queue.start(), queue.start()] == ["x", "z", "dm", None]


def test_positions_follow_every_change() -> None:
    queue = Queue(Limits(global_running=1, user_running=1, user_pending=10, server_running=10))
    for job, user in (("a0", 1), ("a1", 1), ("b0", 2)):
        queue.add(job, user)
    assert [queue.position(j) for j in ("a0", "a1", "b0")] == [1, 3, 2]
    assert queue.start() == "a0"
    assert [queue.position(j) for j in ("a0", "a1", "b0")] == [None, 2, 1]
    queue.waiting = [e for e in queue.waiting if e.job_id != "b0"]  # cancelled
    assert queue.position("a1") == 1 and queue.position("b0") is None
    queue.add("c0", 3)
    assert queue.position("c0") == 2


def test_start_order_and_pick_agree_when_nothing_limits() -> None:
    queue = Queue(Limits(global_running=1, user_running=1, user_pending=50, server_running=50))
    for i, user in enumerate([1, 1, 2, 3, 1, 2, 4, 4, 3]):
        queue.add(f"j{i}", user)
    assert start_order(queue.state()) == queue.drain()
