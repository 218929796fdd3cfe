"""Occupation of an offer or a CV experience: top-3 RMFP emplois-référence and top-3 ROME fiches, scored by
TF-IDF cosine between the text and each occupation's document (labels and appellations, then skills)."""

from __future__ import annotations

import re
from functools import lru_cache
from typing import TYPE_CHECKING, Any

import numpy as np
from scipy.sparse import hstack
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression

from loaders.records import OccupationScore
from ontology.text import fold_compat

if TYPE_CHECKING:
    from ontology.catalogue import Catalogue

SCHEMES = ("RMFP", "ROME")
TOP_K = 3
# Share of the score given to the title alone against single occupation labels. Chosen on the 652 real PEP offers
# among 0, 0.15, 0.2, 0.3, 0.5, 0.7, 0.85 (top-1: 34%, 46%, 46%, 47%, 43%, 42%, 42%); there is no held-out set,
# so the README figures are optimistic by this one choice.
TITLE_WEIGHT = 0.3
# Offers only: the lexical score (scaled to 1 for the best occupation) plus LEARNED_WEIGHT × the probability a model
# learned from offers coded by their publishers gives (`OfferCoding`), divided by 1 + LEARNED_WEIGHT. 4 was chosen
# among 0.5, 1, 2, 4 on the 5-fold cross-validated outputs of the 652 real PEP offers (docs/ingestion.md).
LEARNED_WEIGHT = 4.0
# Share of the lexical score given to the title's character 3–5-grams against each occupation label (the best label),
# which words alone miss: inflections and cut words (« numériques », « hydraulique », « adm. »). Not with the learned
# part: there it cost the offers 1–4 points. 0.5 was chosen among 0, 0.3, 0.5, 0.7 on the lexical score of the 652
# PEP offers (top-1 / top-3: 46.3 / 55.8, 46.5 / 56.3, 46.6 / 57.4, 47.4 / 56.6 %), the best top-3, before the
# hand-written CVs were scored with it (docs/ingestion.md, CV rule group 14).
CHAR_WEIGHT = 0.5
CHAR_MAX_DF = 0.02


def analyse_words(text: str) -> list[str]:
    return list(_analysed_words(text))


@lru_cache(maxsize=1024)
def _analysed_words(text: str) -> tuple[str, ...]:
    """Kept for the last texts: an offer's document (title twice, then text) is analysed by the lexical score's
    vectorizer, then by the learned coding's (docs/ingestion.md, Throughput)."""
    words = re.findall(r"[a-z0-9]+", fold_compat(text))
    return tuple(_stem(w) for w in words if len(w) > 2 and w not in _STOP)


@lru_cache(maxsize=1 << 16)  # a few thousand words recur across texts
def _stem(word: str) -> str:
    if word.endswith("aux"):
        return word[:-3] + "al"
    for suffix in ("ices", "ice", "eurs", "eur", "euses", "euse", "trices", "trice", "es", "s", "e"):
        if len(word) - len(suffix) >= 4 and word.endswith(suffix):
            return word[: -len(suffix)]
    return word


_STOP = {
    "les",
    "des",
    "une",
    "pour",
    "dans",
    "par",
    "sur",
    "avec",
    "aux",
    "est",
    "sont",
    "qui",
    "que",
    "vous",
    "votre",
    "nous",
    "son",
    "ses",
    "leur",
    "leurs",
    "plus",
    "tout",
    "tous",
    "cette",
    "ces",
    "etre",
    "avoir",
    "ainsi",
    "elle",
    "ils",
    "sera",
    "serez",
    "dont",
    "mais",
    "non",
    "pas",
    "entre",
    "sous",
    "lors",
    "afin",
    "chez",
    "h/f",
    "f/h",
}


