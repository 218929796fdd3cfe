"""Skills read from the simulator's offers, learnt ranker against fixed rules, scored against the skills the
simulator required of each offer (its `truth/offers.csv`). An exploratory measurement for issue 16's skill ranker
(docs/ingestion.md): the simulator writes offers with the repertories' own labels, so this says how each method
reads label-worded text, not real offers (those are the hand-annotated gold's job).

    .venv/bin/python bench/simulated_offer_skills.py var/demo/datasets/demo-seed7 --offers 300
"""

from __future__ import annotations

import argparse
import copy
import csv
from pathlib import Path

from loaders.nlp import default_analyzer
from loaders.offers import enrich_offers, read_offer_file, validate_offer
from loaders.records import OfferRecord, RecordError


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("dataset", type=Path, help="a `vivier simulate` output folder (offers.json, truth/)")
    parser.add_argument("--offers", type=int, default=300)
    args = parser.parse_args()
    with open(args.dataset / "truth" / "offers.csv", encoding="utf-8") as file:
        truth = {row["offer_id"]: set(row["required_skills"].split()) for row in csv.DictReader(file)}
    analyzer = default_analyzer()
    raws, _ = read_offer_file(args.dataset / "offers.json")
    records: list[OfferRecord] = []
    for raw in raws[: args.offers]:
        try:
            records.append(validate_offer(raw.fields, "offers.json", analyzer.catalogue, contract_required=False))
        except RecordError:
            continue
    for name, ranker in (("learnt ranker (shipped)", analyzer.ranker), ("fixed rules", None)):
        analyzer.ranker = ranker
        read = copy.deepcopy(records)
        enrich_offers(read, analyzer)
        right = found = wanted = 0
        for record in read:
            uris, gold = {m.uri for m in record.skills}, truth[record.offer_id]
            right, found, wanted = right + len(uris & gold), found + len(uris), wanted + len(gold)
        precision, recall = right / max(1, found), right / max(1, wanted)
        f1 = 2 * precision * recall / max(1e-9, precision + recall)
        print(
            f"{name}: {len(read)} offers, precision {precision:.3f}, recall {recall:.3f}, F1 {f1:.3f}, "
            f"skills per offer {found / max(1, len(read)):.1f}"
        )


if __name__ == "__main__":
    main()
