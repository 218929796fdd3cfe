"""CPU time of the pair facts' history counts (`gnn.rerank.History.counts`) at national scale: 10 M applications to
100,000 offers by 1,000,000 candidates, one training offer's 400 candidates at a time, against the pass over every
application that the counts made before; of one epoch's message graph over those applications
(`gnn.train.message_graph`, half of 70,000 training offers hidden); and, with `--masked F`, the history graph built
once at F × that scale (`gnn.train.HistoryGraph`: the application relations and posted_by, whose CSR is built once
either way) against what each epoch did before it: each epoch's masked view against the message graph and CSR
rebuilt, and the sampling of one step's seeds from each (checked to draw the same sub-graph); and, with
`--of-offer`, one offer's applications found by `Applications.of_offer` (a stable sort by offer once, then a binary
search) against the mask over every application it replaced, on the same 10 M applications (docs/model.md,
Training cost); and, with `--recency`, what serving one ranking's recency facts costs (`History.days_since` and
`History.similar_selections` for a pool of 1,000 candidates after the whole history) against the history counts
of the same pool, measured in the same run (docs/model.md, the pair facts' table).

    .venv/bin/python bench/bench_history.py
    .venv/bin/python bench/bench_history.py --masked 0.5
    .venv/bin/python bench/bench_history.py --of-offer
    .venv/bin/python bench/bench_history.py --recency
"""

from __future__ import annotations

import argparse
import resource
import sys
import time
from pathlib import Path
from types import SimpleNamespace
from typing import Any, cast

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from torch_geometric.data import HeteroData

from gnn.export import APPLIED_EDGE, SELECTED_BY_EDGE, SELECTED_EDGE, Applications, GraphExport, reverse
from gnn.features import SHARED_TEXT_DIM
from gnn.model import EdgeType
from gnn.rerank import SEARCH_SPELL_DAYS, History, OfferFacts, PairFacts
from gnn.sampling import NeighbourSampler
from gnn.train import POSTED_EDGE, HistoryGraph, message_graph, node_counts

APPLICATIONS, CANDIDATES, OFFERS = 10_000_000, 1_000_000, 100_000  # national scale


def national_history(rng: np.random.Generator) -> tuple[History, np.ndarray]:
    """The synthetic national history every measure here reads (uniform candidates and offers, 10 % selected), and
    the offers' publication days; one function so that `--of-offer` measures on the very history of the counts."""
    offer = rng.integers(OFFERS, size=APPLICATIONS)
    published = rng.uniform(0, 3650, size=OFFERS).round()  # days over ten years
    history = History(
        rng.integers(CANDIDATES, size=APPLICATIONS), offer, rng.random(APPLICATIONS) < 0.1, published[offer]
    )
    return history, published


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--masked", type=float, help="only the history graph built once, at this share of the scale")
    parser.add_argument("--of-offer", action="store_true", help="only Applications.of_offer against the mask")
    parser.add_argument("--recency", action="store_true", help="only the recency facts of one ranking at serving")
    args = parser.parse_args()
    if args.recency:
        recency_at_serving()
        return
    if args.masked:
        masked_history(args.masked)
        return
    if args.of_offer:
        of_offer_against_mask()
        return
    rng = np.random.default_rng(0)
    applications, candidates, offers = APPLICATIONS, CANDIDATES, OFFERS
    history, published = national_history(rng)
    facts = SimpleNamespace(offer_employer=rng.integers(10_000, size=offers))
    pool = rng.integers(candidates, size=400)
    history.counts(facts, 100.0, 3, pool)  # type: ignore[arg-type]  # builds the sorted keys once
    started = time.process_time()
    for date in rng.uniform(0, 3600, size=50):
        history.counts(facts, float(date), 3, pool)  # type: ignore[arg-type]
    search = (time.process_time() - started) / 50
    started = time.process_time()
    for date in rng.uniform(0, 3600, size=5):  # the former pass: a mask and two bincounts over every application
        before = history.published < date
        size = int(pool.max()) + 1
        np.bincount(history.candidate[before], minlength=size)[pool]
        np.bincount(history.candidate[before & history.positive], minlength=size)[pool]
    scan = (time.process_time() - started) / 5
    print(
        f"history counts, 400 candidates, 10 M applications: {search * 1000:.1f} ms CPU per offer (binary search, whole"
    )
    print(f"call); the former pass over every application: {scan * 1000:.1f} ms")
    data = HeteroData()
    data[POSTED_EDGE].edge_index = torch.stack([torch.arange(offers), torch.from_numpy(facts.offer_employer)])
    data["offer"].num_nodes = offers
    apps = Applications(history.candidate, history.offer, np.zeros(applications, np.int64), history.positive)
    export = GraphExport(data, {}, apps, published, cast(Any, None))
    visible = np.setdiff1d(np.arange(int(0.85 * offers)), rng.choice(int(0.7 * offers), 35_000, replace=False))
    started = time.process_time()
    message_graph(export, visible)
    print(f"one epoch's message graph over the applications: {time.process_time() - started:.1f} s CPU")


