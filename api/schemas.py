"""Pydantic models at the edge: what the API accepts and returns (and documents in its OpenAPI schema)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, HttpUrl

from ontology.eligibility import Categorie, Contract, Versant

SUGGESTION_NOTICE = "Suggestions only: a recruiter decides. No candidate is rejected by Vivier."


class ConceptRef(BaseModel):
    uri: str
    label: str | None = None
    code: str | None = None


class SkillRef(BaseModel):
    uri: str
    label: str | None = None
    essential: bool | None = None


class Eligibility(BaseModel):
    """Statutory eligibility (catégorie, cadre d'emplois, grade, versant, contract): information, not a verdict."""

    eligible: bool
    route: str | None = Field(None, description="mutation, détachement or contrat")
    reasons: list[str] = []


STEP_KIND_HELP = (
    "between ROME fiches: proche or evolution; between public-service concepts: job_move (RMFP emplois-référence), "
    "avancement_de_grade, promotion_interne, concours, detachement, or a membership: cadre (a grade and its cadre "
    "d'emplois), emploi (a cadre and one of its typical jobs)"
)


class RouteStep(BaseModel):
    model_config = ConfigDict(populate_by_name=True)
    from_: ConceptRef = Field(alias="from")
    to: ConceptRef
    kind: str | None = Field(default=None, description=STEP_KIND_HELP)
    requirement: str | None = Field(
        default=None, description="what a statutory step requires as the sources say it, else « conditions à vérifier »"
    )
    basis: str | None = Field(default=None, description="what the step is derived from (docs/ontology.md, the ladder)")
    weight: float | None = Field(default=None, description="the step's plausibility among its origin's steps, 0–1")
    provenance: str | None = Field(default=None, description="computed:<method version>")
    years_in_grade: float | None = Field(
        default=None,
        description="avancement de grade: average years to the top échelon of the origin grade (its grille)",
    )
    alternatives: list[str] = Field([], description="other kinds of step between the same two concepts")
    skills_to_acquire: list[ConceptRef] = []


class CareerRoute(BaseModel):
    fiches: list[ConceptRef] = Field(description="the concepts along the route (kept under this name for clients)")
    concepts: list[ConceptRef] = Field([], description="the concepts along the route: fiches, grades, cadres, jobs")
    steps: list[RouteStep]
    length: int


class PastHire(BaseModel):
    candidate_id: str
    offer_id: str
    title: str | None = None
    employer_id: str | None = None
    hired_at: str | None = None
    skill_similarity: float


class ScoreFactor(BaseModel):
    fact: str = Field(description="a pair fact the re-ranker reads (docs/model.md, re-ranker)")
    value: float
    contribution: float = Field(description="its share of the score's log-odds against an average pair")


class Explanation(BaseModel):
    skills_shared: list[SkillRef] = Field(description="skills the offer needs that the candidate has, essential first")
    skills_missing: list[SkillRef] = Field(
        description="skills the offer needs that the candidate lacks, essential first"
    )
    candidate_occupation: ConceptRef | None = Field(None, description="the candidate's latest occupation")
    offer_occupation: ConceptRef | None = None
    career_route: CareerRoute | None = Field(None, description="through real ROME mobility transitions")
    similar_hires_same_employer: list[PastHire] = []
    similar_hires_similar_employers: list[PastHire] = []
    score_factors: list[ScoreFactor] = Field(
        [], description="the facts behind the score, largest effect first (a linear re-ranker's terms)"
    )
    model_version: str


class CandidateMatch(BaseModel):
    rank: int
    candidate_id: str
    score: float = Field(description="the re-ranker's chance (0–1) that the candidate reaches shortlisted or later")
    eligibility: Eligibility
    explanation: Explanation | None = None


class CandidatesForOffer(BaseModel):
    offer_id: str
    model_version: str
    log_id: str
    notice: str = SUGGESTION_NOTICE
    candidates: list[CandidateMatch]


class OfferMatch(BaseModel):
    rank: int
    offer_id: str
    title: str | None = None
    employer_id: str | None = None
    score: float
    eligibility: Eligibility
    explanation: Explanation | None = None


class OffersForCandidate(BaseModel):
    candidate_id: str
    model_version: str
    log_id: str
    notice: str = SUGGESTION_NOTICE
    offers: list[OfferMatch]


class PairScore(BaseModel):
    offer_id: str
    candidate_id: str
    score: float
    model_version: str
    log_id: str
    eligibility: Eligibility
    explanation: Explanation
    notice: str = SUGGESTION_NOTICE


class NextStep(BaseModel):
    uri: str
    label: str | None = None
    code: str | None = None
    score: float | None = Field(None, description="the model's score; None when only the mobility graph proposes it")
    transition: str | None = Field(None, description="proche or evolution when a real ROME transition leads there")
    kind: str | None = Field(default=None, description=STEP_KIND_HELP)
    requirement: str | None = Field(
        default=None, description="what a statutory step requires, else « conditions à vérifier »"
    )
    basis: str | None = None
    weight: float | None = None
    provenance: str | None = None
    skills_to_acquire: list[ConceptRef] = []


class NextSteps(BaseModel):
    occupation: ConceptRef
    candidate_id: str | None = None
    model_version: str
    log_id: str
    steps: list[NextStep]


class CareerPaths(BaseModel):
    from_occupation: ConceptRef
    to_occupation: ConceptRef
    routes: list[CareerRoute]


class OfferIn(BaseModel):
    """An offer as docs/formats.md describes it; parsed by the same loader as files are."""

    model_config = ConfigDict(extra="forbid")
    offer_id: str = Field(min_length=1, max_length=200)
    title: str = Field(min_length=1, max_length=500)
    employer_id: str | None = Field(None, description="defaults to the recruiter's employer")
    description: str = Field(min_length=1, max_length=50_000)
    departement: str = Field(min_length=1, max_length=3)
    commune: str | None = None
    published_at: str = Field(description="ISO date, e.g. 2026-03-18")
    closes_at: str | None = None
    versant: Versant | None = None
    categorie: Categorie | None = None
    filiere: str | None = None
    cadre_emplois: str | None = None
    grade: str | None = None
    contract: Contract
    working_time: Literal["temps_complet", "temps_partiel"] | None = None
    rome_appellation: str | None = None
    rmfp_code: str | None = None


class OfferCreated(BaseModel):
    offer_id: str
    employer_id: str
    suggestions: list[Suggestion] = Field(description="top candidates pushed to the employer (suggestions only)")


class Suggestion(BaseModel):
    suggestion_id: str
    kind: Literal["candidate_for_offer", "offer_for_candidate"]
    offer_id: str
    candidate_id: str
    employer_id: str | None = None
    score: float | None = None
    rank: int | None = None
    model_version: str | None = None
    status: str | None = Field(None, description="open, kept or dismissed")
    feedback_reason: str | None = None
    delivered: bool | None = None
    created_at: str | None = None


class FeedbackIn(BaseModel):
    decision: Literal["kept", "dismissed"]
    reason: str | None = Field(None, max_length=2000)


class CandidateCreated(BaseModel):
    candidate_id: str
    application_id: str | None = None
    suggestions: list[Suggestion]


class ApplicationIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    application_id: str | None = Field(None, description="generated when absent")
    offer_id: str
    candidate_id: str
    stage: Literal["received", "shortlisted", "interviewed", "offered", "hired", "rejected", "withdrawn"] = "received"
    applied_at: str | None = None
    reason: str | None = Field(None, max_length=2000)


class ApplicationUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    stage: Literal["received", "shortlisted", "interviewed", "offered", "hired", "rejected", "withdrawn"]
    reason: str | None = Field(None, max_length=2000)


class Application(BaseModel):
    application_id: str
    offer_id: str
    candidate_id: str
    stage: str
    applied_at: str | None = None
    updated_at: str | None = None
    reason: str | None = None


class WebhookIn(BaseModel):
    url: HttpUrl
    topic: Literal["candidates_for_offer", "offers_for_candidate"] = "candidates_for_offer"
    employer_id: str | None = Field(None, description="admin only; a recruiter's webhook is its employer's")


class Webhook(BaseModel):
    webhook_id: str
    url: str
    topic: str
    employer_id: str | None = None


class ApiKeyIn(BaseModel):
    role: Literal["recruiter", "hr_expert", "admin"]
    employer_id: str | None = None
    label: str = ""


class ApiKeyCreated(BaseModel):
    key_id: str
    role: str
    employer_id: str | None = None
    api_key: str = Field(description="shown once; only its SHA-256 hash is stored")


OfferCreated.model_rebuild()
