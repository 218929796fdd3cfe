"""Training cost of the GNN: seconds per full-batch epoch and peak memory, on synthetic graphs with the shape
of the simulator's scales (same node types, relation types, degrees and feature widths as `gnn.export`).

Each measurement runs in a fresh subprocess so that its peak resident memory (ru_maxrss) is its own. The
baseline measured in the same run is the content-only model (`layers=0`, no message passing) on the same
graph: the ratio says what message passing costs. For `large` (1,000,000 candidates, 100,000 offers, 100
applications per offer) the script measures growing fractions and, unless `--full`, extrapolates linearly to
100 % (full-batch memory is linear in nodes + edges) — say which in any number you quote.

    .venv/bin/python bench/bench_training.py                # demo scale + large fractions 1 %, 3 %, 10 %
    .venv/bin/python bench/bench_training.py --full         # also the whole large graph (needs ~the RAM)
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import torch
from rich.console import Console
from rich.table import Table

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from gnn.export import APPLIED_EDGE, SELECTED_BY_EDGE, SELECTED_EDGE, reverse
from gnn.features import TEXT_DIM
from gnn.model import LinkGNN, sampled_softmax_loss
from gnn.train import TrainConfig
from graph.training_data import EDGE_TYPES

# Per candidate / per offer degrees, as in a `vivier simulate` dataset (demo: 5,000 candidates, 500 offers).
SCALES = {"demo": (5_000, 500, 150, 40), "large": (1_000_000, 100_000, 10_000, 100)}
ONTOLOGY = {"occupation": 16_000, "skill": 14_000, "grade": 1_500, "departement": 101}
WIDE = TrainConfig().wide  # shared text and location columns the real model appends to both sides' embeddings
WIDTHS = {
    "candidate": TEXT_DIM + 30 + WIDE,
    "offer": TEXT_DIM + 25 + WIDE,
    "employer": 8,
    "occupation": TEXT_DIM + 5,
    "skill": TEXT_DIM + 6,
    "grade": TEXT_DIM + 12,
    "departement": 103,
}
DEGREES = {  # edge type → (edges per source node, destination type)
    ("candidate", "has_skill", "skill"): 12,
    ("offer", "requires_skill", "skill"): 8,
    ("occupation", "requires_skill", "skill"): 10,
    ("candidate", "held", "occupation"): 3,
    ("candidate", "holds_now", "occupation"): 1,
    ("occupation", "mobility", "occupation"): 1,
    ("occupation", "broader", "occupation"): 1,
    ("occupation", "match", "occupation"): 1,
    ("offer", "of_occupation", "occupation"): 3,
    ("offer", "of_main_occupation", "occupation"): 1,
    ("offer", "posted_by", "employer"): 1,
    ("offer", "located_in", "departement"): 1,
    ("employer", "located_in", "departement"): 1,
    ("candidate", "lives_in", "departement"): 1,
    ("candidate", "holds_grade", "grade"): 1,
    ("offer", "requires_grade", "grade"): 1,
    ("grade", "grade_of", "grade"): 1,
}


def synthetic_graph(
    candidates: int, offers: int, employers: int, per_offer: int, seed: int = 0
) -> tuple[dict[str, torch.Tensor], dict[tuple[str, str, str], torch.Tensor]]:
    generator = torch.Generator().manual_seed(seed)
    counts = {"candidate": candidates, "offer": offers, "employer": employers, **ONTOLOGY}
    x = {t: torch.randn(n, WIDTHS[t], generator=generator) for t, n in counts.items()}
    graph: dict[tuple[str, str, str], torch.Tensor] = {}
    for edge_type, degree in DEGREES.items():
        src, _, dst = edge_type
        sources = torch.arange(counts[src]).repeat_interleave(degree)
        edge_index = torch.stack([sources, torch.randint(counts[dst], (len(sources),), generator=generator)]).unique(
            dim=1
        )
        graph[edge_type], graph[reverse(edge_type)] = edge_index, edge_index.flip(0)
    applications = torch.stack(
        [
            torch.randint(candidates, (offers * per_offer,), generator=generator),
            torch.arange(offers).repeat_interleave(per_offer),
        ]
    ).unique(dim=1)
    selected = torch.rand(applications.shape[1], generator=generator) < 0.1
    for edge_type, keep in ((SELECTED_EDGE, selected), (APPLIED_EDGE, ~selected)):
        graph[edge_type], graph[reverse(edge_type)] = applications[:, keep], applications[:, keep].flip(0)
    employer_of = graph[("offer", "posted_by", "employer")][1]  # one employer per offer, in offer order
    by_employer = torch.stack([applications[0, selected], employer_of[applications[1, selected]]]).unique(dim=1)
    graph[SELECTED_BY_EDGE], graph[reverse(SELECTED_BY_EDGE)] = by_employer, by_employer.flip(0)
    assert set(DEGREES) == set(EDGE_TYPES), "DEGREES must follow graph.training_data.EDGE_TYPES"
    return x, graph


def measure(
    candidates: int,
    offers: int,
    employers: int,
    per_offer: int,
    layers: int,
    hidden: int,
    epochs: int,
    checkpoint: int,
) -> dict[str, float]:
    torch.set_num_threads(1)
    x, graph = synthetic_graph(candidates, offers, employers, per_offer)
    config = TrainConfig()
    model = LinkGNN(
        {t: v.shape[1] for t, v in x.items()},
        list(graph),
        hidden=hidden,
        out=config.out,
        layers=layers,
        dropout=config.dropout,
        wide=config.wide,
        checkpoint=bool(checkpoint),
    )
    optimiser = torch.optim.Adam(model.parameters(), lr=1e-3)
    positives = graph[SELECTED_EDGE][:, :20_000]  # TrainConfig.max_pairs: supervised pairs per epoch
    times = []
    for _ in range(epochs):
        started = time.perf_counter()
        emb = model(x, graph)
        negatives = torch.randint(candidates, (positives.shape[1], 64))
        offer = emb["offer"][positives[1]]
        loss = sampled_softmax_loss(
            model.score(emb["candidate"][positives[0]], offer),
            model.score(emb["candidate"][negatives], offer.unsqueeze(1)),
        )
        optimiser.zero_grad()
        loss.backward()
        optimiser.step()
        times.append(time.perf_counter() - started)
    edges = sum(int(e.shape[1]) for e in graph.values())
    return {
        "epoch_s": float(np.median(times)),
        "nodes": float(sum(v.shape[0] for v in x.values())),
        "edges": float(edges),
    }


def run_child(args: list[str]) -> dict[str, float]:
    """One measurement in a fresh interpreter; returns its numbers and its own peak RSS in GiB."""
    process = subprocess.Popen([sys.executable, __file__, "--child", *args], stdout=subprocess.PIPE, text=True)
    output = process.stdout.read() if process.stdout else ""
    _, status, usage = os.wait4(process.pid, 0)
    peak = usage.ru_maxrss / 1024**2  # Linux reports KiB
    if os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGKILL:
        # The kernel's OOM killer: the measurement does not fit in this machine's memory. Say so, with the peak.
        return {"killed": 1.0, "peak_gib": peak, "epoch_s": float("nan"), "nodes": float("nan"), "edges": float("nan")}
    if status != 0:
        raise RuntimeError(f"measurement {args} failed (status {status})")
    result = json.loads(output.strip().splitlines()[-1])
    result["peak_gib"] = peak
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--child", nargs=8, type=int, help=argparse.SUPPRESS)
    parser.add_argument("--checkpoint", action="store_true", help="recompute each GNN layer in the backward pass")
    parser.add_argument("--full", action="store_true", help="also train on the whole large graph")
    parser.add_argument("--fractions", default="0.01,0.03,0.1", help="fractions of the large scale to measure")
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--hidden", type=int, default=128)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(measure(*args.child)))
        return
    console = Console()
    table = Table(title="GNN training cost (1 torch thread, full batch, median epoch)")
    for column in ("graph", "model", "nodes", "edges", "s / epoch", "peak GiB", "GNN / content-only"):
        table.add_column(column, justify="right")
    large_points = []
    plan = (
        [("demo", 1.0)]
        + [("large", float(f)) for f in args.fractions.split(",")]
        + ([("large", 1.0)] if args.full else [])
    )
    for scale, fraction in plan:
        c, o, e, per_offer = SCALES[scale]
        sizes = [max(1, int(c * fraction)), max(1, int(o * fraction)), max(1, int(e * fraction)), per_offer]
        base = run_child([*map(str, sizes), "0", str(args.hidden), str(args.epochs), "0"])
        gnn = run_child([*map(str, sizes), "2", str(args.hidden), str(args.epochs), str(int(args.checkpoint))])
        label = scale if fraction == 1.0 else f"{scale} × {fraction:g}"
        table.add_row(
            label,
            "content-only",
            f"{base['nodes']:,.0f}",
            f"{base['edges']:,.0f}",
            f"{base['epoch_s']:.2f}",
            f"{base['peak_gib']:.2f}",
            "",
        )
        table.add_row(
            label,
            "GNN 2 layers" + (", checkpointed" if args.checkpoint else ""),
            f"{gnn['nodes']:,.0f}",
            f"{gnn['edges']:,.0f}",
            f"{gnn['epoch_s']:.2f}",
            f"{gnn['peak_gib']:.2f}",
            f"{gnn['epoch_s'] / base['epoch_s']:.1f}×",
        )
        if scale == "large":
            large_points.append((fraction, gnn))
        console.print(  # as it goes: a later measurement may be killed for memory (the full large one was)
            f"{label}: content-only {base['epoch_s']:.2f} s / epoch, {base['peak_gib']:.2f} GiB; "
            f"GNN {gnn['epoch_s']:.2f} s / epoch, {gnn['peak_gib']:.2f} GiB"
            + (" — KILLED for memory (out of memory at that peak)" if gnn.get("killed") else "")
        )
    console.print(table)
    if len(large_points) >= 2 and not args.full:
        fractions = np.array([f for f, _ in large_points])
        peaks = np.array([g["peak_gib"] for _, g in large_points])
        epochs = np.array([g["epoch_s"] for _, g in large_points])
        slope, intercept = np.polyfit(fractions, peaks, 1)
        time_slope, time_intercept = np.polyfit(fractions, epochs, 1)
        console.print(
            f"large (linear extrapolation of the {len(large_points)} fractions to 100 %): "
            f"peak ≈ {slope + intercept:.1f} GiB ({'fits' if slope + intercept < 24 else 'does NOT fit'} in 24 GiB), "
            f"≈ {time_slope + time_intercept:.0f} s per epoch on one thread"
        )


if __name__ == "__main__":
    main()
