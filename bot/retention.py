"""Retention: results that could not be posted, and (only when configured) old job records, are purged.

Job records are kept forever by default, because a result's buttons and ``/show`` need its
record months later. Undelivered images are only a fallback for ``/show`` and are dropped after
``UNDELIVERED_DAYS``. A purge runs once at start-up and then every hour, and logs one line.
"""

from __future__ import annotations

import asyncio
import logging
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from bot.jobs.undelivered import FOLDER as UNDELIVERED_FOLDER
from bot.metrics import Metrics
from bot.tasks import stop_tasks

log = logging.getLogger(__name__)

DAY = 24 * 3600.0
PURGE_INTERVAL = 3600.0


class PurgeableRecords(Protocol):
    """The part of the job store retention needs."""

    async def purge_finished(self, *, before: float) -> int:
        """Delete ended jobs (never queued or running ones) created before ``before``; return how many."""
        ...


class PurgeableInputs(Protocol):
    """The part of the input store retention needs."""

    async def purge_unused(self, *, before: float) -> int:
        """Delete input images no job names, stored before ``before``; return how many."""
        ...


@dataclass(frozen=True, slots=True)
class RetentionPolicy:
    """How long things are kept, in days."""

    undelivered_days: int = 7
    record_days: int | None = None  # None: job records are kept forever
    # Input images no job names (the edit was refused, or its jobs were purged). The grace only
    # has to cover the moment between storing an edit's inputs and admitting its job.
    unused_input_days: float = 1


@dataclass(frozen=True, slots=True)
class Purged:
    """What one purge removed."""

    records: int
    undelivered: int
    inputs: int = 0


def purge_undelivered(folder: Path, *, before: float) -> int:
    """Delete the result folders in ``folder`` last written before ``before`` (epoch seconds); return how many.

    Blocking: call it through ``asyncio.to_thread``.
    """
    if not folder.is_dir():
        return 0
    removed = 0
    for entry in folder.iterdir():
        if entry.is_dir() and entry.stat().st_mtime < before:
            shutil.rmtree(entry)
            removed += 1
    return removed


class Retention:
    """Purges by a :class:`RetentionPolicy`, once when started and then periodically."""

    def __init__(
        self,
        records: PurgeableRecords,
        data_dir: Path,
        policy: RetentionPolicy,
        *,
        metrics: Metrics,
        clock: Callable[[], float] = time.time,
        interval: float = PURGE_INTERVAL,
        inputs: PurgeableInputs | None = None,
    ) -> None:
        self.policy = policy
        self._records = records
        self._inputs = inputs
        self._folder = data_dir / UNDELIVERED_FOLDER
        self._metrics = metrics
        self._clock = clock
        self._interval = interval
        self._task: asyncio.Task[None] | None = None

    async def purge(self) -> Purged:
        """Purge everything the policy says is too old now; log one line with the counts."""
        now = self._clock()
        undelivered = await asyncio.to_thread(
            purge_undelivered, self._folder, before=now - self.policy.undelivered_days * DAY
        )
        records = 0
        if self.policy.record_days is not None:
            records = await self._records.purge_finished(before=now - self.policy.record_days * DAY)
        inputs = 0
        if self._inputs is not None:  # after the records: inputs only their purged jobs named go now
            inputs = await self._inputs.purge_unused(before=now - self.policy.unused_input_days * DAY)
        self._metrics.retention_purged(records=records, undelivered=undelivered)
        log.info(
            "retention: purged %d job records (kept %s) and %d undelivered results (kept %d days)",
            records,
            "forever" if self.policy.record_days is None else f"{self.policy.record_days} days",
            undelivered,
            self.policy.undelivered_days,
        )
        if inputs:
            log.info("retention: purged %d input images no job names any more", inputs)
        return Purged(records=records, undelivered=undelivered, inputs=inputs)

    def start(self) -> None:
        """Purge now, then every ``interval`` seconds, until :meth:`stop`."""
        if self._task is None:
            self._task = asyncio.create_task(self._loop(), name="retention")

    async def stop(self) -> None:
        """Stop purging (waits for a purge in progress to be cancelled)."""
        task, self._task = self._task, None
        await stop_tasks(task)

    async def _loop(self) -> None:
        while True:
            try:
                await self.purge()
            except Exception:  # a failed purge is retried at the next interval, never fatal
                log.exception("retention: purge failed; trying again in %.0f minutes", self._interval / 60)
            await asyncio.sleep(self._interval)
