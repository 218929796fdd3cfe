"""The latent recruitment process: who applies to an offer, each applicant's utility, and the outcome.

Documented in docs/simulation.md; the weights below are the ones the documentation lists.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

import numpy as np
from scipy.special import ndtri

from ontology.eligibility import CATEGORIES, MIN_DIPLOMA_LEVEL
from simulator import geo
from simulator.offers import CONTRACTS_ARRAY, Offers
from simulator.population import OWN_TASTE, SNAPSHOT, STYLE_DIM, Candidates, Employers
from simulator.repertory import Repertory

# Utility = Σ weight × signal (docs/simulation.md).
WEIGHTS = {
    "coverage": 2.0,  # share of the offer's required skills the candidate holds (0..1)
    "path": 1.5,  # 1 / (1 + hops) from the nearest occupation held to the offer's, in the career graph
    "geo": 0.8,  # 1 same département, 0.5 same région, 0 elsewhere
    "preference": 0.9,  # employer preference · candidate latent profile (unit variance)
    "quality": 0.5,  # candidate's dossier merit (standard normal), judged alike by every employer
    "experience": 0.3,  # years of experience / 20, capped at 1
    "noise": 0.6,  # standard normal, independent per (offer, candidate)
}
RANDOM_APPLICANT_SHARE = 0.15  # applications from anywhere, whatever the profile
NEAR_HOPS = 2  # candidates whose current occupation is within these hops of the offer's apply
POOL_CAP = 4000  # the nearby candidates an offer's applicant draw considers (keeps large runs linear)
WITHDRAW_RATE = 0.04
DECLINE_RATE = 0.10
UNFILLED_RATE = 0.08
HIRED_COOLDOWN_DAYS = 730  # a hired candidate stops applying for two years
# The talent pool ("vivier"): an employer re-contacts the runners-up it shortlisted for a close post (within
# NEAR_HOPS of the new one) in the last TALENT_POOL_DAYS; each re-contacted, eligible runner-up applies with
# probability RECONTACT_RATE. RECONTACT_SCORE is that invitation on the application score's scale: about the log-odds
# of a 25 % answer against the 1–2 % chance that one nearby candidate applies (40 applicants among a few thousand).
TALENT_POOL_DAYS = 730
RECONTACT_RATE = 0.25
RECONTACT_SCORE = 3.0
MIN_LEVEL = np.array([MIN_DIPLOMA_LEVEL[c] for c in CATEGORIES])
_PREF_SCALE = 1.0 / np.sqrt(STYLE_DIM * 1.36 * 1.53)  # makes preference about unit variance


@dataclass(frozen=True)
class Mechanisms:
    """The three documented mechanisms through which history predicts outcomes (docs/simulation.md); each can be
    switched off for the ablation of `bench/simulation_ablation.py`."""

    dossier: bool = True  # (a) the candidate's dossier merit (`quality`), judged alike by every recruiter
    employer_memory: bool = True  # (b) an employer's taste persists across its offers, and it re-contacts its pool
    shared_taste: bool = True  # (c) employers of one cluster (leaning by kind) share a taste centre

    @classmethod
    def without(cls, name: str) -> Mechanisms:
        if name not in cls.__dataclass_fields__:
            raise ValueError(f"unknown mechanism {name!r}: expected one of {sorted(cls.__dataclass_fields__)}")
        return cls(**{name: False})


@dataclass
class World:
    rep: Repertory
    employers: Employers
    candidates: Candidates
    offers: Offers
    seed: int
    # The injected historical bias (simulator/sensitive.py): how much lower recruiters see the utility of each
    # candidate at the shortlist stage (0 for everyone unless a bias is asked for).
    shortlist_penalty: np.ndarray | None = None
    mechanisms: Mechanisms = field(default_factory=Mechanisms)
    # The talent pool as it grows (runners-up: candidate, shortlist date, occupation of the offer, by employer),
    # and each offer's re-contactable candidates at its publication (for the oracle's application score).
    pool: dict[int, list[tuple[np.ndarray, np.datetime64, int]]] = field(default_factory=dict)
    recontactable: dict[int, np.ndarray] = field(default_factory=dict)

    def __post_init__(self) -> None:
        c = self.candidates
        order = np.argsort(c.last, kind="stable")
        self._by_last = order
        self._last_ptr = np.searchsorted(c.last[order], np.arange(self.rep.n_occupations + 1))
        self._career = np.where(c.career >= 0, c.career, self.rep.n_occupations)  # padded steps hit a 9-row
        self._experience = np.minimum(c.experience_years() / 20.0, 1.0)
        self._grade_code = np.array(
            [self.rep.cadres[k].grades[r].code if k >= 0 else "" for k, r in zip(c.cadre, c.grade_rank, strict=True)]
        )
        self._distance = np.vstack([self.rep.distance, np.full((1, self.rep.n_occupations), 9, dtype=np.int8)])
        self._hired_until = np.full(len(c), np.datetime64("1900-01-01"), dtype="datetime64[D]")
        self._centre = self.employers.centre
        if not self.mechanisms.shared_taste:  # every employer gets a centre of its own, of the same spread
            self._centre = np.random.default_rng([self.seed, 8]).standard_normal(self._centre.shape)

    def preference(self, o: int) -> np.ndarray:
        """The taste of offer o's recruiters: the employer's centre plus its own, persistent deviation; without
        employer memory the deviation is drawn afresh for every offer (a new recruiter each time)."""
        employer = self.offers.employer[o]
        centre = self._centre[employer]
        if self.mechanisms.employer_memory:
            return centre + (self.employers.preference[employer] - self.employers.centre[employer])
        fresh = pair_noise(self.seed + 9, o, np.arange(STYLE_DIM))
        return centre + OWN_TASTE * fresh


def pair_noise(seed: int, offer: int, candidates: np.ndarray) -> np.ndarray:
    """Standard normal noise that depends only on (seed, offer, candidate): any subset gives the same values."""
    with np.errstate(over="ignore"):
        base = np.uint64(seed) * np.uint64(0x9E3779B97F4A7C15) + np.uint64(offer) * np.uint64(0xBF58476D1CE4E5B9)
        x: np.ndarray = candidates.astype(np.uint64) * np.uint64(0x94D049BB133111EB) + base
        for shift, mult in ((30, 0xBF58476D1CE4E5B9), (27, 0x94D049BB133111EB)):
            x = (x ^ (x >> np.uint64(shift))) * np.uint64(mult)
        x = x ^ (x >> np.uint64(31))
    u = ((x >> np.uint64(11)).astype(np.float64) + 0.5) / float(1 << 53)
    return np.asarray(ndtri(u))


def eligible(w: World, o: int, cand: np.ndarray) -> np.ndarray:
    """Vectorised `ontology.eligibility.check_eligibility` (a test checks they agree on every pair)."""
    c, off = w.candidates, w.offers
    contract, cat = CONTRACTS_ARRAY[off.contract[o]], off.categorie[o]
    cadre = off.cadre[o]
    titulaire = (c.status[cand] == 0) & (c.categorie[cand] == cat)
    if cadre >= 0 and off.grade_rank[o] >= 0:
        wanted = w.rep.cadres[cadre].grades[off.grade_rank[o]].code
        titulaire &= ~((c.cadre[cand] == cadre) & (w._grade_code[cand] != wanted))
    level = np.where(
        c.status[cand] == 0, np.maximum(c.diploma[cand], MIN_LEVEL[np.maximum(c.categorie[cand], 0)]), c.diploma[cand]
    )
    by_contract = level >= MIN_LEVEL[cat]
    if contract == "titulaire":
        return titulaire
    if contract == "contractuel":
        return by_contract
    return titulaire | by_contract


def signals(w: World, o: int, cand: np.ndarray) -> dict[str, np.ndarray]:
    """Each signal of the utility for candidates `cand` on offer `o`."""
    rep, c, off = w.rep, w.candidates, w.offers
    required = off.skills(o)
    masks = np.zeros(rep.n_occupations + 1, dtype=np.uint64)
    for bit, skill in enumerate(required[:64]):
        masks[rep.skill_occ[skill]] |= np.uint64(1 << bit)
    held = np.bitwise_or.reduce(masks[w._career[cand]], axis=1)
    coverage = np.bitwise_count(held) / max(len(required), 1)
    hops = w._distance[w._career[cand], off.occupation[o]].min(axis=1).astype(np.float64)
    return {
        "coverage": coverage,
        "path": np.where(hops >= 9, 0.0, 1.0 / (1.0 + hops)),
        "geo": geo.proximity(c.home[cand], w.employers.departement[off.employer[o]]),
        "preference": (c.style[cand] @ w.preference(o)) * _PREF_SCALE,
        "quality": c.quality[cand] if w.mechanisms.dossier else np.zeros(len(cand)),
        "experience": w._experience[cand],
        "noise": pair_noise(w.seed, o, cand),
    }


def utility(parts: dict[str, np.ndarray]) -> np.ndarray:
    return sum(WEIGHTS[k] * v for k, v in parts.items())  # type: ignore[return-value]


def application_score(parts: dict[str, np.ndarray], elig: np.ndarray) -> np.ndarray:
    """How much a candidate wants to apply: candidates look at the post (skills, path, place) and partly know their
    statutory chances, not the employer. Applicants are drawn by this score plus Gumbel noise."""
    return 3.0 * parts["geo"] + 1.0 * parts["path"] + 0.8 * parts["coverage"] - 0.9 * ~elig


def oracle_application_score(
    w: World, o: int, parts: dict[str, np.ndarray], elig: np.ndarray, cand: np.ndarray
) -> np.ndarray:
    """The application score plus the talent pool's invitation (RECONTACT_SCORE for a re-contacted runner-up)."""
    invited = np.isin(cand, w.recontactable.get(o, np.zeros(0, dtype=np.int64)))
    return application_score(parts, elig) + RECONTACT_SCORE * invited


