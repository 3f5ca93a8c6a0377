"""The bench's phases, run against one bot process on the test suite's local Discord and gateway.

Each phase drives ``/imagine qwen`` through the fake Discord and waits for the images, like a
member would. A job whose images never arrive is counted as *lost*: with Discord errors, the only
figures the CI guard fails on.
"""

from __future__ import annotations

import asyncio
import gc
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager, AsyncExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests.bed import Bed, BotProcess, open_bed
from tests.fakes.discord import Interaction

from .cpu import CpuMeter
from .profile import Profiler

BOTS = {"ours": ("-m", "bench.probe", "bot"), "reference": ("-m", "bench.probe", "reference")}
# The reference bot has no queue limits; lift ours so both face the same load (the limits are
# policy, measured by the tests, not here).
UNLIMITED = {
    "MAX_CONCURRENT_JOBS": "1000",
    "MAX_JOBS_PER_SERVER": "1000",
    "MAX_RUNNING_PER_USER": "1000",
    "MAX_PENDING_PER_USER": "100000",
}
GATEWAY_LATENCY = 1.0
SMALL = {"prompt": "bench", "size": "512*512", "seed": 1}
HEAVY = {"prompt": "overhead", "size": "2048*2048", "count": 4, "seed": 7}
LOST = "lost jobs"
ERRORS = "Discord errors"


def settle_heap() -> None:
    """Keep what the local fakes stored so far out of the bench's own garbage collections.

    The fakes keep every message and request of the run; a full collection walking them stalled the
    local Discord for up to 100 ms, which showed up in the bots' acknowledgement figures.
    """
    gc.collect()
    gc.freeze()


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))] if ordered else float("nan")


def rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


class RssSampler:
    """Samples a process's RSS every 50 ms while active; keeps the peak."""

    def __init__(self, pid: int) -> None:
        self.pid, self.peak = pid, 0.0
        self._task: asyncio.Task[None] | None = None

    async def __aenter__(self) -> RssSampler:
        async def sample() -> None:
            while True:
                self.peak = max(self.peak, rss_mib(self.pid))
                await asyncio.sleep(0.05)

        self._task = asyncio.create_task(sample())
        return self

    async def __aexit__(self, *_: object) -> None:
        if self._task is not None:
            self._task.cancel()


@dataclass
class Run:
    """One bot on one bed: how long to wait for a job, and what went missing."""

    bed: Bed
    timeout: float
    lost: int = 0
    started: list[Interaction] = field(default_factory=list)

    async def job(self, options: dict[str, Any]) -> float:
        """One /imagine qwen from dispatch to delivered files; returns seconds (NaN if lost)."""
        t0 = time.monotonic()
        interaction = await self.bed.discord.slash("alice", "imagine", "qwen", **options)
        self.started.append(interaction)
        count = options.get("count", 1)
        try:
            await self.bed.discord.wait_original(interaction, lambda m: len(m.attachments) >= count, self.timeout)
        except TimeoutError:
            self.lost += 1
            return float("nan")
        return time.monotonic() - t0


async def bounded(n: int, concurrency: int, make: Callable[[int], Any]) -> list[float]:
    gate = asyncio.Semaphore(concurrency)

    async def one(i: int) -> float:
        async with gate:
            return float(await make(i))

    return list(await asyncio.gather(*(one(i) for i in range(n))))


async def ack_burst(run: Run, quick: bool) -> dict[str, float]:
    """Acknowledgement latency under a burst of 200 commands in one second (gateway latency 0.5 s)."""
    run.bed.gateway.latency = 0.5
    burst = 50 if quick else 200
    first = len(run.started)

    async def burst_job(i: int) -> float:
        await asyncio.sleep(i / burst)
        return await run.job({**SMALL, "seed": i})

    await asyncio.gather(*(burst_job(i) for i in range(burst)))
    acks = [i.ack_latency or float("nan") for i in run.started[first:]]
    return {"ack latency p50, ms": pct(acks, 50) * 1000, "ack latency p99, ms": pct(acks, 99) * 1000}


async def throughput(run: Run, total: int) -> float:
    """Jobs per second with an instant gateway, 25 at a time."""
    run.bed.gateway.latency = 0.0
    t1 = time.monotonic()
    await bounded(total, 25, lambda i: run.job({**SMALL, "seed": 10_000 + i}))
    return total / (time.monotonic() - t1)


