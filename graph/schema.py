"""The graph schema, written down once: node labels with their keys, relationship types, and the versioned
list of schema steps (constraints and indexes) applied idempotently at start.

Change the schema here first, then docs/schema.md. Queries spell labels and relationship types literally, as
the Neo4j driver manual does, so that they read as Cypher; `tests/test_schema_names.py` fails on any label or type
that a query names and this module does not declare. Python code that handles labels as values (lists of labels,
patterns built from parts) uses the constants below.
"""

from __future__ import annotations

from dataclasses import dataclass

from graph.db import Database
from ontology.vocab import CAREER_STEP_KINDS as CAREER_STEP_KINDS  # issue 18: the kinds of a CAREER_STEP

# --- Node labels and their unique keys -------------------------------------------------------------------
# Ontology concepts all carry the extra label `Concept` and a unique `uri`; those that repertories identify
# by a code also keep it as `code`.
CONCEPT = "Concept"
OCCUPATION = "Occupation"  # extra label on every occupation-like concept (RMFP, ROME, ESCO)
# Labels a node carries beside the one that gives its key.
EXTRA_LABELS = (OCCUPATION,)

NODE_KEYS: dict[str, str] = {
    # ontology (issue 3)
    "Concept": "uri",
    "Repertory": "code",  # RMFP, ROME, ESCO, NEG, FAP, PCS (a skos:ConceptScheme)
    "DomaineFonctionnel": "uri",  # RMFP
    "FamilleMetiers": "uri",  # RMFP
    "EmploiReference": "uri",  # RMFP emploi-référence (code FP…)
    "RomeGrandDomaine": "uri",
    "RomeDomaine": "uri",
    "RomeFiche": "uri",  # ROME code, e.g. K1401
    "RomeAppellation": "uri",  # OGR code
    # ROME 4.0 (issue 18, parts 1-2): the edition in force, beside v3.44 (PEP offers carry v3 appellations)
    "Rome4Fiche": "uri",  # ROME 4.0 fiche (v4.60); 532 keep their v3 code, 1,052 new ones name a v3 parent
    "Rome4Appellation": "uri",  # ROME 4.0 appellation (OGR code)
    "EscoOccupation": "uri",
    "IscoGroup": "uri",
    "Skill": "uri",  # savoir, savoir-faire, savoir-être, ESCO skill (after de-duplication)
    "Versant": "uri",  # FPT, FPE, FPH
    "Categorie": "uri",  # A, B, C
    "Filiere": "uri",
    "CadreEmplois": "uri",  # cadre d'emplois (FPT) or corps (FPE, FPH)
    "Grade": "uri",  # NEG grade
    "Fap": "uri",
    "Pcs": "uri",
    "AuditEntry": "audit_id",  # curation log
    "OntologyRelease": "version",
    # recruitment data (issues 4, 5)
    "Employer": "employer_id",
    "Offer": "offer_id",
    "Candidate": "candidate_id",  # pseudonymous HMAC id, never a name
    "Departement": "code",
    # serving (issues 6, 7)
    "ModelVersion": "version",
    "Suggestion": "suggestion_id",
    "ApiKey": "key_id",
    "Webhook": "webhook_id",
    "RecommendationLog": "log_id",
    "SchemaMigration": "version",
    "Revision": "name",  # a counter bumped with every write that changes what a cache holds (graph/revision.py)
    # human oversight (issue 17)
    "Suspension": "scope",  # the kill switch: 'global' or 'employer:<employer_id>'
    "OversightEvent": "event_id",  # the trail of suspensions, resumptions and log purges
    "ErasureTombstone": "digest",  # a keyed hash of an erased candidate's id, never the id (graph/erasure.py)
    # web app (issue 14)
    "WebSession": "token_sha256",  # a signed-in browser: the hash of its session token, never the token
}

