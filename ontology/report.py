"""How skill de-duplication went: labels before / after, merges within and across repertories, examples, and
the pairs on both sides of the similarity threshold (`vivier ontology dedup-report`, quoted in docs/ontology.md)."""

from __future__ import annotations

import random
from collections import Counter
from dataclasses import dataclass, field

from ontology.catalogue import Catalogue, SkillConcept, load_catalogue
from ontology.skills import SIMILARITY_THRESHOLD, lemma_keys, similar_pairs


@dataclass
class DedupReport:
    labels: int
    concepts: int
    labels_by_repertory: dict[str, int]
    merged_concepts: int
    labels_in_merged: int
    merges_by_repertories: dict[str, int]
    examples_across: list[tuple[str, list[str]]] = field(default_factory=list)
    examples_within: list[tuple[str, list[str]]] = field(default_factory=list)
    merged_pairs_near_threshold: list[tuple[str, str, float]] = field(default_factory=list)
    kept_apart_near_threshold: list[tuple[str, str, float]] = field(default_factory=list)


def repertory_of(source: str) -> str:
    if source.startswith("RMFP:"):
        return "RMFP"
    return "ESCO" if "data.europa.eu/esco" in source else "ROME"


def repertories(skill: SkillConcept) -> str:
    return " + ".join(sorted({repertory_of(s) for s in skill.sources}))


def dedup_report(catalogue: Catalogue | None = None, examples: int = 10, band: float = 0.05) -> DedupReport:
    catalogue = catalogue or load_catalogue()
    stats, rng = catalogue.stats, random.Random(0)
    merged = [s for s in catalogue.skills.values() if len(s.sources) > 1]
    across = [s for s in merged if " + " in repertories(s)]
    within = [s for s in merged if " + " not in repertories(s)]
    report = DedupReport(
        labels=stats["skill_labels"],
        concepts=stats["skills"],
        labels_by_repertory={r: stats[f"skill_labels_{r.lower()}"] for r in ("RMFP", "ROME", "ESCO")},
        merged_concepts=len(merged),
        labels_in_merged=sum(len(s.sources) for s in merged),
        merges_by_repertories=dict(Counter(repertories(s) for s in merged).most_common()),
        examples_across=[(s.label, list(s.alt_labels)) for s in rng.sample(across, min(examples, len(across)))],
        examples_within=[(s.label, list(s.alt_labels)) for s in rng.sample(within, min(examples, len(within)))],
    )
    labels = sorted({s.label for s in catalogue.skills.values()} | {a for s in merged for a in s.alt_labels})
    keys = lemma_keys(labels)
    key_label = dict(zip(keys, labels, strict=True))
    distinct = sorted(key_label)
    pairs = similar_pairs(distinct, SIMILARITY_THRESHOLD - band)
    above = [(key_label[distinct[i]], key_label[distinct[j]], s) for i, j, s in pairs if s >= SIMILARITY_THRESHOLD]
    below = [(key_label[distinct[i]], key_label[distinct[j]], s) for i, j, s in pairs if s < SIMILARITY_THRESHOLD]
    report.merged_pairs_near_threshold = rng.sample(above, min(examples, len(above)))
    report.kept_apart_near_threshold = rng.sample(below, min(examples, len(below)))
    return report
