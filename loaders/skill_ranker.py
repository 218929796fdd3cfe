"""Which candidate skills of a text to keep: a logistic regression over each candidate concept's evidence, fitted on
the development offers of the skills gold (`data/gold/skills-offers.jsonl`).

The analyzer proposes many concepts per text (`loaders.nlp`: every matcher hit, and the five labels closest to each
clause by TF-IDF cosine, from 0.2): about a hundred per offer, of which the gold lists a few. The evidence
of one concept in one text is a row of `FEATURES`; the regression gives the probability that an annotator would list
it, and a concept is kept at or above a threshold chosen by an inner 4-fold cross-validation over the training
offers (the one that maximises concept F1 there). The fixed rules before it (matcher hits, one-word labels only
standing alone, the best label of a clause at cosine ≥ 0.6) are what `TextAnalyzer` does when no ranker is fitted.

Measured, never on the offers it was fitted on: `loaders.measure.measure_skills` scores each development offer with a
ranker fitted on the other four fifths (5-fold, the split of the ROME coding), and the held-out offers with the one
fitted on all development offers, the one the loader uses. The annotator looked concepts up with a lexical search
(`data/gold/README.md`): a ranker fitted on the gold learns that search's habits as well as the offers'.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from loaders.records import SkillMention
from vivier.settings import REPO_ROOT

if TYPE_CHECKING:
    from loaders.nlp import TextAnalyzer

GOLD_SKILLS = REPO_ROOT / "data" / "gold" / "skills-offers.jsonl"  # as loaders.measure.GOLD_SKILLS
FOLDS = 5
# A similarity mention's confidence is its cosine times this: below any matcher hit (read by loaders.nlp too)
SIMILARITY_TRUST = 0.6
INNER_FOLDS = 4
THRESHOLDS = tuple(round(t, 3) for t in np.arange(0.1, 0.7, 0.025))
SKILL_KINDS = ("connaissance", "esco", "rome_savoir", "rome_savoir_faire", "savoir_etre", "savoir_faire")
FEATURES = (
    "best cosine of a clause with one of the concept's labels",
    "best rank of the concept among a clause's labels (1–5; 7 when none)",
    "smallest gap to the best label of its clause",
    "clauses where it is the best label",
    "clauses proposing it",
    "content words of its best clause",
    "distinct words of its best label",
    "its best clause is a sub-clause (split at « et », « ou », brackets, dashes; 0 while `SUB_CLAUSES` is off)",
    "a matcher hit of a multi-word label (confidence ≥ 0.9)",
    "a matcher hit of a preferred label (confidence 1.0)",
    "a one-word matcher hit standing alone in its clause",
    "a one-word matcher hit inside a longer clause",
    "matcher hits",
    "among the skills of the text's top occupations",
    "position of its first candidate in the text (0–1)",
    "in the title",
    "best cosine, doubled when it is a clause's best label",
    "largest share of a close label's words found in its clause",
    "largest share of a clause's words found in a close label",
    "a close label whose words are all in its clause",
    *(f"skill kind {kind}" for kind in SKILL_KINDS),
)
KIND_COLUMN = 20


@dataclass
class Hit:
    """A matcher hit of a skill label in a text."""

    uri: str
    start: int
    end: int
    text: str
    confidence: float
    standalone: bool  # its clause has at most two content words


@dataclass
class Closest:
    """The labels close to a text's clauses, one array entry per (clause, label) pair."""

    skill: np.ndarray  # index in the analyzer's `concepts`
    cosine: np.ndarray
    rank: np.ndarray  # 1 = the clause's best label
    margin: np.ndarray
    clause_words: np.ndarray
    label_words: np.ndarray
    sub_clause: np.ndarray
    label_cover: np.ndarray  # share of the label's words in the clause
    clause_cover: np.ndarray  # share of the clause's words in the label
    start: np.ndarray  # the clause's offsets in the text
    end: np.ndarray

    @staticmethod
    def empty() -> Closest:
        none = np.zeros(0)
        return Closest(none, none, none, none, none, none, none, none, none, none, none)