# Properties of an `Employer` that opted in to the exposure-aware re-ranking of its served rankings (issue 17,
# graph/oversight.py `set_exposure_mitigation`): the sensitive attribute's name (never anyone's group), the allowed
# relative shortfall, when and by whom it was turned on. Absent: the employer's rankings are served as ranked.
EMPLOYER_MITIGATION_PROPERTIES = ("mitigation_attribute", "mitigation_max_gap", "mitigation_since", "mitigation_by")

# --- Property keys that need a word ------------------------------------------------------------------------
# Candidate.sparse_profile: true when the profile has no prose beyond job titles and a place (or nothing but a
# history); such a candidate is ranked from titles, place and applications (docs/ingestion.md, Sparse profiles).
SPARSE_PROFILE = "sparse_profile"
# The served embeddings' width, which the vector indexes must declare (Neo4j leaves vectors of another width out
# of the index without a word): the GNN's 64 learnt columns + the 256 text and place columns both sides share
# (gnn.train.TrainConfig.out + wide). A model of another width re-creates them at its own (`fit_vector_indexes`).
EMBEDDING_DIMENSIONS = 320
VECTOR_INDEXES = (("Candidate", "candidate_embedding"), ("Offer", "offer_embedding"))  # (label, index) on `embedding`
# Candidate.facts_revision: the statutory-facts counter of the write that last wrote the candidate; Offer.
# facts_revision: the offers counter of the write that last wrote the offer (graph/revision.py), so that the API's
# caches read again only the candidates, or the offers, written since they were filled.
FACTS_REVISION = "facts_revision"
# Offer.remote_work: true when the offer says telework is possible, false when it excludes it, absent when it says
# nothing. Offer.corps: the corps or cadre d'emplois the offer names, as written ("redacteurs territoriaux",
# "adjaenes/atrf"), beside the NEG concept `REQUIRES_GRADE` links when the nomenclature knows it. Both are read
# from the text by loaders.statutory.offer_facts; no index: nothing looks offers up by them.
OFFER_REMOTE_WORK = "remote_work"
OFFER_CORPS = "corps"
# Candidate.corps: the corps or cadre d'emplois a CV names without a grade of it, as written ("agents de police
# municipale", "assistant medico-administratif"); the NEG concept, when the name resolves to one, is then the
# candidate's HOLDS_GRADE link (to a CadreEmplois instead of a Grade). Read by loaders.cv_status; no index.
CANDIDATE_CORPS = "corps"

