"""French départements (INSEE codes), their régions and rough populations, for locating employers and candidates.

Populations are INSEE 2020 municipal populations rounded to the nearest 10,000 (written from memory of the
published table, good enough as sampling weights; they are not used as facts anywhere).
"""

from __future__ import annotations

import numpy as np

from ontology.geography import DEPARTEMENTS

CODES: tuple[str, ...] = tuple(d[0] for d in DEPARTEMENTS)
NAMES: tuple[str, ...] = tuple(d[1] for d in DEPARTEMENTS)
REGIONS: tuple[str, ...] = tuple(sorted({d[2] for d in DEPARTEMENTS}))
REGION_OF: np.ndarray = np.array([REGIONS.index(d[2]) for d in DEPARTEMENTS], dtype=np.int16)
POPULATION: np.ndarray = np.array([d[3] for d in DEPARTEMENTS], dtype=np.float64)
WEIGHTS: np.ndarray = POPULATION / POPULATION.sum()


def proximity(home: np.ndarray, target: np.ndarray | int) -> np.ndarray:
    """1 in the same département, 0.5 in the same région, 0 elsewhere (indices into DEPARTEMENTS)."""
    same_dep = home == target
    same_region = REGION_OF[home] == REGION_OF[target]
    return np.where(same_dep, 1.0, np.where(same_region, 0.5, 0.0))
