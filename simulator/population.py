"""Employers and candidates as numpy arrays (one row each), sampled from the compiled repertory.

Everything here is vectorised over the whole population so that a million candidates take seconds; the per-record
text (names, CV wording) is produced later, chunk by chunk, by `simulator.text`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ontology.eligibility import CATEGORIES, STATUSES, VERSANTS
from simulator import geo
from simulator.repertory import BUCKETS, Repertory

STYLE_DIM = 6  # latent profile / preference space (docs/simulation.md, "Employers")
EMPLOYER_KINDS = ("commune", "epci", "departement", "region", "etat", "hopital")
KIND_SHARE = np.array([0.45, 0.12, 0.06, 0.02, 0.25, 0.10])
KIND_VERSANT = ("FPT", "FPT", "FPT", "FPT", "FPE", "FPH")
# log-normal size (agents): median and spread per kind
KIND_SIZE = ((40, 1.2), (150, 0.9), (2500, 0.6), (3000, 0.5), (400, 1.0), (1200, 0.9))
STATUS_SHARE = np.array([0.50, 0.25, 0.25])  # by STATUSES: titulaire, contractuel, prive
VERSANT_SHARE = np.array([0.40, 0.38, 0.22])  # FPE, FPT, FPH among titulaires (DGAFP orders of magnitude)
N_CLUSTERS = 8  # employer "styles": similar employers hire similar profiles
OWN_TASTE = 0.6  # spread of an employer's own taste around its cluster's centre (the centres have unit spread)
MAX_STEPS = 8
START_DAY = np.datetime64("1985-01-01")
SNAPSHOT = np.datetime64("2025-06-30")  # the date the simulated CVs and histories are taken at


@dataclass
class Employers:
    kind: np.ndarray  # index into EMPLOYER_KINDS
    departement: np.ndarray  # index into geo.DEPARTEMENTS
    size: np.ndarray
    cluster: np.ndarray
    preference: np.ndarray  # (n, STYLE_DIM): centre + the employer's own, persistent deviation
    centre: np.ndarray  # (n, STYLE_DIM): its cluster's centre, the taste it shares with similar employers

    def __len__(self) -> int:
        return len(self.kind)

    def versant(self, i: int) -> str:
        return KIND_VERSANT[int(self.kind[i])]


@dataclass
class Candidates:
    status: np.ndarray  # index into STATUSES
    home: np.ndarray  # département index
    birth: np.ndarray  # datetime64[D]
    diploma: np.ndarray  # level 0, 3..8
    career: np.ndarray  # (n, MAX_STEPS) occupation indices, -1 after the last step
    step_kind: np.ndarray  # (n, MAX_STEPS) edge kind that led to each step (0 = first step or same occupation)
    step_start: np.ndarray  # (n, MAX_STEPS + 1) datetime64[D]; step k runs from start[k] to start[k + 1]
    n_steps: np.ndarray
    employed: np.ndarray  # bool: the last step is still running at the snapshot
    versant: np.ndarray  # index into VERSANTS, -1 when not titulaire
    categorie: np.ndarray  # index into CATEGORIES, -1 when not titulaire
    cadre: np.ndarray  # index into repertory.cadres, -1 when not titulaire
    grade_rank: np.ndarray  # rank of the grade within the cadre
    echelon: np.ndarray
    previous_cadre: np.ndarray  # cadre before a promotion interne, -1 when none
    promotion_step: np.ndarray  # career step at which the promotion interne happened
    style: np.ndarray  # (n, STYLE_DIM) latent profile
    quality: np.ndarray  # latent merit, persistent across applications

    def __len__(self) -> int:
        return len(self.status)

    @property
    def last(self) -> np.ndarray:
        return self.career[np.arange(len(self)), self.n_steps - 1]

    def experience_years(self) -> np.ndarray:
        return (SNAPSHOT - self.step_start[:, 0]).astype(np.float64) / 365.25


def _one_per_territory(kind: np.ndarray, departement: np.ndarray, rng: np.random.Generator) -> None:
    """France has one conseil départemental per département and one conseil régional per région: extra ones
    become communes, the others get distinct territories (a région sits in its most populous département)."""
    for k, territories in (
        (EMPLOYER_KINDS.index("departement"), np.arange(len(geo.CODES))),
        (EMPLOYER_KINDS.index("region"), np.array([_capital(r) for r in range(len(geo.REGIONS))])),
    ):
        rows = np.flatnonzero(kind == k)
        kind[rows[len(territories) :]] = EMPLOYER_KINDS.index("commune")
        rows = rows[: len(territories)]
        weights = geo.WEIGHTS[territories] / geo.WEIGHTS[territories].sum()
        departement[rows] = rng.choice(territories, size=len(rows), replace=False, p=weights)


def _capital(region: int) -> int:
    members = np.flatnonzero(np.equal(geo.REGION_OF, region))
    return int(members[np.argmax(geo.POPULATION[members])])


def make_employers(n: int, rng: np.random.Generator) -> Employers:
    kind = rng.choice(len(EMPLOYER_KINDS), size=n, p=KIND_SHARE)
    kind[: min(n, len(EMPLOYER_KINDS))] = np.arange(min(n, len(EMPLOYER_KINDS)))  # every kind present, even tiny
    departement = rng.choice(len(geo.CODES), size=n, p=geo.WEIGHTS)
    _one_per_territory(kind, departement, rng)
    medians = np.array([m for m, _ in KIND_SIZE])[kind]
    spreads = np.array([s for _, s in KIND_SIZE])[kind]
    size = np.maximum(3, np.round(medians * np.exp(spreads * rng.standard_normal(n)))).astype(np.int64)
    # Each kind leans towards a few styles, so that employers of the same kind tend to look alike.
    kind_affinity = rng.dirichlet(np.full(N_CLUSTERS, 0.4), size=len(EMPLOYER_KINDS))
    cluster = np.array([rng.choice(N_CLUSTERS, p=kind_affinity[k]) for k in kind], dtype=np.int64)
    centres = rng.standard_normal((N_CLUSTERS, STYLE_DIM))
    preference = centres[cluster] + OWN_TASTE * rng.standard_normal((n, STYLE_DIM))
    return Employers(kind, departement, size, cluster, preference, centres[cluster])


def _walk(rep: Repertory, status: str, start: np.ndarray, n_steps: np.ndarray, rng: np.random.Generator) -> tuple:
    """Random walks on the career graph of a population: stay (new post, same occupation) or follow a real edge."""
    indptr, targets, kinds = rep.graphs[status]
    n = len(start)
    career = np.full((n, MAX_STEPS), -1, dtype=np.int32)
    step_kind = np.zeros((n, MAX_STEPS), dtype=np.int8)
    cur = start.astype(np.int64)
    career[:, 0] = cur
    for k in range(1, MAX_STEPS):
        degree = indptr[cur + 1] - indptr[cur]
        move = (rng.random(n) < 0.6) & (degree > 0)
        pick = indptr[cur] + np.minimum((rng.random(n) * np.maximum(degree, 1)).astype(np.int64), degree - 1)
        nxt = np.where(move, targets[np.where(move, pick, 0)], cur)
        kind = np.where(move, kinds[np.where(move, pick, 0)], 0)
        alive = k < n_steps
        career[:, k] = np.where(alive, nxt, -1)
        step_kind[:, k] = np.where(alive, kind, 0)
        cur = np.where(alive, nxt, cur)
    return career, step_kind


def _start_occupations(rep: Repertory, status: int, n: int, rng: np.random.Generator) -> np.ndarray:
    rmfp = np.flatnonzero(rep.is_rmfp)
    rome = np.flatnonzero(~rep.is_rmfp)
    if STATUSES[status] == "prive":
        return rng.choice(rome, size=n)
    # Public careers start in an emploi-référence, or in a ROME fiche that the crosswalk links to one (a first job
    # in the private sector); contractuels also come from anywhere in the ROME.
    indptr = rep.graphs[STATUSES[status]][0]
    entry = rome[indptr[rome + 1] > indptr[rome]] if STATUSES[status] == "titulaire" else rome
    from_rome = rng.random(n) < (0.15 if STATUSES[status] == "titulaire" else 0.35)
    return np.where(from_rome, rng.choice(entry, size=n), rng.choice(rmfp, size=n))


DIPLOMA_BY_CATEGORIE = {  # levels (nomenclature 2019) and their probabilities
    "A": ((6, 7, 8), (0.45, 0.50, 0.05)),
    "B": ((4, 5, 6), (0.40, 0.35, 0.25)),
    "C": ((0, 3, 4), (0.30, 0.45, 0.25)),
}
STUDY_YEARS = {0: 16.5, 3: 18.0, 4: 19.0, 5: 21.0, 6: 22.0, 7: 24.0, 8: 27.0}
VERSANT_SHARE_SANTE = np.array([0.10, 0.25, 0.65])
CATEGORIE_PRIOR = np.array([1.0, 0.6, 1.8])  # A, B, C


def _choose_rows(p: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """One draw per row of a (n, k) probability matrix."""
    return (rng.random((len(p), 1)) > np.cumsum(p, axis=1)).sum(axis=1)


def _dates(start: np.ndarray, end: np.ndarray, n_steps: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Step boundaries: durations drawn at random, scaled to fill each career from its start to its end."""
    weights = rng.exponential(1.0, size=(len(start), MAX_STEPS)) + 0.3
    weights[np.arange(MAX_STEPS)[None, :] >= n_steps[:, None]] = 0.0
    span = (end - start).astype(np.float64)
    cumulative = np.concatenate([np.zeros((len(start), 1)), np.cumsum(weights, axis=1)], axis=1)
    offsets = cumulative / cumulative[:, -1:] * span[:, None]
    return start[:, None] + offsets.astype(np.int64).astype("timedelta64[D]")


