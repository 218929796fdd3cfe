"""How much one training's seed moves the served ranker, and what averaging several trainings would give.

An exploratory measurement for issue 13 (docs/evaluation.md, "Variants"), on the graph in Neo4j and its latest
model version's configuration: the joint model (`gnn.ranker.fit_joint`) and the same model without message passing
(layers=0, with `--no-mp`) are trained with `--seeds` more seeds each (the stored model is the one model's
first member); each is scored on the temporal test offers exactly as `vivier
evaluate` scores them (whole eligible pools, the test period's applications hidden), and so is the average of
the seeds' scores (an ensemble: still one exact dot product plus one linear wide part when served, see the
docs). The facts-only logistic regression is the report's own. Printed: Recall@10 of each, and the paired
differences over the same test offers with 95 % bootstrap intervals. Nothing is chosen on the test offers:
the ensemble is the plain mean, fixed before the run.

    VIVIER_DATA_DIR=... .venv/bin/python bench/seed_ensemble.py --seeds 3
"""

from __future__ import annotations

import argparse
import time
from dataclasses import replace

import numpy as np
import torch
from rich.console import Console
from rich.table import Table

from gnn import artifacts
from gnn.eligibility import candidate_profiles, eligibility_sets, offer_requirements
from gnn.evaluate import FACTS_ONLY, VIVIER, reranked_scorers
from gnn.export import GraphExport, export_graph
from gnn.metrics import bootstrap
from gnn.ranker import RankerConfig, fit_joint, joint_scores
from gnn.rerank import PairFacts
from gnn.train import TrainConfig, rank_offers, temporal_split, visible_embeddings
from graph.db import Database


def recall_at_10(export: GraphExport, offers: np.ndarray, scores: np.ndarray, rows: torch.Tensor) -> np.ndarray:
    return np.array([q["recall@10"] for q in rank_offers(export, offers, scores, rows, np.random.default_rng(0))])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=2, help="trainings beside the stored model's (seeds + 1, + 2…)")
    parser.add_argument("--no-mp", action="store_true", help="also train the model without message passing")
    args = parser.parse_args()
    console = Console()
    db = Database.connect()
    stored = artifacts.load(artifacts.latest_version(db))
    config = TrainConfig(**stored.config["train"])
    ranker = RankerConfig(**stored.config.get("ranker", {}))
    torch.set_num_threads(config.threads)
    export = export_graph(db, spec=stored.spec, progress=False)
    split = temporal_split(export, config)
    facts = PairFacts.from_export(export)
    test, known = split.test, split.history_test
    rows = eligibility_sets(candidate_profiles(export), offer_requirements(export), test).dense()
    reported = reranked_scorers(stored, export, split, rows, progress=False)
    recall = {
        "stored model (the demo's)": recall_at_10(export, test, reported[VIVIER](test, rows), rows),
        FACTS_ONLY: recall_at_10(export, test, reported[FACTS_ONLY](test, rows), rows),
    }
    # The stored model is the first member of the one model's ensemble (its seed: config.seed).
    summed: dict[int, np.ndarray] = {-1: reported[VIVIER](test, rows).copy()}
    kinds = ((None, "one model"), (0, "no message passing")) if args.no_mp else ((None, "one model"),)
    for layers, name in kinds:
        for k in range(1, args.seeds + 1):
            started = time.perf_counter()
            seed = config.seed + k
            fit = fit_joint(export, facts, split, replace(config, seed=seed), ranker, layers=layers, progress=False)
            emb = visible_embeddings(fit.gnn, export, known, False)
            scores = joint_scores(fit, export, facts, test, known, rows, emb)
            recall[f"{name}, seed {seed}"] = recall_at_10(export, test, scores, rows)
            key = -1 if layers is None else layers
            summed[key] = scores if key not in summed else summed[key] + scores
            console.print(f"{name}, seed {seed}: best epoch {fit.best_epoch}, {time.perf_counter() - started:.0f} s")
        members = args.seeds + (1 if layers is None else 0)
        recall[f"{name}, mean of {members} seeds' scores"] = recall_at_10(export, test, summed[key], rows)
    table = Table("ranker", "Recall@10", f"− {FACTS_ONLY}", "− no MP (same kind)")
    for name, values in recall.items():
        same_kind = next((v for n, v in recall.items() if n.startswith("no message") and n[18:] == name[9:]), None)
        versus_mp = str(bootstrap(values - same_kind)) if name.startswith("one model") and same_kind is not None else ""
        table.add_row(name, str(bootstrap(values)), str(bootstrap(values - recall[FACTS_ONLY])), versus_mp)
    console.print(table)
    console.print(f"{len(test)} test offers; model version {stored.version}; {time.strftime('%Y-%m-%d %H:%M UTC')}")


if __name__ == "__main__":
    main()