def _applicants(w: World, o: int, n_apps: int, rng: np.random.Generator) -> np.ndarray:
    rep, off = w.rep, w.offers
    for hops in range(NEAR_HOPS, 10):  # small populations: widen the circle until it holds enough candidates
        near = np.union1d(np.flatnonzero(rep.distance[:, off.occupation[o]] <= hops), [off.occupation[o]])
        starts = w._last_ptr[near]
        lengths = w._last_ptr[near + 1] - starts
        total = int(lengths.sum())
        if total >= 3 * n_apps:
            break
    # Candidates sorted by current occupation: the pool is a union of ranges, sampled without materialising it.
    positions = rng.choice(total, size=POOL_CAP, replace=False) if total > POOL_CAP else np.arange(total)
    ends = np.cumsum(lengths)
    which = np.searchsorted(ends, positions, side="right")
    pool = np.sort(w._by_last[starts[which] + positions - (ends[which] - lengths[which])])
    pool = pool[w._hired_until[pool] < off.published[o]]
    n_random = rng.binomial(n_apps, RANDOM_APPLICANT_SHARE)
    score = application_score(signals(w, o, pool), eligible(w, o, pool))
    gumbel = -np.log(-np.log(rng.random(len(pool))))
    chosen = pool[np.argsort(-(score + gumbel))[: n_apps - n_random]]
    anyone = rng.choice(len(w.candidates), size=min(len(w.candidates), n_random))
    anyone = anyone[w._hired_until[anyone] < off.published[o]]
    recontacted = talent_pool(w, o)
    recontacted = recontacted[rng.random(len(recontacted)) < RECONTACT_RATE]
    return np.union1d(np.union1d(chosen, anyone), recontacted)