def _grades(rep: Repertory, c: Candidates, rng: np.random.Generator) -> None:
    """Versant, catégorie, cadre d'emplois, grade and échelon of the titulaires, consistent with their careers."""
    tit = np.flatnonzero(c.status == 0)
    last = c.last[tit]
    p = np.where((rep.bucket[last] == 2)[:, None], VERSANT_SHARE_SANTE, VERSANT_SHARE)
    c.versant[tit] = _choose_rows(p, rng)
    # Agents are more often C than posts are advertised (DGAFP: about 35 % A, 20 % B, 45 % C), hence the prior.
    prior = rep.categorie_p[last] * CATEGORIE_PRIOR
    c.categorie[tit] = _choose_rows(prior / prior.sum(axis=1, keepdims=True), rng)
    for v, cat, b in sorted(
        {(int(x), int(y), int(z)) for x, y, z in zip(c.versant[tit], c.categorie[tit], rep.bucket[last], strict=True)}
    ):
        rows = tit[(c.versant[tit] == v) & (c.categorie[tit] == cat) & (rep.bucket[last] == b)]
        c.cadre[rows] = rng.choice(rep.cadre_choices(VERSANTS[v], CATEGORIES[cat], b), size=len(rows))
        if cat < 2:  # promotion interne from the catégorie below for some long public careers
            lower = rep.cadre_choices(VERSANTS[v], CATEGORIES[cat + 1], b)
            promoted = rows[(rng.random(len(rows)) < 0.25) & (c.n_steps[rows] >= 3)]
            c.previous_cadre[promoted] = rng.choice(lower, size=len(promoted))
            c.promotion_step[promoted] = 1 + (rng.random(len(promoted)) * (c.n_steps[promoted] - 1)).astype(int)
    entry = np.where(
        c.promotion_step[tit] > 0, c.promotion_step[tit], np.argmax(rep.is_rmfp[np.maximum(c.career[tit], 0)], axis=1)
    )
    years = (SNAPSHOT - c.step_start[tit, entry]).astype(np.float64) / 365.25
    n_grades = np.array([len(rep.cadres[k].grades) for k in c.cadre[tit]])
    period = rng.uniform(7, 12, size=len(tit))
    c.grade_rank[tit] = np.minimum(n_grades - 1, (years / period).astype(int))
    in_grade = years - c.grade_rank[tit] * period
    n_echelons = np.array([rep.cadres[k].echelons(r) for k, r in zip(c.cadre[tit], c.grade_rank[tit], strict=True)])
    c.echelon[tit] = np.clip(1 + (in_grade * 12 / 24).astype(int), 1, n_echelons)
    c.diploma[tit] = _diplomas(c.categorie[tit], rng)


