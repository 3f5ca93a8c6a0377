"""``python -m bench``: measure our bot against a minimal reference bot on the same local bed.

Prints a table (ours, reference, ratio) and writes ``bench/results/latest.json``. These are
measurements, not pass/fail checks.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import platform
import statistics
import tempfile
import time
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager, AsyncExitStack
from pathlib import Path
from typing import Any

import pytest

from tests.bed import Bed, BotProcess, open_bed
from tests.databases import postgres_schema
from tests.fakes.discord import Interaction

RESULTS = Path(__file__).parent / "results"
BOTS = {"ours": ("-m", "bench.probe", "bot"), "reference": ("-m", "bench.probe", "reference")}
# The reference bot has no queue limits; lift ours so both face the same load (the limits are
# policy, measured by the tests, not here).
UNLIMITED = {"MAX_CONCURRENT_JOBS": "1000", "MAX_JOBS_PER_SERVER": "1000", "MAX_RUNNING_PER_USER": "1000",
             "MAX_PENDING_PER_USER": "100000"}  # fmt: skip
GATEWAY_LATENCY = 1.0


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
        self.pid, self.peak, self._task = pid, 0.0, None  # type: ignore[var-annotated]

    async def __aenter__(self) -> RssSampler:
        async def sample() -> None:
            while True:
                self.peak = max(self.peak, rss_mib(self.pid))
                await asyncio.sleep(0.05)

        self._task = asyncio.create_task(sample())  # type: ignore[assignment]
        return self

    async def __aexit__(self, *_: object) -> None:
        self._task.cancel()  # type: ignore[attr-defined]


async def job(bed: Bed, options: dict[str, Any], started: list[Interaction] | None = None) -> float:
    """One /imagine qwen from dispatch to delivered files; returns seconds."""
    t0 = time.monotonic()
    interaction = await bed.discord.slash("alice", "imagine", "qwen", **options)
    if started is not None:
        started.append(interaction)
    await bed.discord.wait_original(interaction, lambda m: len(m.attachments) >= options.get("count", 1), 300)
    return time.monotonic() - t0


async def bounded(n: int, concurrency: int, make: Callable[[int], Any]) -> list[float]:
    gate = asyncio.Semaphore(concurrency)

    async def one(i: int) -> float:
        async with gate:
            return float(await make(i))

    return list(await asyncio.gather(*(one(i) for i in range(n))))


SMALL = {"prompt": "bench", "size": "512*512", "seed": 1}


async def ack_burst(bed: Bed, quick: bool) -> dict[str, float]:
    """Acknowledgement latency under a burst of 200 commands in one second (gateway latency 0.5 s)."""
    bed.gateway.latency = 0.5
    burst = 50 if quick else 200
    started: list[Interaction] = []

    async def burst_job(i: int) -> float:
        await asyncio.sleep(i / burst)
        return await job(bed, {**SMALL, "seed": i}, started)

    await asyncio.gather(*(burst_job(i) for i in range(burst)))
    acks = [i.ack_latency or float("nan") for i in started]
    return {"ack latency p50, ms": pct(acks, 50) * 1000, "ack latency p99, ms": pct(acks, 99) * 1000}


async def throughput(bed: Bed, total: int) -> float:
    """Jobs per second with an instant gateway, 25 at a time."""
    bed.gateway.latency = 0.0
    t1 = time.monotonic()
    await bounded(total, 25, lambda i: job(bed, {**SMALL, "seed": 10_000 + i}))
    return total / (time.monotonic() - t1)


def lag_p99(lag_file: Path, since: float, until: float) -> float:
    samples = []
    for line in lag_file.read_text().splitlines():
        stamp, lag = line.split()
        if since <= float(stamp) <= until:
            samples.append(float(lag))
    return pct(samples, 99) * 1000


async def measure(name: str, quick: bool) -> dict[str, float]:
    """Every figure for one bot, each phase on the same fresh bed."""
    figures: dict[str, float] = {}
    with tempfile.TemporaryDirectory() as tmp:
        async with open_bed(Path(tmp) / "data") as bed:
            lag_file = Path(tmp) / "lag.txt"
            t0 = time.monotonic()
            launcher: AbstractAsyncContextManager[BotProcess] = bed.bot_process(
                argv=BOTS[name], env={"BENCH_LAG_FILE": str(lag_file), "LOG_LEVEL": "WARNING", **UNLIMITED}
            )
            async with launcher as process:
                figures["cold start to READY, s"] = time.monotonic() - t0
                pid = process.process.pid

                # 1. acknowledgement latency under a burst of 200 commands in 1 s
                figures |= await ack_burst(bed, quick)

                # 2. overhead beyond gateway time, 2K PNG (realistic ≈ 4 MB each)
                bed.gateway.latency = GATEWAY_LATENCY
                bed.gateway.image_style = "textured"
                for count in (1, 4):
                    options = {"prompt": "overhead", "size": "2048*2048", "count": count, "seed": 7}
                    await job(bed, options)  # warm the gateway's render cache
                    runs = [await job(bed, options) - GATEWAY_LATENCY for _ in range(3 if quick else 10)]
                    figures[f"overhead 2K n={count} median, s"] = statistics.median(runs)
                    figures[f"overhead 2K n={count} p95, s"] = pct(runs, 95)

                # 3. peak RSS and loop lag with 50 concurrent 2K n=4 jobs
                heavy = {"prompt": "overhead", "size": "2048*2048", "count": 4, "seed": 7}
                since = time.time()
                async with RssSampler(pid) as sampler:
                    await bounded(20 if quick else 50, 50, lambda _i: job(bed, heavy))
                figures["peak RSS, 50 × 2K n=4, MiB"] = sampler.peak
                figures["event-loop lag p99, ms"] = lag_p99(lag_file, since, time.time())

                # 4. throughput with an instant gateway, then RSS after 1000 jobs
                bed.gateway.image_style = "flat"
                total = 200 if quick else 1000
                rss_before = rss_mib(pid)
                figures["throughput, jobs/s"] = await throughput(bed, total)
                figures[f"RSS after {total} more jobs, MiB"] = rss_mib(pid)
                figures[f"RSS growth during those {total} jobs, MiB"] = rss_mib(pid) - rss_before
            errors = [e for e in bed.discord.errors if e[1] >= 400]
            figures["Discord errors"] = float(len(errors))
    return figures


async def measure_scale_out(database_url: str, workers: int, quick: bool) -> dict[str, float]:
    """Our bot on ``database_url`` with ``workers`` worker processes: acknowledgements and throughput."""
    figures: dict[str, float] = {}
    env = {"LOG_LEVEL": "WARNING", **UNLIMITED}
    with tempfile.TemporaryDirectory() as tmp:
        async with open_bed(Path(tmp) / "data", database_url=database_url) as bed, AsyncExitStack() as stack:
            await stack.enter_async_context(
                bed.bot_process(argv=BOTS["ours"], env={**env, "BENCH_LAG_FILE": "/dev/null"})
            )
            for _ in range(workers):
                await stack.enter_async_context(bed.worker_process(env={**env, "LOG_LEVEL": "INFO"}))
            figures |= await ack_burst(bed, quick)
            figures["throughput, jobs/s"] = await throughput(bed, 200 if quick else 1000)
            figures["Discord errors"] = float(len([e for e in bed.discord.errors if e[1] >= 400]))
    return figures


async def scale_out(quick: bool, postgres: bool) -> dict[str, dict[str, float]]:
    """The same two phases on SQLite (one process) and PostgreSQL (one process; one process + 2 workers)."""
    runs: dict[str, dict[str, float]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        runs["sqlite, 1 process"] = await measure_scale_out(f"sqlite:///{tmp}/bench.sqlite3", 0, quick)
    if not postgres:
        return runs
    for label, workers in (("postgres, 1 process", 0), ("postgres, 1 process + 2 workers", 2)):
        try:
            async with postgres_schema() as url:
                runs[label] = await measure_scale_out(url, workers, quick)
        except pytest.skip.Exception as skipped:
            print(f"{label}: skipped ({skipped})")
    return runs


def render_scale_out(runs: dict[str, dict[str, float]]) -> str:
    labels = list(runs)
    keys = ["ack latency p50, ms", "ack latency p99, ms", "throughput, jobs/s", "Discord errors"]
    lines = ["| metric | " + " | ".join(labels) + " |", "|---|" + "---:|" * len(labels)]
    for key in keys:
        lines.append(f"| {key} | " + " | ".join(f"{runs[label].get(key, float('nan')):.3f}" for label in labels) + " |")
    return "\n".join(lines)


def render(results: dict[str, dict[str, float]]) -> str:
    ours, ref = results["ours"], results["reference"]
    lines = ["| metric | ours | reference | ratio |", "|---|---:|---:|---:|"]
    for key, value in ours.items():
        other = ref.get(key, float("nan"))
        ratio = value / other if other else float("nan")
        lines.append(f"| {key} | {value:.3f} | {other:.3f} | {ratio:.2f} |")
    return "\n".join(lines)


async def main_async(quick: bool, postgres: bool, scale_out_only: bool) -> None:
    results = {} if scale_out_only else {name: await measure(name, quick) for name in BOTS}
    if results:
        print(render(results))
    scaled = await scale_out(quick, postgres)
    print("\nScale-out (the same burst and throughput phases, by database and processes):\n")
    print(render_scale_out(scaled))
    RESULTS.mkdir(exist_ok=True)
    meta = {"python": platform.python_version(), "machine": platform.machine(), "quick": quick,
            "gateway_latency_s": GATEWAY_LATENCY, "when": time.strftime("%Y-%m-%d %H:%M:%S")}  # fmt: skip
    document = {"meta": meta, "results": results, "scale_out": scaled}
    (RESULTS / "latest.json").write_text(json.dumps(document, indent=2))
    print(f"\nwrote {RESULTS / 'latest.json'}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="smaller counts, for a smoke run")
    parser.add_argument("--no-postgres", action="store_true", help="skip the PostgreSQL scale-out runs")
    parser.add_argument("--scale-out-only", action="store_true", help="only the scale-out runs (no reference bot)")
    arguments = parser.parse_args()
    asyncio.run(main_async(arguments.quick, not arguments.no_postgres, arguments.scale_out_only))


if __name__ == "__main__":
    main()
