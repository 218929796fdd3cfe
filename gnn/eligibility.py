"""Statutory eligibility of every candidate for a set of offers, as a boolean matrix, by the rules of
`ontology.eligibility` applied once per distinct (profile, requirement) pair rather than once per pair."""

from __future__ import annotations

from typing import overload

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


class Eligibility:
    """[offers × candidates] eligibility without the product: one boolean per (distinct requirement, distinct
    profile) and each candidate's profile, so that its memory is bounded by the distinct statutory situations, not
    by offers × candidates (15,000 offers × 1 M candidates is 15 GB dense). Rows are made on demand:
    `eligible[i]` is offer i's row, `eligible[a:b]` the offers a..b-1 and `eligible[positions]` those offers
    (still compact), `dense()` the matrix."""

    def __init__(self, allowed: torch.Tensor, columns: torch.Tensor, row: np.ndarray) -> None:
        self.allowed = allowed  # [distinct requirements × distinct profiles] bool
        self.columns = columns  # per candidate: its profile's column in `allowed`
        self.row = row  # per offer: its requirement's row in `allowed`

    def __len__(self) -> int:
        return len(self.row)

    @property
    def shape(self) -> tuple[int, int]:
        return len(self.row), len(self.columns)

    @overload
    def __getitem__(self, index: int | np.integer) -> torch.Tensor: ...

    @overload
    def __getitem__(self, index: slice) -> Eligibility: ...

    @overload
    def __getitem__(self, index: np.ndarray) -> Eligibility: ...

    def __getitem__(self, index: int | np.integer | slice | np.ndarray) -> torch.Tensor | Eligibility:
        if isinstance(index, slice | np.ndarray):  # a compact view of some offers
            return Eligibility(self.allowed, self.columns, self.row[index])
        return self.allowed[int(self.row[index])][self.columns]

    def counts(self) -> np.ndarray:
        """Eligible candidates per offer, without making any row."""
        per_requirement = self.allowed[:, self.columns].sum(1).numpy()
        return per_requirement[self.row]

    def dense(self) -> torch.Tensor:
        if not len(self.row):
            return torch.zeros((0, len(self.columns)), dtype=torch.bool)
        return self.allowed[torch.from_numpy(self.row)][:, self.columns]


def eligibility_sets(
    profiles: list[StatutoryProfile], requirements: list[StatutoryRequirement], offers: np.ndarray
) -> Eligibility:
    """`eligibility_matrix` in compact form (`Eligibility`): the rules applied once per distinct pair."""
    distinct = sorted(set(profiles), key=repr)
    profile_index = {p: i for i, p in enumerate(distinct)}
    columns = torch.tensor([profile_index[p] for p in profiles], dtype=torch.long)
    wanted = [requirements[offer] for offer in offers.tolist()]
    kinds: dict[StatutoryRequirement, int] = {}
    row = np.array([kinds.setdefault(r, len(kinds)) for r in wanted], dtype=np.int64)
    allowed = torch.tensor([[is_eligible(p, r) for p in distinct] for r in kinds], dtype=torch.bool)
    return Eligibility(allowed.reshape(len(kinds), len(distinct)), columns, row)


def eligibility_matrix(
    profiles: list[StatutoryProfile], requirements: list[StatutoryRequirement], offers: np.ndarray
) -> torch.Tensor:
    """[len(offers), len(profiles)] booleans: may candidate j be appointed on offer offers[i]."""
    return eligibility_sets(profiles, requirements, offers).dense()


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