# --- Relationship types -----------------------------------------------------------------------------------
BROADER = "BROADER"  # child -> parent within a repertory (skos:broader)
RELATED = "RELATED"  # skos:related
EXACT_MATCH = "EXACT_MATCH"  # skos:exactMatch, across repertories (crosswalks, merged skills)
CLOSE_MATCH = "CLOSE_MATCH"  # skos:closeMatch
REPLACED_BY = "REPLACED_BY"  # a merged or deprecated concept -> its successor
REQUIRES_SKILL = "REQUIRES_SKILL"  # Occupation|Offer -> Skill {essential: bool, source, confidence; derived, method}
MOBILITY = "MOBILITY"  # RomeFiche -> RomeFiche {kind: 'proche'|'evolution'} (real ROME transitions)
GRADE_OF = "GRADE_OF"  # Grade -> CadreEmplois
IN_FILIERE = "IN_FILIERE"  # CadreEmplois -> Filiere
IN_CATEGORIE = "IN_CATEGORIE"  # CadreEmplois|Grade -> Categorie
IN_VERSANT = "IN_VERSANT"  # CadreEmplois -> Versant
POSTED_BY = "POSTED_BY"  # Offer -> Employer
OF_OCCUPATION = "OF_OCCUPATION"  # Offer -> Occupation {rank, score}
LOCATED_IN = "LOCATED_IN"  # Offer|Employer -> Departement
LIVES_IN = "LIVES_IN"  # Candidate -> Departement
HAS_SKILL = "HAS_SKILL"  # Candidate -> Skill {confidence, source, text, start, end}
HELD = "HELD"  # Candidate -> Occupation {start, end, order, employer_kind, alternatives, alternative_scores}: a step
HOLDS_GRADE = "HOLDS_GRADE"  # Candidate -> Grade {echelon} | CadreEmplois (the cadre named, no grade of it known)
REQUIRES_GRADE = "REQUIRES_GRADE"  # Offer -> Grade | CadreEmplois (statutory prerequisite)
APPLIED = "APPLIED"  # Candidate -> Offer {application_id, stage, reached, applied_at, updated_at, reason}
SUGGESTS = "SUGGESTS"  # Suggestion -> Candidate | Offer
FOR_OFFER = "FOR_OFFER"  # Suggestion -> Offer
OWNED_BY = "OWNED_BY"  # ApiKey | Webhook -> Employer
# --- issue 18, parts 3-4: public-service careers (ontology/ladder.py) ---
# One type for every step of a public-service career, so that a route can chain job moves and statutory steps:
# {step_id, kind, basis, requirement, weight, provenance, years_in_grade, via}; kind is one of CAREER_STEP_KINDS.
# A job move derived from the ROME 4.0 moves through the computed mappings is `kind: 'job_move', basis: 'rome4'`.
CAREER_STEP = "CAREER_STEP"  # Grade -> Grade | CadreEmplois -> CadreEmplois | EmploiReference -> EmploiReference
TYPICAL_EMPLOI = "TYPICAL_EMPLOI"  # CadreEmplois -> EmploiReference: jobs a member of the cadre typically holds
SIGNED_IN_WITH = "SIGNED_IN_WITH"  # WebSession -> ApiKey: the key a web session (or one-time link) stands for
# --- issue 18, parts 1-2: ROME 4.0 and computed mappings (ontology/rome4.py, ontology/mappings.py) ---
ROME4_MOVE = "ROME4_MOVE"  # Rome4Fiche -> Rome4Fiche {move_id, rank}: ROME 4.0 career move, rank = numero_ordre
ROME_PARENT = "ROME_PARENT"  # Rome4Fiche -> RomeFiche: the v3.44 fiche the v4 fiche comes from (code_rome_parent)
# EmploiReference -> Rome4Fiche | EscoOccupation {mapping_id, relation: 'closeMatch'|'relatedMatch', rank, score,
# evidence (JSON), provenance: 'computed', method, method_version, status: 'proposed'|'confirmed'|'rejected'}
COMPUTED_MATCH = "COMPUTED_MATCH"

RELATIONSHIP_TYPES = (
    BROADER,
    RELATED,
    EXACT_MATCH,
    CLOSE_MATCH,
    REPLACED_BY,
    REQUIRES_SKILL,
    MOBILITY,
    GRADE_OF,
    IN_FILIERE,
    IN_CATEGORIE,
    IN_VERSANT,
    POSTED_BY,
    OF_OCCUPATION,
    LOCATED_IN,
    LIVES_IN,
    HAS_SKILL,
    HELD,
    HOLDS_GRADE,
    REQUIRES_GRADE,
    APPLIED,
    SUGGESTS,
    FOR_OFFER,
    OWNED_BY,
    CAREER_STEP,  # issue 18
    TYPICAL_EMPLOI,  # issue 18
    SIGNED_IN_WITH,  # issue 14
    ROME4_MOVE,  # issue 18
    ROME_PARENT,  # issue 18
    COMPUTED_MATCH,  # issue 18
)

# Application stages, in pipeline order; the last three end an application.
STAGES = ("received", "shortlisted", "interviewed", "offered", "hired", "rejected", "withdrawn")
POSITIVE_STAGES = ("shortlisted", "interviewed", "offered", "hired")


# --- Versioned schema steps -------------------------------------------------------------------------------
@dataclass(frozen=True)
class SchemaStep:
    version: int
    description: str
    statements: tuple[str, ...]


