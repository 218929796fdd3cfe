"""Statutory eligibility of every candidate for a set of offers, as a boolean matrix, by the rules of
`ontology.eligibility` applied once per distinct (profile, requirement) pair rather than once per pair."""

from __future__ import annotations

import numpy as np
import torch

from gnn.export import GraphExport
from graph import statutory
from graph.db import Database
from ontology.eligibility import StatutoryProfile, StatutoryRequirement, is_eligible


def _grade_links(export: GraphExport, edge_type: tuple[str, str, str]) -> tuple[dict[int, str], dict[int, str]]:
    """Per source gid: the grade uri and the cadre d'emplois uri it points to (directly or through GRADE_OF)."""
    labels = export.attributes["grade"]["labels"]
    uris = export.ids["grade"]
    cadre_of = dict(export.data["grade", "grade_of", "grade"].edge_index.t().tolist())
    grade: dict[int, str] = {}
    cadre: dict[int, str] = {}
    for source, target in export.data[edge_type].edge_index.t().tolist():
        if "CadreEmplois" in (labels[target] or []):
            cadre[source] = str(uris[target])
        else:
            grade[source] = str(uris[target])
            if target in cadre_of:
                cadre.setdefault(source, str(uris[cadre_of[target]]))
    return grade, cadre


def candidate_profiles(export: GraphExport) -> list[StatutoryProfile]:
    attrs = export.attributes["candidate"]
    grade, cadre = _grade_links(export, ("candidate", "holds_grade", "grade"))
    return [
        StatutoryProfile.from_facts(
            titulaire=attrs["titulaire"][i],
            education_level=attrs["education_level"][i],
            versant=attrs["versant"][i],
            categorie=attrs["categorie"][i],
            cadre_emplois=cadre.get(i),
            grade=grade.get(i),
        )
        for i in range(len(attrs["versant"]))
    ]


def offer_requirements(export: GraphExport) -> list[StatutoryRequirement]:
    attrs = export.attributes["offer"]
    grade, cadre = _grade_links(export, ("offer", "requires_grade", "grade"))
    return [
        StatutoryRequirement.from_facts(
            contract=attrs["contract"][i],
            versant=attrs["versant"][i],
            categorie=attrs["categorie"][i],
            cadre_emplois=cadre.get(i),
            grade=grade.get(i),
        )
        for i in range(len(attrs["versant"]))
    ]


def eligibility_matrix(
    profiles: list[StatutoryProfile], requirements: list[StatutoryRequirement], offers: np.ndarray
) -> torch.Tensor:
    """[len(offers), len(profiles)] booleans: may candidate j be appointed on offer offers[i]."""
    distinct = sorted(set(profiles), key=repr)
    profile_index = {p: i for i, p in enumerate(distinct)}
    columns = torch.tensor([profile_index[p] for p in profiles], dtype=torch.long)
    rows = []
    cache: dict[StatutoryRequirement, torch.Tensor] = {}
    for offer in offers.tolist():
        requirement = requirements[offer]
        if requirement not in cache:
            allowed = torch.tensor([is_eligible(p, requirement) for p in distinct], dtype=torch.bool)
            cache[requirement] = allowed[columns]
        rows.append(cache[requirement])
    return torch.stack(rows) if rows else torch.zeros((0, len(profiles)), dtype=torch.bool)


def candidate_profiles_from_neo4j(
    db: Database, candidate_ids: list[str] | None = None, changed_since: int | None = None
) -> dict[str, StatutoryProfile]:
    """Statutory profiles of the given candidates (all when None; with `changed_since`, those written after that
    statutory-facts revision), read from Neo4j (`graph.statutory`)."""
    rows = statutory.candidate_rows(db, candidate_ids, changed_since)
    return {r["id"]: statutory.profile_of(r) for r in rows}


def offer_requirement_from_neo4j(db: Database, offer_id: str) -> StatutoryRequirement:
    r = statutory.offer_row(db, offer_id)
    if r is None:
        raise KeyError(f"no offer with offer_id = {offer_id!r} in Neo4j")
    return statutory.requirement_of(r)
