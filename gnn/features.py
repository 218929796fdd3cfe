"""Node features: French text vectors (spaCy `fr_core_news_md`, 300-d mean of word vectors), one-hot statutory
and categorical attributes, scaled numeric ones, and a text space shared by CVs and offers in two halves: word
TF-IDF → SVD, and character n-grams → SVD, which does not depend on French (English posts, titles alone, job
titles only: issue 13).

The vocabularies of the one-hot columns are learnt once, at training, and stored with the model (`FeatureSpec`)
so that a stored version turns a new node into exactly the same columns.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from typing import Any, cast

import numpy as np
import torch

from vivier.once import once

TEXT_DIM = 300

# Per node type: properties read as text, as categories (one-hot) and as numbers (log1p then scaled).
TEXT_PROPS: dict[str, tuple[str, ...]] = {
    "candidate": ("cv_text",),
    "offer": ("title", "description"),
    "employer": (),
    "occupation": ("label",),
    "skill": ("label",),
    "grade": ("label",),
    "departement": (),
}
CATEGORICAL_PROPS: dict[str, tuple[str, ...]] = {
    "candidate": ("versant", "categorie", "titulaire", "education_level", "contract"),
    "offer": ("versant", "categorie", "contract", "working_time", "filiere"),
    "employer": ("kind",),
    "occupation": ("labels", "rome_domaine", "rome_grand_domaine"),
    "skill": ("kind",),
    "grade": ("labels", "categorie", "versant"),
    "departement": ("code",),
}
NUMERIC_PROPS: dict[str, tuple[str, ...]] = {
    "candidate": ("years_experience",),
    "offer": (),
    "employer": ("size",),
    "occupation": (),
    "skill": (),
    "grade": (),
    "departement": (),
}
# Statutory attributes kept as integer codes for the eligibility filter.
STATUTORY = ("versant", "categorie", "titulaire", "education_level", "contract", "labels")
IGNORED_LABELS = {"Concept", "Occupation"}
ROME_CODE = re.compile(r"^[A-N]\d{4}$")
ROME_PREFIX = {"rome_domaine": 3, "rome_grand_domaine": 1}


WORD_TEXT_DIM = 64  # word TF-IDF → SVD
CHAR_TEXT_DIM = 64  # character 2–5-gram TF-IDF → SVD: any language, and short texts (a title) still land somewhere
SHARED_TEXT_DIM = WORD_TEXT_DIM + CHAR_TEXT_DIM  # shared by CVs and offers; the last columns of their features
SHARED_TEXT_TYPES = ("candidate", "offer")
# Texts both halves of the shared space are fitted on, drawn once: their vocabularies settle long before a million,
# and the word half fitted on all of them grew past a gigabyte at 50,000 texts (25 s; a million: minutes and most of
# the machine's memory). Below this many texts, every text is used, as before 2026-12-06.
FIT_SAMPLE = 50_000


@dataclass
class FeatureSpec:
    vocab: dict[str, dict[str, list[str]]] = field(default_factory=dict)  # type → property → values
    numeric_scale: dict[str, dict[str, float]] = field(default_factory=dict)  # type → property → max log1p
    text_model: Any = None  # a fitted SharedText (pickled with the model)

    def to_json(self) -> dict[str, Any]:
        return {"vocab": self.vocab, "numeric_scale": self.numeric_scale}

    @classmethod
    def from_json(cls, value: dict[str, Any]) -> FeatureSpec:
        return cls(vocab=value["vocab"], numeric_scale=value["numeric_scale"])

    def dim(self, node_type: str) -> int:
        text = TEXT_DIM if TEXT_PROPS[node_type] else 0
        one_hot = sum(len(values) + 1 for values in self.vocab[node_type].values())
        shared = SHARED_TEXT_DIM if node_type in SHARED_TEXT_TYPES else 0
        return text + one_hot + len(self.numeric_scale[node_type]) + 1 + shared  # +1: a constant column


@once
def _nlp() -> Any:
    from loaders.nlp import load_spacy

    # Only the tokenizer and the static vectors are needed for doc.vector: every trained component is excluded.
    return load_spacy(exclude=["tok2vec", "morphologizer", "parser", "attribute_ruler", "lemmatizer", "ner", "senter"])


def text_vectors(texts: list[str]) -> np.ndarray:
    """Mean spaCy word vectors, L2-normalised; empty texts give zeros."""
    nlp = _nlp()
    out = np.zeros((len(texts), TEXT_DIM), dtype=np.float32)
    for i, doc in enumerate(nlp.pipe(texts, batch_size=256)):
        vector = _mean_vector(doc, nlp.vocab.vectors)
        norm = float(np.linalg.norm(vector))
        if norm > 0:
            out[i] = vector / norm
    return out


def _mean_vector(doc: Any, vectors: Any) -> np.ndarray:
    """`doc.vector` (the mean of its tokens' vectors, zero for a word without one), with the vectors looked up for
    all tokens at once instead of one Python object per token (a fifth of the text features' time). The sum runs
    in the same order as spaCy's, from the same zero, so the result is the same to the bit (tests/test_features.py)."""
    if vectors.mode != "default" or doc.user_hooks or doc.user_token_hooks or not len(doc) or not vectors.size:
        return doc.vector
    rows = vectors.find(keys=doc.to_array(vectors.attr))
    tokens = np.zeros((len(doc) + 1, vectors.data.shape[1]), dtype=np.float32)  # row 0: Python's sum starts at 0
    tokens[1:][rows >= 0] = vectors.data[rows[rows >= 0]]
    return np.cumsum(tokens, axis=0)[-1] / len(doc)


def _category(props: dict[str, Any], name: str) -> list[str]:
    if name in ROME_PREFIX:
        # A ROME code (K1401) names its domaine (K14) and grand domaine (K): most mobility stays inside them.
        code = str(props.get("code") or "")
        return [code[: ROME_PREFIX[name]]] if ROME_CODE.match(code) else []
    value = props.get(name)
    if name == "labels":
        return sorted(str(v) for v in (value or []) if v not in IGNORED_LABELS)
    if value is None or value == "":
        return []
    if isinstance(value, list):
        return [str(v) for v in value]
    return [str(value)]


def _texts(node_type: str, rows: list[dict[str, Any]]) -> list[str]:
    return [" ".join(str(row.get(p) or "") for p in TEXT_PROPS[node_type]).strip() for row in rows]


@dataclass
class SharedText:
    """The shared text space: word TF-IDF → SVD and character n-grams → SVD, each half L2-normalised."""

    words: Any = None  # TfidfVectorizer + TruncatedSVD pipeline, or None when too few texts
    chars: Any = None

    def transform(self, texts: list[str]) -> np.ndarray:
        out = np.zeros((len(texts), SHARED_TEXT_DIM), dtype=np.float32)
        for model, start in ((self.words, 0), (self.chars, WORD_TEXT_DIM)):
            if model is not None and texts:
                values = _space_rows(model, texts).astype(np.float32)
                norms = np.linalg.norm(values, axis=1, keepdims=True)
                out[:, start : start + values.shape[1]] = values / np.maximum(norms, 1e-9)
        return out


def _space_rows(model: Any, texts: list[str]) -> np.ndarray:
    """`model.transform(texts)` (TF-IDF then SVD), with the character n-grams counted word by word (`gnn.ngrams`:
    the same matrix, faster: `bench/bench_text_features.py`)."""
    from gnn.ngrams import char_wb_tfidf

    tfidf, svd = model.named_steps["tfidf"], model.named_steps["svd"]
    return cast(np.ndarray, svd.transform(char_wb_tfidf(tfidf, texts)))


def fit_text_model(props: dict[str, list[dict[str, Any]]]) -> SharedText | None:
    """Both halves fitted on CVs and offers together so that both land in one space. Words: mean word vectors of
    long texts are too alike to tell occupations apart, specific words are not. Characters (`char_wb` 2–5-grams,
    accents stripped): "ingénieur" and "engineer", "infirmier" and "infirmière" share n-grams, and a title of
    three words already gives a vector, whatever its language."""
    from sklearn.feature_extraction.text import TfidfVectorizer

    texts = [t for node_type in SHARED_TEXT_TYPES for t in _texts(node_type, props[node_type]) if t]
    if len(texts) <= 2:
        return None
    words = TfidfVectorizer(ngram_range=(1, 2), min_df=2, max_features=50_000, sublinear_tf=True)
    chars = TfidfVectorizer(
        analyzer="char_wb",
        ngram_range=(2, 5),
        min_df=2,
        max_features=100_000,
        sublinear_tf=True,
        strip_accents="unicode",
        dtype=np.float32,
    )
    sample = texts
    if len(texts) > FIT_SAMPLE:
        picked = np.random.default_rng(0).choice(len(texts), FIT_SAMPLE, replace=False)
        sample = [texts[i] for i in np.sort(picked)]
    return SharedText(_fit_space(words, WORD_TEXT_DIM, sample), _fit_space(chars, CHAR_TEXT_DIM, sample))


def _fit_space(vectorizer: Any, dim: int, texts: list[str]) -> Any:
    """TF-IDF then SVD to at most `dim` components (fewer when the texts have fewer terms); None when there is
    nothing to reduce (a handful of texts sharing no term)."""
    from sklearn.decomposition import TruncatedSVD
    from sklearn.pipeline import Pipeline

    try:
        matrix = vectorizer.fit_transform(texts)
    except ValueError:  # empty vocabulary: no term in min_df texts
        return None
    components = min(dim, matrix.shape[0] - 1, matrix.shape[1] - 1)
    if components < 1:
        return None
    svd = TruncatedSVD(n_components=components, random_state=0).fit(matrix)
    return Pipeline([("tfidf", vectorizer), ("svd", svd)])


def shared_text(texts: list[str], spec: FeatureSpec) -> np.ndarray:
    if isinstance(spec.text_model, SharedText):
        return spec.text_model.transform(texts)
    if spec.text_model is not None:  # a model stored before the character half existed: its columns differ
        raise ValueError("the stored text model has no character n-gram space; retrain with `vivier train`")
    return np.zeros((len(texts), SHARED_TEXT_DIM), dtype=np.float32)


def shared_text_row(node_type: str, props: dict[str, Any], spec: FeatureSpec) -> np.ndarray:
    """One candidate's or offer's row of the shared text space, as `encode` computes it (serving: a node created
    after training)."""
    return shared_text(_texts(node_type, [props]), spec)[0]


def fit_spec(props: dict[str, list[dict[str, Any]]]) -> FeatureSpec:
    spec = FeatureSpec(text_model=fit_text_model(props))
    for node_type, rows in props.items():
        spec.vocab[node_type] = {
            name: sorted({v for row in rows for v in _category(row, name)}) for name in CATEGORICAL_PROPS[node_type]
        }
        spec.numeric_scale[node_type] = {
            name: max([math.log1p(max(float(row.get(name) or 0), 0.0)) for row in rows] + [1.0])
            for name in NUMERIC_PROPS[node_type]
        }
    return spec


def encode(node_type: str, rows: list[dict[str, Any]], spec: FeatureSpec) -> torch.Tensor:
    """One node type's rows → a feature matrix whose columns are fixed by `spec`."""
    blocks: list[np.ndarray] = []
    vectors, shared = text_features(
        _texts(node_type, rows), spec, bool(TEXT_PROPS[node_type]), node_type in SHARED_TEXT_TYPES
    )
    if vectors is not None:
        blocks.append(vectors)
    for name, values in spec.vocab[node_type].items():
        index = {v: i for i, v in enumerate(values)}
        block = np.zeros((len(rows), len(values) + 1), dtype=np.float32)  # last column: unknown value
        for i, row in enumerate(rows):
            for value in _category(row, name):
                block[i, index.get(value, len(values))] = 1.0
        blocks.append(block)
    for name, scale in spec.numeric_scale[node_type].items():
        column = [math.log1p(max(float(row.get(name) or 0), 0.0)) / scale for row in rows]
        blocks.append(np.array(column, dtype=np.float32).reshape(-1, 1))
    blocks.append(np.ones((len(rows), 1), dtype=np.float32))
    if shared is not None:
        blocks.append(shared)  # last: the model reads them by position
    return torch.from_numpy(np.concatenate(blocks, axis=1))


# The text features of a node type with at least this many texts per process are computed in forked workers, which
# inherit the fitted text model and spaCy's vectors (the export's text features were 88 % of its time at 50,000
# candidates, docs/model.md); the rows are the same, each text's features depending on that text alone. Tasks of
# 2,000 texts share the work out evenly (with tasks of 10,000, 12,000 texts ran 1.12 × faster on two cores instead
# of 2.08 ×: one worker had 10,000 of them; bench/bench_text_features.py).
MIN_TEXTS_PER_PROCESS = 2_000
TEXTS_PER_TASK = 2_000


Pair = tuple[np.ndarray | None, np.ndarray | None]


def text_features(texts: list[str], spec: FeatureSpec, vectors: bool, shared: bool) -> Pair:
    """With `vectors`, the mean word vectors of `texts`; with `shared`, their rows of the shared text space.
    Past `2 × MIN_TEXTS_PER_PROCESS` texts, computed in the text processes of the settings
    (`VIVIER_LOAD_PROCESSES`, the loads' readers), forked after spaCy's vectors are loaded (`loaders.forked`)."""
    from loaders.forked import forked_map
    from vivier.settings import get_settings

    processes = get_settings().load_process_count
    if not (vectors or shared) or processes <= 1 or len(texts) < 2 * MIN_TEXTS_PER_PROCESS:
        return _text_features((spec, vectors, shared), texts)
    _nlp()  # loaded once here, shared by the forked workers
    tasks = (texts[i : i + TEXTS_PER_TASK] for i in range(0, len(texts), TEXTS_PER_TASK))
    parts = list(forked_map(_text_features, (spec, vectors, shared), tasks, processes, "text features"))
    return _joined([part[0] for part in parts]), _joined([part[1] for part in parts])


def _joined(blocks: list[np.ndarray | None]) -> np.ndarray | None:
    return None if blocks[0] is None else np.concatenate(cast(list[np.ndarray], blocks))


def _text_features(what: tuple[FeatureSpec, bool, bool], texts: list[str]) -> Pair:
    spec, vectors, shared = what
    return text_vectors(texts) if vectors else None, shared_text(texts, spec) if shared else None


def statutory_attributes(rows: list[dict[str, Any]]) -> dict[str, np.ndarray]:
    """The statutory properties the eligibility rules read, as object arrays by gid (None when unknown)."""
    attributes: dict[str, np.ndarray] = {}
    for name in STATUTORY:
        column = np.empty(len(rows), dtype=object)
        for i, row in enumerate(rows):
            column[i] = row.get(name)  # element by element: lists (labels) must stay objects
        attributes[name] = column
    return attributes


def node_features(
    props: dict[str, list[dict[str, Any]]], spec: FeatureSpec | None
) -> tuple[FeatureSpec, dict[str, torch.Tensor], dict[str, dict[str, np.ndarray]]]:
    spec = spec or fit_spec(props)
    features = {node_type: encode(node_type, rows, spec) for node_type, rows in props.items()}
    attributes = {
        node_type: statutory_attributes(props[node_type]) for node_type in ("candidate", "offer", "grade", "occupation")
    }
    for name in NUMERIC_PROPS["candidate"]:  # raw values for the re-ranker's pair facts
        attributes["candidate"][name] = np.array([float(r.get(name) or 0) for r in props["candidate"]], dtype=float)
    return spec, features, attributes
