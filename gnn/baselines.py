"""Baselines scored in the same harness as the GNN: each returns a [test offers × candidates] score matrix.

Only what was known before the test offers is used: popularity counts applications of the history offers,
the content-only model is trained on the same split, texts and skills are profile facts.
"""

from __future__ import annotations

import numpy as np
import torch
from rank_bm25 import BM25Okapi
from scipy import sparse
from sklearn.feature_extraction.text import TfidfVectorizer

from gnn.export import GraphExport
from gnn.train import Split


def random_scores(export: GraphExport, offers: np.ndarray, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).random((len(offers), export.data["candidate"].num_nodes))


def popularity_scores(export: GraphExport, offers: np.ndarray, split: Split) -> np.ndarray:
    """How often each candidate was selected (then applied) in the history: the same ranking for every offer."""
    apps = export.applications
    seen = np.isin(apps.offer, split.history_test)
    n = export.data["candidate"].num_nodes
    selected = np.bincount(apps.candidate[seen & apps.positive], minlength=n)
    applied = np.bincount(apps.candidate[seen], minlength=n)
    return np.tile(selected + applied / (applied.max() + 1.0), (len(offers), 1))


def binary_matrix(edge_index: np.ndarray, shape: tuple[int, int]) -> sparse.csr_matrix:
    """0/1 sparse matrix of an edge index (a repeated edge counts once)."""
    matrix = sparse.csr_matrix((np.ones(edge_index.shape[1], dtype=np.float32), (edge_index[0], edge_index[1])), shape)
    matrix.data[:] = 1.0
    return matrix


def _skill_matrix(export: GraphExport, edge_type: tuple[str, str, str], rows: int) -> sparse.csr_matrix:
    return binary_matrix(export.data[edge_type].edge_index.numpy(), (rows, export.data["skill"].num_nodes))


def offer_skills(export: GraphExport) -> sparse.csr_matrix:
    """The offer's own required skills; an offer that lists none borrows those of its occupations."""
    n_offers = export.data["offer"].num_nodes
    own = _skill_matrix(export, ("offer", "requires_skill", "skill"), n_offers)
    occupation = _skill_matrix(export, ("occupation", "requires_skill", "skill"), export.data["occupation"].num_nodes)
    of = export.data["offer", "of_occupation", "occupation"].edge_index.numpy()
    link = sparse.csr_matrix((np.ones(of.shape[1]), (of[0], of[1])), shape=(n_offers, occupation.shape[0]))
    borrowed = (link @ occupation).astype(bool).astype(np.float32)
    empty = np.asarray(own.sum(axis=1)).ravel() == 0
    return sparse.csr_matrix(sparse.vstack([borrowed[i] if empty[i] else own[i] for i in range(n_offers)]))


def candidate_skills(export: GraphExport) -> sparse.csr_matrix:
    return _skill_matrix(export, ("candidate", "has_skill", "skill"), export.data["candidate"].num_nodes)


def jaccard_scores(export: GraphExport, offers: np.ndarray) -> np.ndarray:
    o = offer_skills(export)[offers]
    c = candidate_skills(export)
    inter = (o @ c.T).toarray()
    union = np.asarray(o.sum(axis=1)) + np.asarray(c.sum(axis=1)).T - inter
    return inter / np.maximum(union, 1.0)


def bm25_scores(export: GraphExport, offers: np.ndarray, index: BM25Okapi | None = None) -> np.ndarray:
    """BM25 with candidates' skills as documents and the offer's skills as the query (skill ids as terms). `index`:
    `bm25_index(export)` when already built (evaluation scores a chunk of offers at a time)."""
    bm25 = bm25_index(export) if index is None else index
    o = offer_skills(export)[offers].tolil()
    return np.stack([bm25.get_scores([str(s) for s in row]) for row in o.rows])


def bm25_index(export: GraphExport) -> BM25Okapi:
    c = candidate_skills(export).tolil()
    return BM25Okapi([[str(s) for s in row] or ["∅"] for row in c.rows])


def tfidf_scores(
    export: GraphExport, offers: np.ndarray, fitted: tuple[TfidfVectorizer, sparse.csr_matrix] | None = None
) -> np.ndarray:
    """Cosine of TF-IDF vectors (words and bigrams) of the offer text and the CV text. `fitted`: `tfidf_model(export)`
    when already fitted (evaluation scores a chunk of offers at a time)."""
    vectorizer, c = tfidf_model(export) if fitted is None else fitted
    o = vectorizer.transform([export.texts["offer"][i] for i in offers.tolist()])
    return (o @ c.T).toarray()


def tfidf_model(export: GraphExport) -> tuple[TfidfVectorizer, sparse.csr_matrix]:
    """The vectorizer fitted on every CV and offer text, and the CVs' vectors."""
    vectorizer = TfidfVectorizer(ngram_range=(1, 2), min_df=2, max_features=50_000, sublinear_tf=True)
    vectorizer.fit(export.texts["candidate"] + export.texts["offer"])
    return vectorizer, vectorizer.transform(export.texts["candidate"])


def embedding_scores(embeddings: dict[str, torch.Tensor], offers: np.ndarray) -> np.ndarray:
    return (embeddings["offer"][torch.from_numpy(offers)] @ embeddings["candidate"].T).numpy()
