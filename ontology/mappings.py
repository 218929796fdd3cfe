"""RMFP emplois-référence → ROME 4.0 fiches and ESCO occupations: ranked candidate matches, each with its score and
evidence, computed (`PROVENANCE`) by a versioned method (`METHOD`, `METHOD_VERSION`), distinct from the official
crosswalk pairs (data/sources/crosswalks/rmfp_rome.js), which are held out to measure it (`evaluate_official`).

Five signals are computed for every (emploi-référence, target) pair, each a cosine in [0, 1]:
- `label_char`: character 3–5-gram TF-IDF of the folded labels; the best of the target's labels (a ROME fiche's
  label and appellations, an ESCO occupation's label and alternative labels);
- `label_word`: the same over folded, crudely stemmed words (`stem`: French plural / gender endings cut);
- `label_domain` (version 2): `label_word` with each word further weighted by its rarity among the RMFP titles
  (an IDF over the 560 emplois' labels), so that the role words every public-service title uses (« chargé »,
  « responsable », « agent », « chef ») weigh less than the domain words (« voirie », « achats »);
- `text`: word TF-IDF of everything each side says: the emploi's label, famille and skill lines against the
  target's labels, definition / description and the labels of its skills;
- `skills`: the share of the emploi's skills the target also requires (de-duplicated skill concepts).
plus `famille`, the consensus of the emploi's RMFP famille (`famille_consensus`). The score is a weighted sum
(`WEIGHTS`, fixed, not fitted on the official pairs; `cross_validated_weights` measures what fitting them by
cross-validation would give); docs/ontology.md keeps every variant's figures, written by
`vivier ontology mappings --measure`.
"""

from __future__ import annotations

import functools
import itertools
import json
import re
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from scipy import sparse
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.preprocessing import normalize

from ontology import uris
from ontology.catalogue import Catalogue, OccupationConcept, load_catalogue
from ontology.collect import match_rmfp_labels
from ontology.rome4 import FUNCTION_WORDS, Rome4, load_rome4
from ontology.sources import read_csv, read_rmfp_rome_pairs
from ontology.text import fold

PROVENANCE = "computed"
METHOD = "rmfp-mappings"
METHOD_VERSION = "2"
SIGNALS = ("label_char", "label_word", "label_domain", "text", "skills", "famille")
# Version 2: version 1's weights (lexical 0.4 / 0.3 / 0.3 weighted 0.8, famille consensus 0.2) with the word
# signal weighted by the domain words (`label_domain` in place of `label_word`); docs/ontology.md, « RMFP mappings ».
WEIGHTS: dict[str, float] = {"label_char": 0.32, "label_domain": 0.24, "text": 0.24, "famille": 0.2}
# The signals the cross-validated variant fits weights to (a grid over six would take too long for the command).
CV_SIGNALS = ("label_char", "label_domain", "text", "skills", "famille")
TOP_K = 5  # candidates stored per emploi-référence and per target repertory
CLOSE_MATCH_SCORE = 0.5  # a rank-1 candidate at or above it is proposed as skos:closeMatch, others relatedMatch
STOP_WORDS = sorted(set(FUNCTION_WORDS.split()))