def _unique(label: str, key: str) -> str:
    return f"CREATE CONSTRAINT {label.lower()}_{key} IF NOT EXISTS FOR (n:{label}) REQUIRE n.{key} IS UNIQUE"


def vector_index_statements(dimensions: int) -> tuple[str, ...]:
    """Drop and create the cosine vector indexes of `embedding` at `dimensions` (schema commands take no
    parameters: the width is an integer of ours, never user input)."""
    return tuple(
        statement
        for label, name in VECTOR_INDEXES
        for statement in (
            f"DROP INDEX {name} IF EXISTS",
            f"CREATE VECTOR INDEX {name} IF NOT EXISTS FOR (n:{label}) ON (n.embedding) OPTIONS {{indexConfig: "
            f"{{`vector.dimensions`: {int(dimensions)}, `vector.similarity_function`: 'cosine'}}}}",
        )
    )


STEPS: tuple[SchemaStep, ...] = (
    SchemaStep(1, "unique key of every node kind", tuple(_unique(label, key) for label, key in NODE_KEYS.items())),
    SchemaStep(
        2,
        "lookup indexes: codes, labels, application ids, contiguous GNN ids",
        (
            "CREATE INDEX concept_code IF NOT EXISTS FOR (n:Concept) ON (n.code)",
            "CREATE INDEX concept_source IF NOT EXISTS FOR (n:Concept) ON (n.source)",
            "CREATE TEXT INDEX concept_label_folded IF NOT EXISTS FOR (n:Concept) ON (n.label_folded)",
            "CREATE INDEX offer_published IF NOT EXISTS FOR (n:Offer) ON (n.published_at)",
            "CREATE CONSTRAINT applied_id IF NOT EXISTS FOR ()-[r:APPLIED]-() REQUIRE r.application_id IS UNIQUE",
            "CREATE INDEX applied_stage IF NOT EXISTS FOR ()-[r:APPLIED]-() ON (r.stage)",
            "CREATE INDEX candidate_gid IF NOT EXISTS FOR (n:Candidate) ON (n.gid)",
            "CREATE INDEX offer_gid IF NOT EXISTS FOR (n:Offer) ON (n.gid)",
            "CREATE INDEX recommendation_log_time IF NOT EXISTS FOR (n:RecommendationLog) ON (n.served_at)",
        ),
    ),
    SchemaStep(
        5,
        "GNN: gid lookups of every exported node kind, vector indexes of the 256-d candidate and offer embeddings",
        (
            "CREATE INDEX concept_gid IF NOT EXISTS FOR (n:Concept) ON (n.gid)",
            "CREATE INDEX employer_gid IF NOT EXISTS FOR (n:Employer) ON (n.gid)",
            "CREATE INDEX departement_gid IF NOT EXISTS FOR (n:Departement) ON (n.gid)",
            "CREATE VECTOR INDEX candidate_embedding IF NOT EXISTS FOR (n:Candidate) ON (n.embedding) "
            "OPTIONS {indexConfig: {`vector.dimensions`: 256, `vector.similarity_function`: 'cosine'}}",
            "CREATE VECTOR INDEX offer_embedding IF NOT EXISTS FOR (n:Offer) ON (n.embedding) "
            "OPTIONS {indexConfig: {`vector.dimensions`: 256, `vector.similarity_function`: 'cosine'}}",
        ),
    ),
    SchemaStep(
        6,
        "API: recommendation-log lookups by offer and candidate (audit, GDPR), suggestions by status",
        (
            "CREATE INDEX recommendation_log_offer IF NOT EXISTS FOR (n:RecommendationLog) ON (n.offer_id)",
            "CREATE INDEX recommendation_log_candidate IF NOT EXISTS FOR (n:RecommendationLog) ON (n.candidate_id)",
            "CREATE INDEX suggestion_status IF NOT EXISTS FOR (n:Suggestion) ON (n.status)",
        ),
    ),
    SchemaStep(7, "revision counters that caches compare (graph/revision.py)", (_unique("Revision", "name"),)),
    SchemaStep(
        8,
        "human oversight: the kill switch's scopes, the oversight trail (graph/oversight.py)",
        (
            _unique("Suspension", "scope"),
            _unique("OversightEvent", "event_id"),
            "CREATE INDEX oversight_event_time IF NOT EXISTS FOR (n:OversightEvent) ON (n.at)",
        ),
    ),
    SchemaStep(9, "GDPR erasure tombstones (graph/erasure.py)", (_unique("ErasureTombstone", "digest"),)),
    SchemaStep(
        10,
        "web sessions shared by every API process (graph/web_sessions.py)",
        (
            _unique("WebSession", "token_sha256"),
            "CREATE INDEX web_session_expiry IF NOT EXISTS FOR (n:WebSession) ON (n.expires_at)",
        ),
    ),
    SchemaStep(
        11,
        "sparse candidate profiles (issue 13): no prose beyond job titles and a place, or only a history",
        (f"CREATE INDEX candidate_sparse_profile IF NOT EXISTS FOR (n:Candidate) ON (n.{SPARSE_PROFILE})",),
    ),
    SchemaStep(
        12,
        f"vector indexes at the served embeddings' width ({EMBEDDING_DIMENSIONS}; step 5 declared 256, which the "
        "shared text columns outgrew: no embedding was indexed)",
        vector_index_statements(EMBEDDING_DIMENSIONS),
    ),
    SchemaStep(
        14,
        "candidates' statutory-facts stamps, read by range (the API's facts cache reads only those written since)",
        (f"CREATE INDEX candidate_facts_revision IF NOT EXISTS FOR (n:Candidate) ON (n.{FACTS_REVISION})",),
    ),
    SchemaStep(
        15,
        "ROME 4.0 beside v3.44 (issue 18): unique keys of its fiches and appellations (step 1 predates them)",
        (_unique("Rome4Fiche", "uri"), _unique("Rome4Appellation", "uri")),
    ),
    SchemaStep(
        16,
        "offers' stamps, read by range (a loader writing offers beside the API costs its caches only those offers)",
        (f"CREATE INDEX offer_facts_revision IF NOT EXISTS FOR (n:Offer) ON (n.{FACTS_REVISION})",),
    ),
)

