"""Statutory facts as the model's eligibility filter reads them: each candidate's status, education, versant,
catégorie, grade and cadre d'emplois, and an offer's requirements. Rows are read-only mappings; the rules that
judge them are `ontology.eligibility`'s.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from graph.db import Database
from graph.queries import GRADE_AND_CADRE
from graph.schema import FACTS_REVISION
from ontology.eligibility import StatutoryProfile, StatutoryRequirement

# A read-only row (the driver's record: a mapping, handed on without a copy, which costs about 10 µs a row).
Row = Mapping[str, Any]


def candidate_rows(
    db: Database, candidate_ids: list[str] | None = None, changed_since: int | None = None
) -> Sequence[Row]:
    """The given candidates (all when None; with `changed_since`, only those stamped by a write after that
    statutory-facts revision: graph/revision.py), one row each: `id`, `titulaire`, `education_level` (years after
    the baccalauréat), `versant`, `categorie`, `grade` and `cadre` (uris; the cadre of the grade when only a grade
    is held)."""
    # Two shapes of WHERE rather than one with OR: the planner then uses the stamps' range index.
    where = f"n.{FACTS_REVISION} > $since" if changed_since is not None else "$ids IS NULL OR n.candidate_id IN $ids"
    records, _, _ = db.execute_query(
        f"MATCH (n:Candidate) WHERE {where} "
        + GRADE_AND_CADRE.format(rel="HOLDS_GRADE", keep="n")
        + "RETURN n.candidate_id AS id, n.titulaire AS titulaire, n.education_level AS education_level, "
        "n.versant AS versant, n.categorie AS categorie, grade, cadre",
        ids=candidate_ids,
        since=changed_since,
    )
    return records


def offer_row(db: Database, offer_id: str) -> Row | None:
    """The offer's `contract`, `versant`, `categorie`, required `grade` and `cadre`; None when it is absent."""
    records, _, _ = db.execute_query(
        "MATCH (n:Offer {offer_id: $id}) "
        + GRADE_AND_CADRE.format(rel="REQUIRES_GRADE", keep="n")
        + "RETURN n.contract AS contract, n.versant AS versant, n.categorie AS categorie, grade, cadre",
        id=offer_id,
    )
    return records[0] if records else None


def profile_of(row: Row) -> StatutoryProfile:
    """A candidate's statutory profile from its row: `candidate_rows`' rows and `queries.statutory_facts`'
    candidates carry the same keys."""
    return StatutoryProfile.from_facts(
        titulaire=row["titulaire"],
        education_level=row["education_level"],
        versant=row["versant"],
        categorie=row["categorie"],
        cadre_emplois=row["cadre"],
        grade=row["grade"],
    )


def requirement_of(row: Row) -> StatutoryRequirement:
    """An offer's statutory requirement from its row (`offer_row`, or `queries.statutory_facts`' offer)."""
    return StatutoryRequirement.from_facts(
        contract=row["contract"],
        versant=row["versant"],
        categorie=row["categorie"],
        cadre_emplois=row["cadre"],
        grade=row["grade"],
    )
