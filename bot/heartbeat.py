"""Liveness for container health checks: a process touches its heartbeat file while it is working.

Each host (container) has its own file in ``DATA_DIR``, so the bot and its workers can share
the data volume and each container's health check (``python -m bot.healthcheck``) reads the
file of the process beside it.
"""

from __future__ import annotations

import asyncio
import logging
import socket
import time
from collections.abc import Callable
from pathlib import Path

from bot.tasks import stop_tasks

log = logging.getLogger(__name__)

HEARTBEAT_SECONDS = 30
MAX_AGE = 3 * HEARTBEAT_SECONDS  # older than this: unhealthy


def heartbeat_path(data_dir: Path) -> Path:
    """This host's heartbeat file."""
    return data_dir / f"heartbeat-{socket.gethostname()}"


class Heartbeat:
    """Touches the heartbeat file every :data:`HEARTBEAT_SECONDS` while ``alive()`` says so."""

    def __init__(self, data_dir: Path, alive: Callable[[], bool]) -> None:
        self._path = heartbeat_path(data_dir)
        self._alive = alive
        self._task: asyncio.Task[None] | None = None
        self.last_beat: float | None = None  # monotonic time of the last beat

    def start(self) -> None:
        """Beat now (if alive) and then periodically, until :meth:`stop`."""
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name="heartbeat")

    async def stop(self) -> None:
        await stop_tasks(self._task)
        self._task = None

    def recent(self) -> bool:
        """Whether the loop beat recently (the event loop turns and the process is alive)."""
        return self.last_beat is not None and time.monotonic() - self.last_beat < MAX_AGE

    async def beat(self) -> None:
        """Touch the file now, if alive."""
        if self._alive():
            try:
                await asyncio.to_thread(self._path.touch)
            except OSError as error:
                log.warning("cannot write the heartbeat file %s: %s", self._path, error)
                return
            self.last_beat = time.monotonic()

    async def _run(self) -> None:
        while True:
            await self.beat()
            await asyncio.sleep(HEARTBEAT_SECONDS)
