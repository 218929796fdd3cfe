"""CV understanding throughput (issue 13, national scale): CVs per second read into pseudonymised candidates.

    .venv/bin/python bench/bench_cvs.py [--cvs DIR] [--count 2000] [--processes 2]

Reads `--count` CVs (a simulated dataset's `cvs/` folder; by default one is simulated at 5,000 candidates under a
temporary folder) three ways, in the same run, with the analyzer built beforehand (a load builds it once):
1. the baseline: one CV at a time, `parse_cv` per file, as a load read them before batching;
2. `parse_cv_files` in one process: the statistical NER and text analysis run over batches of CVs;
3. the same in `--processes` forked workers (what `vivier load dataset` does, one per core by default).
Prints CVs per second, the ratio to the baseline, the target (≥ 150 CVs/s on two cores) and the machine's load
average, which decides the figures on a shared machine.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

from rich.console import Console
from rich.table import Table

from loaders.cvs import parse_cv, parse_cv_files
from loaders.forked import fork_is_safe
from loaders.nlp import default_analyzer, ner_pipeline

TARGET = 150.0  # CVs per second on two cores


def simulated_cvs(folder: Path) -> Path:
    from simulator.dataset import simulate_dataset

    simulate_dataset(folder / "bench-cvs", 5_000, seed=11, quiet=True)
    return folder / "bench-cvs" / "cvs"


def one_by_one(files: list[Path]) -> float:
    analyzer = default_analyzer()
    started = time.perf_counter()
    for file in files:
        parse_cv(file.read_bytes(), file.name, "bench", analyzer)
    return len(files) / (time.perf_counter() - started)


def batched(files: list[Path], processes: int) -> float:
    started = time.perf_counter()
    documents = ((f.read_bytes(), f.name) for f in files)  # read as a load reads them, inside the timing
    read = sum(len(batch) for batch in parse_cv_files(documents, "bench", default_analyzer(), processes))
    return read / (time.perf_counter() - started)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cvs", type=Path, help="a folder of CV files (default: a simulated one)")
    parser.add_argument("--count", type=int, default=2000, help="CVs read by each method")
    parser.add_argument("--processes", type=int, default=os.cpu_count() or 2)
    args = parser.parse_args()
    console = Console()
    with tempfile.TemporaryDirectory() as tmp:
        folder = args.cvs or simulated_cvs(Path(tmp))
        files = sorted(folder.iterdir())[: args.count]
        default_analyzer(), ner_pipeline()  # built before timing, as a load builds them once
        one_by_one(files[:50])  # warm-up: spaCy's first calls allocate
        baseline = one_by_one(files[: max(200, len(files) // 4)])  # the slow way, on a quarter of the files
        single = batched(files, 1)
        parallel = batched(files, args.processes)
    load = os.getloadavg()[0]
    table = Table(title=f"CV understanding, {len(files):,} CVs ({os.cpu_count()} cores, load average {load:.1f})")
    for column in ("method", "CVs/s", "× baseline", "target"):
        table.add_column(column, justify="right" if column != "method" else "left")
    table.add_row("one CV at a time (baseline)", f"{baseline:.0f}", "1.00", "")
    table.add_row("batched, 1 process", f"{single:.0f}", f"{single / baseline:.2f}", "")
    met = "met" if parallel >= TARGET else "NOT met"
    if args.processes > 1 and not fork_is_safe():  # from 2026-12-04 to -06 this row silently ran in one process
        met += " (read in ONE process: fork_is_safe() said no)"
    table.add_row(
        f"batched, {args.processes} processes",
        f"{parallel:.0f}",
        f"{parallel / baseline:.2f}",
        f"≥ {TARGET:.0f}: {met}",
    )
    console.print(table)


if __name__ == "__main__":
    main()
