"""Tables of the bench's figures over several runs: median with [min–max], and ratios within each run."""

from __future__ import annotations

import math
import statistics

Figures = dict[str, float]


def spread(values: list[float]) -> str:
    """``median [min–max]`` (just the value for one run)."""
    values = [v for v in values if not math.isnan(v)]
    if not values:
        return "n/a"
    median = statistics.median(values)
    if len(values) == 1:
        return f"{median:.3f}"
    return f"{median:.3f} [{min(values):.3f}–{max(values):.3f}]"


def ratio(ours: float, reference: float) -> float:
    return ours / reference if reference else float("nan")


def render(runs: list[dict[str, Figures]]) -> str:
    """Ours, the reference and their ratio (computed within each run), over ``runs``."""
    lines = [
        f"| metric ({len(runs)} runs: median [min–max]) | ours | reference | ratio |",
        "|---|---:|---:|---:|",
    ]
    for key in runs[0]["ours"]:
        ours = [run["ours"].get(key, float("nan")) for run in runs]
        reference = [run["reference"].get(key, float("nan")) for run in runs]
        ratios = [ratio(o, r) for o, r in zip(ours, reference, strict=True)]
        lines.append(f"| {key} | {spread(ours)} | {spread(reference)} | {spread(ratios)} |")
    return "\n".join(lines)


def render_scale_out(runs: list[dict[str, Figures]]) -> str:
    """Each database and process layout as a column, over ``runs``; throughput also relative to SQLite."""
    labels = list(runs[0])
    keys = list(runs[0][labels[0]])
    lines = ["| metric | " + " | ".join(labels) + " |", "|---|" + "---:|" * len(labels)]
    for key in keys:
        cells = [spread([run.get(label, {}).get(key, float("nan")) for run in runs]) for label in labels]
        lines.append(f"| {key} | " + " | ".join(cells) + " |")
    base = labels[0]
    cells = []
    for label in labels:
        cells.append(
            spread([ratio(r[label]["throughput, jobs/s"], r[base]["throughput, jobs/s"]) for r in runs if label in r])
        )
    lines.append(f"| throughput ÷ {base} | " + " | ".join(cells) + " |")
    return "\n".join(lines)
