"""``python -m bench``: measure our bot against a minimal reference bot on the same local bed.

Prints tables (ours, reference, ratio; median and [min–max] over ``--runs``) and writes
``bench/results/latest.json``. The figures are measurements, not pass/fail checks: the exit status
is 1 only on a correctness error (a lost job or a Discord error), which is what CI checks.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import platform
import sys
import tempfile
import time
from pathlib import Path

import pytest

from tests.databases import postgres_schema

from .phases import BOTS, ERRORS, GATEWAY_LATENCY, LOST, measure, measure_scale_out
from .profile import Profiler
from .report import Figures, render, render_scale_out

RESULTS = Path(__file__).parent / "results"


async def scale_out(quick: bool, postgres: bool, profiler: Profiler) -> dict[str, Figures]:
    """The same two phases on SQLite (one process) and PostgreSQL (one process; one process + 2 workers)."""
    runs: dict[str, Figures] = {}
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{tmp}/bench.sqlite3"
        runs["sqlite, 1 process"] = await measure_scale_out(url, 0, quick, profiler, "sqlite")
    if not postgres:
        return runs
    for label, workers in (("postgres, 1 process", 0), ("postgres, 1 process + 2 workers", 2)):
        try:
            async with postgres_schema() as url:
                runs[label] = await measure_scale_out(url, workers, quick, profiler, f"postgres-{workers}-workers")
        except pytest.skip.Exception as skipped:
            print(f"{label}: skipped ({skipped})")
    return runs


def failures(document: dict[str, list[dict[str, Figures]]]) -> list[str]:
    """Every lost job and Discord error, as ``where: what`` lines."""
    found = []
    for section, runs in document.items():
        for number, run in enumerate(runs, start=1):
            for who, figures in run.items():
                for key in (LOST, ERRORS):
                    if figures.get(key, 0.0) > 0:
                        found.append(f"{section} run {number}, {who}: {figures[key]:.0f} {key}")
    return found


async def main_async(arguments: argparse.Namespace) -> int:
    results: list[dict[str, Figures]] = []
    scaled: list[dict[str, Figures]] = []
    profiled: list[Path] = []
    for number in range(1, arguments.runs + 1):
        profiler = Profiler(RESULTS / "profiles", enabled=arguments.profile, tag=f"run{number}")
        if not arguments.scale_out_only:
            results.append({name: await measure(name, arguments.quick, profiler) for name in BOTS})
        scaled.append(await scale_out(arguments.quick, not arguments.no_postgres, profiler))
        profiled += profiler.written
        print(f"run {number} of {arguments.runs} done", file=sys.stderr)
    if results:
        print(render(results))
    print("\nScale-out (the same burst and throughput phases, by database and processes):\n")
    print(render_scale_out(scaled))
    RESULTS.mkdir(exist_ok=True)
    meta = {
        "python": platform.python_version(),
        "machine": platform.machine(),
        "quick": arguments.quick,
        "runs": arguments.runs,
        "gateway_latency_s": GATEWAY_LATENCY,
        "when": time.strftime("%Y-%m-%d %H:%M:%S"),
    }
    (RESULTS / "latest.json").write_text(json.dumps({"meta": meta, "results": results, "scale_out": scaled}, indent=2))
    print(f"\nwrote {RESULTS / 'latest.json'}")
    for path in profiled:
        print(f"flame graph: {path}")
    problems = failures({"bots": results, "scale-out": scaled})
    for problem in problems:
        print(f"CORRECTNESS ERROR: {problem}", file=sys.stderr)
    return 1 if problems else 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="smaller counts, for a smoke run (CI)")
    parser.add_argument("--runs", type=int, default=1, help="repeat everything this many times (default 1)")
    parser.add_argument("--no-postgres", action="store_true", help="skip the PostgreSQL scale-out runs")
    parser.add_argument("--scale-out-only", action="store_true", help="only the scale-out runs (no reference bot)")
    parser.add_argument(
        "--profile", action="store_true", help="write a py-spy flame graph per phase to bench/results/profiles/"
    )
    sys.exit(asyncio.run(main_async(parser.parse_args())))


if __name__ == "__main__":
    main()
