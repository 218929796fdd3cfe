"""Skills read from the simulator's offers, learnt ranker against fixed rules, scored against the skills the
simulator required of each offer (its `truth/offers.csv`). An exploratory measurement for issue 16's skill ranker
(docs/ingestion.md): the simulator writes offers with the repertories' own labels, so this says how each method
reads label-worded text, not real offers (those are the hand-annotated gold's job).

    .venv/bin/python bench/simulated_offer_skills.py var/datasets/demo-seed7 --offers 400 \
        --union-thresholds 0,0.5,0.6 --union-confidences 0,0.5,0.6

The fixed rules (what the loader ships, `loaders.nlp.OFFER_SKILL_RANKER` off) are the baseline: every row prints its
F1 against theirs, measured in the same run. The ranker is fitted here on the development offers of the skills gold
(`learn_skill_ranker`, its threshold chosen by the inner cross-validation). `--union-thresholds` adds, for each
threshold, the rules' skills plus those the ranker scores at or above it (0: every candidate it scores);
`--union-confidences`, the rules' skills plus those the ranker keeps (at its own threshold) whose mention has at
least that confidence (matcher hits 0.63–1.0, similarity mentions 0.6 × their cosine; 0: all it keeps).
"""

from __future__ import annotations

import argparse
import copy
import csv
import dataclasses
import os
from pathlib import Path

from loaders.nlp import TextAnalyzer, default_analyzer
from loaders.offers import enrich_offers, read_offer_file, validate_offer
from loaders.records import OfferRecord, RecordError, SkillMention
from loaders.skill_ranker import SkillRanker, learn_skill_ranker


def read_skills(
    records: list[OfferRecord], analyzer: TextAnalyzer, ranker: SkillRanker | None
) -> list[list[SkillMention]]:
    """Each offer's skill mentions as the loader reads them with `ranker` (None: the fixed rules)."""
    analyzer.ranker = ranker
    try:
        read = copy.deepcopy(records)
        enrich_offers(read, analyzer)
    finally:
        analyzer.ranker = None
    return [record.skills for record in read]


def uris(mentions: list[list[SkillMention]], confidence: float = 0.0) -> list[set[str]]:
    return [{m.uri for m in found if m.confidence >= confidence} for found in mentions]


def scores(found: list[set[str]], truth: list[set[str]]) -> tuple[float, float, float, float]:
    """Micro precision, recall and F1 over the offers, and skills per offer."""
    right = sum(len(f & t) for f, t in zip(found, truth, strict=True))
    kept, wanted = sum(len(f) for f in found), sum(len(t) for t in truth)
    precision, recall = right / max(1, kept), right / max(1, wanted)
    return precision, recall, 2 * precision * recall / max(1e-9, precision + recall), kept / max(1, len(found))


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("dataset", type=Path, help="a `vivier simulate` output folder (offers.json, truth/)")
    parser.add_argument("--offers", type=int, default=300)
    parser.add_argument(
        "--union-thresholds",
        default="",
        help="comma-separated: for each, the rules' skills plus the ranker's scored at or above it (0: any score)",
    )
    parser.add_argument(
        "--union-confidences",
        default="",
        help="comma-separated: for each, the rules' skills plus the ranker's kept mentions of at least that confidence",
    )
    args = parser.parse_args()
    thresholds = [float(t) for t in args.union_thresholds.split(",") if t.strip()]
    confidences = [float(c) for c in args.union_confidences.split(",") if c.strip()]
    with open(args.dataset / "truth" / "offers.csv", encoding="utf-8") as file:
        required = {row["offer_id"]: set(row["required_skills"].split()) for row in csv.DictReader(file)}
    analyzer = default_analyzer()
    raws, _ = read_offer_file(args.dataset / "offers.json")
    records: list[OfferRecord] = []
    for raw in raws[: args.offers]:
        try:
            records.append(validate_offer(raw.fields, "offers.json", analyzer.catalogue, contract_required=False))
        except RecordError:
            continue
    truth = [required[r.offer_id] for r in records]
    ranker = learn_skill_ranker(analyzer)
    if ranker is None:
        raise SystemExit("no skills gold or its offers: the ranker cannot be fitted")
    load = os.getloadavg()[0]
    rules, ranked = uris(read_skills(records, analyzer, None)), read_skills(records, analyzer, ranker)
    rows = [("fixed rules (shipped, baseline)", rules), (f"learnt ranker alone (≥ {ranker.threshold})", uris(ranked))]
    for threshold in thresholds:
        extra = uris(read_skills(records, analyzer, dataclasses.replace(ranker, threshold=threshold)))
        name = "any score" if threshold <= 0 else f"scored ≥ {threshold}"
        rows.append((f"rules + ranker {name}", [r | e for r, e in zip(rules, extra, strict=True)]))
    for confidence in confidences:
        extra = uris(ranked, confidence)
        name = f"kept (≥ {ranker.threshold}), mention confidence ≥ {confidence}"
        rows.append((f"rules + ranker {name}", [r | e for r, e in zip(rules, extra, strict=True)]))
    baseline = scores(rules, truth)[2]
    print(
        f"{len(records)} offers of {args.dataset}; load average {load:.1f} (1 min, before reading),",
        f"{os.cpu_count()} cores",
    )
    for name, found in rows:
        precision, recall, f1, per_offer = scores(found, truth)
        print(
            f"{name}: precision {precision:.3f}, recall {recall:.3f}, F1 {f1:.3f} ({f1 / max(1e-9, baseline):.3f} of "
            f"the rules'), skills per offer {per_offer:.1f}"
        )


if __name__ == "__main__":
    main()
