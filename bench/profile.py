"""``--profile``: a py-spy flame graph of the bot's process for each phase, in ``bench/results/profiles/``.

py-spy samples another process from outside (``--nonblocking``: without pausing it), so the
profiled code is the code that runs in production. It is a dev dependency; without it the bench
says so once and measures as usual.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import shutil
import signal
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

RATE = 100  # samples per second: enough for a phase of a few seconds, light on a 2-core machine
STOP_TIMEOUT = 30.0


class Profiler:
    """Records one flame graph per phase while enabled; a no-op otherwise."""

    def __init__(self, folder: Path, *, enabled: bool, tag: str = "") -> None:
        self.folder = folder
        self.executable = _py_spy() if enabled else None
        self.tag = tag  # e.g. the run number, so runs do not overwrite each other
        self.written: list[Path] = []

    @asynccontextmanager
    async def phase(self, pid: int, name: str) -> AsyncIterator[None]:
        """Sample ``pid`` while the block runs; write ``<tag>-<name>.svg``."""
        if self.executable is None:
            yield
            return
        self.folder.mkdir(parents=True, exist_ok=True)
        slug = re.sub(r"[^a-z0-9]+", "-", f"{self.tag}-{name}".lower()).strip("-")
        output = self.folder / f"{slug}.svg"
        options = ["--pid", str(pid), "--rate", str(RATE), "--nonblocking", "--threads", "--format", "flamegraph"]
        recorder = await asyncio.create_subprocess_exec(
            str(self.executable),
            "record",
            *options,
            "--output",
            str(output),
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.DEVNULL,
        )
        try:
            yield
        finally:
            with contextlib.suppress(ProcessLookupError):
                recorder.send_signal(signal.SIGINT)  # py-spy writes the graph when interrupted
            try:
                await asyncio.wait_for(recorder.wait(), STOP_TIMEOUT)
            except TimeoutError:
                recorder.kill()
            if output.exists():
                self.written.append(output)


def _py_spy() -> Path | None:
    """py-spy beside this Python (the venv's), or on the PATH."""
    beside = Path(sys.executable).parent / "py-spy"
    found = str(beside) if beside.exists() else shutil.which("py-spy")
    if found is None:
        print("--profile: py-spy is not installed (pip install -r requirements-dev.lock); not profiling")
        return None
    return Path(found)
