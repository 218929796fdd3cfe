"""Pydantic models at the edge: what the API accepts and returns (and documents in its OpenAPI schema)."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, HttpUrl

from ontology.eligibility import Categorie, Contract, Versant

# The INSEE codes of the départements (loaders.values.DEPARTEMENTS); a single digit is read as 0N.
DEPARTEMENT_CODE = r"^(0?[1-9]|1[0-9]|2[1-9AB]|[3-8][0-9]|9[0-5]|97[1-46])$"
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


class ExposureMitigation(BaseModel):
    """The employer's exposure-aware re-ranking of this ranking (docs/fairness.md, *Mitigation*); no one's group."""

    attribute: str = Field(description="the sensitive attribute whose groups' exposure in the top k is bounded")
    max_gap: float = Field(description="allowed relative shortfall of a group's share of the top places")
    applied: bool = Field(description="false when the attributes could not be read: the model's order is served")
    moved: int = Field(description="candidates whose place differs from the model's order")
    note: str


class CandidatesForOffer(BaseModel):
    offer_id: str
    model_version: str
    log_id: str
    notice: str = SUGGESTION_NOTICE
    candidates: list[CandidateMatch]
    mitigation: ExposureMitigation | None = Field(
        None, description="present when the offer's employer opted in to the exposure-aware re-ranking"
    )


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
    withheld_employers: list[str] = Field(
        [], description="employers whose recommendations an admin suspended: their offers are left out of this ranking"
    )


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
    departement: str = Field(pattern=DEPARTEMENT_CODE, description="INSEE département code, e.g. 75, 2A, 974")
    commune: str | None = None
    published_at: date = Field(description="ISO date, e.g. 2026-03-18")
    closes_at: date | None = Field(None, description="not before published_at")
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


class RankedApplication(BaseModel):
    rank: int
    application: Application
    score: float | None = Field(
        description="the model's chance (0–1) that the applicant reaches shortlisted or later, as in the candidates' "
        "ranking; null when the model does not know the candidate yet (listed last, by date of application)"
    )
    eligibility: Eligibility
    explanation: Explanation | None = None


class RankedApplications(BaseModel):
    """An offer's applications in the model's order: a suggestion for the triage, which a person makes."""

    offer_id: str
    model_version: str
    log_id: str
    notice: str = SUGGESTION_NOTICE
    applications: list[RankedApplication]


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


class ApiKeyInfo(BaseModel):
    key_id: str
    role: str
    label: str | None = None
    employer_id: str | None = None
    created_at: str | None = None
    revoked: bool


class ModelReloaded(BaseModel):
    model_version: str


# A Neo4j property: a scalar or a list of scalars (temporal values are served as ISO strings).
PropertyValue = str | int | float | bool | list[str] | list[int] | list[float] | list[bool] | None


class Ref(BaseModel):
    uri: str | None = None
    label: str | None = None


class CareerStepView(BaseModel):
    uri: str | None = None
    label: str | None = None
    start: str | None = None
    end: str | None = None
    order: int | None = None


class CandidateProfile(BaseModel):
    """The pseudonymous profile: the node's own properties (never a name, e-mail, phone or address), skills,
    career steps, grades (or the cadre d'emplois a CV names without a grade) and département."""

    model_config = ConfigDict(extra="allow")
    candidate_id: str
    skills: list[Ref] = []
    career: list[CareerStepView] = []
    grades: list[Ref] = []
    departement: str | None = None
    __pydantic_extra__: dict[str, PropertyValue]


class OfferView(BaseModel):
    """An offer's own properties, its employer and its occupations (best first)."""

    model_config = ConfigDict(extra="allow")
    offer_id: str
    employer_id: str | None = None
    occupations: list[Ref] = []
    __pydantic_extra__: dict[str, PropertyValue]


class ConceptHit(BaseModel):
    uri: str
    label: str | None = None
    code: str | None = None
    kinds: list[str] = Field(description="the concept's Neo4j labels besides Concept")
    deprecated: bool
    rank: int = Field(description="0 exact code or label, 1 label starts with the text, 2 contains it, 3 other")


class ConceptLink(BaseModel):
    type: str = Field(description="the relationship type, e.g. BROADER, REQUIRES_SKILL")
    uri: str | None = None
    label: str | None = None
    props: dict[str, PropertyValue] = {}


class ConceptDetail(BaseModel):
    uri: str
    labels: list[str]
    properties: dict[str, PropertyValue]
    outgoing: list[ConceptLink]
    incoming: list[ConceptLink]


Uri = Annotated[str, Field(min_length=1, max_length=2000, description="a concept URI")]
Relation = Literal["broader", "related", "exact_match", "close_match", "requires_skill"]


class AddLabelIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    op: Literal["add_label"]
    uri: Uri
    label: str = Field(min_length=1, max_length=500)


class RemoveLabelIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    op: Literal["remove_label"]
    uri: Uri
    label: str = Field(min_length=1, max_length=500)


class ChangeLabelIn(BaseModel):
    """Set the preferred label; the previous one is kept as an alternative label."""

    model_config = ConfigDict(extra="forbid")
    op: Literal["change_label"]
    uri: Uri
    label: str = Field(min_length=1, max_length=500)


class AddRelationIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    op: Literal["add_relation"]
    subject: Uri
    relation: Relation
    object: Uri
    essential: bool = Field(True, description="for requires_skill only")


class RemoveRelationIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    op: Literal["remove_relation"]
    subject: Uri
    relation: Relation
    object: Uri


class MergeIn(BaseModel):
    """Merge `source` into `target`: references move to the target, the source is deprecated and redirects."""

    model_config = ConfigDict(extra="forbid")
    op: Literal["merge"]
    source: Uri
    target: Uri


class DeprecateIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    op: Literal["deprecate"]
    uri: Uri
    replaced_by: Uri | None = None


CurationChangeIn = Annotated[
    AddLabelIn | RemoveLabelIn | ChangeLabelIn | AddRelationIn | RemoveRelationIn | MergeIn | DeprecateIn,
    Field(discriminator="op"),
]
# A concept's own statements: property name -> sorted values (ontology.curation.describe).
ConceptStatements = dict[str, list[str]]


class AppliedChangeOut(BaseModel):
    audit_id: str
    actor: str
    at: str
    op: str
    change: dict[str, str | bool | None] = Field(description="the change as applied: its op and fields")
    before: dict[str, ConceptStatements] = Field(description="concept URI -> its statements before the change")
    after: dict[str, ConceptStatements] = Field(description="concept URI -> its statements after the change")


class AuditRecord(BaseModel):
    audit_id: str
    actor: str | None = None
    at: str | None = None
    op: str | None = None
    change: str | None = Field(None, description="the change as JSON text")


class RecommendationLogEntry(BaseModel):
    """One ranking served (AI Act traceability)."""

    model_config = ConfigDict(extra="allow")
    log_id: str
    served_at: str | None = None
    endpoint: str | None = None
    caller_key_id: str | None = None
    caller_role: str | None = None
    employer_id: str | None = None
    offer_id: str | None = None
    candidate_id: str | None = None
    occupation_uri: str | None = None
    model_version: str | None = None
    ranked_ids: list[str] = []
    scores: list[float] = []
    parameters: str | None = None
    __pydantic_extra__: dict[str, PropertyValue]


class ExportedRelationship(BaseModel):
    type: str
    direction: Literal["in", "out"]
    properties: dict[str, PropertyValue]
    other_labels: list[str]
    other_key: str | None = None


class CandidateExport(BaseModel):
    """Everything held about a candidate (GDPR access): the node, its relationships, suggestions and log entries."""

    candidate: dict[str, PropertyValue]
    relationships: list[ExportedRelationship]
    suggestions: list[dict[str, PropertyValue]]
    recommendation_logs: list[RecommendationLogEntry]


class Erasure(BaseModel):
    """What an erase removed or scrubbed (counts)."""

    model_config = ConfigDict(extra="allow")
    candidate_id: str
    erased: bool
    suggestions: int
    logs: int
    relationships: int


class Health(BaseModel):
    status: Literal["ok"]


class Readiness(BaseModel):
    status: Literal["ready"]
    schema_: str = Field(alias="schema", description="ok, or how far behind the applied schema is")
    model_version: str


class ValidationIssue(BaseModel):
    """One invalid field (Pydantic's error without the input, which may hold personal data)."""

    loc: list[str | int] = Field(description="where: body / query / path / header, then the field's path")
    msg: str
    type: str = Field(description="the error kind, e.g. missing, string_too_long, json_invalid")


class Problem(BaseModel):
    """Every 4xx and 5xx answer (RFC 9457 Problem Details, media type application/problem+json)."""

    type: str = Field(description="a URI naming the kind of problem; stable, documented in docs/api.md")
    title: str = Field(description="the kind of problem in words; the same for every problem of a type")
    status: int = Field(ge=400, le=599, description="the HTTP status code")
    detail: str = Field(description="what went wrong for this request, for a person to read")
    instance: str | None = Field(None, description="the request path")
    errors: list[ValidationIssue] | None = Field(None, description="validation problems: one entry per field")


OfferCreated.model_rebuild()


# --- Human oversight (issue 17): bias audit, kill switch, transparency notice ------------------------------
class AuditInterval(BaseModel):
    value: float | None
    low: float | None
    high: float | None


class AuditGroup(BaseModel):
    group: str
    applications: int
    candidates: int
    rates: dict[str, AuditInterval] = Field(description="stage → selection rate among decided applications")
    ratios: dict[str, AuditInterval] = Field(description="stage → rate over the best-treated group's (four-fifths)")
    verdict: str = Field(description="'too few to conclude', 'below four-fifths' or 'no evidence below four-fifths'")


class AuditExposure(BaseModel):
    group: str
    served: int
    served_share: AuditInterval
    pool: int
    pool_share: float
    ratio: float | None


class AuditAttribute(BaseModel):
    attribute: str
    selection: list[AuditGroup]
    served_exposure: list[AuditExposure]
    model_selection: list[AuditGroup] = []
    model_exposure: list[AuditExposure] = []


class AuditResult(BaseModel):
    employer_id: str | None
    since: str | None
    until: str | None
    applications: int
    without_attributes: int
    offers: int
    served_rankings: int
    model_version: str | None
    attributes: list[AuditAttribute]
    notes: list[str] = []


class SuspensionIn(BaseModel):
    employer_id: str | None = Field(None, description="suspend one employer's recommendations; absent: all of them")
    reason: str = Field(min_length=3, max_length=2000, description="why: recorded in the oversight trail")


class SuspensionOut(BaseModel):
    scope: str = Field(description="'global' or 'employer:<employer_id>'")
    suspended: bool
    withdrawn_suggestions: int = 0


class MitigationIn(BaseModel):
    attribute: str = Field(min_length=1, max_length=100, description="a column of the sensitive-attributes file")
    max_gap: float = Field(0.2, ge=0.0, le=1.0, description="allowed relative shortfall of a group's share (0: none)")
    reason: str = Field(min_length=3, max_length=2000, description="why: recorded in the oversight trail")


class MitigationOut(BaseModel):
    employer_id: str
    on: bool
    attribute: str | None = None
    max_gap: float | None = None


class NoticeFact(BaseModel):
    fact: str = Field(description="the fact, in plain French")
    value: float
    contribution: float = Field(description="its share of the score's log-odds, against an average candidate")
    direction: str = Field(description="'en votre faveur' or 'en votre défaveur'")


class Notice(BaseModel):
    """The transparency notice of CRPA art. L311-3-1 and R311-3-1-2, for one candidate and one offer."""

    candidate_id: str
    offer_id: str
    model_version: str
    score: float | None = Field(None, description="the score last served for this pair, when one was logged")
    served_at: str | None = None
    data_used: list[str] = Field(description="the candidate's data the algorithm read")
    facts: list[NoticeFact] = Field(description="each fact behind the score and its contribution, largest first")
    skills_shared: list[str]
    skills_missing: list[str]
    text: str = Field(description="the whole notice in plain French")
    contest: str = Field(description="how to ask for an explanation or contest, and to whom")
