"""The re-ranker: a logistic regression over explicit (candidate, offer) pair facts and the GNN's cosine.

The GNN's dot product compares two embeddings; facts of the *pair* ("lives in the offer's département", "two
career steps from the offer's occupation", "covers 60 % of its skills") reach it only as far as the embeddings
happen to encode them. The simulated history — like a real one — turns on exactly such facts: who applies depends
on place and career path, who is selected among the applicants on skill coverage, experience and the employer's
taste. A shortlist needs both, so the log-odds of being shortlisted is close to a sum of such terms, which a
logistic regression learns from the training offers' outcomes.

Every fact is one a recruiter could check, so each score comes with the facts that made it (explanations, AI
Act). History facts only count applications to offers published *before* the offer being scored, and the GNN
cosine of a training pair is computed with that offer's own applications hidden (two folds), as at test time.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import torch
from scipy import sparse
from scipy.sparse.csgraph import dijkstra
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer, StandardScaler

from gnn.eligibility import Eligibility, candidate_profiles, eligibility_sets, offer_requirements
from gnn.export import GraphExport, epoch_days, shared_text_columns
from gnn.features import SHARED_TEXT_DIM
from gnn.growing import GrowingCsr, GrowingRows
from gnn.model import LinkGNN
from gnn.train import Split, visible_embeddings
from ontology.geography import REGION_OF_DEPARTEMENT

FEATURES = (
    "gnn_cosine",  # the GNN's score
    "skill_coverage",  # share of the offer's skills the candidate holds
    "skill_coverage_idf",  # the same, each skill weighted by its rarity among candidates
    "career_skill_coverage",  # share of the offer's skills that an occupation the candidate held requires
    "career_hops",  # steps from the nearest occupation held to the offer's, in the career graph (9: none)
    "current_hops",  # the same from the current job only
    "same_departement",
    "same_region",
    "years_experience",
    "past_applications",  # before the offer's publication
    "past_selections",
    "employer_past_applications",  # to this offer's employer
    "employer_past_selections",
    "employer_affinity",  # GNN cosine with the mean of the candidates this employer selected before
    "employer_same_education",  # share of those candidates with the candidate's education level
    # Cosine of the CV's and the offer's texts in the shared text space (`gnn.features`: word TF-IDF and character
    # n-grams, the mean of the two halves' cosines): what a short or foreign text says when no skill, occupation or
    # statutory fact was recognised in it. Last, so that versions stored before it keep their column numbers.
    "text_similarity",
    # text_similarity × exp(−days since the candidate's latest application / SEARCH_SPELL_DAYS): a job search is a
    # spell of weeks, and who applied last month is more likely still looking than who applied two years ago. The
    # recency only ever multiplies a content match, so a candidate who is looking but does something else never
    # outranks one who does the job (the bare number of days did: the offer's family fell out of served lists,
    # docs/any-language.md).
    "recent_text_match",
    # The best of the candidate's shortlistings (or later stages) before the offer's history horizon, each scored
    # as the cosine of this offer's text with the text of the offer where they were shortlisted × the same
    # recency: another recruiter just judged them fit for a similar post, and they are looking. It is also the one
    # content signal of a profile known only by its applications. Selections, not every application: applicants
    # range beyond their trade, and "applied to something similar" alone let them crowd the offer's family out.
    "recent_similar_selection",
)
NO_PATH = 9
NO_APPLICATION = 3_650.0  # days since the latest application of a candidate who never applied (ten years)
SEARCH_SPELL_DAYS = 90.0  # a quarter: a job search's usual length, set before measuring, not fitted
MAX_STEPS = 1_024  # sets of target occupations whose career steps `PairFacts.steps_to` keeps


@dataclass
class PairFacts:
    """What the re-ranker reads of every candidate and offer, as arrays and sparse matrices indexed by gid."""

    candidate_skills: sparse.csr_matrix  # candidates × skills, 0/1
    offer_skills: sparse.csr_matrix  # offers × skills, 0/1 (an offer without skills borrows its occupation's)
    skill_idf: np.ndarray
    held: sparse.csr_matrix  # candidates × occupations, 0/1
    holds_now: sparse.csr_matrix  # candidates × occupations, 0/1: the current job
    occupation_skills: sparse.csc_matrix  # occupations × skills, 0/1 (columns sliced per offer)
    offer_occupations: list[np.ndarray]  # per offer gid: its main occupation gids (best RMFP, best ROME)
    career_graph: sparse.csr_matrix  # reversed career moves (occupations, then RMFP families), weighted by steps
    candidate_departement: np.ndarray  # gid, -1 when unknown
    region_of_departement: np.ndarray  # département gid → région number (-1 unknown)
    offer_departement: np.ndarray
    offer_employer: np.ndarray
    years_experience: np.ndarray
    education: np.ndarray  # years after the baccalauréat (-1 unknown)
    offer_published: np.ndarray  # epoch days (NaN: unknown, treated as oldest)
    # The shared text space of CVs and offers (`gnn.features.SHARED_TEXT_DIM` columns, each half L2-normalised or
    # zero), float16: half the memory (256 MB at 1,000,000 candidates) for cosines right to about 1e-3.
    candidate_text: np.ndarray
    offer_text: np.ndarray

    @classmethod
    def from_export(cls, export: GraphExport) -> PairFacts:
        from gnn.baselines import binary_matrix, candidate_skills, offer_skills

        data = export.data
        n_c, n_o, n_occ = (data[t].num_nodes for t in ("candidate", "offer", "occupation"))
        cand = candidate_skills(export)
        document_frequency = np.asarray(cand.sum(axis=0)).ravel()
        idf = np.log((n_c + 1.0) / (document_frequency + 1.0)) + 1.0
        held = data["candidate", "held", "occupation"].edge_index.numpy()
        of = data["offer", "of_main_occupation", "occupation"].edge_index.numpy()
        return cls(
            candidate_skills=cand,
            offer_skills=offer_skills(export),
            skill_idf=idf,
            held=binary_matrix(held, (n_c, n_occ)),
            holds_now=binary_matrix(data["candidate", "holds_now", "occupation"].edge_index.numpy(), (n_c, n_occ)),
            occupation_skills=binary_matrix(
                data["occupation", "requires_skill", "skill"].edge_index.numpy(), (n_occ, data["skill"].num_nodes)
            ).tocsc(),
            offer_occupations=_lists(of, n_o),
            career_graph=_career_graph(export),
            candidate_departement=_single(data["candidate", "lives_in", "departement"].edge_index.numpy(), n_c),
            region_of_departement=_regions(export.ids["departement"]),
            offer_departement=_single(data["offer", "located_in", "departement"].edge_index.numpy(), n_o),
            offer_employer=_single(data["offer", "posted_by", "employer"].edge_index.numpy(), n_o),
            years_experience=np.asarray(export.attributes["candidate"].get("years_experience", np.zeros(n_c)), float),
            education=np.array([_number(v) for v in export.attributes["candidate"]["education_level"]]),
            offer_published=np.where(np.isnan(export.offer_published), -np.inf, export.offer_published),
            candidate_text=_half(shared_text_columns(data["candidate"].x)),
            offer_text=_half(shared_text_columns(data["offer"].x)),
        )

    def career_hops(self, targets: np.ndarray, candidates: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Per candidate: the fewest career steps from any occupation held, and from the current job, to one of
        `targets` (NO_PATH when none within reach)."""
        if not len(targets):
            return np.full(len(candidates), NO_PATH, dtype=np.float32), np.full(len(candidates), NO_PATH, np.float32)
        steps = self.steps_to(targets)
        return _row_min(self.held[candidates], steps, NO_PATH), _row_min(self.holds_now[candidates], steps, NO_PATH)

    def steps_to(self, targets: np.ndarray) -> np.ndarray:
        """Per occupation: the fewest career steps to one of `targets` (NO_PATH when none within reach). The same
        offers are ranked again and again, and a shortest-path search per ranking was a quarter of the re-ranker's
        facts under py-spy: the answer is kept per set of targets, MAX_STEPS sets at most (then forgotten all at
        once), as float32, which holds its whole and half steps exactly; never pickled (`__getstate__`)."""
        memo: dict[bytes, np.ndarray] = self.__dict__.setdefault("_steps", {})
        key = np.asarray(targets, dtype=np.int64).tobytes()
        steps = memo.get(key)
        if steps is None:
            found = dijkstra(self.career_graph, indices=targets, limit=NO_PATH - 1)
            found = np.atleast_2d(found).min(axis=0)[: self.held.shape[1]]
            steps = np.where(np.isinf(found), NO_PATH, found).astype(np.float32)
            if len(memo) >= MAX_STEPS:
                memo.clear()
            memo[key] = steps
        return steps

    def __getstate__(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if k not in ("_steps", "_offer_text32")}