class OccupationClassifier:
    def __init__(self, catalogue: Catalogue) -> None:
        self.by_scheme: dict[str, tuple[list[str], list[str]]] = {}  # scheme → (uris, codes)
        self.label_owner: dict[str, np.ndarray] = {}  # scheme → occupation index of each label row
        self.label_starts: dict[str, np.ndarray] = {}  # scheme → first label row of each occupation
        self.label_matrix: dict[str, object] = {}
        self.doc_matrix: dict[str, object] = {}
        self.vectorizer = TfidfVectorizer(analyzer=analyse_words, sublinear_tf=True, min_df=1)
        self.learned: dict[str, OfferCoding] = {}  # scheme → model learned from offers coded by their publishers
        corpus_labels: dict[str, list[str]] = {}
        corpus_docs: dict[str, list[str]] = {}
        for scheme in SCHEMES:
            concepts = [o for o in catalogue.occupations.values() if o.scheme == scheme]
            self.by_scheme[scheme] = ([o.uri for o in concepts], [o.code for o in concepts])
            # One row per label (a ROME fiche has dozens of appellations): a title is compared with each of them
            # and an occupation scores its best label, so that long appellation lists do not dilute the match.
            rows = [(i, label) for i, o in enumerate(concepts) for label in dict.fromkeys([o.label, *o.alt_labels])]
            self.label_owner[scheme] = np.array([i for i, _ in rows])
            # Rows are grouped by occupation and every occupation has its label: a row range per occupation.
            self.label_starts[scheme] = np.searchsorted(self.label_owner[scheme], np.arange(len(concepts)))
            corpus_labels[scheme] = [label for _, label in rows]
            corpus_docs[scheme] = [
                " ".join([o.label, *o.alt_labels, o.family or "", *_skill_labels(catalogue, o)]) for o in concepts
            ]
        self.vectorizer.fit([d for s in SCHEMES for d in corpus_docs[s]])
        self.chars = TfidfVectorizer(
            analyzer="char_wb", ngram_range=(3, 5), sublinear_tf=True, strip_accents="unicode", max_df=CHAR_MAX_DF
        )
        self.chars.fit([label for s in SCHEMES for label in corpus_labels[s]])
        self.char_matrix: dict[str, object] = {}
        for scheme in SCHEMES:
            self.label_matrix[scheme] = self.vectorizer.transform(corpus_labels[scheme])
            self.doc_matrix[scheme] = self.vectorizer.transform(corpus_docs[scheme])
            # stored transposed, in rows, in float32: the product with a batch of titles is a third cheaper
            self.char_matrix[scheme] = self.chars.transform(corpus_labels[scheme]).T.tocsr().astype(np.float32)

    def classify(
        self, texts: list[str], titles: list[str], learned: bool = False, jobs: list[str] | None = None
    ) -> list[list[OccupationScore]]:
        """Top 3 per scheme; `learned` (offers) adds the model learned from coded offers where one is fitted. `jobs`:
        the titles without their employer, whose scores are averaged with the whole titles' (CV steps)."""
        if not texts:
            return []
        results: list[list[OccupationScore]] = [[] for _ in texts]
        vectors = self.vectors(texts, titles)  # once for every scheme: the vectorizer is shared
        # only the titles an employer was cut from are scored twice
        cut = [row for row, (title, job) in enumerate(zip(titles, jobs or titles, strict=True)) if job != title]
        cut_texts, cut_jobs = [texts[row] for row in cut], [(jobs or titles)[row] for row in cut]
        cut_vectors = self.vectors(cut_texts, cut_jobs) if cut else None
        for scheme in SCHEMES:
            uris, codes = self.by_scheme[scheme]
            if not uris:
                continue
            scores = self.scores(texts, titles, scheme, learned, vectors)
            if cut:
                scores[cut] = (scores[cut] + self.scores(cut_texts, cut_jobs, scheme, learned, cut_vectors)) / 2
            top = np.argsort(-scores, axis=1)[:, :TOP_K]
            for row, columns in enumerate(top):
                for rank, column in enumerate(columns, start=1):
                    score = round(float(scores[row, column]), 4)
                    if score > 0:
                        results[row].append(OccupationScore(uris[column], scheme, codes[column], score, rank))
        return results

    def vectors(self, texts: list[str], titles: list[str]) -> tuple[Any, Any, Any]:
        """(the titles' TF-IDF vectors, those of the title twice and the text, the titles' character n-grams): what
        `scores` compares."""
        title_vectors = self.vectorizer.transform(titles)
        text_vectors = self.vectorizer.transform([f"{t} {t} {x}" for t, x in zip(titles, texts, strict=True)])
        return title_vectors, text_vectors, self.chars.transform(titles)

    def scores(
        self,
        texts: list[str],
        titles: list[str],
        scheme: str,
        learned: bool = False,
        vectors: tuple[Any, Any, Any] | None = None,
    ) -> np.ndarray:
        """texts × occupations of `scheme` (in `by_scheme` order): the lexical score, blended (`learned`) with the
        probabilities of the model learned from coded offers where one is fitted (`self.learned`). `vectors`:
        `self.vectors(texts, titles)` when already computed (a CV's reading spent a fifth of its interpreter time
        computing them once per scheme, docs/api.md, Load)."""
        title_vectors, text_vectors, char_vectors = vectors if vectors is not None else self.vectors(texts, titles)
        by_label = (title_vectors @ self.label_matrix[scheme].T).toarray()  # type: ignore[attr-defined]
        best_label = np.maximum.reduceat(by_label, self.label_starts[scheme], axis=1)  # each occupation's best label
        scores = TITLE_WEIGHT * best_label
        scores += (1 - TITLE_WEIGHT) * (text_vectors @ self.doc_matrix[scheme].T).toarray()  # type: ignore[attr-defined]
        model = self.learned.get(scheme)
        if not learned or model is None:
            by_chars = (char_vectors.astype(np.float32) @ self.char_matrix[scheme]).toarray()
            best_chars = np.maximum.reduceat(by_chars, self.label_starts[scheme], axis=1)
            return np.asarray((1 - CHAR_WEIGHT) * scores + CHAR_WEIGHT * TITLE_WEIGHT * best_chars)
        scaled = scores / (scores.max(axis=1, keepdims=True) + 1e-9)
        column = {code: i for i, code in enumerate(self.by_scheme[scheme][1])}
        probabilities = model.probabilities(titles, texts)
        for k, code in enumerate(model.codes):
            scaled[:, column[code]] += LEARNED_WEIGHT * probabilities[:, k]
        return np.asarray(scaled / (1 + LEARNED_WEIGHT))


