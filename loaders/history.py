"""Recruitment histories as employers export them: employers.csv and applications.csv (docs/formats.md), with
header variants, French stage names and the usual encodings."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from loaders.pseudonym import candidate_id
from loaders.records import ApplicationRecord, EmployerRecord, RecordError
from loaders.tabular import read_rows
from loaders.values import (
    EMPLOYER_KINDS,
    STAGE_ALIASES,
    optional_text,
    parse_choice,
    parse_date,
    parse_departement,
    parse_int,
    required_text,
)

EMPLOYER_COLUMNS: dict[str, tuple[str, ...]] = {
    "employer_id": ("id", "id_employeur", "employeur", "identifiant", "code_employeur"),
    "name": ("nom", "raison_sociale", "libelle", "denomination"),
    "kind": ("type", "type_employeur", "nature", "categorie_employeur"),
    "siret": ("n_siret", "numero_siret", "siren"),
    "departement": ("dept", "dep", "code_departement", "department"),
    "size": ("effectif", "taille", "nb_agents", "agents", "headcount"),
}
APPLICATION_COLUMNS: dict[str, tuple[str, ...]] = {
    "application_id": ("id", "id_candidature", "candidature", "candidature_id", "numero"),
    "offer_id": ("offre", "id_offre", "reference_offre", "offer", "offre_id"),
    "candidate_ref": ("candidat", "id_candidat", "candidate", "candidate_id", "ref_candidat", "candidat_ref"),
    "applied_at": ("date", "date_candidature", "date_de_candidature", "received_at"),
    "stage": ("etape", "statut", "status", "outcome", "resultat", "etat"),
    "updated_at": ("date_maj", "mis_a_jour", "date_mise_a_jour", "last_update"),
    "reason": ("motif", "raison", "commentaire", "comment"),
}
Problem = tuple[str, str, str]  # (record, field, reason)


def read_employers(path: Path) -> tuple[list[tuple[str, EmployerRecord]], list[Problem]]:
    rows, bad, _ = read_rows(path, EMPLOYER_COLUMNS)
    problems: list[Problem] = [(f"line {b.line}", b.field, b.reason) for b in bad]
    employers = []
    for row in rows:
        try:
            employers.append((f"line {row.line}", employer_record(row.values)))
        except RecordError as error:
            problems.append((f"line {row.line}", error.field, error.reason))
    return employers, problems


def employer_record(values: Mapping[str, object]) -> EmployerRecord:
    siret = optional_text(values, "siret")
    if siret and not (siret.replace(" ", "").isdigit() and len(siret.replace(" ", "")) in (9, 14)):
        raise RecordError("siret", f"not a SIRET (14 digits) or SIREN (9 digits): {siret!r}")
    size = parse_int(values.get("size"), "size")
    if size is not None and size < 0:
        raise RecordError("size", f"negative size {size}")
    return EmployerRecord(
        employer_id=required_text(values, "employer_id"),
        name=optional_text(values, "name") or required_text(values, "employer_id"),
        kind=parse_choice(values.get("kind"), "kind", EMPLOYER_KINDS),
        siret=siret.replace(" ", "") if siret else None,
        departement=parse_departement(values.get("departement")),
        size=size,
    )


def read_applications(path: Path, source: str) -> tuple[list[tuple[str, ApplicationRecord]], list[Problem]]:
    """Applications with pseudonymous candidate ids: `candidate_ref` is hashed with `source` as the CVs are."""
    rows, bad, _ = read_rows(path, APPLICATION_COLUMNS)
    problems: list[Problem] = [(f"line {b.line}", b.field, b.reason) for b in bad]
    applications = []
    for row in rows:
        try:
            applications.append((f"line {row.line}", application_record(row.values, source)))
        except RecordError as error:
            problems.append((f"line {row.line}", error.field, error.reason))
    return applications, problems


def application_record(values: Mapping[str, object], source: str) -> ApplicationRecord:
    applied_at = parse_date(values.get("applied_at"), "applied_at", required=True) or ""
    updated_at = parse_date(values.get("updated_at"), "updated_at")
    if updated_at and updated_at < applied_at:
        raise RecordError("updated_at", f"before the application date ({updated_at} < {applied_at})")
    return ApplicationRecord(
        application_id=required_text(values, "application_id"),
        offer_id=required_text(values, "offer_id"),
        candidate_id=candidate_id(source, required_text(values, "candidate_ref")),
        stage=parse_choice(values.get("stage"), "stage", STAGE_ALIASES, required=True) or "",
        applied_at=applied_at,
        updated_at=updated_at,
        reason=optional_text(values, "reason"),
    )