def _diplomas(categorie: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A diploma level per person, drawn from the levels usual for their catégorie (index into CATEGORIES)."""
    levels = np.zeros(len(categorie), dtype=np.int8)
    for k, name in enumerate(CATEGORIES):
        rows = np.flatnonzero(categorie == k)
        values, p = DIPLOMA_BY_CATEGORIE[name]
        levels[rows] = rng.choice(values, size=len(rows), p=p)
    return levels


def make_candidates(rep: Repertory, n: int, rng: np.random.Generator) -> Candidates:
    status = rng.choice(len(STATUSES), size=n, p=STATUS_SHARE)
    home = rng.choice(len(geo.CODES), size=n, p=geo.WEIGHTS)
    age = rng.uniform(22, 64, size=n)
    birth = SNAPSHOT - (age * 365.25).astype(np.int64).astype("timedelta64[D]")
    start_occ = np.zeros(n, dtype=np.int64)
    for s in range(len(STATUSES)):
        rows = np.flatnonzero(status == s)
        start_occ[rows] = _start_occupations(rep, s, len(rows), rng)
    # The diploma fits the level of the first occupation; titulaires get theirs from their catégorie below.
    first_cat = _choose_rows(rep.categorie_p[start_occ], rng)
    diploma = _diplomas(first_cat, rng)
    study = np.array([STUDY_YEARS[int(d)] for d in diploma]) + rng.uniform(0, 2.5, size=n)
    career_start = birth + ((study + 0.5) * 365.25).astype(np.int64).astype("timedelta64[D]")
    career_start = np.minimum(career_start, SNAPSHOT - np.timedelta64(200, "D"))
    years = (SNAPSHOT - career_start).astype(np.float64) / 365.25
    n_steps = np.clip(1 + (years / rng.uniform(4, 9, size=n)).astype(int), 1, MAX_STEPS)
    employed = rng.random(n) < np.array([0.97, 0.85, 0.80])[status]
    gap = np.where(employed, 0, rng.integers(30, 540, size=n)).astype("timedelta64[D]")
    career = np.full((n, MAX_STEPS), -1, dtype=np.int32)
    step_kind = np.zeros((n, MAX_STEPS), dtype=np.int8)
    for s, name in enumerate(STATUSES):
        rows = np.flatnonzero(status == s)
        career[rows], step_kind[rows] = _walk(rep, name, start_occ[rows], n_steps[rows], rng)
    c = Candidates(
        status=status,
        home=home,
        birth=birth,
        diploma=diploma,
        career=career,
        step_kind=step_kind,
        step_start=_dates(career_start, SNAPSHOT - gap, n_steps, rng),
        n_steps=n_steps,
        employed=employed,
        versant=np.full(n, -1, dtype=np.int8),
        categorie=np.full(n, -1, dtype=np.int8),
        cadre=np.full(n, -1, dtype=np.int32),
        grade_rank=np.zeros(n, dtype=np.int16),
        echelon=np.zeros(n, dtype=np.int16),
        previous_cadre=np.full(n, -1, dtype=np.int32),
        promotion_step=np.zeros(n, dtype=np.int16),
        style=np.zeros((n, STYLE_DIM)),
        quality=rng.standard_normal(n),
    )
    _grades(rep, c, rng)
    bucket_centres = rng.standard_normal((len(BUCKETS), STYLE_DIM))
    diploma_centres = rng.standard_normal((9, STYLE_DIM))
    c.style = (
        0.8 * bucket_centres[rep.bucket[c.last]]
        + 0.5 * diploma_centres[c.diploma]
        + 0.8 * rng.standard_normal((n, STYLE_DIM))
    )
    return c
