"""Training's text features computed the fast way give exactly what scikit-learn and spaCy give: the character
n-gram TF-IDF counted word by word (`gnn.ngrams`) and the mean word vectors looked up token array by token array
(`gnn.features._mean_vector`), on texts built to break the equivalences (accents, compatibility characters that
decompose to a space, ligatures, Greek final sigma, short words, runs of spaces, empty texts)."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import sparse
from sklearn.feature_extraction.text import TfidfVectorizer

from gnn import features
from gnn.ngrams import char_wb_counts, char_wb_tfidf, supports

TRICKY = [
    "Adjointe administrative principale de 2e classe, mairie de Saint-Étienne",
    "L´ami d’Éric : « finance » et ﬁnance, ½ poste, Ⅻe arrondissement",
    "ΟΔΟΣ ΣΑΣ İstanbul Straße ǄEMAL ﬀ ℌ ① 東京 🙂",
    "e\u0301cole  de\tla\n\nvie\u00a0associative\u2003x",
    "",
    "   ",
    "a",
    "ab abc abcd abcde abcdef",
    "infirmier infirmière infirmières INFIRMIER",
    "Gestionnaire RH – paie, carrières ; « rédacteur » territorial (h/f)",
]
CORPUS = [*TRICKY, *(f"{t} {u}" for t in TRICKY for u in TRICKY[:4])]


def assert_same(left: sparse.spmatrix, right: sparse.spmatrix) -> None:
    left, right = sparse.csr_matrix(left), sparse.csr_matrix(right)
    assert left.shape == right.shape and left.dtype == right.dtype
    assert np.array_equal(left.indptr, right.indptr)
    assert np.array_equal(left.indices, right.indices)
    assert np.array_equal(left.data, right.data)


@pytest.mark.parametrize(
    "options",
    [
        # the configuration of the shared text space (gnn.features.fit_text_model)
        {"ngram_range": (2, 5), "min_df": 2, "sublinear_tf": True, "strip_accents": "unicode", "dtype": np.float32},
        {"ngram_range": (3, 5), "sublinear_tf": True},
        {"ngram_range": (1, 3), "strip_accents": "ascii", "lowercase": False, "max_features": 200},
        {"ngram_range": (2, 4), "binary": True, "use_idf": False, "norm": None},
    ],
)
def test_char_ngrams_word_by_word_are_scikit_learns(options: dict) -> None:
    vectorizer = TfidfVectorizer(analyzer="char_wb", **options).fit(CORPUS)
    assert supports(vectorizer)
    assert_same(char_wb_tfidf(vectorizer, TRICKY), vectorizer.transform(TRICKY))
    assert_same(char_wb_tfidf(vectorizer, CORPUS), vectorizer.transform(CORPUS))
    counts = char_wb_counts(vectorizer, CORPUS)
    assert counts.sum() > 0  # the comparison is not between two empty matrices


def test_other_vectorizers_go_through_their_own_transform() -> None:
    words = TfidfVectorizer(ngram_range=(1, 2)).fit(CORPUS)
    assert not supports(words)
    assert_same(char_wb_tfidf(words, TRICKY), words.transform(TRICKY))


def test_shared_text_space_rows_are_the_pipelines() -> None:
    texts = [f"{t} {u} {v}" for t in TRICKY for u in TRICKY for v in TRICKY[:3]]
    model = features.fit_text_model({"candidate": [{"cv_text": t} for t in texts], "offer": []})
    assert isinstance(model, features.SharedText) and model.chars is not None and model.words is not None
    for pipeline in (model.words, model.chars):
        assert np.array_equal(features._space_rows(pipeline, texts), pipeline.transform(texts))


def test_mean_word_vectors_are_spacys_to_the_bit() -> None:
    nlp = features._nlp()
    texts = [*TRICKY, "Travailleur social à Paris 15e, https://example.org, 06 12 34 56 78, aujourd'hui."]
    expected = np.zeros((len(texts), features.TEXT_DIM), dtype=np.float32)
    for i, doc in enumerate(nlp.pipe(texts)):
        norm = float(np.linalg.norm(doc.vector))
        if norm > 0:
            expected[i] = doc.vector / norm
    found = features.text_vectors(texts)
    assert found.tobytes() == expected.tobytes()
    assert np.count_nonzero(np.abs(found).sum(axis=1)) >= len(texts) - 3  # most texts have a vector


def test_both_halves_of_the_shared_space_are_fitted_on_one_sample(monkeypatch: pytest.MonkeyPatch) -> None:
    # Texts 2k and 2k + 1 share the word « motk »; a word needs two texts (min_df), so the word half knows « motk »
    # exactly when both texts of the pair were drawn, and the character half (the same sample) agrees.
    texts = [f"agent territorial mot{k // 2} {'filler ' * (k % 3)}" for k in range(120)]
    monkeypatch.setattr(features, "FIT_SAMPLE", 40)
    model = features.fit_text_model({"candidate": [{"cv_text": t} for t in texts], "offer": []})
    assert isinstance(model, features.SharedText) and model.words is not None and model.chars is not None
    picked = set(np.random.default_rng(0).choice(len(texts), 40, replace=False).tolist())
    both_drawn = {f"mot{k}" for k in range(60) if {2 * k, 2 * k + 1} <= picked}
    vocabulary = model.words.named_steps["tfidf"].vocabulary_
    assert {w for w in vocabulary if w.startswith("mot") and " " not in w} == both_drawn
    assert both_drawn and len(both_drawn) < 60
    chars = model.chars.named_steps["tfidf"].vocabulary_
    assert all((f"t{k} " in chars) == (f"mot{k}" in both_drawn) for k in range(10, 60))  # « t37 » ends « mot37 »