def masked_history(scale: float) -> None:
    """`HistoryGraph` once, then per epoch its masked view against the former rebuild, in CPU seconds."""
    torch.set_num_threads(1)
    rng = np.random.default_rng(0)
    n_candidates, n_offers, n_employers = int(1_000_000 * scale), int(100_000 * scale), int(10_000 * scale)
    data = HeteroData()
    for t, n in (("candidate", n_candidates), ("offer", n_offers), ("employer", n_employers)):
        data[t].num_nodes = n
    posted = torch.stack([torch.arange(n_offers), torch.from_numpy(rng.integers(n_employers, size=n_offers))])
    data[POSTED_EDGE].edge_index, data[reverse(POSTED_EDGE)].edge_index = posted, posted.flip(0)
    offer = np.repeat(np.arange(n_offers), 100)  # 100 applications an offer, 10 % of them selected
    candidate = rng.integers(n_candidates, size=len(offer))
    apps = Applications(candidate, offer, np.zeros(len(offer), np.int64), rng.random(len(offer)) < 0.1)
    export = GraphExport(data, {}, apps, np.zeros(n_offers), cast(Any, None))
    relations = [POSTED_EDGE, reverse(POSTED_EDGE)]
    relations += [et for base in (SELECTED_EDGE, APPLIED_EDGE, SELECTED_BY_EDGE) for et in (base, reverse(base))]
    into: dict[str, list[EdgeType]] = {t: [et for et in relations if et[2] == t] for t in node_counts(export)}
    known, train = np.arange(int(0.85 * n_offers)), np.arange(int(0.7 * n_offers))
    started = time.process_time()
    history = HistoryGraph(export, known, into)
    built = time.process_time() - started
    times: dict[str, list[float]] = {"mask": [], "rebuild": [], "sample masked": [], "sample rebuilt": []}
    for trial in range(3):
        context = np.setdiff1d(known, rng.permutation(train)[: len(train) // 2])
        started = time.process_time()
        view = history.context(context)
        times["mask"].append(time.process_time() - started)
        started = time.process_time()
        rebuilt = NeighbourSampler(message_graph(export, context), node_counts(export), into)
        times["rebuild"].append(time.process_time() - started)
        seeds = {  # one step's: the distinct candidates of 32 offers' pools (about 12,800 rows)
            "candidate": torch.from_numpy(np.sort(rng.choice(n_candidates, 12_000, replace=False))),
            "offer": torch.from_numpy(np.sort(rng.choice(train, 32, replace=False))),
        }
        subs = []
        for name, sampler in (("sample masked", view), ("sample rebuilt", rebuilt)):
            started = time.process_time()
            subs.append(sampler.sample(seeds, [10, 3], torch.Generator().manual_seed(trial)))
            times[name].append(time.process_time() - started)
        assert all(torch.equal(subs[0].edges[et], subs[1].edges[et]) for et in subs[1].edges), "not the same draws"
        del view, rebuilt, subs
    edges = sum(len(r.sources) for r in history.sampler.relations.values())
    print(f"{scale:g} × large applications ({len(offer):,}; {edges:,} edges in the history CSR): built once in")
    print(
        f"{built:.2f} s CPU; per epoch (median of 3, CPU s): "
        + ", ".join(f"{k} {np.median(v):.3f}" for k, v in times.items())
    )
    print(f"peak {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2:.2f} GiB")


def recency_at_serving(pool_size: int = 1_000, calls: int = 200) -> None:
    """CPU per ranking of the two recency facts' history parts for a served pool (a new offer, after the whole
    history), against `History.counts` of the same pool, every index built before timing."""
    rng = np.random.default_rng(0)
    history, _ = national_history(rng)
    facts = SimpleNamespace(
        offer_employer=rng.integers(10_000, size=OFFERS),
        offer_text=rng.normal(size=(OFFERS, SHARED_TEXT_DIM)).astype(np.float16),
    )
    text = rng.normal(size=SHARED_TEXT_DIM).astype(np.float32)
    offer = OfferFacts(np.zeros(0, np.int64), np.zeros(0, np.int64), -1, 3, 3700.0, text)
    pools = [rng.choice(CANDIDATES, pool_size, replace=False) for _ in range(calls)]
    served = cast(PairFacts, facts)  # the two arrays these facts read
    measures = {
        "History.counts (the history facts served before)": lambda p: history.counts(served, 3700.0, 3, p),
        "History.days_since (recent_text_match)": lambda p: history.days_since(3700.0, p),
        "History.similar_selections (recent_similar_selection)": lambda p: history.similar_selections(
            served, offer, p, SEARCH_SPELL_DAYS
        ),
    }
    cost = {}
    for name, measure in measures.items():
        measure(pools[0])  # builds its indexes once
        started = time.process_time()
        for pool in pools:
            measure(pool)
        cost[name] = (time.process_time() - started) / calls
    baseline = cost[next(iter(measures))]
    print(f"one ranking's history facts, {pool_size:,} candidates, {APPLICATIONS:,} applications, CPU per call:")
    for name, seconds in cost.items():
        print(f"  {name}: {seconds * 1000:.3f} ms ({seconds / baseline:.2f} x the counts)")


def of_offer_against_mask(offers: int = 2_000, passes: int = 5, baseline_offers: int = 50) -> None:
    """CPU per offer of one offer's selected candidates as `gnn.rerank.offer_pool` reads them: `of_offer` against
    the mask over every application it replaced (commit 549bb56), measured in the same run. `of_offer` on 2,000
    offers (as many as an evaluation ranks), the median of 5 passes (one pass is 20-40 ms: the machine's load moves
    it by half); the mask on the first 50 of them only (about 10 ms each), checked to give the same rows."""
    rng = np.random.default_rng(0)
    history, _ = national_history(rng)
    apps = Applications(history.candidate, history.offer, np.zeros(APPLICATIONS, np.int64), history.positive)
    sample = rng.integers(OFFERS, size=offers).tolist()
    started = time.process_time()
    apps.of_offer(sample[0])  # builds the sorted index once
    built = time.process_time() - started
    times = []
    for _ in range(passes):
        started = time.process_time()
        found = [apps.candidate[mine][apps.positive[mine]] for mine in map(apps.of_offer, sample)]
        times.append((time.process_time() - started) / offers)
    search = float(np.median(times))
    started = time.process_time()
    masked = [apps.candidate[apps.positive & (apps.offer == offer)] for offer in sample[:baseline_offers]]  # before
    scan = (time.process_time() - started) / baseline_offers
    assert all(np.array_equal(a, b) for a, b in zip(found, masked, strict=False)), "not the same applications"
    print(f"one offer's selected candidates over {APPLICATIONS:,} applications, CPU per offer: Applications.of_offer")
    print(f"{search * 1000:.4f} ms (median of {passes} passes over {offers:,} offers), the former mask over every")
    print(f"application {scan * 1000:.2f} ms (mean of {baseline_offers}): {scan / search:,.0f} x less;")
    print(f"{offers:,} offers (an evaluation's): {search * offers:.3f} s against {scan * offers:.1f} s;")
    print(f"the index built once in {built:.2f} s CPU")
    print(f"peak {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2:.2f} GiB")


if __name__ == "__main__":
    main()