def _career_graph(export: GraphExport) -> sparse.csr_matrix:
    """Career moves as a weighted graph, *reversed* so that distances from an offer's occupation are the steps
    towards it: ROME mobilities (one step, in their direction), crosswalk matches (one step both ways) and a
    move within an RMFP family (occupation → family → occupation, half a step each)."""
    data = export.data
    n_occ = data["occupation"].num_nodes
    mobility = data["occupation", "mobility", "occupation"].edge_index.numpy()
    match = data["occupation", "match", "occupation"].edge_index.numpy()
    # Careers move between RMFP emplois-référence and ROME fiches; ESCO matches would add shortcuts no career takes.
    career = np.array(
        [
            bool({"EmploiReference", "RomeFiche"} & set(labels or ()))
            for labels in export.attributes["occupation"]["labels"]
        ]
    )
    match = match[:, career[match[0]] & career[match[1]]]
    families = export.attributes["occupation"].get("family", np.full(n_occ, None, dtype=object))
    names = sorted({f for f in families if f is not None})
    member = np.array([i for i, f in enumerate(families) if f is not None], dtype=np.int64)
    family = n_occ + np.array([names.index(families[i]) for i in member], dtype=np.int64)
    src = np.concatenate([mobility[0], match[0], match[1], member, family])
    dst = np.concatenate([mobility[1], match[1], match[0], family, member])
    weight = np.concatenate([np.ones(mobility.shape[1] + 2 * match.shape[1]), np.full(2 * len(member), 0.5)])
    size = n_occ + len(names)
    graph = sparse.coo_matrix((weight, (src, dst)), shape=(size, size)).tocsr()
    graph.sum_duplicates()
    graph.data = np.minimum(graph.data, 1.0)  # a repeated link is still one step
    return graph.T.tocsr()


