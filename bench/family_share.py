"""Are served lists about the job? For each offer of a simulated dataset, the share of the served top k whose
candidate belongs to the offer's occupation family (by the dataset's `truth/`, which the loaders never read),
against the base rate (the same share over every candidate): Recall@10 alone can reward a ranker that lists
whoever is looking, whatever they do (`docs/any-language.md`, *Recency*).

    VIVIER_DATA_DIR=<dir> .venv/bin/python bench/family_share.py DATASET [VERSION ...] [--language en] [--k 10]

DATASET is a folder written by `vivier simulate --profile sparse-multilingual` and loaded into that data directory;
without VERSION, the latest model.
"""

from __future__ import annotations

import argparse
import csv
from pathlib import Path

import numpy as np
from rich.console import Console
from rich.table import Table

from gnn import artifacts
from gnn.rerank import IncompatibleArtifact
from gnn.serving import Recommender
from loaders.pseudonym import candidate_id
from vivier.runtime import command_database


def truth(folder: Path, name: str) -> list[dict[str, str]]:
    with (folder / "truth" / name).open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("dataset", type=Path)
    parser.add_argument("versions", nargs="*")
    parser.add_argument("--language", help="only the offers in this language (en, fr)")
    parser.add_argument("--k", type=int, default=10)
    parser.add_argument("--source", help="the pseudonym scope it was loaded with (default: the folder's name)")
    args = parser.parse_args()
    offers = {row["offer_id"]: row for row in truth(args.dataset, "offers.csv")}
    source = args.source or args.dataset.name  # as `vivier load dataset --source`
    families = {
        candidate_id(source, row["candidate_ref"]): row["family"] for row in truth(args.dataset, "candidates.csv")
    }
    asked = [o for o, row in offers.items() if args.language in (None, row["language"])]
    everyone = np.array(list(families.values()))
    base = float(np.mean([np.mean(everyone == offers[o]["family"]) for o in asked]))
    table = Table(title=f"Share of the offer's family in the served top {args.k}, {len(asked)} offers")
    for column in ("version", "share", "base rate", "ratio"):
        table.add_column(column)
    with command_database() as db:
        for version in args.versions or [artifacts.latest_version(db)]:
            try:
                recommender = Recommender(artifacts.load(version))
            except IncompatibleArtifact as error:  # a version this code cannot serve: say so, go on
                table.add_row(version, "—", f"{base:.3f}", str(error))
                continue
            shares: list[float] = []
            for offer in asked:
                top = [c for c, _ in recommender.recommend_candidates(db, offer, k=args.k) if c in families]
                shares.append(float(np.mean([families[c] == offers[offer]["family"] for c in top])) if top else 0.0)
            share = float(np.mean(shares))
            table.add_row(version, f"{share:.3f}", f"{base:.3f}", f"{share / base:.2f} ×")
    Console().print(table)


if __name__ == "__main__":
    main()