LATEST_VERSION = STEPS[-1].version


def fit_vector_indexes(db: Database, dimensions: int) -> bool:
    """Re-create the vector indexes when they declare another width than `dimensions` (a model trained with
    another `out` or `wide` than the default's); True when they were."""
    records, _, _ = db.execute_query("SHOW VECTOR INDEXES YIELD name, options RETURN name, options")
    declared = {r["name"]: r["options"]["indexConfig"].get("vector.dimensions") for r in records}
    if all(declared.get(name) == dimensions for _, name in VECTOR_INDEXES):
        return False
    for statement in vector_index_statements(dimensions):
        db.execute_query(statement)
    return True


def applied_versions(db: Database) -> set[int]:
    records, _, _ = db.execute_query("MATCH (m:SchemaMigration) RETURN m.version AS version")
    return {int(r["version"]) for r in records}


def apply_schema(db: Database) -> list[int]:
    """Apply the steps not yet recorded; returns the versions applied now (empty when up to date)."""
    done = applied_versions(db)
    applied: list[int] = []
    for step in STEPS:
        if step.version in done:
            continue
        for statement in step.statements:
            db.execute_query(statement)  # schema commands cannot share a transaction
        db.execute_query(
            "MERGE (m:SchemaMigration {version: $version}) SET m.description = $description, m.applied_at = datetime()",
            version=step.version,
            description=step.description,
        )
        applied.append(step.version)
    return applied
