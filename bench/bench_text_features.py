"""Training's text features in forked workers (issue 13, national scale): one process against `--processes`.

    .venv/bin/python bench/bench_text_features.py [--cvs DIR] [--texts 20000] [--processes 2] [--rounds 2]
                                                  [--texts-per-task 2000]

`vivier train` computes, for every candidate, the mean word vectors and the shared TF-IDF rows of its CV text
(`gnn.features.text_features`); at 50,000 candidates these were 88 % of the export (docs/model.md). Past
10,000 texts they are computed in forked workers (`loaders.forked`). This bench reads simulated CVs (a
simulated dataset's `cvs/` folder; by default 5,000 simulated under a temporary folder) into the `cv_text`
a load stores, repeats them up to `--texts`, fits the text model as training does, then times `text_features`
in one process (the baseline) and in `--processes`, alternated over `--rounds`, and checks that the rows are
identical. Prints wall and CPU seconds (CPU of the workers included), the speed-up against the baseline of the
same round, and the load average, which decides the figures on a shared machine. `--texts-per-task` sets the
tasks' size (`gnn.features.TEXTS_PER_TASK`; 10,000 before 2026-12-06, which split 12,000 texts 10,000 / 2,000).

The baseline of each round is the code before 2026-12-06's faster paths: one process computing the character
n-grams with scikit-learn's own `transform` and the mean vectors with spaCy's `doc.vector` and tokenizer as shipped
(patched in for that row only); the two rows after it compute them word by word (`gnn.ngrams`), token array by
token array (`gnn.features._mean_vector`) with the tokenizer's `token_match` remembered per string
(`loaders.nlp.MemoisedMatch`), in one process and in `--processes`, and must give the same rows.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np
from rich.console import Console
from rich.table import Table

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.bench_cvs import simulated_cvs
from gnn import features
from loaders.cvs import parse_cv_files
from loaders.nlp import default_analyzer
from loaders.records import CandidateRecord
from vivier.settings import get_settings


def cv_texts(folder: Path, count: int) -> list[str]:
    """The stored `cv_text` of the folder's CVs, repeated up to `count` texts."""
    files = sorted(folder.iterdir())[:count]
    documents = ((f.read_bytes(), f.name) for f in files)
    texts = [
        r.cv_text or ""
        for batch in parse_cv_files(documents, "bench", default_analyzer(), os.cpu_count() or 1)
        for r in batch
        if isinstance(r, CandidateRecord)
    ]
    return (texts * (count // max(len(texts), 1) + 1))[:count]


def timed(texts: list[str], spec: features.FeatureSpec, processes: int) -> tuple[float, float, features.Pair]:
    """Wall and CPU seconds (this process and its finished workers) of `text_features` in `processes`."""
    os.environ["VIVIER_LOAD_PROCESSES"] = str(processes)
    get_settings.cache_clear()
    started, cpu = time.perf_counter(), os.times()
    rows = features.text_features(texts, spec, True, True)
    wall, after = time.perf_counter() - started, os.times()
    used = after.user + after.system + after.children_user + after.children_system
    return wall, used - (cpu.user + cpu.system + cpu.children_user + cpu.children_system), rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cvs", type=Path, help="a folder of CV files (default: a simulated one)")
    parser.add_argument("--texts", type=int, default=20_000, help="CV texts featurised by each method")
    parser.add_argument("--processes", type=int, default=os.cpu_count() or 2)
    parser.add_argument("--rounds", type=int, default=2, help="alternated rounds of the two methods")
    parser.add_argument("--texts-per-task", type=int, default=features.TEXTS_PER_TASK)
    args = parser.parse_args()
    features.TEXTS_PER_TASK = args.texts_per_task
    with tempfile.TemporaryDirectory() as tmp:
        texts = cv_texts(args.cvs or simulated_cvs(Path(tmp)), args.texts)
    # Fitted as training fits it, on candidates and offers (here a tenth of the texts standing for offers).
    offers = [{"title": t[:60], "description": t} for t in texts[: len(texts) // 10]]
    rows = {"candidate": [{"cv_text": t} for t in texts], "offer": offers}
    spec = features.FeatureSpec(text_model=features.fit_text_model(rows))
    features._nlp()  # spaCy's vectors loaded before timing, as training loads them once
    table = Table(
        title=f"Text features of {len(texts):,} CV texts, tasks of {args.texts_per_task:,} ({os.cpu_count()} cores)"
    )
    for column in ("round", "method", "wall s", "CPU s", "× baseline", "rows", "load average"):
        table.add_column(column, justify="left" if column == "method" else "right")
    for round_ in range(1, args.rounds + 1):
        with reference_counting():
            wall_one, cpu_one, one = timed(texts, spec, 1)
        table.add_row(
            str(round_),
            "one process, scikit-learn / spaCy (baseline)",
            f"{wall_one:.1f}",
            f"{cpu_one:.1f}",
            "1.00",
            "",
            load(),
        )
        for label, processes in (
            ("one process, faster paths", 1),
            (f"{args.processes} processes, faster paths", args.processes),
        ):
            wall, cpu, found = timed(texts, spec, processes)
            same = all(
                a is not None and b is not None and np.array_equal(a, b) for a, b in zip(one, found, strict=True)
            )
            table.add_row(
                "",
                label,
                f"{wall:.1f}",
                f"{cpu:.1f}",
                f"{wall_one / wall:.2f}",
                "identical" if same else "DIFFER",
                load(),
            )
            if not same:
                raise SystemExit(f"{label}: the rows differ from the baseline's")
    Console(width=130).print(table)


@contextmanager
def reference_counting() -> Iterator[None]:
    """The code before the word-by-word counting: scikit-learn's and spaCy's own paths, and the tokenizer's own
    `token_match` (not remembered per string)."""
    space_rows, mean_vector = features._space_rows, features._mean_vector
    tokenizer = features._nlp().tokenizer
    remembered = tokenizer.token_match
    tokenizer.token_match = getattr(remembered, "_match", remembered)

    def sklearn_rows(model: Any, texts: list[str]) -> np.ndarray:
        return model.transform(texts)

    def spacy_vector(doc: Any, vectors: Any) -> np.ndarray:
        return doc.vector

    features._space_rows, features._mean_vector = sklearn_rows, spacy_vector
    try:
        yield
    finally:
        features._space_rows, features._mean_vector = space_rows, mean_vector
        tokenizer.token_match = remembered


def load() -> str:
    return f"{os.getloadavg()[0]:.1f}"


if __name__ == "__main__":
    main()