class LagProbe:
    """The bot's event-loop lag samples (written by ``bench.probe``), read per phase."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def p99(self, since: float, until: float) -> float:
        samples = []
        for line in self.path.read_text().splitlines():
            stamp, lag = line.split()
            if since <= float(stamp) <= until:
                samples.append(float(lag))
        return pct(samples, 99) * 1000


async def measure(name: str, quick: bool, profiler: Profiler) -> dict[str, float]:
    """Every figure for one bot, each phase on the same fresh bed."""
    figures: dict[str, float] = {}
    with tempfile.TemporaryDirectory() as tmp:
        async with open_bed(Path(tmp) / "data") as bed:
            lag = LagProbe(Path(tmp) / "lag.txt")
            run = Run(bed, timeout=60 if quick else 300)
            t0 = time.monotonic()
            launcher: AbstractAsyncContextManager[BotProcess] = bed.bot_process(
                argv=BOTS[name], env={"BENCH_LAG_FILE": str(lag.path), "LOG_LEVEL": "WARNING", **UNLIMITED}
            )
            async with launcher as process:
                figures["cold start to READY, s"] = time.monotonic() - t0
                pid = process.process.pid

                # 1. acknowledgement latency under a burst of 200 commands in 1 s
                settle_heap()
                since = time.time()
                async with profiler.phase(pid, f"{name}-burst"):
                    figures |= await ack_burst(run, quick)
                figures["loop lag p99 in the burst, ms"] = lag.p99(since, time.time())

                # 2. overhead beyond gateway time, 2K PNG (realistic ≈ 4 MB each)
                bed.gateway.latency = GATEWAY_LATENCY
                bed.gateway.image_style = "textured"
                settle_heap()
                since = time.time()
                async with profiler.phase(pid, f"{name}-overhead"):
                    for count in (1, 4):
                        options = {"prompt": "overhead", "size": "2048*2048", "count": count, "seed": 7}
                        await run.job(options)  # warm the gateway's render cache
                        runs = [await run.job(options) - GATEWAY_LATENCY for _ in range(3 if quick else 10)]
                        figures[f"overhead 2K n={count} median, s"] = statistics.median(runs)
                        figures[f"overhead 2K n={count} p95, s"] = pct(runs, 95)
                figures["loop lag p99 in the 2K jobs, ms"] = lag.p99(since, time.time())

                # 3. peak RSS and loop lag with 50 concurrent 2K n=4 jobs
                rss_before = rss_mib(pid)
                figures["RSS before the heavy phase, MiB"] = rss_before
                settle_heap()
                since = time.time()
                async with RssSampler(pid) as sampler, profiler.phase(pid, f"{name}-heavy"):
                    await bounded(20 if quick else 50, 50, lambda _i: run.job(HEAVY))
                figures["peak RSS, 50 × 2K n=4, MiB"] = sampler.peak
                figures["event-loop lag p99, ms"] = lag.p99(since, time.time())

                # 4. throughput with an instant gateway, then RSS after 1000 jobs
                bed.gateway.image_style = "flat"
                total = 200 if quick else 1000
                settle_heap()
                since, cpu = time.time(), CpuMeter([pid])
                cpu.start()
                async with profiler.phase(pid, f"{name}-throughput"):
                    figures["throughput, jobs/s"] = await throughput(run, total)
                figures |= cpu.per_job(total, bot="bot CPU per job in the throughput phase, ms")
                figures["loop lag p99 in the throughput phase, ms"] = lag.p99(since, time.time())
                figures[f"RSS after {total} more jobs, MiB"] = rss_mib(pid)
                figures["RSS after ÷ before the heavy phase"] = rss_mib(pid) / rss_before
            figures[ERRORS] = float(len(discord_errors(bed, name)))
            figures[LOST] = float(run.lost)
    return figures


def discord_errors(bed: Bed, who: str) -> list[tuple[str, int, int]]:
    """The fake Discord's refusals (route, status, code), each printed, for the CI log."""
    errors = [error for error in bed.discord.errors if error[1] >= 400]
    for route, status, code in errors:
        print(f"{who}: Discord answered {status} (code {code}) to {route}", file=sys.stderr)
    return errors


async def measure_scale_out(
    database_url: str, workers: int, quick: bool, profiler: Profiler, label: str
) -> dict[str, float]:
    """Our bot on ``database_url`` with ``workers`` worker processes: acknowledgements and throughput."""
    figures: dict[str, float] = {}
    env = {"LOG_LEVEL": "WARNING", **UNLIMITED}
    with tempfile.TemporaryDirectory() as tmp:
        async with open_bed(Path(tmp) / "data", database_url=database_url) as bed, AsyncExitStack() as stack:
            lag = LagProbe(Path(tmp) / "lag.txt")
            run = Run(bed, timeout=60 if quick else 300)
            process = await stack.enter_async_context(
                bed.bot_process(argv=BOTS["ours"], env={**env, "BENCH_LAG_FILE": str(lag.path)})
            )
            pids = [process.process.pid]
            for _ in range(workers):
                worker = await stack.enter_async_context(bed.worker_process(env={**env, "LOG_LEVEL": "INFO"}))
                pids.append(worker.process.pid)
            pid = process.process.pid
            settle_heap()
            since = time.time()
            async with profiler.phase(pid, f"{label}-burst"):
                figures |= await ack_burst(run, quick)
            settle_heap()
            total, cpu = 200 if quick else 1000, CpuMeter(pids, postgres=True)
            cpu.start()
            async with profiler.phase(pid, f"{label}-throughput"):
                figures["throughput, jobs/s"] = await throughput(run, total)
            figures |= cpu.per_job(total, bot="bot CPU per job (all processes), ms")
            figures["loop lag p99, ms"] = lag.p99(since, time.time())
            figures[ERRORS] = float(len(discord_errors(bed, label)))
            figures[LOST] = float(run.lost)
    return figures