def stem(word: str) -> str:
    """A crude French stem: enough to put « agents », « agente » and « agent » together."""
    for suffix in ("euses", "euse", "eurs", "rices", "rice", "ives", "ive", "ifs", "ees", "ee", "es", "s", "x", "e"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 4:
            return word[: -len(suffix)]
    return word


def words(text: str) -> str:
    return " ".join(stem(w) for w in re.findall(r"[a-z0-9]+", fold(text)) if w not in STOP_WORDS)


@dataclass(frozen=True)
class Side:
    """One repertory's occupations as the method reads them."""

    uris: list[str]
    codes: list[str]
    labels: list[list[str]]  # preferred label first
    texts: list[str]
    skills: list[frozenset[str]]
    groups: list[str]  # RMFP famille; ROME domaine (K14); ISCO 3-digit group


@dataclass(frozen=True)
class Candidate:
    emploi: str  # RMFP code
    target_uri: str
    scheme: str  # ROME4 | ESCO
    code: str
    label: str
    rank: int
    score: float
    relation: str  # closeMatch | relatedMatch
    evidence: dict[str, object] = field(default_factory=dict)

    @property
    def mapping_uri(self) -> str:
        return f"{uris.BASE}mapping/{self.emploi}/{self.scheme.lower()}/{self.code}"

    def evidence_json(self) -> str:
        return json.dumps(self.evidence, ensure_ascii=False, sort_keys=True)


def rmfp_side(catalogue: Catalogue) -> Side:
    emplois = sorted(catalogue.occupations_of("RMFP"), key=lambda o: o.code)
    label_of = {u: s.label for u, s in catalogue.skills.items()}
    return Side(
        uris=[o.uri for o in emplois],
        codes=[o.code for o in emplois],
        labels=[[o.label] for o in emplois],
        texts=[" ".join([o.label, o.label, o.family, *(label_of[s] for s in o.essential_skills)]) for o in emplois],
        skills=[frozenset(o.essential_skills) for o in emplois],
        groups=[f"{o.domain}/{o.family}" for o in emplois],
    )


def rome4_side(rome4: Rome4, catalogue: Catalogue) -> Side:
    fiches = sorted(rome4.fiches.values(), key=lambda f: f.code)
    label_of = {u: s.label for u, s in catalogue.skills.items()}
    return Side(
        uris=[uris.rome4_fiche(f.code) for f in fiches],
        codes=[f.code for f in fiches],
        labels=[[f.label, *(label for _, label in f.appellations)] for f in fiches],
        texts=[f.text() + " " + " ".join(label_of[u] for u, _ in f.skills) for f in fiches],
        skills=[frozenset(u for u, _ in f.skills) for f in fiches],
        groups=[f.code[:3] for f in fiches],
    )


@functools.cache
def esco_descriptions() -> dict[str, str]:
    from ontology.sources import ESCO_DIR

    rows = read_csv(ESCO_DIR / "classification" / "occupations_fr.csv", required=("conceptUri", "description"))
    return {r["conceptUri"].rsplit("/", 1)[-1]: r["description"] for r in rows}


def esco_side(catalogue: Catalogue) -> Side:
    occupations: list[OccupationConcept] = sorted(catalogue.occupations_of("ESCO"), key=lambda o: o.code)
    label_of = {u: s.label for u, s in catalogue.skills.items()}
    descriptions = esco_descriptions()
    return Side(
        uris=[o.uri for o in occupations],
        codes=[o.code for o in occupations],
        labels=[[o.label, *o.alt_labels] for o in occupations],
        texts=[
            " ".join([o.label, *o.alt_labels, descriptions.get(o.code, "")])
            + " "
            + " ".join(label_of[s] for s in (*o.essential_skills, *o.optional_skills))
            for o in occupations
        ],
        skills=[frozenset((*o.essential_skills, *o.optional_skills)) for o in occupations],
        groups=[o.family_code[:3] for o in occupations],
    )


def _best_label(
    source: Side, target: Side, vectorizer: TfidfVectorizer, domain: bool = False
) -> tuple[np.ndarray, np.ndarray]:
    """[emploi, target] best cosine over the target's labels, and which label (index within the target).
    `domain`: each term also weighted by its rarity among the emplois' own labels (`label_domain`)."""
    flat = [label for labels in target.labels for label in labels]
    owner = np.repeat(np.arange(len(target.labels)), [len(labels) for labels in target.labels])
    vectorizer.fit([label for labels in source.labels for label in labels] + flat)
    left = vectorizer.transform([labels[0] for labels in source.labels])
    right = vectorizer.transform(flat)
    if domain:
        rarity = source_rarity(left)
        left, right = normalize(left.multiply(rarity).tocsr()), normalize(right.multiply(rarity).tocsr())
    cosines = (left @ right.T).toarray()
    starts = np.concatenate([[0], np.cumsum([len(labels) for labels in target.labels])[:-1]])
    best = np.maximum.reduceat(cosines, starts, axis=1)
    which = np.zeros_like(best, dtype=np.int64)
    for column, start in enumerate(starts):
        end = start + len(target.labels[column])
        which[:, column] = np.argmax(cosines[:, start:end], axis=1)
    assert len(owner) == cosines.shape[1]
    return best, which


def source_rarity(labels: sparse.csr_matrix) -> np.ndarray:
    """Per term, a smoothed IDF over the emplois' labels: « chargé » (in a fifth of the RMFP titles) weighs about
    a third of a domain word used once; a term no RMFP title uses keeps the highest weight."""
    document_frequency = np.asarray((labels > 0).sum(axis=0)).ravel()
    n = labels.shape[0]
    return np.log((n + 1) / (document_frequency + 1)) + 1.0


def signals(source: Side, target: Side) -> dict[str, np.ndarray]:
    """Every signal as an [emploi, target] matrix (see the module's docstring)."""
    char = TfidfVectorizer(analyzer="char_wb", ngram_range=(3, 5), preprocessor=fold, sublinear_tf=True)
    word = TfidfVectorizer(preprocessor=words, token_pattern=r"\S+", sublinear_tf=True)
    label_char, _ = _best_label(source, target, char)
    label_word, _ = _best_label(source, target, word)
    label_domain, _ = _best_label(source, target, word, domain=True)
    text = TfidfVectorizer(preprocessor=words, token_pattern=r"\S+", sublinear_tf=True, max_df=0.3)
    text.fit(source.texts + target.texts)
    text_cos = (text.transform(source.texts) @ text.transform(target.texts).T).toarray()
    found = {
        "label_char": label_char,
        "label_word": label_word,
        "label_domain": label_domain,
        "text": text_cos,
        "skills": _skill_share(source.skills, target.skills),
    }
    found["famille"] = famille_consensus(combine(found, LEXICAL_WEIGHTS), source, target)
    return found


# The lexical score the famille consensus starts from (the fixed first variant, no famille); version 1's used
# `label_word` (V1_LEXICAL_WEIGHTS, kept to measure version 1 beside it).
LEXICAL_WEIGHTS = {"label_char": 0.4, "label_domain": 0.3, "text": 0.3}
V1_LEXICAL_WEIGHTS = {"label_char": 0.4, "label_word": 0.3, "text": 0.3}


def famille_consensus(scores: np.ndarray, source: Side, target: Side, top: int = 3) -> np.ndarray:
    """[emploi, target] share of the *other* emplois of the same RMFP famille whose lexical top candidates fall
    in the target's group (ROME domaine, ISCO group): the famille's consensus, which tells a « rédacteur
    juridique » (famille affaires juridiques) from a rédacteur technique. Leave-one-out, so that an emploi does
    not vote for itself; no official pair is used."""
    group_index = {g: i for i, g in enumerate(sorted(set(target.groups)))}
    target_group = np.array([group_index[g] for g in target.groups])
    votes = np.zeros((len(source.codes), len(group_index)))
    for row in range(len(source.codes)):
        for column in np.argsort(-scores[row], kind="stable")[:top]:
            votes[row, target_group[column]] += 1.0 / top
    members: dict[str, list[int]] = defaultdict(list)
    for row, group in enumerate(source.groups):
        members[group].append(row)
    consensus = np.zeros_like(votes)
    for rows in members.values():
        total = votes[rows].sum(axis=0)
        for row in rows:
            others = len(rows) - 1
            consensus[row] = (total - votes[row]) / others if others else 0.0
    return consensus[:, target_group]


def _skill_share(left: Sequence[frozenset[str]], right: Sequence[frozenset[str]]) -> np.ndarray:
    index = {s: i for i, s in enumerate(sorted(set().union(*left, *right)))}

    def matrix(sets: Sequence[frozenset[str]]) -> sparse.csr_matrix:
        rows = [r for r, skills in enumerate(sets) for _ in skills]
        cols = [index[s] for skills in sets for s in skills]
        return sparse.csr_matrix((np.ones(len(rows)), (rows, cols)), shape=(len(sets), len(index)))

    shared = (matrix(left) @ matrix(right).T).toarray()
    sizes = np.array([max(len(s), 1) for s in left], dtype=float)
    return shared / sizes[:, None]


def combine(found: dict[str, np.ndarray], weights: dict[str, float]) -> np.ndarray:
    total = np.zeros_like(found["text"])
    for name in SIGNALS:
        if name in found:
            total = total + weights.get(name, 0.0) * found[name]
    return total


# --- the official pairs, held out ---------------------------------------------------------------------------
def official_pairs(catalogue: Catalogue, rome4: Rome4, resolved: bool = True) -> dict[str, set[str]]:
    """RMFP code → the ROME 4.0 fiches that count as finding its official crosswalk pair.

    The crosswalk names v3.44 fiches (through appellations of that edition). `resolved` (the measure the bar is
    judged on): every v4 fiche of the official v3 fiche (the fiche itself where kept, and those split from it).
    Strict (`resolved=False`): only the v4 fiche that holds the official appellation's OGR code today."""
    rmfp = catalogue.occupations_of("RMFP")
    ogr_to_v4 = {ogr: f.code for f in rome4.fiches.values() for ogr, _ in f.appellations}
    gold: dict[str, set[str]] = defaultdict(set)
    for label, ogr in read_rmfp_rome_pairs():
        mapping, _ = match_rmfp_labels([(label, ogr)], rmfp, catalogue.appellation_to_fiche)
        for code, v3_fiches in mapping.items():
            if resolved or ogr not in ogr_to_v4:
                gold[code].update(c for v3 in v3_fiches for c in rome4.children_of(v3))
            else:
                gold[code].add(ogr_to_v4[ogr])
    return dict(gold)


def hits(scores: np.ndarray, source: Side, target: Side, gold: dict[str, set[str]], rows: Sequence[int]) -> dict:
    """Top-1 and top-3 rate of the official pairs among the given emplois' rows."""
    found = {1: 0, 3: 0}
    for row in rows:
        order = np.argsort(-scores[row], kind="stable")[:3]
        codes = [target.codes[i] for i in order]
        found[1] += codes[0] in gold[source.codes[row]]
        found[3] += any(c in gold[source.codes[row]] for c in codes)
    n = len(rows)
    return {"top1": found[1] / n if n else 0.0, "top3": found[3] / n if n else 0.0, "n": n}


WEIGHT_GRID = [0.0, 0.1, 0.2, 0.3, 0.4, 0.5]


def weight_grid() -> list[dict[str, float]]:
    grid = []
    for values in itertools.product(WEIGHT_GRID, repeat=len(CV_SIGNALS)):
        if abs(sum(values) - 1.0) < 1e-9:
            grid.append(dict(zip(CV_SIGNALS, values, strict=True)))
    return grid


def _objective(result: dict) -> float:
    return result["top1"] + result["top3"]


def cross_validated_weights(
    found: dict[str, np.ndarray], source: Side, target: Side, gold: dict[str, set[str]], folds: int = 5
) -> tuple[dict, list[dict[str, float]]]:
    """k-fold over the official pairs: each fold's weights are the grid's best on the other folds; returns the
    pooled held-out figures and the weights each fold chose."""
    rows = [i for i, code in enumerate(source.codes) if code in gold]
    order = np.random.default_rng(18).permutation(len(rows))
    parts = [[rows[i] for i in order[k::folds]] for k in range(folds)]
    # One combined matrix at a time (hundreds of them would not fit in memory): per weight vector, each fold's
    # objective on its training pairs and its figures on its test pairs.
    train_score: dict[int, list[float]] = {}
    test_hits: dict[int, list[dict]] = {}
    grid = weight_grid()
    for g, weights in enumerate(grid):
        scores = combine(found, weights)
        train_score[g], test_hits[g] = [], []
        for k, test in enumerate(parts):
            train = [r for j, part in enumerate(parts) if j != k for r in part]
            train_score[g].append(_objective(hits(scores, source, target, gold, train)))
            test_hits[g].append(hits(scores, source, target, gold, test))
    top1 = top3 = 0.0
    chosen = []
    for k in range(folds):
        best = max(range(len(grid)), key=lambda g: train_score[g][k])
        result = test_hits[best][k]
        top1 += result["top1"] * result["n"]
        top3 += result["top3"] * result["n"]
        chosen.append(grid[best])
    return {"top1": top1 / len(rows), "top3": top3 / len(rows), "n": len(rows)}, chosen


# --- the candidates -----------------------------------------------------------------------------------------
def ranked_candidates(
    source: Side,
    target: Side,
    scheme: str,
    found: dict[str, np.ndarray],
    weights: dict[str, float],
    catalogue: Catalogue,
    top_k: int = TOP_K,
) -> list[Candidate]:
    scores = combine(found, weights)
    label_of = {u: s.label for u, s in catalogue.skills.items()}
    out = []
    for row, code in enumerate(source.codes):
        order = np.argsort(-scores[row], kind="stable")[:top_k]
        for rank, column in enumerate(order, start=1):
            score = float(scores[row, column])
            shared = sorted(source.skills[row] & target.skills[column])
            evidence: dict[str, object] = {
                "labels": [source.labels[row][0], target.labels[column][0]],
                "signals": {name: round(float(found[name][row, column]), 3) for name in SIGNALS},
                "shared_skills": [label_of[s] for s in shared[:8]],
                "shared_words": shared_words(source.texts[row], target.texts[column]),
            }
            out.append(
                Candidate(
                    emploi=code,
                    target_uri=target.uris[column],
                    scheme=scheme,
                    code=target.codes[column],
                    label=target.labels[column][0],
                    rank=rank,
                    score=round(score, 4),
                    relation="closeMatch" if rank == 1 and score >= CLOSE_MATCH_SCORE else "relatedMatch",
                    evidence=evidence,
                )
            )
    return out


def shared_words(left: str, right: str, limit: int = 8) -> list[str]:
    """Content words (stems) both texts use, rarest in the left text first: the textual evidence."""
    a, b = words(left).split(), set(words(right).split())
    return [w for w in dict.fromkeys(a) if w in b and len(w) > 3][:limit]


@dataclass(frozen=True)
class Mappings:
    candidates: list[Candidate]
    weights: dict[str, float]


def compute_mappings(catalogue: Catalogue | None = None, rome4: Rome4 | None = None) -> Mappings:
    """The stored candidates: top `TOP_K` ROME 4.0 fiches and ESCO occupations of every emploi-référence."""
    catalogue = catalogue or load_catalogue()
    rome4 = rome4 or load_rome4()
    source = rmfp_side(catalogue)
    candidates = []
    for scheme, target in (("ROME4", rome4_side(rome4, catalogue)), ("ESCO", esco_side(catalogue))):
        candidates += ranked_candidates(source, target, scheme, signals(source, target), WEIGHTS, catalogue)
    return Mappings(candidates, dict(WEIGHTS))


# --- RMFP moves derived from the ROME 4.0 moves (issue 18, part 3) ----------------------------------------------
MOVE_METHOD = "rmfp-moves-rome4/1"
MOVE_PROVENANCE = "computed: ROME 4.0 moves (rank-weighted) through the RMFP → ROME 4.0 mappings (top 3)"
MOVES_PER_EMPLOI = 10
MAPPINGS_PER_MOVE = 3


@dataclass(frozen=True)
class CareerMove:
    source: str  # RMFP codes
    target: str
    kind: str
    weight: float
    via: tuple[tuple[str, str], ...]  # the ROME 4.0 moves (fiche, fiche) that carry it, strongest first

    @property
    def move_uri(self) -> str:
        return f"{uris.BASE}rmfp/move/{self.kind}/{self.source}-{self.target}"


def rank_weight(rank: int) -> float:
    """ROME 4.0 lists a fiche's moves best first (numero_ordre 1…21): 1, 1/2, 1/3, …"""
    return 1.0 / max(rank, 1)


def derive_rmfp_moves(
    candidates: Sequence[Candidate], rome4: Rome4, per_emploi: int = MOVES_PER_EMPLOI
) -> list[CareerMove]:
    """A → B between emplois-référence: Σ over ROME 4.0 moves f → g of m_A(f) · m_B(g) · rank_weight, where m is
    the share of an emploi's top `MAPPINGS_PER_MOVE` mapping scores that goes to the fiche; the `per_emploi`
    strongest targets of each emploi are kept, weights scaled so that each emploi's strongest is 1."""
    mapped: dict[str, dict[str, float]] = defaultdict(dict)
    for c in candidates:
        if c.scheme == "ROME4" and c.rank <= MAPPINGS_PER_MOVE and c.score > 0:
            mapped[c.emploi][c.code] = c.score
    share = {e: {f: s / sum(m.values()) for f, s in m.items()} for e, m in mapped.items()}
    emplois_of: dict[str, list[tuple[str, float]]] = defaultdict(list)
    for emploi, fiches in share.items():
        for fiche, weight in fiches.items():
            emplois_of[fiche].append((emploi, weight))
    moves_from: dict[str, list] = defaultdict(list)
    for move in rome4.moves:
        moves_from[move.source].append(move)
    moves: list[CareerMove] = []
    for emploi, fiches in sorted(share.items()):
        weights: dict[str, float] = defaultdict(float)
        via: dict[str, list[tuple[float, str, str]]] = defaultdict(list)
        for fiche, m_a in fiches.items():
            for move in moves_from.get(fiche, []):
                for target, m_b in emplois_of.get(move.target, []):
                    if target != emploi:
                        contribution = m_a * m_b * rank_weight(move.rank)
                        weights[target] += contribution
                        via[target].append((contribution, move.source, move.target))
        best = sorted(weights.items(), key=lambda kv: (-kv[1], kv[0]))[:per_emploi]
        top = best[0][1] if best else 1.0
        for target, weight in best:
            carried = tuple(dict.fromkeys((a, b) for _, a, b in sorted(via[target], reverse=True)))[:3]
            moves.append(CareerMove(emploi, target, "rome4", round(weight / top, 4), carried))
    return moves
