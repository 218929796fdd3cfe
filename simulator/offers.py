"""Job offers as arrays: occupation, statutory requirements, required skills and dates (text comes later)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ontology.eligibility import CATEGORIES, CONTRACTS
from simulator.population import EMPLOYER_KINDS, KIND_VERSANT, SNAPSHOT, Employers
from simulator.repertory import BUCKETS, Repertory

FIRST_DAY = np.datetime64("2019-01-01")
CONTRACT_SHARE = np.array([0.35, 0.20, 0.45])  # titulaire, contractuel, titulaire_ou_contractuel
SKILLS_PER_OFFER = 6
# Which professional families each kind of employer recruits (rows: EMPLOYER_KINDS, columns: BUCKETS).
KIND_BUCKETS = np.array(
    [
        [0.25, 0.35, 0.03, 0.12, 0.08, 0.10, 0.07],  # commune
        [0.30, 0.40, 0.02, 0.08, 0.08, 0.07, 0.05],  # epci
        [0.30, 0.25, 0.05, 0.25, 0.07, 0.03, 0.05],  # departement
        [0.45, 0.30, 0.02, 0.05, 0.10, 0.05, 0.03],  # region
        [0.50, 0.30, 0.03, 0.05, 0.05, 0.02, 0.05],  # etat
        [0.20, 0.20, 0.40, 0.15, 0.01, 0.02, 0.02],  # hopital
    ]
)
assert KIND_BUCKETS.shape == (len(EMPLOYER_KINDS), len(BUCKETS))


@dataclass
class Offers:
    employer: np.ndarray
    occupation: np.ndarray
    contract: np.ndarray  # index into CONTRACTS
    categorie: np.ndarray  # index into CATEGORIES
    cadre: np.ndarray  # -1: the post names no cadre d'emplois
    grade_rank: np.ndarray  # -1: no grade required; else the rank in the cadre
    published: np.ndarray  # datetime64[D], increasing
    closes: np.ndarray
    skill_ptr: np.ndarray  # CSR of required skills (indices into repertory.skill_uris)
    skill_idx: np.ndarray
    full_time: np.ndarray
    attractiveness: np.ndarray  # multiplies the expected number of applications

    def __len__(self) -> int:
        return len(self.employer)

    def skills(self, i: int) -> np.ndarray:
        return self.skill_idx[self.skill_ptr[i] : self.skill_ptr[i + 1]]


def _occupation_weights(rep: Repertory) -> np.ndarray:
    """(kinds, occupations): P(occupation | employer kind); RMFP emplois-référence four times as likely as ROME."""
    counts = np.bincount(rep.bucket, minlength=len(BUCKETS)).astype(np.float64)
    per_occ = KIND_BUCKETS[:, rep.bucket] / np.maximum(counts[rep.bucket], 1)
    per_occ *= np.where(rep.is_rmfp, 0.8, 0.2) / np.where(rep.is_rmfp, rep.is_rmfp.mean(), 1 - rep.is_rmfp.mean())
    per_occ[:, np.diff(rep.occ_skill_ptr) == 0] = 0.0  # an offer needs skills to describe
    return per_occ / per_occ.sum(axis=1, keepdims=True)


def make_offers(rep: Repertory, employers: Employers, n: int, rng: np.random.Generator) -> Offers:
    employer = rng.choice(len(employers), size=n, p=employers.size**0.7 / (employers.size**0.7).sum())
    weights = _occupation_weights(rep)
    occupation = np.zeros(n, dtype=np.int64)
    for k in range(len(EMPLOYER_KINDS)):
        rows = np.flatnonzero(employers.kind[employer] == k)
        occupation[rows] = rng.choice(rep.n_occupations, size=len(rows), p=weights[k])
    categorie = (rng.random((n, 1)) > np.cumsum(rep.categorie_p[occupation], axis=1)).sum(axis=1)
    contract = rng.choice(len(CONTRACTS), size=n, p=CONTRACT_SHARE)
    cadre = np.full(n, -1, dtype=np.int64)
    grade_rank = np.full(n, -1, dtype=np.int64)
    for i in np.flatnonzero((CONTRACTS_ARRAY[contract] != "contractuel") & (rng.random(n) < 0.9)):
        versant = KIND_VERSANT[int(employers.kind[employer[i]])]
        choices = rep.cadre_choices(versant, CATEGORIES[categorie[i]], int(rep.bucket[occupation[i]]))
        cadre[i] = choices[int(rng.integers(len(choices)))]
    grade_rank[(cadre >= 0) & (CONTRACTS_ARRAY[contract] == "titulaire") & (rng.random(n) < 0.15)] = 0
    span = int((SNAPSHOT - FIRST_DAY).astype(int)) - 10
    published = np.sort(FIRST_DAY + rng.integers(0, span, size=n).astype("timedelta64[D]"))
    closes = published + rng.integers(21, 61, size=n).astype("timedelta64[D]")
    ptr, idx = [0], []
    for occ in occupation:
        own = rep.skills_of(int(occ))
        idx.extend(sorted(rng.choice(own, size=min(SKILLS_PER_OFFER, len(own)), replace=False).tolist()))
        ptr.append(len(idx))
    return Offers(
        employer=employer,
        occupation=occupation,
        contract=contract,
        categorie=categorie,
        cadre=cadre,
        grade_rank=grade_rank,
        published=published,
        closes=closes,
        skill_ptr=np.array(ptr),
        skill_idx=np.array(idx, dtype=np.int32),
        full_time=rng.random(n) < 0.9,
        attractiveness=rng.lognormal(-0.125, 0.5, size=n),
    )


CONTRACTS_ARRAY = np.array(CONTRACTS)