@dataclass
class History:
    """Applications as parallel arrays with the publication date of their offer, for 'before' counts."""

    candidate: np.ndarray
    offer: np.ndarray
    positive: np.ndarray
    published: np.ndarray

    def __getstate__(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if k != "_cache"}  # indexes rebuilt on first use

    @classmethod
    def known(cls, export: GraphExport, facts: PairFacts, offers: np.ndarray) -> History:
        apps = export.applications
        keep = np.isin(apps.offer, offers)
        return cls(apps.candidate[keep], apps.offer[keep], apps.positive[keep], facts.offer_published[apps.offer[keep]])

    def counts(
        self, facts: PairFacts, published: float, employer: int, candidates: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Applications and selections of each candidate before `published`, overall and at `employer`, and the
        candidates that employer selected before. Serving scores new offers, which come after the whole history:
        totals and per-employer indexes are then computed once instead of scanning every application per call."""
        cache: dict[str, Any] = self.__dict__.setdefault("_cache", {})
        if "by_employer" not in cache:
            employers = facts.offer_employer[self.offer]
            order = np.argsort(employers, kind="stable")
            keys, starts = np.unique(employers[order], return_index=True)
            cache["by_employer"] = dict(zip(keys.tolist(), np.split(order, starts[1:]), strict=True))
        size = max(int(candidates.max(initial=-1)) + 1, 1)
        if published > self._latest(cache):
            if cache.get("totals_size", 0) < size:
                cache["totals"] = (
                    np.bincount(self.candidate, minlength=size),
                    np.bincount(self.candidate[self.positive], minlength=size),
                )
                cache["totals_size"] = size
            applied, selected = (total[candidates] for total in cache["totals"])
        else:
            applied, selected = self._before(cache, published, candidates)
        here = cache["by_employer"].get(employer, np.zeros(0, dtype=np.int64)) if employer >= 0 else np.zeros(0, int)
        here = here[self.published[here] < published]
        chosen = self.candidate[here[self.positive[here]]]
        employer_applied = np.bincount(self.candidate[here], minlength=size)[candidates]
        employer_selected = np.bincount(chosen, minlength=size)[candidates]
        return applied, selected, employer_applied, employer_selected, chosen

    def _latest(self, cache: dict[str, Any]) -> float:
        """The latest publication date of the history, once (a date after it is serving's: totals, not searches)."""
        if "latest" not in cache:
            cache["latest"] = float(self.published.max()) if len(self.published) else -np.inf
        return float(cache["latest"])

    def days_since(self, published: float, candidates: np.ndarray, until: float | None = None) -> np.ndarray:
        """Per candidate: days from their latest application to an offer published before `until` (default:
        `published`) to `published` (NO_APPLICATION when none), by the same sorted keys as `_before`; after the
        whole history (serving), from each candidate's latest date, computed once."""
        days = self._days_to(published if until is None else until, candidates)
        if until is None:
            return days
        known = days < NO_APPLICATION
        return np.where(known, np.minimum(days + (published - until), NO_APPLICATION), NO_APPLICATION)

    def _days_to(self, published: float, candidates: np.ndarray) -> np.ndarray:
        cache: dict[str, Any] = self.__dict__.setdefault("_cache", {})
        size = max(int(candidates.max(initial=-1)) + 1, 1)
        if not len(self.published) or not published > -np.inf:
            return np.full(len(candidates), NO_APPLICATION)
        if published > self._latest(cache):
            if cache.get("latest_size", 0) < size:
                size = max(size, int(self.candidate.max()) + 1)  # every candidate of the history has a slot
                latest = np.full(size, -np.inf)
                np.maximum.at(latest, self.candidate, self.published)
                cache["latest_date"], cache["latest_size"] = latest, size
            last = cache["latest_date"][candidates]
        else:
            dates, width, everything, _ = self._sorted_keys(cache)
            start = candidates.astype(np.int64) * width
            # The last key before (candidate, the offer's date): the candidate's latest earlier application when
            # it is theirs (at or past their first key), another candidate's otherwise.
            index = np.searchsorted(everything, start + np.searchsorted(dates, published)) - 1
            rank = everything[np.maximum(index, 0)] - start
            found = (index >= 0) & (rank >= 0) & (rank < len(dates))
            last = np.where(found, dates[np.clip(rank, 0, len(dates) - 1)], -np.inf)
        return np.where(np.isfinite(last), np.minimum(published - last, NO_APPLICATION), NO_APPLICATION)

    def similar_selections(
        self, facts: PairFacts, offer: OfferFacts, candidates: np.ndarray, spell_days: float
    ) -> np.ndarray:
        """Per candidate: the max over their positive applications (shortlisted or later) to offers published
        before `offer.history_until` of cos(offer, that offer) / 2 · exp(−days between the two publications /
        spell_days); 0 when none. Gathers only the candidates' own applications (by candidate-sorted positions),
        not a pass over every application."""
        cache: dict[str, Any] = self.__dict__.setdefault("_cache", {})
        if "selections" not in cache or cache["selections_size"] < int(candidates.max(initial=-1)) + 1:
            # The positive applications sorted by candidate, once (again only for a candidate past them all).
            size = max(int(candidates.max(initial=-1)) + 1, int(self.candidate.max(initial=-1)) + 1, 1)
            chosen = np.flatnonzero(self.positive)
            order = chosen[np.argsort(self.candidate[chosen], kind="stable")]
            cache["selections"] = (order, np.searchsorted(self.candidate[order], np.arange(size + 1)))
            cache["selections_size"] = size
        order, starts = cache["selections"]
        first, counts = starts[candidates], starts[candidates + 1] - starts[candidates]
        row = np.repeat(np.arange(len(candidates)), counts)
        within = np.arange(len(row)) - np.repeat(np.cumsum(counts) - counts, counts)
        selections = order[np.repeat(first, counts) + within]
        keep = self.published[selections] < offer.history_until  # NaN (unknown date) compares false
        selections, row = selections[keep], row[keep]
        offers, which = np.unique(self.offer[selections], return_inverse=True)  # each offer's cosine once
        similarity = _offer_cosines(facts, offers, offer.text)[which]
        value = similarity * np.exp(-(offer.published - self.published[selections]) / spell_days)
        best = np.zeros(len(candidates), dtype=np.float64)
        if len(row):  # rows come grouped by candidate: one max per group (np.maximum.at is several times slower)
            groups = np.flatnonzero(np.r_[True, row[1:] != row[:-1]])
            best[row[groups]] = np.maximum(np.maximum.reduceat(value, groups), 0.0)
        return best

    def _sorted_keys(self, cache: dict[str, Any]) -> tuple[np.ndarray, int, np.ndarray, np.ndarray]:
        """The applications as sorted keys candidate × (rank of their offer's date + 1): all, and the positive."""
        if "by_candidate" not in cache:
            dates = np.unique(self.published)  # -inf (unknown date) sorts first, as it compares
            width = len(dates) + 1
            keys = self.candidate.astype(np.int64) * width + np.searchsorted(dates, self.published)
            cache["by_candidate"] = (dates, width, np.sort(keys), np.sort(keys[self.positive]))
        return cache["by_candidate"]

    def _before(self, cache: dict[str, Any], published: float, candidates: np.ndarray) -> tuple[np.ndarray, ...]:
        """Applications and selections of each candidate to offers published before `published`, by binary search
        in the applications sorted by (candidate, date): a training offer's rows cost O(rows · log N), not a pass
        over the N applications (10 million at national scale, 70,000 training offers)."""
        dates, width, everything, positive = self._sorted_keys(cache)
        start = candidates.astype(np.int64) * width
        # The date ranks strictly before `published` (none before an unknown date: NaN compares false).
        stop = start + (0 if np.isnan(published) else int(np.searchsorted(dates, published)))
        return tuple(
            (np.searchsorted(k, stop) - np.searchsorted(k, start)).astype(np.int64) for k in (everything, positive)
        )


@dataclass
class OfferFacts:
    """One offer's side of the pair facts (from the export by gid, or from Neo4j for an offer created since)."""

    skills: np.ndarray  # skill gids
    occupations: np.ndarray  # occupation gids
    departement: int  # gid, -1 when unknown
    employer: int  # gid, -1 when unknown
    published: float  # epoch days
    text: np.ndarray  # its row of the shared text space (float32; zeros when unknown)
    lag: float = 0.0  # days before `published` up to which its history facts read (`history_lags`)

    @property
    def history_until(self) -> float:
        return self.published - self.lag


def offer_facts(facts: PairFacts, offer: int) -> OfferFacts:
    return OfferFacts(
        skills=facts.offer_skills[offer].indices,
        occupations=facts.offer_occupations[offer],
        departement=int(facts.offer_departement[offer]),
        employer=int(facts.offer_employer[offer]),
        published=float(facts.offer_published[offer]),
        text=_text_rows(facts, "offer_text", np.array([offer]))[0],
    )


def history_lags(export: GraphExport, split: Split, offers: np.ndarray, seed: int) -> np.ndarray:
    """Per training offer, the days by which its history facts lag its publication: uniform over the validation
    period's span. A test offer is scored with the history known at the test period's start, so its history facts
    miss the applications of its own period (a candidate's other applications of the same weeks, a place at which
    she applies just before); training rows that counted every application up to their offer's eve learnt to rely
    on those recent ones. On the sparse history the facts-only regression fell to 0 Recall@10 on new candidates
    for it (docs/any-language.md). Its own generator: the other draws of a fit are the same with or without it."""
    published = np.where(np.isnan(export.offer_published), -np.inf, export.offer_published)
    span = float(published[split.val].max() - split.cutoff_val) if len(split.val) else 0.0
    return np.random.default_rng([seed, 1]).uniform(0.0, max(span, 0.0), size=len(offers))


def lagged(offer: OfferFacts, lag: float) -> OfferFacts:
    """The offer's facts with its history read `lag` days before its publication (`history_lags`)."""
    return replace(offer, lag=lag) if lag else offer


def pair_features(
    facts: PairFacts,
    history: History,
    offer: OfferFacts,
    candidates: np.ndarray,
    offer_vector: torch.Tensor,
    candidate_matrix: torch.Tensor,
) -> np.ndarray:
    """[len(candidates) × len(FEATURES)] facts of (candidate, offer) pairs, in the order of FEATURES."""
    idf = facts.skill_idf[offer.skills]
    # The skills held among the offer's, and their idf, as one product of the candidates' rows with two dense
    # columns (1 and the idf at the offer's skills, 0 elsewhere) rather than slicing the offer's columns out of
    # the sparse rows (0.09–0.14 against 0.21 ms for 1,000 candidates). The same sums in the same order (zeros add
    # nothing) and the same precision: scipy multiplied the float32 rows by the idf cast to float32.
    weights = np.zeros((facts.candidate_skills.shape[1], 2), dtype=facts.candidate_skills.dtype)
    weights[offer.skills, 0], weights[offer.skills, 1] = 1.0, idf
    held_here = np.asarray(facts.candidate_skills[candidates] @ weights)
    coverage = held_here[:, 0] / max(len(offer.skills), 1)
    coverage_idf = held_here[:, 1] / (float(idf.sum()) or 1.0)
    applied, selected, employer_applied, employer_selected, selected_here = history.counts(
        facts, offer.history_until, offer.employer, candidates
    )
    # Offer skills reachable from an occupation held: a dense (occupations × offer skills) block is cheaper to
    # multiply by than a sparse one; the counts are the same integers.
    reach = facts.occupation_skills[:, offer.skills].toarray()
    career_skills = np.count_nonzero(facts.held[candidates] @ reach, axis=1)
    regions = facts.region_of_departement
    offer_region = regions[offer.departement] if offer.departement >= 0 else -1
    home = facts.candidate_departement[candidates]
    career_hops, current_hops = facts.career_hops(offer.occupations, candidates)
    embedded = _rows_of(candidate_matrix, candidates)
    text = _text_rows(facts, "candidate_text", candidates) @ offer.text / 2.0
    days = history.days_since(offer.published, candidates, offer.history_until)
    columns = {
        "gnn_cosine": (embedded @ offer_vector).numpy(),
        "skill_coverage": coverage,
        "skill_coverage_idf": coverage_idf,
        "career_skill_coverage": career_skills / max(len(offer.skills), 1),
        "career_hops": career_hops,
        "current_hops": current_hops,
        "same_departement": (home == offer.departement) & (offer.departement >= 0),
        "same_region": (np.where(home >= 0, regions[home], -2) == offer_region) & (offer_region >= 0),
        "years_experience": facts.years_experience[candidates],
        "past_applications": applied,
        "past_selections": selected,
        "employer_past_applications": employer_applied,
        "employer_past_selections": employer_selected,
        "employer_affinity": _affinity(selected_here, embedded, candidate_matrix),
        "employer_same_education": _share_alike(facts.education, selected_here, candidates),
        "text_similarity": text,
        "recent_text_match": np.where(days < NO_APPLICATION, text * np.exp(-days / SEARCH_SPELL_DAYS), 0.0),
        "recent_similar_selection": history.similar_selections(facts, offer, candidates, SEARCH_SPELL_DAYS),
    }
    return np.stack([np.asarray(columns[name], dtype=np.float32) for name in FEATURES], axis=1)


def _text_rows(facts: PairFacts, name: str, rows: np.ndarray) -> np.ndarray:
    """Rows of `facts.candidate_text` or `facts.offer_text` as float32 (zeros past the matrix, and for versions
    stored before the text fact, which have no such matrix). torch gathers and widens the float16 rows with vector
    instructions: 0.06 ms for 1,000 rows of 128 where NumPy's fancy indexing and cast took 0.35 (the same values:
    float16 → float32 is exact)."""
    matrix = facts.__dict__.get(name)
    out = np.zeros((len(rows), SHARED_TEXT_DIM), dtype=np.float32)
    if matrix is not None:
        inside = rows < len(matrix)
        picked = torch.from_numpy(matrix).index_select(0, torch.from_numpy(rows[inside].astype(np.int64)))
        out[inside] = picked.float().numpy()
    return out


def _offer_cosines(facts: PairFacts, offers: np.ndarray, text: np.ndarray) -> np.ndarray:
    """cos / 2 of `text` with the offers' rows of the shared text space (0 past the matrix, and for versions stored
    before the text fact), from a float32 copy of `facts.offer_text` made on first use and never pickled: offers'
    rows do not grow after the export, and converting float16 rows at every request cost half of
    `History.similar_selections`."""
    rows = facts.__dict__.get("_offer_text32")
    if rows is None:
        matrix = facts.__dict__.get("offer_text")
        rows = np.zeros((0, SHARED_TEXT_DIM), np.float32) if matrix is None else matrix.astype(np.float32)
        facts.__dict__["_offer_text32"] = rows
    out = np.zeros(len(offers), dtype=np.float32)
    inside = offers < len(rows)
    out[inside] = rows[offers[inside]] @ text / 2.0
    return out


def _half(columns: torch.Tensor) -> np.ndarray:
    return columns.numpy().astype(np.float16)


def _share_alike(values: np.ndarray, selected: np.ndarray, candidates: np.ndarray) -> np.ndarray:
    """Share of the `selected` candidates whose value equals each candidate's (0 when none were selected)."""
    if not len(selected):
        return np.zeros(len(candidates), dtype=np.float32)
    kinds, counts = np.unique(values[selected], return_counts=True)
    share = dict(zip(kinds.tolist(), (counts / len(selected)).tolist(), strict=True))
    return np.array([share.get(v, 0.0) for v in values[candidates].tolist()], dtype=np.float32)


def _affinity(selected: np.ndarray, embedded: torch.Tensor, matrix: torch.Tensor) -> np.ndarray:
    """Cosine of each candidate (`embedded`: their rows of `matrix`) with the mean embedding of the candidates the
    employer selected before."""
    if not len(selected):
        return np.zeros(len(embedded), dtype=np.float32)
    centre = torch.nn.functional.normalize(matrix[torch.from_numpy(np.unique(selected))].mean(0), dim=0)
    return (embedded @ centre).numpy()


def _rows_of(matrix: torch.Tensor, rows: np.ndarray) -> torch.Tensor:
    """`matrix[rows]`, the same values: NumPy's `take` on a CPU tensor's memory gathers 1,000 rows of 320 in
    0.12–0.19 ms where torch's indexing took 0.5 ms (one thread, the served ranking's re-ranker depth)."""
    if matrix.device.type == "cpu" and matrix.dtype == torch.float32 and not matrix.requires_grad:
        return torch.from_numpy(matrix.numpy().take(rows, axis=0))
    return matrix[torch.from_numpy(rows)]


def _regions(codes: np.ndarray) -> np.ndarray:
    regions = sorted(set(REGION_OF_DEPARTEMENT.values()))
    return np.array([regions.index(REGION_OF_DEPARTEMENT[c]) if c in REGION_OF_DEPARTEMENT else -1 for c in codes])


def _number(value: object) -> float:
    try:
        return float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return -1.0


def _lists(edge_index: np.ndarray, rows: int) -> list[np.ndarray]:
    order = np.argsort(edge_index[0], kind="stable")
    bounds = np.searchsorted(edge_index[0][order], np.arange(rows + 1))
    return [edge_index[1][order][bounds[i] : bounds[i + 1]] for i in range(rows)]


def _single(edge_index: np.ndarray, rows: int) -> np.ndarray:
    """The (last) target of each source, -1 for none: a candidate lives in one département."""
    out = np.full(rows, -1, dtype=np.int64)
    out[edge_index[0]] = edge_index[1]
    return out


def _row_min(matrix: sparse.csr_matrix, values: np.ndarray, empty: float) -> np.ndarray:
    """Per row of a 0/1 sparse matrix: the minimum of `values` over its columns (`empty` for an empty row)."""
    out = np.full(matrix.shape[0], empty, dtype=np.float32)
    has = np.diff(matrix.indptr) > 0
    picked = values[matrix.indices]
    out[has] = np.minimum.reduceat(picked, matrix.indptr[:-1][has]) if len(picked) else empty
    return out


# --- training ------------------------------------------------------------------------------------------------
Embedder = Callable[[np.ndarray], dict[str, torch.Tensor]]  # visible offers → GNN embeddings by node type


@dataclass
class RerankConfig:
    folds: int = 2  # training offers are scored with their own applications hidden, one fold at a time
    negatives: int = 300  # eligible non-applicants sampled per training offer (weighted back to the full pool)
    c: float = 1.0  # inverse regularisation of the logistic regression
    seed: int = 7
    features: tuple[str, ...] = FEATURES  # a subset for ablations (e.g. without the GNN's cosine)
    lagged_history: bool = True  # training rows' history facts as a test offer's are (`history_lags`)


class Reranker:
    """A fitted re-ranker: `score` returns, per pair, the log-odds of reaching *shortlisted* or later."""

    def __init__(self, model: Any, features: tuple[str, ...] = FEATURES) -> None:  # a fitted sklearn estimator
        self.model = model
        self.features = features
        self.columns = [FEATURES.index(name) for name in features]

    def score(self, features: np.ndarray) -> np.ndarray:
        """Log-odds per row of a [pairs × FEATURES] matrix."""
        x = features[:, self.columns]
        folded = self._folded()
        if folded is None:
            return np.asarray(self.model.decision_function(x), dtype=np.float64)
        weights, bias = folded
        return _linear_terms(x.astype(np.float64)) @ weights + bias

    def _folded(self) -> tuple[np.ndarray, float] | None:
        """The scaler folded into the logistic regression's weights: the same log-odds as `decision_function`
        without scikit-learn's per-call input checks, which cost more than the arithmetic on a served ranking.
        None for any other estimator."""
        if not hasattr(self, "_weights"):  # computed once (and absent from re-rankers pickled before)
            steps = getattr(self.model, "named_steps", {})
            if {"functiontransformer", "standardscaler", "logisticregression"} != set(steps):
                self._weights: tuple[np.ndarray, float] | None = None
            else:
                scaler, regression = steps["standardscaler"], steps["logisticregression"]
                weights = regression.coef_[0] / scaler.scale_
                self._weights = (weights, float(regression.intercept_[0] - scaler.mean_ @ weights))
        return self._weights

    def contributions(self, features: np.ndarray) -> list[dict[str, float]]:
        """Per row, each fact's share of the log-odds relative to an average pair (its terms in the sum; they add up
        to the score minus the average pair's)."""
        steps = self.model.named_steps
        x = features[:, self.columns]
        scaled = steps["standardscaler"].transform(steps["functiontransformer"].transform(x))
        terms = scaled * steps["logisticregression"].coef_[0]  # columns: facts, closeness, log counts
        per_fact = terms.reshape(len(x), 3, len(self.columns)).sum(axis=1)
        return [dict(zip(self.features, row.tolist(), strict=True)) for row in per_fact]


class IncompatibleArtifact(ValueError):
    """A stored re-ranking artifact this code cannot read (written by another version of Vivier)."""


@dataclass
class RerankingArtifact:
    """What serving reads of a version's re-ranker (`reranker.pkl`, gnn/artifacts.py)."""

    reranker: Reranker
    facts: PairFacts  # grows by one candidate row per candidate embedded at serving time (`CandidateAppender`)
    history: History  # every application known at training, for the 'before' counts of new offers

    def to_stored(self) -> dict[str, object]:
        """As `reranker.pkl` holds it: the fields by name, the file's format since the re-ranker exists."""
        return {"reranker": self.reranker, "facts": self.facts, "history": self.history}

    @classmethod
    def from_stored(cls, stored: object) -> RerankingArtifact:
        """Back from `to_stored`'s dict; IncompatibleArtifact names what is missing or of the wrong kind."""
        kinds: dict[str, type] = {"reranker": Reranker, "facts": PairFacts, "history": History}
        if not isinstance(stored, dict):
            raise IncompatibleArtifact(f"expected a dict of {sorted(kinds)}, found a {type(stored).__name__}")
        wrong = [name for name, kind in kinds.items() if not isinstance(stored.get(name), kind)]
        if wrong:
            raise IncompatibleArtifact(f"missing or not of the expected kind: {', '.join(wrong)}")
        _check_columns(stored["reranker"])
        return cls(reranker=stored["reranker"], facts=stored["facts"], history=stored["history"])


def _check_columns(reranker: Reranker) -> None:
    """A stored re-ranker reads its facts by their column numbers in FEATURES, which only ever grows at its end: a
    fact renamed or taken out since it was trained would hand it another fact's column, silently."""
    names = tuple(getattr(reranker, "features", ()))
    columns = list(getattr(reranker, "columns", []))
    if not names or not columns:  # versions stored before the names were kept: nothing to check against
        return
    read = tuple(FEATURES[i] if 0 <= i < len(FEATURES) else "?" for i in columns)
    if names[-len(columns) :] != read:
        changed = sorted(set(names[-len(columns) :]) - set(FEATURES))
        raise IncompatibleArtifact(f"trained on facts this code no longer computes at their place: {changed or read}")


def offer_rows(
    facts: PairFacts,
    history: History,
    export: GraphExport,
    offer: int,
    eligible: np.ndarray,
    emb: dict[str, torch.Tensor],
    negatives: int,
    rng: np.random.Generator,
    lag: float = 0.0,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Training rows of one offer: every applicant, plus a weighted sample of eligible non-applicants (history facts
    `lag` days before its publication: `history_lags`)."""
    apps = export.applications
    mine = apps.of_offer(offer)
    applicants, first = np.unique(apps.candidate[mine], return_index=True)
    labels = apps.positive[mine][first]
    others = np.setdiff1d(np.flatnonzero(eligible), applicants)
    sampled = rng.choice(others, size=min(negatives, len(others)), replace=False) if len(others) else others
    candidates = np.concatenate([applicants, sampled])
    weights = np.concatenate([np.ones(len(applicants)), np.full(len(sampled), len(others) / max(len(sampled), 1))])
    here = lagged(offer_facts(facts, offer), lag)
    x = pair_features(facts, history, here, candidates, emb["offer"][offer], emb["candidate"])
    return x, np.concatenate([labels, np.zeros(len(sampled), dtype=bool)]), weights


def gnn_embedder(model: LinkGNN, export: GraphExport, layerwise: bool = False) -> Embedder:
    """The GNN's embeddings with only the applications of the visible offers passing messages (`layerwise`: one
    layer at a time, for graphs full batch cannot hold)."""

    def embed(visible: np.ndarray) -> dict[str, torch.Tensor]:
        return visible_embeddings(model, export, visible, layerwise)

    return embed


def fit_and_score(
    export: GraphExport,
    facts: PairFacts,
    split: Split,
    embed: Embedder,
    config: RerankConfig,
    offers: np.ndarray,
    known_offers: np.ndarray,
    eligible: torch.Tensor,
    emb: dict[str, torch.Tensor],
) -> tuple[Reranker, np.ndarray]:
    """The one fit-and-score path: fit a re-ranker on the training offers of `split` (the history: every offer
    before validation), then score the pools of `offers` (rows of `eligible`; the history: `known_offers`, with
    `emb` the embeddings they give). Training (validation offers) and evaluation (test offers, ablations) both
    come through here, so their rows and their scores are made by the same code."""
    train_eligible = eligibility_sets(candidate_profiles(export), offer_requirements(export), split.train)
    lags = history_lags(export, split, split.train, config.seed) if config.lagged_history else None
    reranker = fit_reranker(export, facts, split.train, split.history_val, train_eligible, embed, config, lags)
    return reranker, score_pools(reranker, export, facts, offers, known_offers, eligible, emb)


def score_pools(
    reranker: Reranker,
    export: GraphExport,
    facts: PairFacts,
    offers: np.ndarray,
    known_offers: np.ndarray,
    eligible: torch.Tensor,
    emb: dict[str, torch.Tensor],
) -> np.ndarray:
    """[offers × candidates] re-ranker scores over the pools `gnn.train.rank_offers` ranks (-inf elsewhere), the
    applications of `known_offers` being the history."""
    history = History.known(export, facts, known_offers)
    return rerank_scores(reranker, facts, history, offers, evaluation_pools(export, offers, eligible), emb)


def fit_reranker(
    export: GraphExport,
    facts: PairFacts,
    train_offers: np.ndarray,
    known_offers: np.ndarray,
    eligible: torch.Tensor | Eligibility,
    embed: Embedder,
    config: RerankConfig,
    lags: np.ndarray | None = None,
) -> Reranker:
    """Fit on `train_offers` (rows of `eligible` in the same order); applications of `known_offers` are the
    history, read `lags[i]` days before each offer's publication (`history_lags`; None: up to its eve). Each
    fold's offers are scored by GNN embeddings computed without their own applications."""
    rng = np.random.default_rng(config.seed)
    history = History.known(export, facts, known_offers)
    fold_of = rng.permutation(len(train_offers)) % config.folds
    xs, ys, ws = [], [], []
    for fold in range(config.folds):
        emb = embed(np.setdiff1d(known_offers, train_offers[fold_of == fold]))
        for i in np.flatnonzero(fold_of == fold):
            lag = 0.0 if lags is None else float(lags[i])
            x, y, w = offer_rows(
                facts, history, export, int(train_offers[i]), eligible[i].numpy(), emb, config.negatives, rng, lag
            )
            xs.append(x)
            ys.append(y)
            ws.append(w)
    # A logistic regression on scaled facts and their shapes: on the demo data it beat gradient-boosted trees on
    # validation and test (Recall@10 0.20–0.21 vs 0.15–0.19, docs/model.md), and its terms explain a score.
    model = make_pipeline(
        FunctionTransformer(_linear_terms), StandardScaler(), LogisticRegression(C=config.c, max_iter=2000)
    )
    columns = [FEATURES.index(name) for name in config.features]
    model.fit(np.concatenate(xs)[:, columns], np.concatenate(ys), logisticregression__sample_weight=np.concatenate(ws))
    return Reranker(model, config.features)


def _linear_terms(x: np.ndarray) -> np.ndarray:
    """Facts plus the shapes a linear model cannot make itself: closeness 1 / (1 + steps), log counts."""
    return np.concatenate([x, 1.0 / (1.0 + x), np.log1p(np.maximum(x, 0.0))], axis=1)


def rerank_scores(
    reranker: Reranker,
    facts: PairFacts,
    history: History,
    offers: np.ndarray,
    pools: torch.Tensor,
    emb: dict[str, torch.Tensor],
) -> np.ndarray:
    """[offers × candidates] re-ranker scores over each offer's pool (True in `pools`), -inf elsewhere."""
    out = np.full((len(offers), emb["candidate"].shape[0]), -np.inf)
    for i, offer in enumerate(offers.tolist()):
        candidates = np.flatnonzero(pools[i].numpy())
        x = pair_features(facts, history, offer_facts(facts, offer), candidates, emb["offer"][offer], emb["candidate"])
        out[i, candidates] = reranker.score(x)
    return out


def evaluation_pools(export: GraphExport, offers: np.ndarray, eligible: torch.Tensor) -> torch.Tensor:
    """The pools `gnn.train.rank_offers` ranks: eligible candidates plus each offer's selected ones."""
    if not len(offers):
        return eligible.clone()
    return torch.stack([torch.from_numpy(offer_pool(export, o, eligible[i])[0]) for i, o in enumerate(offers.tolist())])


def offer_pool(export: GraphExport, offer: int, eligible: torch.Tensor) -> tuple[np.ndarray, np.ndarray]:
    """One offer's evaluation pool as a boolean row (its `eligible` row plus its selected candidates), and those
    selected candidates."""
    apps = export.applications
    mine = apps.of_offer(offer)
    selected = apps.candidate[mine][apps.positive[mine]]
    pool = eligible.numpy().copy()
    pool[selected] = True
    return pool, selected


# --- serving -------------------------------------------------------------------------------------------------
def facts_of_new_offer(
    facts: PairFacts,
    props: dict[str, object],
    neighbours: dict[tuple[str, str, str], torch.Tensor],
    text: np.ndarray | None = None,
) -> OfferFacts:
    """An offer created after training, from `gnn.export.node_neighbourhood` (gids of its neighbours) and its row
    of the shared text space (`gnn.features.shared_text_row`; None: unknown, zeros)."""

    def gids(relation: str, source: str) -> np.ndarray:
        return neighbours.get((source, f"rev_{relation}", "offer"), torch.empty(0, dtype=torch.long)).numpy()

    occupations = gids("of_main_occupation", "occupation")
    skills = gids("requires_skill", "skill")
    if not len(skills) and len(occupations):  # as the export does: an offer without skills borrows its occupation's
        skills = np.unique(facts.occupation_skills.tocsr()[occupations].indices)
    departement, employer = gids("located_in", "departement"), gids("posted_by", "employer")
    return OfferFacts(
        skills=skills,
        occupations=occupations,
        departement=int(departement[0]) if len(departement) else -1,
        employer=int(employer[0]) if len(employer) else -1,
        published=epoch_days(props.get("published_at")),
        text=np.zeros(SHARED_TEXT_DIM, dtype=np.float32) if text is None else np.asarray(text, dtype=np.float32),
    )


class CandidateAppender:
    """Appends the candidates created after training to `facts` (a row each, the next one, as in the serving
    matrix) in amortised constant time: the candidate facts grow in buffers with spare rows (gnn/growing.py)
    instead of being copied whole for every CV uploaded."""

    SPARSE = ("candidate_skills", "held", "holds_now")
    DENSE = ("candidate_departement", "years_experience", "education")

    def __init__(self, facts: PairFacts) -> None:
        self.facts = facts
        self._sparse: dict[str, GrowingCsr] = {}
        self._dense: dict[str, GrowingRows[np.ndarray]] = {}

    def append(
        self,
        props: dict[str, object],
        neighbours: dict[tuple[str, str, str], torch.Tensor],
        text: np.ndarray | None = None,
    ) -> None:
        """The candidate's facts row, from `gnn.export.node_neighbourhood` and its row of the shared text space
        (`gnn.features.shared_text_row`; None: zeros)."""

        def linked(relation: str, target: str, width: int) -> tuple[np.ndarray, np.ndarray]:
            """The node ids linked by `relation` (below `width`), and how many times (a CSR sums duplicates)."""
            gids = neighbours.get((target, f"rev_{relation}", "candidate"), torch.empty(0, dtype=torch.long)).numpy()
            columns, counts = np.unique(gids[gids < width], return_counts=True)
            return columns, counts.astype(np.float64)

        facts = self.facts
        n_occ = facts.held.shape[1]
        rows = {
            "candidate_skills": linked("has_skill", "skill", facts.candidate_skills.shape[1]),
            "held": linked("held", "occupation", n_occ),
            "holds_now": linked("holds_now", "occupation", n_occ),
        }
        for name, (columns, counts) in rows.items():
            setattr(facts, name, self._growing_csr(name).append(columns, counts))
        home, _ = linked("lives_in", "departement", len(facts.region_of_departement))
        values = {
            "candidate_departement": home[0] if len(home) else -1,
            "years_experience": max(_number(props.get("years_experience")), 0.0),
            "education": _number(props.get("education_level")),
        }
        for name, value in values.items():
            setattr(facts, name, self._growing_rows(name).append(value))
        if "candidate_text" in facts.__dict__:  # versions stored before the text fact have none
            row = np.zeros(SHARED_TEXT_DIM) if text is None else np.asarray(text)
            facts.candidate_text = self._growing_rows("candidate_text").append(row.astype(np.float16))

    def _growing_csr(self, name: str) -> GrowingCsr:
        """The buffers behind `facts.<name>`, made again when the matrix was replaced (an erasure rewrites it)."""
        held = self._sparse.get(name)
        if held is None or held.matrix is not getattr(self.facts, name):
            held = self._sparse[name] = GrowingCsr(getattr(self.facts, name))
        return held

    def _growing_rows(self, name: str) -> GrowingRows[np.ndarray]:
        held = self._dense.get(name)
        current = getattr(self.facts, name)
        if held is None or len(held.view) != len(current) or not np.may_share_memory(held.view, current):
            held = self._dense[name] = GrowingRows(current)
        return held
