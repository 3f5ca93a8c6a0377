"""CPU time per job, for every process that shares the machine's cores during a phase.

On a small machine the bot, the bench with its local Discord and gateway, and PostgreSQL all run
on the same cores, so throughput follows what *all* of them spend per job, not the bot alone.
The bench prints each part, so that a change in jobs/s can be read against where the CPU went.
"""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

POSTGRES = {"postgres", "postmaster"}


def cpu_seconds(pid: int) -> float:
    """CPU time (user + system) a process has used so far."""
    return _cpu(Path(f"/proc/{pid}/stat").read_text())[1]


def postgres_cpu_seconds() -> float:
    """CPU time used so far by the PostgreSQL server processes running on this machine (0 if none)."""
    total = 0.0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError, ValueError, IndexError):  # (a process may end as it is read)
            name, seconds = _cpu(stat.read_text())
            if name in POSTGRES:
                total += seconds
    return total


def _cpu(stat: str) -> tuple[str, float]:
    """A ``/proc/<pid>/stat`` line's command name, and its CPU time (user + system) in seconds."""
    name, rest = stat.split("(", 1)[1].rsplit(")", 1)
    fields = rest.split()
    return name, (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@dataclass
class CpuMeter:
    """CPU used from :meth:`start` on by the bot's processes, the bench's own process, and PostgreSQL."""

    bot_pids: Sequence[int]
    postgres: bool = False  # also PostgreSQL's server processes on this machine (whether the bot uses it or not)
    _start: tuple[float, float, float] = field(default=(0.0, 0.0, 0.0), init=False)

    def _now(self) -> tuple[float, float, float]:
        bot = sum(cpu_seconds(pid) for pid in self.bot_pids)
        return bot, time.process_time(), postgres_cpu_seconds() if self.postgres else 0.0

    def start(self) -> None:
        self._start = self._now()

    def per_job(self, jobs: int, *, bot: str) -> dict[str, float]:
        """Milliseconds per job since :meth:`start`: ``bot`` names the bot's figure."""
        spent = [(now - then) / jobs * 1000 for now, then in zip(self._now(), self._start, strict=True)]
        figures = {bot: spent[0], "bench CPU per job (the local Discord and gateway), ms": spent[1]}
        if self.postgres:
            figures["PostgreSQL CPU per job, ms"] = spent[2]
        figures["CPU per job, every process, ms"] = sum(spent)
        return figures