@dataclass
class ConceptIndex:
    """The concepts the ranker weighs, by index: their URIs, and the column of each one's skill kind (-1: none)."""

    uris: list[str]
    index: dict[str, int]
    kind_column: np.ndarray

    @staticmethod
    def of(uris: list[str], kinds: dict[str, str]) -> ConceptIndex:
        columns = [SKILL_KINDS.index(k) if (k := kinds.get(u)) in SKILL_KINDS else -1 for u in uris]
        return ConceptIndex(uris, {u: i for i, u in enumerate(uris)}, np.array(columns, dtype=int))


@dataclass(frozen=True)
class LabelIndex:
    """What only the ranker reads of the analyzer's skill labels (`TextAnalyzer.label_matrix`, words × labels): the
    concepts by index, each label's concept, the words each label has (the coverage features) and the matrix in
    single precision. Built on the ranker's first use (`TextAnalyzer.ranker_labels`), so not when offers are read
    by the fixed rules (`loaders.nlp.OFFER_SKILL_RANKER` off)."""

    concepts: ConceptIndex
    label_skill_ids: np.ndarray  # each label's concept, an index in `concepts`
    label_set_sizes: np.ndarray  # distinct words of each label
    label_words_by_row: Any  # scipy CSR, labels × words: 1 where the label has the word
    label_matrix32: Any  # scipy CSR, the TF-IDF matrix in single precision: half the memory traffic, same choices

    @staticmethod
    def of(label_skills: list[str], label_matrix: Any, kinds: dict[str, str]) -> LabelIndex:
        concepts = ConceptIndex.of(list(dict.fromkeys(label_skills)), kinds)
        binary = label_matrix.copy()
        binary.data[:] = 1.0
        return LabelIndex(
            concepts,
            np.array([concepts.index[uri] for uri in label_skills]),
            np.asarray(binary.sum(axis=0)).ravel(),
            binary.T.tocsr(),
            label_matrix.astype(np.float32),
        )


@dataclass
class Candidates:
    """A text's candidate concepts: one row of `FEATURES` each, and how to write each as a mention."""

    uris: list[str]
    features: np.ndarray
    best_close: list[int]  # per concept, its closest (clause, label) pair in `closest`, or -1
    hits: list[Hit | None]  # per concept, its most confident matcher hit
    closest: Closest
    text: str

    def mention(self, i: int) -> SkillMention:
        """The matcher's most confident hit, else the closest clause (confidence as `TextAnalyzer` gives them)."""
        hit = self.hits[i]
        if hit is not None:
            return SkillMention(hit.uri, hit.text, hit.start, hit.end, hit.confidence, "matcher")
        c, j = self.closest, self.best_close[i]
        confidence = round(float(c.cosine[j]) * SIMILARITY_TRUST, 3)
        start, end = int(c.start[j]), int(c.end[j])
        return SkillMention(self.uris[i], self.text[start:end], start, end, confidence, "similarity")

    def mentions(self, keep: np.ndarray | None = None) -> list[SkillMention]:
        rows = range(len(self.uris)) if keep is None else np.flatnonzero(keep)
        return [self.mention(int(i)) for i in rows]


