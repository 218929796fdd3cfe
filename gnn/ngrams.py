"""Character n-gram TF-IDF rows computed word by word: the same matrix as scikit-learn's
`TfidfVectorizer(analyzer="char_wb").transform`, several times faster on CV texts.

A `char_wb` n-gram never crosses a word boundary, so the counts of a text are the sum of the counts of its words,
and a corpus of CVs repeats the same words many times. scikit-learn analyses every occurrence in Python (most of
training's text-feature time, docs/model.md); here each distinct word is analysed once, and the texts' counts are
one sparse product, texts × words @ words × n-grams. The counts are integers, so the matrix is exactly scikit-learn's
(`tests/test_features.py` compares them on texts built to break the equivalence: accents, compatibility characters,
short words, repeated spaces), and the vectorizer's own fitted TF-IDF step weighs them.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
from scipy import sparse


def supports(vectorizer: Any) -> bool:
    """Whether `vectorizer` is a fitted character-in-word vectorizer this module reproduces exactly."""
    return (
        getattr(vectorizer, "analyzer", None) == "char_wb"
        and getattr(vectorizer, "input", None) == "content"
        and hasattr(vectorizer, "vocabulary_")
        # the fitted weighting step, a private attribute: tests/test_features.py compares with `transform`, so a
        # scikit-learn that renames it falls back to `transform`, and one that changes its meaning fails the tests
        and hasattr(vectorizer, "_tfidf")
    )


def char_wb_tfidf(vectorizer: Any, texts: Sequence[str]) -> sparse.csr_matrix:
    """`vectorizer.transform(texts)`, word by word; any other vectorizer goes through its own `transform`."""
    if not supports(vectorizer) or not all(isinstance(t, str) for t in texts):
        return vectorizer.transform(texts)
    counts = char_wb_counts(vectorizer, texts)
    return vectorizer._tfidf.transform(counts, copy=False)


def char_wb_counts(vectorizer: Any, texts: Sequence[str]) -> sparse.csr_matrix:
    """The n-gram counts `CountVectorizer.transform` gives: texts × the fitted vocabulary, sorted indices."""
    words = WordNgrams(vectorizer)
    rows: list[int] = []
    columns: list[int] = []
    for row, text in enumerate(texts):
        for raw in text.split():
            rows.append(row)
            columns.append(words.index(raw))
    per_text = sparse.csr_matrix(
        (np.ones(len(rows), dtype=np.float32), (rows, columns)), shape=(len(texts), len(words))
    )
    counts = (per_text @ words.matrix()).astype(vectorizer.dtype)
    counts.sum_duplicates()
    counts.eliminate_zeros()
    counts.sort_indices()
    if vectorizer.binary:
        counts.data.fill(1)
    return counts


class WordNgrams:
    """Each distinct whitespace-separated word → its n-gram counts over the vectorizer's vocabulary.

    The vectorizer lower-cases and strips accents over the whole text before splitting it; both act character by
    character and never create or remove whitespace, so doing them word by word gives the same words — except
    that stripping may turn a character into a space (« ´ » decomposes to a space and an accent), hence the second
    split."""

    def __init__(self, vectorizer: Any) -> None:
        self.preprocess: Callable[[str], str] = vectorizer.build_preprocessor()
        self.vocabulary: dict[str, int] = vectorizer.vocabulary_
        self.low, self.high = vectorizer.ngram_range
        self.ids: dict[str, int] = {}
        self.columns: list[np.ndarray] = []
        self.counts: list[np.ndarray] = []

    def __len__(self) -> int:
        return len(self.ids)

    def index(self, raw: str) -> int:
        found = self.ids.get(raw)
        if found is None:
            found = self.ids[raw] = len(self.ids)
            grams: dict[int, int] = {}
            for word in self.preprocess(raw).split():
                self._count(word, grams)
            self.columns.append(np.fromiter(grams.keys(), dtype=np.int64, count=len(grams)))
            self.counts.append(np.fromiter(grams.values(), dtype=np.float32, count=len(grams)))
        return found

    def _count(self, word: str, grams: dict[int, int]) -> None:
        # scikit-learn's `_char_wb_ngrams`: the word padded with one space each side, every n-gram of each length,
        # and a padded word no longer than n counted once, which ends the longer lengths too.
        padded = f" {word} "
        for n in range(self.low, self.high + 1):
            for start in range(max(len(padded) - n, 0) + 1):
                column = self.vocabulary.get(padded[start : start + n])
                if column is not None:
                    grams[column] = grams.get(column, 0) + 1
            if len(padded) <= n:
                break

    def matrix(self) -> sparse.csr_matrix:
        """Words × vocabulary counts, one row per word in the order of `index`."""
        lengths = [len(c) for c in self.columns]
        indptr = np.concatenate([[0], np.cumsum(lengths, dtype=np.int64)])
        columns = np.concatenate(self.columns) if self.columns else np.zeros(0, dtype=np.int64)
        counts = np.concatenate(self.counts) if self.counts else np.zeros(0, dtype=np.float32)
        return sparse.csr_matrix((counts, columns, indptr), shape=(len(self.ids), len(self.vocabulary)))
