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
}

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
HOLDS_GRADE = "HOLDS_GRADE"  # Candidate -> Grade {echelon}
REQUIRES_GRADE = "REQUIRES_GRADE"  # Offer -> Grade | CadreEmplois (statutory prerequisite)
APPLIED = "APPLIED"  # Candidate -> Offer {application_id, stage, reached, applied_at, updated_at, reason}
SUGGESTS = "SUGGESTS"  # Suggestion -> Candidate | Offer
FOR_OFFER = "FOR_OFFER"  # Suggestion -> Offer
OWNED_BY = "OWNED_BY"  # ApiKey | Webhook -> Employer
# --- ROME 4.0 and computed mappings (issue 18, parts 1-3) ---
ROME4_MOVE = "ROME4_MOVE"  # Rome4Fiche -> Rome4Fiche {move_id, rank}: ROME 4.0 career move, rank = numero_ordre
ROME_PARENT = "ROME_PARENT"  # Rome4Fiche -> RomeFiche: the v3.44 fiche the v4 fiche comes from (code_rome_parent)
# EmploiReference -> Rome4Fiche | EscoOccupation {mapping_id, relation: 'closeMatch'|'relatedMatch', rank, score,
# evidence (JSON), provenance: 'computed', method, method_version, status: 'proposed'|'confirmed'|'rejected'}
COMPUTED_MATCH = "COMPUTED_MATCH"
# EmploiReference -> EmploiReference {move_id, kind, weight, provenance, method}: a public-service job move.
# kind 'rome4' = derived from the ROME 4.0 moves through COMPUTED_MATCH; other kinds (famille, domaine, skills)
# come from the RMFP families, domaines and shared skills.
CAREER_MOVE = "CAREER_MOVE"

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
    ROME4_MOVE,
    ROME_PARENT,
    COMPUTED_MATCH,
    CAREER_MOVE,
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
)

LATEST_VERSION = STEPS[-1].version


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
