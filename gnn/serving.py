"""Serving a stored model version: top-k candidates for an offer and offers for a candidate, pair scores,
career next steps, and inductive embedding of new offers and candidates (no retraining).

Top-k uses an in-memory matrix of the stored embeddings (one matrix product, well under a millisecond per
thousand candidates); the same embeddings are also in Neo4j (`embedding`, vector indexes) for Cypher users.
When the version has the joint ranker (gnn/ranker.py: the pair facts' linear part plus the scaled cosine of the
GNN trained with it, one model), candidates for an offer are its GNN's top `RERANK_DEPTH` by cosine (the cosine is
the model's only term a vector index can search), ordered by the model's full score; that score is shown as
sigmoid(score) in 0–1: ordered as the model's, started from the log-odds of reaching *shortlisted* (the wide part
is initialised by a logistic regression) but trained listwise, so not a calibrated probability. Versions trained
before the joint ranker carry a re-ranker (gnn/rerank.py) read the same way. Every other score is a cosine in
[-1, 1].
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TypeVar

import numpy as np
import torch

from gnn import artifacts
from gnn.career import career_scores
from gnn.eligibility import candidate_profiles_from_neo4j, offer_requirement_from_neo4j
from gnn.export import GEO_DIM, GEO_EDGES, geo_columns, node_neighbourhood, reverse
from gnn.features import encode, shared_text_row
from gnn.growing import GrowingRows, stable_length
from gnn.rerank import (
    FEATURES,
    CandidateAppender,
    OfferFacts,
    RerankingArtifact,
    facts_of_new_offer,
    offer_facts,
    pair_features,
)
from graph import models, revision
from graph.db import Database
from ontology.eligibility import StatutoryProfile, is_eligible

# The GNN's top candidates that the re-ranker re-orders: on the demo's test offers, 1,000 keeps nearly all of the
# quality of re-ranking the whole pool for a few milliseconds per request (docs/model.md, Measurements).
RERANK_DEPTH = 1000
# Pair facts of offers created after training, read from Neo4j on their first ranking (one query). A loader writes
# offers for good beside the API: beyond this many the cache starts again rather than growing with them.
MAX_NEW_OFFER_FACTS = 10_000

Key = TypeVar("Key")
Held = TypeVar("Held")


def remember(cache: dict[Key, Held], key: Key, value: Held, limit: int) -> None:
    """Put `value` in `cache`, emptied first when it holds `limit` entries (what can be read again is not kept
    for every key ever asked)."""
    if len(cache) >= limit and key not in cache:
        cache.clear()
    cache[key] = value


@dataclass(frozen=True)
class _Approximate:
    """For approximate retrieval: a bfloat16 copy of the dense columns, and the trailing one-hot location block
    (GEO_DIM columns, at most one non-zero per row) as (column, value) per row, or None when it is not one-hot.
    Swapped whole, so that a ranking reads parts of one length while an upload appends a row. `padded` is `half`
    followed by zero rows up to a `stable_length`: the product runs over it, so that its shape changes only a few
    times per doubling of the candidates, not with every upload (oneDNN keeps a compiled kernel per shape)."""

    half: torch.Tensor
    padded: torch.Tensor
    one_hot_column: np.ndarray | None
    one_hot_value: np.ndarray | None
    rows: tuple[GrowingRows[torch.Tensor], GrowingRows[np.ndarray] | None, GrowingRows[np.ndarray] | None]

    @classmethod
    def of(cls, matrix: torch.Tensor) -> _Approximate:
        """Built from the matrix. The location block of the embeddings is a one-hot département scaled by the
        model: a dot product with it is one multiplication per row, so the bfloat16 product only reads the other
        columns (half of them at 256 dimensions)."""
        width = matrix.shape[1]
        column = value = None
        dense = width
        if width > GEO_DIM:
            block = matrix[:, width - GEO_DIM :].numpy()
            nonzero = block != 0
            if (nonzero.sum(axis=1) <= 1).all():
                dense = width - GEO_DIM
                column = nonzero.argmax(axis=1)
                value = block[np.arange(len(block)), column].astype(np.float32)
        grow = (GrowingRows(matrix[:, :dense].to(torch.bfloat16)), _growing(column), _growing(value))
        padded = grow[0].padded(stable_length(len(matrix)))
        return cls(padded[: len(matrix)], padded, column, value, grow)

    def appended(self, vector: torch.Tensor) -> _Approximate | None:
        """The parts with one row more, or None (rebuild on next use) when its location block breaks the form."""
        dense = self.half.shape[1]
        location = vector[dense:].numpy()
        nonzero = np.flatnonzero(location)
        half_rows, columns, values = self.rows
        if len(nonzero) > 1 or (len(location) and (columns is None or values is None)):
            return None
        rows = len(half_rows.append(vector[:dense].to(torch.bfloat16)))
        padded = half_rows.padded(stable_length(rows))  # may move the rows to a longer buffer: `half` is read after
        half = padded[:rows]
        if columns is None or values is None:
            return _Approximate(half, padded, None, None, self.rows)
        column = int(nonzero[0]) if len(nonzero) else 0
        return _Approximate(half, padded, columns.append(column), values.append(float(location[column])), self.rows)


def _growing(array: np.ndarray | None) -> GrowingRows[np.ndarray] | None:
    return None if array is None else GrowingRows(array)


@dataclass
class _Side:
    """One side of the bipartite matching (candidates or offers): ids and their embedding matrix."""

    ids: list[str]
    matrix: torch.Tensor
    index: dict[str, int] = field(default_factory=dict)
    holes: torch.Tensor = field(default_factory=lambda: torch.zeros(0, dtype=torch.long))  # rows of deleted nodes
    approximate: _Approximate | None = None  # made on first use
    # Spare capacity behind `matrix`, so that appending a row copies nothing held (gnn/growing.py).
    _rows: GrowingRows[torch.Tensor] | None = None
    rebuilds: int = 0  # of the approximate parts (the memory log's count: each one copies the matrix)

    def __post_init__(self) -> None:
        self.index = {key: i for i, key in enumerate(self.ids) if key}
        # Found once, as indices: rebuilding the list per query cost 10 ms at 100,000 candidates, and a boolean
        # mask as long as the matrix still costs milliseconds; holes are few.
        self.holes = torch.tensor([i for i, key in enumerate(self.ids) if not key], dtype=torch.long)

    @property
    def half(self) -> torch.Tensor | None:
        return None if self.approximate is None else self.approximate.half

    @property
    def one_hot_column(self) -> np.ndarray | None:
        return None if self.approximate is None else self.approximate.one_hot_column

    def vector(self, key: str) -> torch.Tensor | None:
        i = self.index.get(key)
        return None if i is None else self.matrix[i]

    def _approximate_parts(self) -> _Approximate:
        """The approximate parts, (re)built when missing or stale."""
        parts, matrix = self.approximate, self.matrix
        if parts is None or parts.half.shape[0] != matrix.shape[0]:
            parts = self.approximate = _Approximate.of(matrix)
            self.rebuilds += 1
        return parts

    def put(self, key: str, vector: torch.Tensor) -> None:
        """Set `key`'s row, appended when the key is new. Amortised constant time: an upload neither copies the
        matrix nor makes the next ranking rebuild the approximate parts."""
        if key in self.index:
            self.matrix[self.index[key]] = vector
            self.approximate = None
            return
        # In this order for the rankings that run meanwhile: a row number read from the matrix always has its id,
        # and a key found in the index always has its row.
        self.ids.append(key)
        if self._rows is None or self._rows.view.data_ptr() != self.matrix.data_ptr():
            self._rows = GrowingRows(self.matrix)
        self.matrix = self._rows.append(vector)  # a new key is no hole: `holes` stays
        if self.approximate is not None:
            self.approximate = self.approximate.appended(vector)
        self.index[key] = len(self.ids) - 1

    def forget(self, key: str) -> bool:
        """Make `key`'s row a hole: no lookup finds it, no top-k returns it, and its vector is zeros. Rows keep
        their numbers (the re-ranker's facts are indexed by them); False when the key is unknown."""
        i = self.index.pop(key, None)
        if i is None:
            return False
        self.ids[i] = ""
        self.matrix[i] = 0.0
        parts = self.approximate
        if parts is not None:  # the approximate copy too, in place (its location block is kept apart)
            parts.half[i] = 0.0
            if parts.one_hot_value is not None:
                parts.one_hot_value[i] = 0.0
        self.holes = torch.cat([self.holes, torch.tensor([i], dtype=torch.long)])
        return True

    def top(
        self,
        query: torch.Tensor,
        k: int,
        exclude_empty: bool = True,
        approximate: bool = False,
        allowed: np.ndarray | None = None,
    ) -> list[tuple[str, float]]:
        """The `k` best rows by dot product, as (key, score)."""
        rows, values = self.top_rows(query, k, exclude_empty, approximate, allowed)
        return [(self.ids[i], v) for i, v in zip(rows.tolist(), values.tolist(), strict=True)]

    def top_rows(
        self,
        query: torch.Tensor,
        k: int,
        exclude_empty: bool = True,
        approximate: bool = False,
        allowed: np.ndarray | None = None,
    ) -> tuple[np.ndarray, np.ndarray]:
        """The `k` best rows by dot product, best first: (row indices, scores). `approximate`: in bfloat16 (half the
        bytes to read: 1.8 vs 3.6 ms at 100,000 × 256 on one thread), for candidate generation whose survivors
        are scored again exactly. `allowed` (one boolean per row): the others are masked before the top-k is cut,
        so that k allowed rows come back whenever k exist (filtered retrieval, not filtering after)."""
        if approximate:
            parts = self._approximate_parts()
            dense = parts.half.shape[1]
            scores = (parts.padded @ query[:dense].to(torch.bfloat16))[: len(parts.half)].float().numpy()
            if parts.one_hot_column is not None and parts.one_hot_value is not None:
                scores += parts.one_hot_value * query.numpy()[dense + parts.one_hot_column]
        else:
            # NumPy's BLAS matrix-vector product is 3× faster than torch's CPU `mv` here (2.4 vs 8 ms at 100,000 ×
            # 256, bench/bench_api.py), and the arrays share memory, so nothing is copied.
            scores = self.matrix.numpy() @ query.numpy()
        if exclude_empty and len(self.holes):
            scores[self.holes.numpy()] = -np.inf
        if allowed is not None:
            scores[: len(allowed)][~allowed[: len(scores)]] = -np.inf
            scores[len(allowed) :] = -np.inf  # rows added after the mask was made are not known to be allowed
        rows = best_first(scores, k)
        rows = rows[scores[rows] > -1e9]
        return rows, scores[rows].astype(np.float64)


def best_first(scores: np.ndarray, k: int) -> np.ndarray:
    """Indices of the `k` largest scores, largest first; equal scores keep their index order (a stable sort of
    the selected few: `argpartition` picks them in linear time instead of sorting all)."""
    if k >= len(scores):
        return np.argsort(-scores, kind="stable")
    kth = scores[np.argpartition(-scores, k - 1)[k - 1]]  # the k-th largest value
    above = np.flatnonzero(scores > kth)
    chosen = np.concatenate([above, np.flatnonzero(scores == kth)[: k - len(above)]])  # ties: lowest index first
    return chosen[np.lexsort((chosen, -scores[chosen]))]


class _ProfileClasses:
    """Per candidate row, the index of its statutory profile among the distinct ones (-1: none), so that the
    eligibility rules run once per distinct profile (a few hundred), not once per candidate. Kept up to date row by
    row: an upload classifies one row, not all of them again; a profiles dict read anew (`profiles` replaced)
    classifies every row once more."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._profiles: dict[str, StatutoryProfile] | None = None
        self._classes: GrowingRows[np.ndarray] = GrowingRows(np.zeros(0, dtype=np.int64))
        self._distinct: dict[StatutoryProfile, int] = {}
        self._dirty: set[int] = set()

    def mark(self, rows: Iterable[int]) -> None:
        """These rows' profiles changed (regraded, erased, embedded again): classify them on next use."""
        with self._lock:
            self._dirty.update(rows)

    def of(self, profiles: dict[str, StatutoryProfile], ids: list[str]) -> tuple[np.ndarray, list[StatutoryProfile]]:
        with self._lock:
            if profiles is not self._profiles:
                self._profiles, self._distinct, self._dirty = profiles, {}, set()
                self._classes = GrowingRows(np.zeros(0, dtype=np.int64))
            classes = self._classes.view
            for row in sorted(self._dirty):
                if row < len(classes):
                    classes[row] = self._class(ids[row])
            self._dirty.clear()
            for row in range(len(classes), len(ids)):
                classes = self._classes.append(self._class(ids[row]))
            return classes.copy(), list(self._distinct)

    def _class(self, candidate_id: str) -> int:
        assert self._profiles is not None
        profile = self._profiles.get(candidate_id) if candidate_id else None
        return -1 if profile is None else self._distinct.setdefault(profile, len(self._distinct))


class Recommender:
    """A loaded model version. `load` reads the artifacts once; every call afterwards is in memory except
    eligibility filtering and inductive embedding, which read the node's facts from Neo4j."""

    def __init__(self, stored: artifacts.Artifacts) -> None:
        self.version = stored.version
        self._stored = stored
        self._candidates = _Side(list(stored.ids["candidate"]), stored.embeddings["candidate"].clone())
        self._offers = _Side(list(stored.ids["offer"]), stored.embeddings["offer"].clone())
        career = stored.career
        self._fiches: list[str] = list(career.get("fiches", []))
        self._fiche_index = {uri: i for i, uri in enumerate(self._fiches)}
        self._career = career
        self._profiles: dict[str, StatutoryProfile] | None = None
        self._profiles_revision: int | None = None
        self._reranking: RerankingArtifact | None = stored.reranking
        self._new_offer_facts: dict[str, OfferFacts] = {}
        self._appender: CandidateAppender | None = None  # the candidates embedded since load, in the facts
        self._classes = _ProfileClasses()

    @classmethod
    def load(cls, db: Database, version: str | None = None) -> Recommender:
        """The given version, or the latest one registered in Neo4j (or stored on disk)."""
        return cls(artifacts.load(version or artifacts.latest_version(db)))

    # --- candidate ↔ offer -------------------------------------------------------------------------------
    def recommend_candidates(
        self, db: Database, offer_id: str, k: int = 10, eligible_only: bool = False
    ) -> list[tuple[str, float]]:
        """The `k` best candidates for the offer, best first; fewer only when fewer exist. Erased candidates (holes)
        and, with `eligible_only`, those not statutorily eligible are masked before the top-k is cut."""
        query = self._offer_vector(db, offer_id)
        allowed = self._eligible_mask(db, offer_id) if eligible_only else None
        reranking = self._reranking
        if reranking is not None:
            depth = max(RERANK_DEPTH, k * 3)
            rows, _ = self._candidates.top_rows(query, depth, approximate=True, allowed=allowed)
            return self._rerank(reranking, db, offer_id, query, rows, k)  # the re-ranker rescores them
        return self._candidates.top(query, k, allowed=allowed)

    def _eligible_mask(self, db: Database, offer_id: str) -> np.ndarray:
        """One boolean per candidate row: statutorily eligible for the offer. The rules run once per distinct
        profile (a few hundred), not once per candidate; a row whose candidate is not in Neo4j is not eligible."""
        requirement = offer_requirement_from_neo4j(db, offer_id)
        classes, distinct = self._classes.of(self._candidate_profiles(db), self._candidates.ids)
        verdicts = np.array([is_eligible(profile, requirement) for profile in distinct] + [False], dtype=bool)
        return verdicts[classes]  # class -1 (no profile) reads the trailing False

    def _rerank(
        self, reranking: RerankingArtifact, db: Database, offer_id: str, query: torch.Tensor, rows: np.ndarray, k: int
    ) -> list[tuple[str, float]]:
        """The `k` best of candidate `rows` by the re-ranker, with its chance of reaching shortlisted (0–1)."""
        if not len(rows):
            return []
        x = self._pair_features(reranking, db, offer_id, query, rows)
        chance = 1.0 / (1.0 + np.exp(-reranking.reranker.score(x)))
        ids = self._candidates.ids
        return [(ids[rows[i]], float(chance[i])) for i in best_first(chance, k).tolist()]

    def score_factors(
        self, db: Database, offer_id: str, candidate_ids: list[str]
    ) -> dict[str, list[tuple[str, float, float]]]:
        """Per candidate: (fact, value, contribution to the log-odds) of the re-ranker's score, largest effect
        first; empty when the version has no linear re-ranker. Candidates the model does not know are left out."""
        reranking = self._reranking
        if reranking is None:
            return {}
        known = [c for c in candidate_ids if c in self._candidates.index]
        if not known:
            return {}
        rows = np.array([self._candidates.index[c] for c in known], dtype=np.int64)
        x = self._pair_features(reranking, db, offer_id, self._offer_vector(db, offer_id), rows)
        out = {}
        contributions = reranking.reranker.contributions(x)
        for candidate_id, values, terms in zip(known, x.tolist(), contributions, strict=True):
            value = dict(zip(FEATURES, values, strict=True))
            out[candidate_id] = sorted(((f, value[f], t) for f, t in terms.items()), key=lambda r: -abs(r[2]))
        return out

    def _pair_features(
        self, reranking: RerankingArtifact, db: Database, offer_id: str, query: torch.Tensor, rows: np.ndarray
    ) -> np.ndarray:
        """The re-ranker's facts of (candidate row, offer) pairs."""
        offer = self._offer_facts(reranking, db, offer_id)
        return pair_features(reranking.facts, reranking.history, offer, rows, query, self._candidates.matrix)

    def _offer_facts(self, reranking: RerankingArtifact, db: Database, offer_id: str) -> OfferFacts:
        facts = reranking.facts
        row = self._offers.index.get(offer_id)
        if row is not None and row < len(facts.offer_occupations):
            return offer_facts(facts, row)
        held = self._new_offer_facts.get(offer_id)
        if held is None:
            props, neighbours = node_neighbourhood(db, "offer", offer_id)
            held = facts_of_new_offer(facts, props, neighbours, shared_text_row("offer", props, self._stored.spec))
            remember(self._new_offer_facts, offer_id, held, MAX_NEW_OFFER_FACTS)
        return held

    def recommend_offers(self, db: Database, candidate_id: str, k: int = 10) -> list[tuple[str, float]]:
        return self._offers.top(self._candidate_vector(db, candidate_id), k)

    def score_pair(self, db: Database, candidate_id: str, offer_id: str) -> float:
        """The score `recommend_candidates` gives this pair (the re-ranker's chance, or the cosine)."""
        candidate, query = self._candidate_vector(db, candidate_id), self._offer_vector(db, offer_id)
        reranking = self._reranking
        if reranking is None:
            return float(candidate @ query)
        row = np.array([self._candidates.index[candidate_id]], dtype=np.int64)
        return self._rerank(reranking, db, offer_id, query, row, 1)[0][1]

    def score_candidates(self, db: Database, offer_id: str, candidate_ids: list[str]) -> dict[str, float]:
        """The score `recommend_candidates` gives each of these candidates for the offer (the re-ranker's chance,
        or the cosine), to order an offer's own applicants; candidates the model does not know are left out."""
        known = [c for c in dict.fromkeys(candidate_ids) if c in self._candidates.index]
        if not known:
            return {}
        query = self._offer_vector(db, offer_id)
        rows = np.array([self._candidates.index[c] for c in known], dtype=np.int64)
        reranking = self._reranking
        if reranking is None:
            return dict(zip(known, (self._candidates.matrix[torch.from_numpy(rows)] @ query).tolist(), strict=True))
        return dict(self._rerank(reranking, db, offer_id, query, rows, len(rows)))

    def forget_candidate(self, candidate_id: str) -> bool:
        """After a GDPR erase: the candidate's embedding leaves memory (its row becomes zeros), its re-ranking facts
        and applications are cleared, no ranking or score factor returns it, and the model no longer knows its id
        (were the node still in Neo4j, a later call would embed it anew, as a new candidate). Its row keeps its
        number so that the re-ranker's facts, indexed by row, stay aligned. The files of the stored versions are
        rewritten apart (`artifacts.erase_candidates_from_versions`). False when the id is unknown."""
        row = self._candidates.index.get(candidate_id)
        if row is None or not self._candidates.forget(candidate_id):
            return False
        if self._reranking is not None:
            artifacts.forget_candidate_rows(self._reranking, [row])
        if self._profiles is not None:
            self._profiles.pop(candidate_id, None)
        self._classes.mark([row])
        return True

    def candidate_ids(self) -> list[str]:
        """The ids of the candidates the model knows (for matching erasure tombstones)."""
        return list(self._candidates.index)

    # --- career head ---------------------------------------------------------------------------------------
    def next_steps(self, db: Database, occupation_uri: str, k: int = 10) -> list[tuple[str, float]]:
        """ROME fiches (uris) a holder of `occupation_uri` most plausibly moves to next. Any occupation is
        first brought to its ROME fiche (itself, or through BROADER / EXACT_MATCH / CLOSE_MATCH links)."""
        fiche = occupation_uri if occupation_uri in self._fiche_index else self._to_fiche(db, occupation_uri)
        if fiche is None:
            return []
        row = self._fiche_index[fiche]
        scores = torch.sigmoid(career_scores(self._career, row))
        scores[row] = -1.0
        values, order = torch.topk(scores, min(k, len(self._fiches) - 1))
        return [(self._fiches[i], float(v)) for i, v in zip(order.tolist(), values.tolist(), strict=True)]

    def _to_fiche(self, db: Database, occupation_uri: str) -> str | None:
        return next((uri for uri in models.rome_fiches_near(db, occupation_uri) if uri in self._fiche_index), None)

    # --- inductive cold start ------------------------------------------------------------------------------
    def embed_new_offer(self, db: Database, offer_id: str) -> None:
        self._offers.put(offer_id, self._embed_and_write(db, "offer", "Offer", offer_id))

    def embed_new_candidate(self, db: Database, candidate_id: str) -> None:
        # One read of the neighbourhood (several queries) for the embedding and the re-ranker's facts row: it
        # was read twice, a seventh of an upload's interpreter time (docs/api.md, Load). Its properties leave the
        # embedding out, so the embedding written in between changes nothing of what the facts row reads.
        props, neighbours = node_neighbourhood(db, "candidate", candidate_id)
        vector = self._embed_neighbourhood("candidate", props, neighbours)
        models.write_embedding(db, "Candidate", candidate_id, vector.tolist(), self.version)
        new = candidate_id not in self._candidates.index
        self._candidates.put(candidate_id, vector)
        if new and self._reranking is not None:  # its facts row is the next one, as its matrix row
            if self._appender is None or self._appender.facts is not self._reranking.facts:
                self._appender = CandidateAppender(self._reranking.facts)
            self._appender.append(props, neighbours, shared_text_row("candidate", props, self._stored.spec))
        if self._profiles is not None:
            self._profiles.update(candidate_profiles_from_neo4j(db, [candidate_id]))
        self._classes.mark([self._candidates.index[candidate_id]])  # after its profile: a ranking may run between

    def embed(self, db: Database, node_type: str, key_value: str) -> torch.Tensor:
        """The embedding a new node gets from its features and ontology links, with the stored weights."""
        return self._embed_neighbourhood(node_type, *node_neighbourhood(db, node_type, key_value))

    def _embed_neighbourhood(
        self, node_type: str, props: dict[str, object], neighbours: dict[tuple[str, str, str], torch.Tensor]
    ) -> torch.Tensor:
        """`embed` from the node's neighbourhood as read (`neighbours` is left as it is)."""
        known = {t: v.shape[0] for t, v in self._stored.states[0].items()}
        # Nodes created after training have no cached state: they are left out of the neighbourhood.
        neighbours = {et: gids[gids < known[et[0]]] for et, gids in neighbours.items()}
        x = encode(node_type, [props], self._stored.spec)
        if node_type in GEO_EDGES:
            departements = neighbours.get(reverse(GEO_EDGES[node_type]), torch.empty(0, dtype=torch.long))
            x = torch.cat([x, geo_columns(torch.zeros_like(departements), departements, 1)], dim=1)
        x = x[0]
        with torch.no_grad():
            return self._stored.model.embed_one(node_type, x, neighbours, self._stored.states, self._stored.relations)

    def _embed_and_write(self, db: Database, node_type: str, label: str, value: str) -> torch.Tensor:
        """Embed a node and write its embedding on it (`graph.models` finds it by its label's key)."""
        vector = self.embed(db, node_type, value)
        models.write_embedding(db, label, value, vector.tolist(), self.version)
        return vector

    def cache_sizes(self) -> dict[str, int]:
        """Rows and entries held beside the stored version (the API's memory log, api/memory.py)."""
        return {
            "model_candidates": len(self._candidates.ids),
            "model_offers": len(self._offers.ids),
            "new_offer_facts": len(self._new_offer_facts),
            "approximate_rows": len(parts.padded) if (parts := self._candidates.approximate) is not None else 0,
            "approximate_rebuilds": self._candidates.rebuilds,
            "profiles": len(self._profiles or {}),
        }

    # --- lookups -------------------------------------------------------------------------------------------
    def _offer_vector(self, db: Database, offer_id: str) -> torch.Tensor:
        vector = self._offers.vector(offer_id)
        if vector is None:
            self.embed_new_offer(db, offer_id)
            vector = self._offers.vector(offer_id)
        assert vector is not None
        return vector

    def _candidate_vector(self, db: Database, candidate_id: str) -> torch.Tensor:
        vector = self._candidates.vector(candidate_id)
        if vector is None:
            self.embed_new_candidate(db, candidate_id)
            vector = self._candidates.vector(candidate_id)
        assert vector is not None
        return vector

    def _candidate_profiles(self, db: Database) -> dict[str, StatutoryProfile]:
        """Every candidate's statutory profile, read again when the statutory-facts counter has moved since
        (a candidate regraded or erased elsewhere; graph/revision.py). The counter is read first: profiles read
        after it are as fresh as it, or fresher."""
        if self._profiles is not None and self._profiles_revision is not None:
            current, stamped = revision.changed_since(db, self._profiles_revision)
            if current == self._profiles_revision:
                return self._profiles
            if stamped:  # only the candidates written since, updated in place, and only their rows classified again
                changed = candidate_profiles_from_neo4j(db, changed_since=self._profiles_revision)
                self._profiles.update(changed)
                self._profiles_revision = current
                index = self._candidates.index
                self._classes.mark(index[c] for c in changed if c in index)
                return self._profiles
        current = revision.current(db, revision.STATUTORY_FACTS)
        self._profiles, self._profiles_revision = candidate_profiles_from_neo4j(db), current
        return self._profiles
