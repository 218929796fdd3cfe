"""The simulator's latent utility as an upper-bound scorer, read from a dataset's `truth/` folder.

`truth/utility_matrix.npy` holds one row per offer (the order of `truth/offers.csv`) and one column per candidate
(the order of `truth/candidates.csv`); candidates are matched to Neo4j by the loaders' pseudonym of
`<source>:<candidate_ref>` (the source defaults to the folder's name, as `vivier load dataset` does).
"""

from __future__ import annotations

import csv
from collections.abc import Callable
from pathlib import Path

import numpy as np

from gnn.export import GraphExport
from loaders.pseudonym import candidate_id


def _column(path: Path, name: str) -> list[str]:
    with path.open(encoding="utf-8", newline="") as handle:
        return [row[name] for row in csv.DictReader(handle)]


def simulator_utility(folder: Path, source: str | None = None) -> Callable[[GraphExport, np.ndarray], np.ndarray]:
    """Who the simulated employers select: the latent utility alone (ignores who applies)."""
    return _scorer(folder, _matrix(folder, "utility_matrix.npy"), source)


def simulator_process(folder: Path, source: str | None = None) -> Callable[[GraphExport, np.ndarray], np.ndarray]:
    """The simulator's own process as an oracle: the wish to apply plus the utility, both noise-free (the best a
    model could hope for, short of the random draws)."""
    matrix = _matrix(folder, "application_matrix.npy") + _matrix(folder, "utility_matrix.npy")
    return _scorer(folder, matrix, source)


def _matrix(folder: Path, name: str) -> np.ndarray:
    path = folder / "truth" / name
    if not path.exists():
        raise FileNotFoundError(f"{path} not found: simulate the dataset again (`vivier simulate`) to get it")
    return np.load(path)


def _scorer(folder: Path, matrix: np.ndarray, source: str | None) -> Callable[[GraphExport, np.ndarray], np.ndarray]:
    offer_rows = {o: i for i, o in enumerate(_column(folder / "truth" / "offers.csv", "offer_id"))}
    scope = source or folder.name
    refs = _column(folder / "truth" / "candidates.csv", "candidate_ref")
    candidate_columns = {candidate_id(scope, ref): j for j, ref in enumerate(refs)}

    def score(export: GraphExport, offers: np.ndarray) -> np.ndarray:
        rows = [offer_rows.get(str(export.ids["offer"][o]), -1) for o in offers.tolist()]
        columns = np.array([candidate_columns.get(str(c), -1) for c in export.ids["candidate"]])
        out = np.full((len(offers), len(columns)), -np.inf, dtype=np.float64)
        known = columns >= 0
        for i, row in enumerate(rows):
            if row >= 0:
                out[i, known] = matrix[row, columns[known]]
        return out

    return score
