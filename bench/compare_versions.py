"""Paired differences between two model versions evaluated on the same graph (`vivier evaluate` writes each test
offer's figures to `reports/<version>/per_offer.json`): the same test offers, so the difference per offer and its
bootstrap interval say whether a change helped, where two separate intervals cannot.

    VIVIER_DATA_DIR=<dir> .venv/bin/python bench/compare_versions.py NEW OLD [--method NAME]
"""

from __future__ import annotations

import argparse
import json

import numpy as np
from rich.console import Console
from rich.table import Table

from gnn.evaluate import FACTS_ONLY, NO_MESSAGES, VIVIER
from gnn.metrics import bootstrap
from vivier.settings import get_settings


def per_offer(version: str) -> dict:
    return json.loads((get_settings().data_dir / "reports" / version / "per_offer.json").read_text())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("new")
    parser.add_argument("old")
    parser.add_argument("--method", action="append", help="methods to compare (default: the model, LR, no-MP)")
    args = parser.parse_args()
    new, old = per_offer(args.new), per_offer(args.old)
    if new["test_offers"] != old["test_offers"]:
        raise SystemExit(f"{args.new} and {args.old} were not evaluated on the same test offers: nothing to pair")
    table = Table(title=f"{args.new} − {args.old}, paired over the same test offers (95 % bootstrap)")
    for column in ("method", "test", "new", "old", "new − old"):
        table.add_column(column)
    for method in args.method or (VIVIER, FACTS_ONLY, NO_MESSAGES):
        pairs = [("Recall@10", new["recall@10"].get(method), old["recall@10"].get(method))]
        pairs += [
            (f"triage {m}", new["triage"].get(method, {}).get(m), old["triage"].get(method, {}).get(m))
            for m in ("recall@5", "auc")
        ]
        for test, a, b in pairs:
            if a is None or b is None:
                continue
            x, y = np.array(a), np.array(b)
            table.add_row(method, test, f"{x.mean():.3f}", f"{y.mean():.3f}", str(bootstrap(x - y)))
    Console().print(table)


if __name__ == "__main__":
    main()