def talent_pool(w: World, o: int) -> np.ndarray:
    """The runners-up offer o's employer re-contacts: shortlisted, not hired, for a close post, in the last
    TALENT_POOL_DAYS, available and statutorily eligible (recruiters know the statuses). Recorded per offer."""
    off = w.offers
    published, entries = off.published[o], w.pool.get(int(off.employer[o]), [])
    close = [
        cand
        for cand, day, occupation in entries
        if published - TALENT_POOL_DAYS <= day < published
        and w.rep.distance[occupation, off.occupation[o]] <= NEAR_HOPS
    ]
    if not close or not w.mechanisms.employer_memory:
        w.recontactable[o] = np.zeros(0, dtype=np.int64)
        return w.recontactable[o]
    cand = np.unique(np.concatenate(close))
    cand = cand[(w._hired_until[cand] < published) & eligible(w, o, cand)]
    w.recontactable[o] = cand
    return cand


REASONS = {
    "ineligible": "conditions statutaires non remplies",
    "not_shortlisted": "profil ne correspondant pas au poste",
    "after_shortlist": "non retenu après présélection",
    "after_interview": "non retenu après entretien",
    "withdrawn": "candidature retirée par le candidat",
    "declined": "a décliné la proposition d'embauche",
    "unfilled": "recrutement infructueux",
}


def _days(rng: np.random.Generator, low: int, high: int, n: int | None = None) -> np.ndarray:
    return rng.integers(low, high, size=n).astype("timedelta64[D]")


