"""Validated records: what the loaders hand to `graph.writes`. Plain dataclasses, no Neo4j, no spaCy."""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from typing import Any


class RecordError(ValueError):
    """A record that cannot be loaded; `field` names the culprit so that the rejects file can say so."""

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(f"{field}: {reason}")
        self.field = field
        self.reason = reason

    def __reduce__(self) -> tuple[Any, ...]:
        # Pickled whole, whatever a subclass's constructor takes: forked CV readers send their rejects back to the
        # loading process, and an error that does not unpickle killed the pool's result thread, so the load waited
        # forever (the default pickling calls the constructor with the message alone).
        return _restore_error, (type(self), self.args, self.__dict__)


def _restore_error(kind: type[RecordError], args: tuple[Any, ...], state: dict[str, Any]) -> RecordError:
    error = kind.__new__(kind, *args)
    error.args = args
    error.__dict__.update(state)
    return error


@dataclass(frozen=True)
class SkillMention:
    uri: str
    text: str  # the span of the source text that names the skill
    start: int  # character offsets in the analysed text
    end: int
    confidence: float
    source: str  # "matcher" (label or alt label), "similarity" (vector fallback) or "declared" (CV skills list)


@dataclass(frozen=True)
class OccupationScore:
    uri: str
    scheme: str  # RMFP or ROME
    code: str
    score: float
    rank: int  # 1..3 within its scheme


@dataclass
class StatutoryFacts:
    versant: str | None = None  # FPT, FPE, FPH
    categorie: str | None = None  # A, B, C
    filiere: str | None = None
    cadre_uri: str | None = None
    grade_uri: str | None = None
    echelon: int | None = None
    contract: str | None = None  # titulaire, contractuel, titulaire_ou_contractuel
    education_level: int | None = None  # years after the baccalauréat: 0 = bac, -1 = below (CAP/BEP), 2, 3, 5, 8
    years_experience: float | None = None
    departement: str | None = None
    commune: str | None = None
    working_time: str | None = None  # temps_complet, temps_partiel (offers)
    remote_work: bool | None = None  # telework stated possible (True) or excluded (False) (offers)
    corps: str | None = None  # the corps or cadre d'emplois the text names, as written (offers)


@dataclass
class TextAnalysis:
    skills: list[SkillMention] = field(default_factory=list)
    occupations: list[OccupationScore] = field(default_factory=list)
    facts: StatutoryFacts = field(default_factory=StatutoryFacts)


@dataclass
class EmployerRecord:
    employer_id: str
    name: str
    kind: str | None = None  # commune, epci, departement, region, etat, hopital
    siret: str | None = None
    departement: str | None = None
    size: int | None = None


@dataclass
class OfferRecord:
    offer_id: str
    title: str
    description: str
    employer_id: str
    departement: str | None
    published_at: str
    contract: str | None
    source: str
    commune: str | None = None
    closes_at: str | None = None
    versant: str | None = None
    categorie: str | None = None
    filiere: str | None = None
    cadre_emplois: str | None = None  # code of the cadre d'emplois / corps
    grade: str | None = None  # NEG code
    working_time: str | None = None
    rome_appellation: str | None = None  # OGR code given by the publisher
    rmfp_code: str | None = None
    education_level: int | None = None
    years_experience: float | None = None
    remote_work: bool | None = None  # read from the text (Offer.remote_work)
    corps: str | None = None  # corps / cadre d'emplois named by the text, as written (Offer.corps)
    employer_name: str | None = None  # when the offer names its employer without an id (PEP exports, JSON-LD)
    skills: list[SkillMention] = field(default_factory=list)
    occupations: list[OccupationScore] = field(default_factory=list)
    required_grade_uris: list[str] = field(default_factory=list)  # Grade or CadreEmplois concepts

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class ExperienceRecord:
    position: str
    order: int  # 0 = the most recent step
    start: str | None = None
    end: str | None = None
    employer_kind: str | None = None  # commune, epci, departement, region, etat, hopital (from the employer's name)
    occupations: list[OccupationScore] = field(default_factory=list)

    def ranked_by_scheme(self) -> list[tuple[OccupationScore, list[OccupationScore]]]:
        """Per scheme (RMFP, ROME), the best occupation and the runners-up in rank order."""
        out = []
        for scheme in dict.fromkeys(o.scheme for o in self.occupations):
            ranked = sorted((o for o in self.occupations if o.scheme == scheme), key=lambda o: o.rank)
            out.append((ranked[0], ranked[1:]))
        return out


@dataclass
class CandidateRecord:
    candidate_id: str  # keyed HMAC of source:candidate_ref, never a name
    source: str
    cv_text: str  # pseudonymised: names, e-mails, phones, addresses and birth dates removed
    versant: str | None = None
    categorie: str | None = None
    filiere: str | None = None  # from the grade, or stated ("filière technique")
    titulaire: bool | None = None
    education_level: int | None = None
    years_experience: float | None = None
    departement: str | None = None
    commune: str | None = None  # of residence (JSON Resume `basics.location.city`, or a postal code + city line)
    grade_uri: str | None = None
    echelon: int | None = None
    # The cadre d'emplois or corps when the CV names it but no grade of it ("Titulaire du cadre d'emplois des agents
    # de police municipale"): the catalogue's concept when the name resolves to one, and the name as written.
    cadre_uri: str | None = None
    corps: str | None = None
    skills: list[SkillMention] = field(default_factory=list)
    experiences: list[ExperienceRecord] = field(default_factory=list)
    # The profile carries no prose beyond job titles and a place (many platforms export only those): the candidate
    # loads and is ranked from what there is and from their history (docs/ingestion.md, Sparse profiles).
    sparse_profile: bool = False

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class ApplicationRecord:
    application_id: str
    offer_id: str
    candidate_id: str
    stage: str
    applied_at: str
    updated_at: str | None = None
    reason: str | None = None
    reached: str | None = None  # furthest stage reached; derived from stage and reason when not given

    def __post_init__(self) -> None:
        if self.reached is None:
            self.reached = furthest_stage(self.stage, self.reason)


# Employers often export only an application's final status: "rejected" hides that the candidate was shortlisted
# or interviewed first. Their usual reasons say it; the furthest stage reached is what a model learns from.
REACHED_BY_REASON: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"d[ée]clin[ée].*(proposition|offre)|declined (the|an)? ?offer", re.IGNORECASE), "offered"),
    (re.compile(r"apr[èe]s (l['’]|un |les )?entretiens?|after (the |an )?interviews?", re.IGNORECASE), "interviewed"),
    (re.compile(r"apr[èe]s (la )?pr[ée]s[ée]lection|after (the )?shortlist", re.IGNORECASE), "shortlisted"),
)


def furthest_stage(stage: str, reason: str | None) -> str:
    """The furthest stage an application reached: its stage, or the one its rejection or withdrawal reason names."""
    if stage in ("rejected", "withdrawn") and reason:
        for pattern, reached in REACHED_BY_REASON:
            if pattern.search(reason):
                return reached
    return stage
