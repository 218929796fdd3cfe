"""Training cost of the GNN: seconds per full-batch epoch and peak memory, on synthetic graphs with the shape
of the simulator's scales (same node types, relation types, degrees and feature widths as `gnn.export`).

Each measurement runs in a fresh subprocess so that its peak resident memory (ru_maxrss) is its own. The
baseline measured in the same run is the content-only model (`layers=0`, no message passing) on the same
graph: the ratio says what message passing costs. For `large` (1,000,000 candidates, 100,000 offers, 100
applications per offer) the script measures growing fractions and, unless `--full`, extrapolates linearly to
100 % (full-batch memory is linear in nodes + edges) — say which in any number you quote.

    .venv/bin/python bench/bench_training.py                # demo scale + large fractions 1 %, 3 %, 10 %
    .venv/bin/python bench/bench_training.py --full         # also the whole large graph (needs ~the RAM)

With `--minibatch`, each graph also measures the mini-batch scheme (`gnn.sampling`: one step on a sampled
sub-graph per epoch, s / step, then one layer-wise inference of every node); on the whole large graph
(`--full`) only that scheme runs (full batch is killed there). `--stages` prints the peak and current resident
memory after each stage (graph built, forward and loss, backward and step, inference); `--fractions ""` measures
no fraction.

With `--joint`, each graph measures the served ranker's mini-batch training instead (`gnn.ranker.pool_step`: one
step on the whole training pools — every applicant plus 300 negatives — of `--batch-offers` offers, their
candidates and offers the seeds of the sampled sub-graph, listwise losses over the pools, wide part included),
then one validation as `gnn.ranker._fit_minibatch` runs it: layer-wise inference of every node and the whole
pools of `--validation-offers` offers (a random half of the candidates eligible) scored and ranked a chunk of
offers at a time. The training pools of 70 % of the offers and the validation pools are held in memory as in a
real fit, with random pair facts (their computation from the export is not measured here).

    .venv/bin/python bench/bench_training.py --joint --fractions 0.1,0.3 --stages
    .venv/bin/python bench/bench_training.py --joint --fractions "" --full
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, cast

import numpy as np
import torch
from rich.console import Console
from rich.table import Table

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from torch_geometric.data import HeteroData

from gnn.eligibility import Eligibility
from gnn.export import APPLIED_EDGE, SELECTED_BY_EDGE, SELECTED_EDGE, Applications, GraphExport, reverse
from gnn.features import TEXT_DIM
from gnn.model import LinkGNN, sampled_softmax_loss
from gnn.ranker import FEATURES, WIDE_FACTS, Pools, RankerConfig, Wide, pool_scores, pool_step, rank_pools
from gnn.rerank import _linear_terms
from gnn.sampling import NeighbourSampler, layerwise_embeddings
from gnn.train import HistoryGraph, TrainConfig, message_graph, subgraph_embeddings
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


class Stages:
    """Peak and current resident memory after each stage of a measurement (torch's allocations are invisible to
    tracemalloc; the process's own counters see them)."""

    def __init__(self) -> None:
        self.rows: list[dict[str, float | str]] = []

    def mark(self, stage: str) -> None:
        with open("/proc/self/statm") as statm:
            resident = int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 1024**3
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2
        self.rows.append({"stage": stage, "peak_gib": round(peak, 2), "rss_gib": round(resident, 2)})


def measure(
    candidates: int,
    offers: int,
    employers: int,
    per_offer: int,
    layers: int,
    hidden: int,
    epochs: int,
    checkpoint: int,
    minibatch: int,
    batch_pairs: int,
    fanout_1: int,
    fanout_2: int,
    joint: int = 0,
    batch_offers: int = RankerConfig().batch_offers,
    validation_offers: int = RankerConfig().validation_offers,
) -> dict[str, object]:
    torch.set_num_threads(1)
    stages = Stages()
    stages.mark("start")
    x, graph = synthetic_graph(candidates, offers, employers, per_offer)
    stages.mark("graph built")
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
    edges = sum(int(e.shape[1]) for e in graph.values())
    nodes = float(sum(v.shape[0] for v in x.values()))
    if joint:
        config = TrainConfig(fanouts=(fanout_1, fanout_2))
        ranker = RankerConfig(batch_offers=batch_offers, validation_offers=validation_offers)
        return {"nodes": nodes, "edges": float(edges), **_joint(model, x, graph, epochs, stages, config, ranker)}
    if minibatch:
        config = TrainConfig(batch_pairs=batch_pairs, fanouts=(fanout_1, fanout_2))
        return {"nodes": nodes, "edges": float(edges), **_minibatch(model, optimiser, x, graph, epochs, stages, config)}
    positives = graph[SELECTED_EDGE][:, :20_000]  # TrainConfig.max_pairs: supervised pairs per epoch
    times = []
    for epoch in range(epochs):
        started = time.perf_counter()
        emb = model(x, graph)
        negatives = torch.randint(candidates, (positives.shape[1], 64))
        offer = emb["offer"][positives[1]]
        loss = sampled_softmax_loss(
            model.score(emb["candidate"][positives[0]], offer),
            model.score(emb["candidate"][negatives], offer.unsqueeze(1)),
        )
        stages.mark(f"epoch {epoch + 1}: forward and loss")
        optimiser.zero_grad()
        loss.backward()
        optimiser.step()
        stages.mark(f"epoch {epoch + 1}: backward and step")
        del emb, offer, loss
        times.append(time.perf_counter() - started)
    return {"epoch_s": float(np.median(times)), "nodes": nodes, "edges": float(edges), "stages": stages.rows}


def _minibatch(
    model: LinkGNN,
    optimiser: torch.optim.Optimizer,
    x: dict[str, torch.Tensor],
    graph: dict[tuple[str, str, str], torch.Tensor],
    epochs: int,
    stages: Stages,
    config: TrainConfig,
) -> dict[str, object]:
    """`gnn.train._minibatch_epoch`'s work: per step 2 × `batch_pairs` positive pairs with 64 random negatives
    each, embedded through one sampled sub-graph; then one layer-wise inference over the whole graph."""
    generator = torch.Generator().manual_seed(0)
    selected = graph[SELECTED_EDGE]
    n_candidates = len(x["candidate"])
    started = time.perf_counter()
    sizes = {t: len(v) for t, v in x.items()}
    neighbours = NeighbourSampler(graph, sizes, model.into)
    graph.clear()  # the edge lists are not needed past the CSR (a training epoch rebuilds it from the export)
    csr_s = time.perf_counter() - started
    stages.mark("CSR by destination built, edge lists freed")
    times = []
    for epoch in range(epochs):
        started = time.perf_counter()
        pick = torch.randint(selected.shape[1], (2 * config.batch_pairs,), generator=generator)
        candidates, offers = selected[0, pick], selected[1, pick]
        negatives = torch.randint(n_candidates, (len(pick), 64), generator=generator)
        seeds = {"candidate": torch.cat([candidates, negatives.flatten()]), "offer": offers}
        unique = {t: torch.unique(v, return_inverse=True) for t, v in seeds.items()}
        emb = subgraph_embeddings(model, x, neighbours, {t: u for t, (u, _) in unique.items()}, config, generator)
        rows = unique["candidate"][1]
        offer = emb["offer"][unique["offer"][1]]
        loss = sampled_softmax_loss(
            model.score(emb["candidate"][rows[: len(pick)]], offer),
            model.score(emb["candidate"][rows[len(pick) :].reshape(negatives.shape)], offer.unsqueeze(1)),
        )
        stages.mark(f"step {epoch + 1}: sample, forward and loss")
        optimiser.zero_grad()
        loss.backward()
        optimiser.step()
        stages.mark(f"step {epoch + 1}: backward and step")
        del emb, offer, loss
        times.append(time.perf_counter() - started)
    started = time.perf_counter()
    layerwise_embeddings(model, x, neighbours, config.inference_chunk)
    inference_s = time.perf_counter() - started
    stages.mark("layer-wise inference of every node")
    return {"epoch_s": float(np.median(times)), "csr_s": csr_s, "inference_s": inference_s, "stages": stages.rows}


def _joint(
    model: LinkGNN,
    x: dict[str, torch.Tensor],
    graph: dict[tuple[str, str, str], torch.Tensor],
    epochs: int,
    stages: Stages,
    config: TrainConfig,
    ranker: RankerConfig,
) -> dict[str, object]:
    """`gnn.ranker._fit_minibatch`'s work on the synthetic graph: its history graph built once, its pools, its
    steps (each on the history graph with a random half of the training offers hidden), one validation."""
    generator = torch.Generator().manual_seed(0)
    rng = np.random.default_rng(0)
    n_candidates, n_offers = len(x["candidate"]), len(x["offer"])
    export = _export(x, graph)
    applications = export.applications
    stages.mark("applications gathered, synthetic edge lists freed")
    # As `temporal_split` leaves them: 70 % training, then 15 % validation and 15 % test offers; the history graph
    # holds the applications of the first 85 % (the validation offers' are not held out here, as in bench_history).
    train_offers, known = np.arange(int(0.7 * n_offers)), np.arange(int(0.85 * n_offers))
    started = time.perf_counter()
    history = HistoryGraph(export, known, model.into)
    csr_s = time.perf_counter() - started
    stages.mark("history graph and its CSR built once")
    rebuild_s = _rebuild_cost(export, history, rng.permutation(train_offers)[: len(train_offers) // 2], known)
    stages.mark("one epoch's former rebuild (message graph and CSR), freed")
    train = _training_pools(applications, train_offers, n_candidates, ranker.negatives, rng)
    stages.mark(f"training pools: {len(train.offer):,} rows")
    val_offers = np.arange(n_offers - ranker.validation_offers, n_offers)
    val, eligible = _validation_pools(applications, val_offers, n_candidates, rng)
    stages.mark(f"validation pools: {len(val.offer):,} rows")
    sample = train.x[: min(len(train.x), 2_000_000)][:, [FEATURES.index(f) for f in WIDE_FACTS]]
    raw = _linear_terms(sample.astype(np.float64))
    wide = Wide(raw.mean(axis=0), raw.std(axis=0) + 1e-6)
    del sample, raw
    optimiser = torch.optim.Adam([*model.parameters(), *wide.parameters()], lr=1e-3)
    times, cpu, context_cpu = [], [], []  # wall and CPU seconds: on a shared machine, CPU time is the steadier
    for epoch in range(epochs):
        started, cpu_started = time.perf_counter(), time.process_time()
        supervised = rng.permutation(train_offers)[: len(train_offers) // 2]  # as `supervised_and_context`
        neighbours = history.context(np.setdiff1d(known, supervised))
        context_cpu.append(time.process_time() - cpu_started)
        batch = rng.choice(supervised, size=ranker.batch_offers, replace=False)
        pool_step(model, wide, optimiser, neighbours, x, train, train.rows_of(batch), config, generator, ranker)
        times.append(time.perf_counter() - started)
        cpu.append(time.process_time() - cpu_started)
        stages.mark(f"step {epoch + 1}: context mask, sample, forward, loss, backward and step")
    started, cpu_started = time.perf_counter(), time.process_time()
    emb = layerwise_embeddings(model, x, history.sampler, config.inference_chunk)[0]
    rank_pools(val, pool_scores(model, wide, emb, val), export, eligible)
    validation_s, validation_cpu = time.perf_counter() - started, time.process_time() - cpu_started
    stages.mark("validation: layer-wise inference, pools scored and ranked by chunks of offers")
    return {
        "epoch_s": float(np.median(times)),
        "csr_s": csr_s,
        "csr_once": 1.0,
        "rebuild_cpu_s": rebuild_s,
        "context_cpu_s": float(np.median(context_cpu)),
        "inference_s": validation_s,
        "joint": 1.0,
        "epoch_cpu_s": float(np.median(cpu)),
        "validation_cpu_s": validation_cpu,
        "stages": stages.rows,
    }


def _export(x: dict[str, torch.Tensor], graph: dict[tuple[str, str, str], torch.Tensor]) -> GraphExport:
    """The synthetic graph as `gnn.export` gives it: node features, the ontology and profile relations, and the
    applications apart (their edges are derived again by `gnn.train.message_graph`, as from a real export)."""
    selected, applied = graph[SELECTED_EDGE], graph[APPLIED_EDGE]
    applications = Applications(
        candidate=torch.cat([selected[0], applied[0]]).numpy(),
        offer=torch.cat([selected[1], applied[1]]).numpy(),
        stage=np.zeros(selected.shape[1] + applied.shape[1], dtype=np.int64),
        positive=np.concatenate([np.ones(selected.shape[1], bool), np.zeros(applied.shape[1], bool)]),
    )
    data = HeteroData()
    for t, features in x.items():
        data[t].x = features
        data[t].num_nodes = len(features)
    derived = {et for base in (SELECTED_EDGE, APPLIED_EDGE, SELECTED_BY_EDGE) for et in (base, reverse(base))}
    for edge_type, edges in graph.items():
        if edge_type not in derived:
            data[edge_type].edge_index = edges
    graph.clear()
    return GraphExport(data, {}, applications, np.zeros(len(x["offer"])), cast(Any, None))


def _rebuild_cost(export: GraphExport, history: HistoryGraph, supervised: np.ndarray, known: np.ndarray) -> float:
    """CPU seconds of what each epoch did before the history graph was built once: the message graph of the
    context rebuilt from the applications, then its CSR; checked to sample as the masked view does."""
    started = time.process_time()
    context = np.setdiff1d(known, supervised)
    rebuilt = NeighbourSampler(message_graph(export, context), history.sampler.sizes, history.sampler.into)
    cost = time.process_time() - started
    masked = history.context(context)
    for edge_type, relation in rebuilt.relations.items():
        assert torch.equal(relation.degrees(), masked.relations[edge_type].degrees()), edge_type
    return cost


def _training_pools(
    applications: Applications, offers: np.ndarray, n_candidates: int, negatives: int, rng: np.random.Generator
) -> Pools:
    """Per offer: its applicants (label: selected) and `negatives` random candidates weighted back to a pool of
    half the candidates, random facts."""
    mine = np.isin(applications.offer, offers)
    n_apps, n_neg = int(mine.sum()), len(offers) * negatives
    candidate = np.concatenate([applications.candidate[mine], rng.integers(n_candidates, size=n_neg)])
    offer = np.concatenate([applications.offer[mine], np.repeat(offers, negatives)])
    label = np.concatenate([applications.positive[mine], np.zeros(n_neg, bool)])
    applicant = np.arange(len(candidate)) < n_apps
    log_weight = np.where(applicant, 0.0, np.log(n_candidates / 2 / negatives))
    return _pools(candidate, offer, label, log_weight, applicant, offers)


def _validation_pools(
    applications: Applications, offers: np.ndarray, n_candidates: int, rng: np.random.Generator
) -> tuple[Pools, Eligibility]:
    """Whole pools: a random half of the candidates eligible (one profile of two), plus each offer's selected."""
    profile = torch.from_numpy(rng.integers(2, size=n_candidates))
    eligible = Eligibility(torch.tensor([[True, False]]), profile, np.zeros(len(offers), dtype=np.int64))
    candidates, labels = [], []
    for offer in offers.tolist():
        chosen = applications.candidate[applications.positive & (applications.offer == offer)]
        pool = eligible[0].numpy().copy()
        pool[chosen] = True
        candidates.append(np.flatnonzero(pool))
        labels.append(np.isin(candidates[-1], chosen))
    candidate, label = np.concatenate(candidates), np.concatenate(labels)
    offer = np.repeat(offers, [len(c) for c in candidates])
    nothing = np.zeros(len(candidate))
    return _pools(candidate, offer, label, nothing, nothing.astype(bool), offers), eligible


def _pools(
    candidate: np.ndarray,
    offer: np.ndarray,
    label: np.ndarray,
    log_weight: np.ndarray,
    applicant: np.ndarray,
    offers: np.ndarray,
) -> Pools:
    """Pool rows as `gnn.ranker` holds them (float32 facts, int64 ids), the facts drawn at random."""
    facts = (torch.rand(len(candidate), len(FEATURES)) * 3).numpy()
    empty = torch.sparse_coo_tensor(
        torch.zeros((2, 0), dtype=torch.long), torch.zeros(0), (len(offers), 1), check_invariants=False
    )
    position = np.searchsorted(offers, offer)
    return Pools(facts, candidate.astype(np.int64), position, label, log_weight, offers, applicant, empty)


def run_child(args: list[str]) -> dict[str, Any]:
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


def _runs(args: argparse.Namespace, whole_large: bool) -> list[tuple[str, int, str, str]]:
    """(name, layers, checkpoint, mini-batch) of the measurements on one graph. On the whole large graph with
    `--minibatch`, only the mini-batch scheme: full batch is killed there for memory (docs/model.md)."""
    full_batch = [("content-only", 0, "0", "0"), ("GNN 2 layers", 2, str(int(args.checkpoint)), "0")]
    minibatch = [("GNN 2 layers, mini-batch", 2, "0", "1")] if args.minibatch else []
    if args.joint:
        return [("joint ranker, mini-batch", 2, "0", "1")]
    return minibatch if whole_large and args.minibatch else full_batch + minibatch


def _line(label: str, name: str, result: dict[str, Any], stages: bool) -> str:
    if result.get("killed"):
        return f"{label}, {name}: KILLED for memory at {result['peak_gib']:.2f} GiB"
    text = f"{label}, {name}: {result['epoch_s']:.2f} s / epoch, peak {result['peak_gib']:.2f} GiB"
    if "inference_s" in result:
        config = TrainConfig()
        # A real epoch also rebuilds the CSR of its message graph; validation runs a layer-wise inference every
        # `eval_every` epochs: 120 epochs as `vivier train --epochs 120`, and the cap of 300.
        # The served ranker's fit builds the CSR once (its steps include the context's mask): counted once.
        once = bool(result.get("csr_once"))
        for epochs in (120, config.epochs):
            per_epoch = result["epoch_s"] + (0.0 if once else result["csr_s"])
            total = epochs * per_epoch + epochs // config.eval_every * result["inference_s"] + once * result["csr_s"]
            text += f"; {epochs} epochs ≈ {total / 60:.0f} min"
        validation = "validation" if result.get("joint") else "layer-wise inference"
        text += f" (CSR {result['csr_s']:.1f} s, {validation} {result['inference_s']:.1f} s)"
    if "epoch_cpu_s" in result:
        text += f"; CPU {result['epoch_cpu_s']:.2f} s / step, {result['validation_cpu_s']:.1f} s / validation"
    if "context_cpu_s" in result:
        text += (
            f"; CPU of the epoch's context: {result['context_cpu_s']:.3f} s masked (in the step), "
            f"{result['rebuild_cpu_s']:.2f} s rebuilt as before"
        )
    if stages:
        text += "".join(
            f"\n    {row['stage']}: peak {row['peak_gib']} GiB, now {row['rss_gib']} GiB" for row in result["stages"]
        )
    return text


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--child", nargs=15, type=int, help=argparse.SUPPRESS)
    parser.add_argument("--batch-pairs", type=int, default=TrainConfig().batch_pairs, help="mini-batch pairs")
    parser.add_argument("--fanouts", default=",".join(map(str, TrainConfig().fanouts)), help="per layer")
    parser.add_argument(
        "--minibatch", action="store_true", help="also the mini-batch scheme (gnn.sampling) on each graph"
    )
    parser.add_argument("--joint", action="store_true", help="the served ranker's mini-batch training instead")
    parser.add_argument("--batch-offers", type=int, default=RankerConfig().batch_offers, help="offers per step")
    parser.add_argument("--validation-offers", type=int, default=RankerConfig().validation_offers)
    parser.add_argument("--stages", action="store_true", help="print peak / current RSS after each stage")
    parser.add_argument("--checkpoint", action="store_true", help="recompute each GNN layer in the backward pass")
    parser.add_argument("--full", action="store_true", help="also train on the whole large graph")
    parser.add_argument("--fractions", default="0.01,0.03,0.1", help="fractions of the large scale to measure")
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--hidden", type=int, default=128)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(measure(*args.child)))
        return
    console = Console(width=200)
    table = Table(title="GNN training cost (1 torch thread, median epoch)")
    for column in ("graph", "model", "nodes", "edges", "s / epoch", "peak GiB", "GNN / content-only"):
        table.add_column(column, justify="right")
    large_points = []
    plan = (
        [("demo", 1.0)]
        + [("large", float(f)) for f in args.fractions.split(",") if f]
        + ([("large", 1.0)] if args.full else [])
    )
    for scale, fraction in plan:
        c, o, e, per_offer = SCALES[scale]
        sizes = [max(1, int(c * fraction)), max(1, int(o * fraction)), max(1, int(e * fraction)), per_offer]
        label = scale if fraction == 1.0 else f"{scale} × {fraction:g}"
        runs = _runs(args, whole_large=scale == "large" and fraction == 1.0)
        results = {}
        for name, layers, checkpoint, minibatch in runs:
            scheme = [checkpoint, minibatch, str(args.batch_pairs), *args.fanouts.split(",")]
            scheme += [str(int(args.joint)), str(args.batch_offers), str(args.validation_offers)]
            result = run_child([*map(str, sizes), str(layers), str(args.hidden), str(args.epochs), *scheme])
            results[name] = result
            base = results.get("content-only")
            table.add_row(
                label,
                name,
                f"{result['nodes']:,.0f}",
                f"{result['edges']:,.0f}",
                f"{result['epoch_s']:.2f}",
                f"{result['peak_gib']:.2f}",
                f"{result['epoch_s'] / base['epoch_s']:.1f}×" if base and name != "content-only" else "",
            )
            console.print(_line(label, name, result, args.stages))  # as it goes: a later one may be killed
        if scale == "large" and "GNN 2 layers" in results:
            large_points.append((fraction, results["GNN 2 layers"]))
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
