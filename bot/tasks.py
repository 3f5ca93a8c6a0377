"""Stopping background tasks for good, even when a library loses a cancellation."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

log = logging.getLogger(__name__)

RECANCEL_AFTER = 1.0  # seconds a cancelled task may take before it is cancelled again


async def stop_tasks(*tasks: asyncio.Task[Any] | None) -> None:
    """Cancel ``tasks`` (``None`` entries are skipped) and return once every one has ended.

    A cancellation can be lost inside a library. On Python 3.11, ``asyncio.wait_for`` returns the
    inner result when it completes just as the waiting task is cancelled, and psycopg's pool waits
    that way; the task then carries on to its next sleep (a day, for the retention loop), and
    whoever awaited it waits forever. A task still running a moment after its cancellation is
    cancelled again. A task's own failure is logged, not raised: it is being stopped.
    """
    pending = {task for task in tasks if task is not None and not task.done()}
    while pending:
        for task in pending:
            task.cancel()
        _, pending = await asyncio.wait(pending, timeout=RECANCEL_AFTER)
    for ended in tasks:
        if ended is not None and not ended.cancelled() and ended.exception() is not None:
            log.error("task %s failed while stopping", ended.get_name(), exc_info=ended.exception())