class OfferCoding:
    """How publishers code their offers: a logistic regression over TF-IDF stemmed words of title (twice) and text
    and character 3–5-grams of the title (of the text too they cost as much as the rest of the reading), fitted on
    offers with their publisher's occupation code. It knows only the codes it was fitted on (23 ROME fiches for the
    PEP offers): the lexical score keeps the others reachable."""

    def __init__(self, titles: list[str], texts: list[str], codes: list[str]) -> None:
        self.words = TfidfVectorizer(analyzer=analyse_words, sublinear_tf=True)
        self.title_chars = TfidfVectorizer(analyzer="char_wb", ngram_range=(3, 5), sublinear_tf=True)
        features = hstack([self.words.fit_transform(_documents(titles, texts)), self.title_chars.fit_transform(titles)])
        self.model = LogisticRegression(C=10, max_iter=2000).fit(features.tocsr(), codes)
        self.codes: list[str] = [str(c) for c in self.model.classes_]

    def probabilities(self, titles: list[str], texts: list[str]) -> np.ndarray:
        features = hstack([self.words.transform(_documents(titles, texts)), self.title_chars.transform(titles)])
        return np.asarray(self.model.predict_proba(features.tocsr()))


def _documents(titles: list[str], texts: list[str]) -> list[str]:
    return [f"{t} {t} {x}" for t, x in zip(titles, texts, strict=True)]


def _skill_labels(catalogue: Catalogue, occupation: object) -> list[str]:
    labels = []
    for uri in [*occupation.essential_skills, *occupation.optional_skills]:  # type: ignore[attr-defined]
        skill = catalogue.skills.get(uri)
        if skill is not None:
            labels.append(skill.label)
    return labels