def _decide(
    w: World, o: int, cand: np.ndarray, u: np.ndarray, elig: np.ndarray, applied: np.ndarray, rng: np.random.Generator
) -> tuple:
    """Stages, reasons and update dates: the best eligible utility is hired, as far as the snapshot date allows."""
    n, closes = len(u), w.offers.closes[o]
    decision = closes + _days(rng, 10, 46)
    stage = np.full(n, "received", dtype=object)
    reason = np.full(n, "", dtype=object)
    updated = applied.copy()
    withdrawn = rng.random(n) < WITHDRAW_RATE
    stage[withdrawn], reason[withdrawn] = "withdrawn", REASONS["withdrawn"]
    updated[withdrawn] = applied[withdrawn] + _days(rng, 1, 30, int(withdrawn.sum()))
    ineligible = ~elig & ~withdrawn
    stage[ineligible], reason[ineligible] = "rejected", REASONS["ineligible"]
    updated[ineligible] = applied[ineligible] + _days(rng, 3, 20, int(ineligible.sum()))
    active = np.flatnonzero(elig & ~withdrawn)
    seen = u if w.shortlist_penalty is None else u - w.shortlist_penalty[cand]  # the recruiters' view
    ranked = active[np.argsort(-seen[active], kind="stable")]
    n_short = min(len(ranked), int(np.clip(round(0.2 * len(ranked)), 2, 10)))
    short, interviewed, rest = ranked[:n_short], ranked[: min(3, n_short)], ranked[n_short:]
    phase = (SNAPSHOT - closes).astype(float) / max(1.0, (decision - closes).astype(float))
    if phase >= 0:
        stage[rest], reason[rest], updated[rest] = "rejected", REASONS["not_shortlisted"], closes + _days(rng, 5, 15)
        stage[short], updated[short] = "shortlisted", closes + _days(rng, 3, 8)
    if 0.5 <= phase < 1:
        stage[interviewed], updated[interviewed] = "interviewed", closes + (decision - closes) // 2
        if phase >= 0.85 and len(interviewed):
            stage[interviewed[0]] = "offered"
    if phase >= 1:
        filled = len(interviewed) > 0 and rng.random() > UNFILLED_RATE
        stage[short], updated[short] = "rejected", decision
        reason[short] = REASONS["after_shortlist"] if filled else REASONS["unfilled"]
        reason[interviewed] = REASONS["after_interview"] if filled else REASONS["unfilled"]
        if filled:
            first = 1 if len(interviewed) > 1 and rng.random() < DECLINE_RATE else 0
            if first:
                stage[interviewed[0]], reason[interviewed[0]] = "withdrawn", REASONS["declined"]
            hired = interviewed[first]
            stage[hired], reason[hired] = "hired", ""
            updated[hired] = decision
            w._hired_until[cand[hired]] = decision + np.timedelta64(HIRED_COOLDOWN_DAYS, "D")
        _remember(w, o, cand[short[stage[short] != "hired"]], decision)
    late = updated > SNAPSHOT  # events after the snapshot have not happened yet
    stage[late & (stage != "received")] = "received"
    reason[late] = ""
    updated = np.maximum(np.minimum(updated, SNAPSHOT), applied)
    return stage, reason, updated


def _remember(w: World, o: int, runners_up: np.ndarray, day: np.datetime64) -> None:
    """Runners-up of a decided offer join its employer's talent pool (as of the decision date)."""
    if len(runners_up) and day <= SNAPSHOT:
        w.pool.setdefault(int(w.offers.employer[o]), []).append((runners_up, day, int(w.offers.occupation[o])))


@dataclass
class Batch:
    """Applications of consecutive offers, with the truth of each (offer, applicant) pair."""

    offer: np.ndarray
    candidate: np.ndarray
    applied: np.ndarray
    stage: np.ndarray
    updated: np.ndarray
    reason: np.ndarray
    eligible: np.ndarray
    utility: np.ndarray
    parts: dict[str, np.ndarray]

    def __len__(self) -> int:
        return len(self.offer)


def run_offer(w: World, o: int, mean_apps: float, rng: np.random.Generator) -> Batch:
    off = w.offers
    n_apps = max(1, int(rng.poisson(mean_apps * off.attractiveness[o])))
    cand = _applicants(w, o, n_apps, rng)
    parts = signals(w, o, cand)
    u, elig = utility(parts), eligible(w, o, cand)
    window = max(1, int((min(off.closes[o], SNAPSHOT) - off.published[o]).astype(int)))
    applied = off.published[o] + _days(rng, 0, window, len(cand))
    stage, reason, updated = _decide(w, o, cand, u, elig, applied, rng)
    return Batch(np.full(len(cand), o), cand, applied, stage, updated, reason, elig, u, parts)


def recruitment_history(w: World, mean_apps: float, batch_offers: int = 2000) -> Iterator[Batch]:
    """Offers in publication order (a hire makes a candidate unavailable for later offers), in batches."""
    for start in range(0, len(w.offers), batch_offers):
        batches = [
            run_offer(w, o, mean_apps, np.random.default_rng([w.seed, 5, o]))
            for o in range(start, min(start + batch_offers, len(w.offers)))
        ]
        columns = ("offer", "candidate", "applied", "stage", "updated", "reason", "eligible", "utility")
        joined = {f: np.concatenate([getattr(b, f) for b in batches]) for f in columns}
        yield Batch(**joined, parts={k: np.concatenate([b.parts[k] for b in batches]) for k in WEIGHTS})