def candidate_rows(
    closest: Closest, hits: list[Hit], concepts: ConceptIndex, prior: np.ndarray, text: str, title_length: int
) -> Candidates:
    """Each candidate concept's row of `FEATURES`: the close labels aggregated by concept with numpy (about a hundred
    per offer), the matcher hits (a few) in Python. `prior`: the concepts (indices) of the text's top occupations."""
    text_length = len(text)
    close = _close_features(closest, title_length, text_length)
    ids = list(close.skills)
    uris = [concepts.uris[s] for s in ids]
    position = {uri: i for i, uri in enumerate(uris)}
    best_hit: dict[str, Hit] = {}
    matched: dict[str, list[Hit]] = {}
    for hit in hits:
        matched.setdefault(hit.uri, []).append(hit)
        if hit.uri not in best_hit or best_hit[hit.uri].confidence < hit.confidence:
            best_hit[hit.uri] = hit
        if hit.uri not in position:
            position[hit.uri] = len(uris)
            uris.append(hit.uri)
            ids.append(concepts.index.get(hit.uri, -1))
    rows = np.zeros((len(uris), len(FEATURES)))
    rows[:, 1], rows[:, 2] = 7.0, 1.0  # no close label: worst rank, widest gap
    rows[: len(close.skills), : close.values.shape[1]] = close.values
    for uri, group in matched.items():
        i = position[uri]
        rows[i, 8] = any(h.confidence >= 0.9 for h in group)
        rows[i, 9] = any(h.confidence == 1.0 for h in group)
        rows[i, 10] = any(h.confidence < 0.75 and h.standalone for h in group)
        rows[i, 11] = any(h.confidence < 0.75 and not h.standalone for h in group)
        rows[i, 12] = len(group)
        first = min(h.start for h in group)
        rows[i, 14] = min(rows[i, 14], first / max(text_length, 1)) if i < len(close.skills) else first / text_length
        rows[i, 15] = max(rows[i, 15], float(first < title_length))
    known = np.array(ids)
    rows[:, 13] = np.isin(known, prior)
    kind = np.where(known >= 0, concepts.kind_column[known], -1)
    has_kind = np.flatnonzero(kind >= 0)
    rows[has_kind, KIND_COLUMN + kind[has_kind]] = 1.0
    best_close = [*close.best.tolist(), *([-1] * (len(uris) - len(close.skills)))]
    return Candidates(uris, rows, best_close, [best_hit.get(u) for u in uris], closest, text)


@dataclass
class _CloseFeatures:
    skills: list[int]  # the concepts (indices in `ConceptIndex`), in order of their rows
    values: np.ndarray  # their rows, columns 0–7 and 13 onwards filled where they come from close labels
    best: np.ndarray  # their closest (clause, label) pair


def _close_features(c: Closest, title_length: int, text_length: int) -> _CloseFeatures:
    """Columns 0–7 and 14–19 of each concept's row, reduced over its (clause, label) pairs sorted by concept
    (`reduceat` on contiguous groups: `ufunc.at` cost a few microseconds per pair)."""
    if not len(c.skill):
        return _CloseFeatures([], np.zeros((0, len(FEATURES))), np.zeros(0, dtype=int))
    order = np.lexsort((-c.cosine, c.skill))  # by concept, the closest first
    skill = c.skill[order]
    starts = np.r_[0, np.flatnonzero(np.diff(skill)) + 1]
    best = order[starts]
    cosine, rank = c.cosine[order], c.rank[order]
    label_cover, clause_cover = c.label_cover[order], c.clause_cover[order]
    position = c.start[order].astype(float)
    values = np.zeros((len(starts), len(FEATURES)))
    values[:, 0] = cosine[starts]
    values[:, 1] = np.minimum.reduceat(rank, starts)
    values[:, 2] = np.minimum.reduceat(c.margin[order], starts)
    values[:, 3] = np.add.reduceat((rank == 1).astype(float), starts)
    values[:, 4] = np.diff(np.r_[starts, len(order)])
    values[:, 5] = c.clause_words[best]
    values[:, 6] = c.label_words[best]
    values[:, 7] = c.sub_clause[best]
    values[:, 14] = np.minimum.reduceat(position, starts) / max(text_length, 1)
    values[:, 15] = np.maximum.reduceat((position < title_length).astype(float), starts)
    values[:, 16] = cosine[starts] * np.where(rank[starts] == 1, 2.0, 1.0)
    values[:, 17] = np.maximum.reduceat(label_cover, starts)
    values[:, 18] = np.maximum.reduceat(clause_cover, starts)
    values[:, 19] = np.maximum.reduceat((label_cover >= 1.0).astype(float), starts)
    return _CloseFeatures(skill[starts].tolist(), values, best)


