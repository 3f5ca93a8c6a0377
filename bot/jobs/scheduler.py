"""Fair scheduling of waiting jobs under global, per-user and per-server concurrency limits.

Pure logic, no I/O: the engine asks it which job may start next. Users take turns (round
robin), so one user with many queued jobs cannot starve the others.
"""

from __future__ import annotations

from collections import OrderedDict, deque
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Limits:
    """Concurrency and queue limits; see the settings that fill them."""

    global_running: int = 4  # jobs talking to the gateway at once
    user_running: int = 2  # per user, at once
    user_pending: int = 5  # per user, waiting + running
    server_running: int = 3  # per server, at once


@dataclass(frozen=True, slots=True)
class Ticket:
    """What the scheduler needs to know about a job."""

    job_id: str
    user_id: int
    guild_id: int | None


class OverLimit(Exception):
    """A user already has as many jobs as allowed."""

    def __init__(self, pending: int, limit: int) -> None:
        super().__init__(f"{pending} pending jobs, limit {limit}")
        self.pending = pending
        self.limit = limit


class FairScheduler:
    """Per-user FIFO queues served in turn, within the limits."""

    def __init__(self, limits: Limits) -> None:
        self.limits = limits
        self._waiting: OrderedDict[int, deque[Ticket]] = OrderedDict()  # user -> FIFO; order = turn order
        self._running: dict[str, Ticket] = {}
        self._positions: dict[str, int] | None = None  # cached start order; None after any change

    @property
    def running(self) -> int:
        return len(self._running)

    @property
    def waiting(self) -> int:
        return sum(len(q) for q in self._waiting.values())

    def pending_for(self, user_id: int) -> int:
        """Waiting + running jobs of one user."""
        waiting = len(self._waiting.get(user_id, ()))
        return waiting + sum(1 for t in self._running.values() if t.user_id == user_id)

    def add(self, ticket: Ticket, *, enforce_limit: bool = True) -> None:
        """Queue a job; raise :class:`OverLimit` if its user has too many already."""
        pending = self.pending_for(ticket.user_id)
        if enforce_limit and pending >= self.limits.user_pending:
            raise OverLimit(pending, self.limits.user_pending)
        self._waiting.setdefault(ticket.user_id, deque()).append(ticket)
        self._positions = None

    def remove(self, job_id: str) -> bool:
        """Drop a waiting job (cancel); False if it is not waiting."""
        for user_id, queue in self._waiting.items():
            for ticket in queue:
                if ticket.job_id == job_id:
                    queue.remove(ticket)
                    if not queue:
                        del self._waiting[user_id]
                    self._positions = None
                    return True
        return False

    def is_waiting(self, job_id: str) -> bool:
        return self.position(job_id) is not None

    def next_ready(self) -> Ticket | None:
        """Pop the next job allowed to start, or None; the served user goes to the back of the turn."""
        if len(self._running) >= self.limits.global_running:
            return None
        for user_id, queue in self._waiting.items():
            ticket = queue[0]
            if self._user_running(user_id) >= self.limits.user_running:
                continue
            if self._server_running(ticket.guild_id) >= self.limits.server_running:
                continue
            queue.popleft()
            del self._waiting[user_id]
            if queue:
                self._waiting[user_id] = queue  # back of the line
            self._running[ticket.job_id] = ticket
            self._positions = None
            return ticket
        return None

    def finish(self, job_id: str) -> None:
        """A running job ended (any way)."""
        self._running.pop(job_id, None)

    def order(self) -> list[str]:
        """Waiting job ids in the order they would start if nothing else changed."""
        queues = [list(q) for q in self._waiting.values()]
        out: list[str] = []
        depth = 0
        while any(depth < len(q) for q in queues):
            out.extend(q[depth].job_id for q in queues if depth < len(q))
            depth += 1
        return out

    def position(self, job_id: str) -> int | None:
        """1-based place among waiting jobs, or None if not waiting (cached: the status loop asks for every job)."""
        if self._positions is None:
            self._positions = {job: place for place, job in enumerate(self.order(), start=1)}
        return self._positions.get(job_id)

    def _user_running(self, user_id: int) -> int:
        return sum(1 for t in self._running.values() if t.user_id == user_id)

    def _server_running(self, guild_id: int | None) -> int:
        if guild_id is None:
            return 0
        return sum(1 for t in self._running.values() if t.guild_id == guild_id)
