"""Wall time of the joint ranker's training in one process against N data-parallel ranks (gnn/distributed.py), on
the graph in Neo4j (NEO4J_URI, or the embedded server of VIVIER_DATA_DIR / VIVIER_BOLT_PORT). The baseline,
measured in the same run on the same export, is the single process; the ratio says what N ranks change.

Early stopping is off (`patience` beyond the epochs) so that both runs train the same number of epochs, and each
run's validation figures are printed: equal figures show the two runs are the same training. Peak RSS: the
process's own (export + single-process run) and the largest rank's.

    .venv/bin/python bench/bench_distributed.py --epochs 10 --processes 2    # docs/distributed.md
"""

from __future__ import annotations

import argparse
import resource
import sys
import time
from pathlib import Path

import torch
from rich.console import Console
from rich.table import Table

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from gnn.distributed import Inputs, fit_ranker, spawn_fit
from gnn.export import export_graph
from gnn.ranker import JointFit, RankerConfig
from gnn.rerank import PairFacts
from gnn.train import TrainConfig, temporal_split
from vivier.runtime import command_database


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--processes", type=int, default=2)
    parser.add_argument("--threads", type=int, default=2, help="for the single process; divided among the ranks")
    args = parser.parse_args()
    console = Console()
    with command_database() as db:
        export = export_graph(db, progress=False)
    config = TrainConfig(epochs=args.epochs, eval_every=5, patience=args.epochs + 1, threads=args.threads)
    split = temporal_split(export, config)
    inputs = Inputs(export, PairFacts.from_export(export), split, config, RankerConfig())
    sizes = {t: export.data[t].num_nodes for t in export.data.node_types}
    console.print(
        f"{sum(sizes.values()):,} nodes {sizes}; offers train/val/test {len(split.train)}/{len(split.val)}/"
        f"{len(split.test)}; {len(export.applications.offer):,} applications"
    )
    table = Table(title=f"Joint ranker, {args.epochs} epochs")
    for column in ("processes", "threads each", "wall s", "val Recall@10 by evaluation", "loss by evaluation"):
        table.add_column(column)
    started = time.perf_counter()
    single = fit_ranker(inputs, 1, progress=False)
    baseline = time.perf_counter() - started
    table.add_row("1", str(args.threads), f"{baseline:.1f}", *_curves(single))
    started = time.perf_counter()
    distributed = spawn_fit(inputs, args.processes, progress=False)
    seconds = time.perf_counter() - started
    table.add_row(
        str(args.processes), str(max(1, args.threads // args.processes)), f"{seconds:.1f}", *_curves(distributed.fit)
    )
    console.print(table)
    equal = all(torch.equal(r[k], distributed.replicas[0][k]) for r in distributed.replicas for k in r)
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20
    ranks = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 2**20
    console.print(
        f"ratio {args.processes} ranks / 1 process: {seconds / baseline:.2f}; replicas identical: {equal}; "
        f"peak RSS this process {own:.1f} GB, largest rank {ranks:.1f} GB"
    )


def _curves(fit: JointFit) -> tuple[str, str]:
    return (
        ", ".join(f"{h['val_recall@10']:.4f}" for h in fit.history),
        ", ".join(f"{h['loss']:.4f}" for h in fit.history),
    )


if __name__ == "__main__":
    main()
