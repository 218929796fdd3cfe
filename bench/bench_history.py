"""CPU time of the pair facts' history counts (`gnn.rerank.History.counts`) at national scale: 10 M applications to
100,000 offers by 1,000,000 candidates, one training offer's 400 candidates at a time, against the pass over every
application that the counts made before; and of one epoch's message graph over those applications
(`gnn.train.message_graph`, half of 70,000 training offers hidden) (docs/model.md, Training cost).

    .venv/bin/python bench/bench_history.py
"""

from __future__ import annotations

import sys
import time
from pathlib import Path
from types import SimpleNamespace
from typing import Any, cast

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from torch_geometric.data import HeteroData

from gnn.export import Applications, GraphExport
from gnn.rerank import History
from gnn.train import POSTED_EDGE, message_graph


def main() -> None:
    rng = np.random.default_rng(0)
    applications, candidates, offers = 10_000_000, 1_000_000, 100_000
    offer = rng.integers(offers, size=applications)
    published = rng.uniform(0, 3650, size=offers).round()  # days over ten years
    history = History(
        rng.integers(candidates, size=applications), offer, rng.random(applications) < 0.1, published[offer]
    )
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


if __name__ == "__main__":
    main()
