"""The simulator's latent utility as an upper-bound scorer, read from a dataset's `truth/` folder.

`truth/utility_matrix.npy` holds one row per offer (the order of `truth/offers.csv`) and one column per candidate
(the order of `truth/candidates.csv`); candidates are matched to Neo4j by the loaders' pseudonym of
`<source>:<candidate_ref>` (the source defaults to the folder's name, as `vivier load dataset` does). Past
`simulator.dataset.MATRIX_LIMIT` pairs the simulator does not write the matrices; their rows are then computed for
the offers asked, from the world its history left (`simulator.dataset.replay_world`, replayed once per folder).
"""

from __future__ import annotations

import csv
import json
from collections.abc import Callable
from functools import cache
from pathlib import Path

import numpy as np

from gnn.export import GraphExport
from loaders.pseudonym import candidate_id
from simulator.dataset import replay_world
from simulator.process import World, eligible, oracle_application_score, signals, utility

Rows = Callable[[int], np.ndarray]  # a truth row (the offer's index in truth/offers.csv) → one value per candidate


def _column(path: Path, name: str) -> list[str]:
    with path.open(encoding="utf-8", newline="") as handle:
        return [row[name] for row in csv.DictReader(handle)]


def simulator_utility(folder: Path, source: str | None = None) -> Callable[[GraphExport, np.ndarray], np.ndarray]:
    """Who the simulated employers select: the latent utility alone (ignores who applies)."""
    return _scorer(folder, _rows(folder, process=False), source)


def simulator_process(folder: Path, source: str | None = None) -> Callable[[GraphExport, np.ndarray], np.ndarray]:
    """The simulator's own process as an oracle: the wish to apply plus the utility, both noise-free (the best a
    model could hope for, short of the random draws)."""
    return _scorer(folder, _rows(folder, process=True), source)


def has_process(folder: Path) -> bool:
    """Whether the simulator's process can serve as an oracle: its matrix is written, or the dataset was too large
    for it and its rows are replayed (datasets of simulators older than the matrix have neither)."""
    truth = folder / "truth"
    return (truth / "application_matrix.npy").exists() or _too_large(folder)


def _too_large(folder: Path) -> bool:
    manifest = folder / "truth" / "manifest.json"
    return manifest.exists() and json.loads(manifest.read_text(encoding="utf-8")).get("utility_matrix") is False


def _rows(folder: Path, process: bool) -> Rows:
    truth = folder / "truth"
    if (truth / "utility_matrix.npy").exists():
        matrix = np.load(truth / "utility_matrix.npy")
        if process:
            matrix = matrix + _matrix(folder, "application_matrix.npy")
        return lambda row: matrix[row]
    if not _too_large(folder):
        _matrix(folder, "utility_matrix.npy")  # not a dataset too large for the matrix: say what is missing
    world = _replayed(folder.resolve())
    return lambda row: _world_row(world, row, process)


@cache
def _replayed(folder: Path) -> World:
    return replay_world(folder)


def _world_row(world: World, offer: int, process: bool) -> np.ndarray:
    """One row of the matrices `simulator.dataset` writes when they fit, computed as it computes them."""
    everyone = np.arange(len(world.candidates))
    parts = signals(world, offer, everyone)
    row = utility(parts).astype(np.float32)
    if process:
        row = row + oracle_application_score(world, offer, parts, eligible(world, offer, everyone), everyone).astype(
            np.float32
        )
    return row


def _matrix(folder: Path, name: str) -> np.ndarray:
    path = folder / "truth" / name
    if not path.exists():
        raise FileNotFoundError(f"{path} not found: simulate the dataset again (`vivier simulate`) to get it")
    return np.load(path)


def _scorer(folder: Path, rows_of: Rows, source: str | None) -> Callable[[GraphExport, np.ndarray], np.ndarray]:
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
                out[i, known] = rows_of(row)[columns[known]]
        return out

    return score
