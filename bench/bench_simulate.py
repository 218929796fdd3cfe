"""Time and peak memory of `vivier simulate` at several scales, against the demo scale measured in the same run.

Each scale runs in a fresh process so that its peak RSS is its own. The table gives the cost per candidate
relative to the demo baseline (1.0 = linear scaling) and extrapolates the full `large` scale linearly from the
biggest scale measured (memory: a line through the two biggest measurements).

    .venv/bin/python bench/bench_simulate.py                 # demo baseline, 20,000 and 100,000 candidates
    .venv/bin/python bench/bench_simulate.py 50000 large     # any scales; `large` is the full 1M run
"""

from __future__ import annotations

import json
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from rich.console import Console
from rich.table import Table

LARGE = 1_000_000


def child(scale: str, out: Path) -> None:
    """Run in the subprocess: simulate, then print the measurements as JSON."""
    from simulator.dataset import simulate_dataset

    started = time.perf_counter()
    summary = simulate_dataset(out, scale, seed=0, quiet=True)
    seconds = time.perf_counter() - started
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    disk_mb = sum(p.stat().st_size for p in out.rglob("*") if p.is_file()) / 2**20
    print(
        json.dumps(
            {
                "scale": scale,
                "candidates": summary.candidates,
                "offers": summary.offers,
                "applications": summary.applications,
                "seconds": seconds,
                "peak_mb": peak_mb,
                "disk_mb": disk_mb,
            }
        )
    )


def measure(scale: str, workdir: Path) -> dict:
    out = workdir / f"sim-{scale}"
    done = subprocess.run(
        [sys.executable, __file__, "--child", scale, str(out)], check=True, capture_output=True, text=True
    )
    result = json.loads(done.stdout.strip().splitlines()[-1])
    print(json.dumps(result), flush=True)  # before the clean-up: deleting a million CVs takes minutes
    shutil.rmtree(out, ignore_errors=True)
    return result


def main(scales: list[str]) -> None:
    console = Console()
    results = []
    with tempfile.TemporaryDirectory(prefix="bench-simulate-", dir=Path("var").resolve()) as tmp:
        for scale in ["demo", *scales]:
            console.print(f"simulating {scale} …")
            results.append(measure(scale, Path(tmp)))
    base = results[0]
    per_candidate = base["seconds"] / base["candidates"]
    table = Table(title="vivier simulate: time and peak memory (baseline: demo, same run)")
    for column in ("scale", "candidates", "offers", "applications", "seconds", "peak RSS MB", "disk MB", "cost ratio"):
        table.add_column(column, justify="right")
    for r in results:
        ratio = (r["seconds"] / r["candidates"]) / per_candidate
        table.add_row(
            r["scale"],
            f"{r['candidates']:,}",
            f"{r['offers']:,}",
            f"{r['applications']:,}",
            f"{r['seconds']:.1f}",
            f"{r['peak_mb']:.0f}",
            f"{r['disk_mb']:.0f}",
            f"{ratio:.2f}",
        )
    console.print(table)
    big, prev = results[-1], results[-2]
    if big["candidates"] < LARGE:
        factor = LARGE / big["candidates"]
        slope = (big["peak_mb"] - prev["peak_mb"]) / max(1, big["candidates"] - prev["candidates"])
        memory = big["peak_mb"] + slope * (LARGE - big["candidates"])
        console.print(
            f"extrapolated to large (1,000,000 candidates, linear from {big['scale']}): "
            f"{big['seconds'] * factor / 60:.1f} min, peak RSS ≈ {memory:.0f} MB, "
            f"disk ≈ {big['disk_mb'] * factor / 1024:.1f} GB"
        )


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "--child":
        child(sys.argv[2], Path(sys.argv[3]))
    else:
        main(sys.argv[1:] or ["20000", "100000"])
