"""Run a bot (ours or the reference) with an event-loop lag probe, without changing its code.

``python -m bench.probe bot|reference``: the probe appends ``<unix time> <lag seconds>`` lines to
``$BENCH_LAG_FILE`` every 10 ms of loop time.
"""

from __future__ import annotations

import asyncio
import os
import sys
import time
from collections.abc import Callable, Coroutine
from typing import Any

INTERVAL = 0.01


async def _probe(path: str) -> None:
    with open(path, "a", buffering=1) as out:  # noqa: ASYNC230 - line-buffered appends are cheap
        while True:
            started = time.monotonic()
            await asyncio.sleep(INTERVAL)
            out.write(f"{time.time():.4f} {max(time.monotonic() - started - INTERVAL, 0.0):.5f}\n")


def _with_probe(run: Callable[..., Coroutine[Any, Any, None]]) -> Callable[..., Coroutine[Any, Any, None]]:
    async def wrapped(*args: Any) -> None:
        task = asyncio.create_task(_probe(os.environ["BENCH_LAG_FILE"]))
        try:
            await run(*args)
        finally:
            task.cancel()

    return wrapped


def main() -> None:
    which = sys.argv[1]
    if which == "bot":
        import bot.cli
        import bot.cli.run as entry

        entry.serve = _with_probe(entry.serve)
        bot.cli.main(["run"])
    else:
        from bench import reference_bot

        reference_bot.run = _with_probe(reference_bot.run)  # type: ignore[assignment]
        reference_bot.main()


if __name__ == "__main__":
    main()
