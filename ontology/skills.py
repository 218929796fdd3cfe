"""Skill de-duplication within and across repertories (RMFP, ROME, ESCO).

Two labels name the same skill when
1. their *lemma keys* are equal: accents and case folded, apostrophes and punctuation removed, each word replaced
   by its spaCy `fr_core_news_md` lemma and French stop words dropped ("Gérer les contrats" = "gérer des
   contrats", "Techniques de soudage" = "technique de soudage"); or
2. the cosine similarity of their lemma keys' character 3–5-gram TF-IDF vectors is at least `SIMILARITY_THRESHOLD`.
   The value was chosen by reading the pairs on both sides of it (docs/ontology.md lists examples): at 0.90 and
   above the pairs differ by a plural, a gender, a typo or a word order; below it they start to differ in meaning
   ("droit public" / "droit privé", "anglais" / "anglais technique").

A merged concept keeps every source identifier (`sources`) and every distinct label (`alt_labels`).
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from ontology import uris
from ontology.text import TYPOGRAPHY, fold

SIMILARITY_THRESHOLD = 0.90
# A merged concept takes the kind and label of its most authoritative member: the RMFP is the public service's
# own repertory, ROME the national one, ESCO the European one.
KIND_PRIORITY = ("connaissance", "savoir_faire", "savoir_etre", "rome_savoir", "rome_savoir_faire", "esco")


@dataclass(frozen=True)
class SkillLabel:
    """One skill as a repertory states it, before de-duplication."""

    source_id: str  # RMFP:<kind>:<label>, a ROME item URI, or an ESCO skill URI
    label: str
    kind: str
    alt_labels: tuple[str, ...] = ()


@dataclass(frozen=True)
class SkillCluster:
    uri: str
    key: str
    label: str
    alt_labels: tuple[str, ...]
    kind: str
    sources: tuple[str, ...]


def _load_nlp() -> Any:
    import spacy

    return spacy.load("fr_core_news_md", disable=["parser", "ner"])


def lemma_keys(labels: Sequence[str], batch_size: int = 512) -> list[str]:
    """The lemma key of every label (see the module docstring), in order."""
    nlp = _load_nlp()
    keys = []
    for doc in nlp.pipe((label.translate(TYPOGRAPHY) for label in labels), batch_size=batch_size):
        words = [fold(token.lemma_ or token.text) for token in doc if not (token.is_stop or token.is_punct)]
        words = [re.sub(r"[^0-9a-z]+", "", word) for word in words]
        key = " ".join(word for word in words if word)
        keys.append(key or fold(doc.text))
    return keys


class _UnionFind:
    def __init__(self, size: int) -> None:
        self.parent = list(range(size))

    def find(self, item: int) -> int:
        while self.parent[item] != item:
            self.parent[item] = self.parent[self.parent[item]]
            item = self.parent[item]
        return item

    def union(self, a: int, b: int) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self.parent[max(ra, rb)] = min(ra, rb)


def similar_pairs(keys: Sequence[str], threshold: float, chunk: int = 2000) -> list[tuple[int, int, float]]:
    """Pairs (i < j) of keys whose character n-gram TF-IDF cosine is at least `threshold`."""
    from sklearn.feature_extraction.text import TfidfVectorizer

    if len(keys) < 2:
        return []
    matrix = TfidfVectorizer(analyzer="char_wb", ngram_range=(3, 5), sublinear_tf=True).fit_transform(keys)
    pairs: list[tuple[int, int, float]] = []
    for start in range(0, matrix.shape[0], chunk):
        block = (matrix[start : start + chunk] @ matrix.T).tocoo()
        keep = (block.data >= threshold) & (block.row + start < block.col)
        for row, col, value in zip(block.row[keep], block.col[keep], block.data[keep], strict=True):
            pairs.append((int(row) + start, int(col), float(value)))
    return pairs


def deduplicate(skills: Iterable[SkillLabel], threshold: float = SIMILARITY_THRESHOLD) -> list[SkillCluster]:
    """Merge the skills that name the same thing; returns one cluster per concept."""
    skills = list(skills)
    keys = lemma_keys([s.label for s in skills])
    distinct = sorted(set(keys))
    index = {key: i for i, key in enumerate(distinct)}
    union = _UnionFind(len(distinct))
    for i, j, _ in similar_pairs(distinct, threshold):
        union.union(i, j)
    members: dict[int, list[int]] = defaultdict(list)
    for position, key in enumerate(keys):
        members[union.find(index[key])].append(position)
    return [_cluster([skills[p] for p in positions], [keys[p] for p in positions]) for positions in members.values()]


def _cluster(members: list[SkillLabel], keys: list[str]) -> SkillCluster:
    best = min(members, key=lambda s: (KIND_PRIORITY.index(s.kind), len(s.label)))
    key = Counter(keys).most_common(1)[0][0]
    labels = [s.label for s in members] + [alt for s in members for alt in s.alt_labels]
    seen = {fold(best.label)}
    alt_labels = []
    for label in labels:
        if fold(label) not in seen:
            seen.add(fold(label))
            alt_labels.append(label)
    sources = tuple(sorted({s.source_id for s in members}))
    return SkillCluster(uris.skill(key), key, best.label, tuple(alt_labels), best.kind, sources)


def normalise_casing(values: Iterable[str]) -> dict[str, str]:
    """Map each casing variant ("Ressources Humaines", "Ressources humaines") to one spelling: the one with the
    fewest capitals (French sentence case), then the most used."""
    counts = Counter(values)
    by_fold: dict[str, list[str]] = defaultdict(list)
    for value in counts:
        by_fold[fold(value)].append(value)
    canonical = {}
    for variants in by_fold.values():
        best = max(variants, key=lambda v: (-sum(ch.isupper() for ch in v), counts[v]))
        canonical.update({v: best for v in variants})
    return canonical


def cosine_examples(keys: Sequence[str], low: float, high: float, limit: int = 20) -> list[tuple[str, str, float]]:
    """Pairs with a similarity in [low, high): used to justify the threshold in docs/ontology.md."""
    pairs = [(keys[i], keys[j], s) for i, j, s in similar_pairs(keys, low) if s < high]
    rng = np.random.default_rng(0)
    picks: Any = rng.choice(len(pairs), size=min(limit, len(pairs)), replace=False) if pairs else []
    return [pairs[int(p)] for p in picks]