@dataclass(frozen=True)
class SkillRanker:
    """A standardised logistic regression and its threshold, applied with numpy (no estimator call per text)."""

    mean: np.ndarray
    scale: np.ndarray
    coef: np.ndarray
    intercept: float
    threshold: float

    def probabilities(self, features: np.ndarray) -> np.ndarray:
        z = ((features - self.mean) / self.scale) @ self.coef + self.intercept
        return np.asarray(1.0 / (1.0 + np.exp(-z)))

    def keep(self, candidates: Candidates) -> list[SkillMention]:
        if not candidates.uris:
            return []
        kept = candidates.mentions(self.probabilities(candidates.features) >= self.threshold)
        return sorted(kept, key=lambda m: m.start)


Scorer = Callable[[list[int], list[list[SkillMention]]], float]


def _regression(candidates: list[Candidates], gold: list[set[str]], ids: Sequence[int]) -> SkillRanker:
    from sklearn.linear_model import LogisticRegression

    X = np.vstack([candidates[i].features for i in ids])
    y = np.concatenate([[u in gold[i] for u in candidates[i].uris] for i in ids]).astype(int)
    mean, scale = X.mean(axis=0), X.std(axis=0)
    scale[scale == 0] = 1.0
    model = LogisticRegression(C=1.0, max_iter=2000).fit((X - mean) / scale, y)
    return SkillRanker(mean, scale, model.coef_[0], float(model.intercept_[0]), 0.5)


def fit_ranker(candidates: list[Candidates], gold: list[set[str]], ids: Sequence[int], score: Scorer) -> SkillRanker:
    """A ranker fitted on the texts `ids`, its threshold the one whose kept mentions `score` best over the
    out-of-fold probabilities of an inner cross-validation on the same texts."""
    from sklearn.model_selection import KFold

    ids = list(ids)
    folds = min(INNER_FOLDS, len(ids))
    probabilities: dict[int, np.ndarray] = {}
    for train, test in KFold(folds, shuffle=True, random_state=16).split(ids):
        inner = _regression(candidates, gold, [ids[j] for j in train])
        probabilities.update({ids[j]: inner.probabilities(candidates[ids[j]].features) for j in test})

    mentions = {i: candidates[i].mentions() for i in ids}

    def kept(threshold: float) -> list[list[SkillMention]]:
        return [[m for m, p in zip(mentions[i], probabilities[i], strict=True) if p >= threshold] for i in ids]

    threshold = max(THRESHOLDS, key=lambda t: score(ids, kept(t)))
    ranker = _regression(candidates, gold, ids)
    return SkillRanker(ranker.mean, ranker.scale, ranker.coef, ranker.intercept, threshold)


def cross_validated(
    candidates: list[Candidates], gold: list[set[str]], ids: Sequence[int], score: Scorer
) -> dict[int, list[SkillMention]]:
    """Each text of `ids` with the mentions a ranker fitted on the other folds keeps (`FOLDS`-fold, seed 16)."""
    from sklearn.model_selection import KFold

    ids = list(ids)
    kept: dict[int, list[SkillMention]] = {}
    for train, test in KFold(FOLDS, shuffle=True, random_state=16).split(ids):
        ranker = fit_ranker(candidates, gold, [ids[j] for j in train], score)
        kept.update({ids[j]: ranker.keep(candidates[ids[j]]) for j in test})
    return kept


def gold_concepts(row: dict[str, Any]) -> set[str]:
    return {c["uri"] for m in row["mentions"] for c in m["concepts"]}


def learn_skill_ranker(analyzer: TextAnalyzer, path: Path = GOLD_SKILLS) -> SkillRanker | None:
    """The ranker fitted on the development offers of the skills gold (None when the gold or its offers are not
    there: the analyzer then keeps its fixed rules)."""
    from loaders.measure import concept_f1_of, read_skills_gold, skills_gold_texts

    if not path.exists():
        return None
    rows = [r for r in read_skills_gold(path) if r["split"] == "dev"]
    texts = skills_gold_texts(rows, analyzer.catalogue)
    if any(t is None for t in texts):
        return None
    candidates = analyzer.skill_candidates([t for t in texts if t is not None])
    gold = [gold_concepts(r) for r in rows]
    return fit_ranker(candidates, gold, range(len(rows)), concept_f1_of(rows))
