"""Group commit: requests for one key that arrive while a transaction for that key runs share the next.

Used for admissions (key: the member; see :mod:`bot.storage.admissions`) and for job endings (one
key; see :mod:`bot.storage.endings`). A burst of one member's commands serializes on that member's
lock, and with PostgreSQL each admission holds it for a few round trips: at two hundred commands a
second they queued for seconds, past Discord's three-second window. Here the first request for a key runs its
transaction at once, alone, in its own task, exactly as before; the requests that arrive while it
runs wait in this process, holding no connection, and the next transaction takes all of them
together (up to :data:`MOST`), so one lock hold and one commit serve many.
"""

from __future__ import annotations

import asyncio
import copy
import logging
from collections import deque
from collections.abc import Awaitable, Callable, Hashable
from dataclasses import dataclass, field
from typing import Generic, TypeVar

log = logging.getLogger(__name__)

I = TypeVar("I")  # noqa: E741 - a request
R = TypeVar("R")  # its result

MOST = 32  # requests in one transaction: bounds how long the lock is held


@dataclass(slots=True)
class _Waiting(Generic[I, R]):
    item: I
    result: asyncio.Future[R] = field(default_factory=lambda: asyncio.get_running_loop().create_future())


Commit = Callable[[list[I]], Awaitable[list[R | Exception]]]


class GroupCommit(Generic[I, R]):
    """Runs ``commit`` for a batch of requests of one key at a time; each request gets its own result.

    ``commit(items)`` makes one transaction of all ``items`` and returns, in order, each one's
    result or the exception to raise for it alone. ``orphaned(result)`` is called for a result
    committed for a request whose caller was cancelled meanwhile (to undo it).
    """

    def __init__(self, commit: Commit[I, R], *, orphaned: Callable[[R], Awaitable[None]]) -> None:
        self._commit = commit
        self._orphaned = orphaned
        self._waiting: dict[Hashable, deque[_Waiting[I, R]]] = {}
        self._busy: set[Hashable] = set()
        self._drains: set[asyncio.Task[None]] = set()  # background tasks, kept until done

    async def submit(self, key: Hashable, item: I) -> R:
        """Commit ``item``: at once if nothing else of ``key`` is in flight, else with the next batch."""
        if key in self._busy:
            waiting = _Waiting[I, R](item)
            self._waiting.setdefault(key, deque()).append(waiting)
            try:
                return await waiting.result  # cancelled: left out of the batch, or undone after it
            except asyncio.CancelledError:
                result = waiting.result
                if result.done() and not result.cancelled() and result.exception() is None:
                    self._undo(result.result())  # committed, but its caller left before hearing so
                raise
        self._busy.add(key)
        try:
            (outcome,) = await self._commit([item])  # a cancellation here rolls it back, as it always did
        finally:
            self._next(key)
        if isinstance(outcome, Exception):
            raise outcome
        return outcome

    def _next(self, key: Hashable) -> None:
        if self._waiting.get(key):
            drain = asyncio.create_task(self._drain(key), name=f"group-commit-{key}")
            self._drains.add(drain)
            drain.add_done_callback(self._drains.discard)
        else:
            self._waiting.pop(key, None)
            self._busy.discard(key)

    async def _drain(self, key: Hashable) -> None:
        """Commit what waits for ``key``, batch after batch, until nothing does."""
        queue = self._waiting[key]
        try:
            while queue:
                batch = [queue.popleft() for _ in range(min(len(queue), MOST))]
                batch = [waiting for waiting in batch if not waiting.result.done()]  # cancelled while waiting
                if batch:
                    await self._commit_batch(batch)
        finally:  # (cancelled only when the process stops: whoever still waits is cancelled too)
            for waiting in queue:
                waiting.result.cancel()
            self._waiting.pop(key, None)
            self._busy.discard(key)

    async def _commit_batch(self, batch: list[_Waiting[I, R]]) -> None:
        try:
            try:
                outcomes = await self._commit([waiting.item for waiting in batch])
            except Exception as error:  # the database failed: every request of the batch hears it
                outcomes = [copy.copy(error) for _ in batch]  # (one raise each, not one object raised N times)
            for waiting, outcome in zip(batch, outcomes, strict=True):
                if waiting.result.cancelled():
                    if not isinstance(outcome, Exception):
                        self._undo(outcome)
                elif isinstance(outcome, Exception):
                    waiting.result.set_exception(outcome)
                else:
                    waiting.result.set_result(outcome)
        finally:  # whoever has not heard by now (the process stopping) is cancelled, never left waiting
            for waiting in batch:
                if not waiting.result.done():
                    waiting.result.cancel()

    def _undo(self, outcome: R) -> None:
        """Undo a result committed for a caller who left, in the background (the others need not wait)."""

        async def undo() -> None:
            try:
                await self._orphaned(outcome)
            except Exception:
                log.exception("undoing a request whose caller left failed")

        task = asyncio.create_task(undo(), name="group-commit-undo")
        self._drains.add(task)
        task.add_done_callback(self._drains.discard)
