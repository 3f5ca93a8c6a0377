"""Fair turns under concurrency limits: which waiting job starts next. Pure logic, no I/O.

Users take turns: the user whose turn came longest ago goes first, and a user who just arrived
queues behind everyone already waiting. Each user's own jobs start oldest first. A user at their
running limit, or whose next job's server is at its limit, is passed over (not skipped for good).
The database claim calls :func:`pick_next` inside its transaction; positions shown to members
come from :func:`start_order` on the same state, so both always agree.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass

from bot.storage.records import QueueEntry, QueueState


@dataclass(frozen=True, slots=True)
class Limits:
    """Concurrency and queue limits; see the settings that fill them."""

    global_running: int = 4  # jobs talking to the gateway at once
    user_running: int = 2  # per user, at once
    user_pending: int = 5  # per user, waiting + running
    server_running: int = 3  # per server, at once


def pick_next(state: QueueState, limits: Limits) -> str | None:
    """The id of the job that may start now, or ``None`` if none may."""
    if len(state.running) >= limits.global_running:
        return None
    per_user = Counter(entry.user_id for entry in state.running)
    per_server = Counter(entry.guild_id for entry in state.running if entry.guild_id is not None)
    for queue in _turn_order(state):
        head = queue[0]
        if per_user[head.user_id] >= limits.user_running:
            continue
        if head.guild_id is not None and per_server[head.guild_id] >= limits.server_running:
            continue
        return head.job_id
    return None


def start_order(state: QueueState) -> list[str]:
    """Waiting job ids in the order they would start if nothing else changed (round robin)."""
    queues = _turn_order(state)
    order: list[str] = []
    depth = 0
    while any(depth < len(queue) for queue in queues):
        order.extend(queue[depth].job_id for queue in queues if depth < len(queue))
        depth += 1
    return order


def _turn_order(state: QueueState) -> list[list[QueueEntry]]:
    """Each waiting user's jobs (oldest first), users ordered by whose turn it is."""
    queues: dict[int, list[QueueEntry]] = defaultdict(list)
    for entry in sorted(state.waiting, key=lambda e: (e.created_at, e.job_id)):
        queues[entry.user_id].append(entry)

    def turn(queue: list[QueueEntry]) -> tuple[float, float, str]:
        head = queue[0]
        # Waiting since the later of: their last turn, or their oldest job's arrival.
        since = max(state.turns.get(head.user_id, float("-inf")), head.created_at)
        return (since, head.created_at, head.job_id)

    return sorted(queues.values(), key=turn)
