"""Candidate profiles as platforms export them: one row per candidate in a CSV, or one object per candidate in a JSON
array, often with nothing but a title and a place. Each row becomes a JSON Resume, so that it goes through the same
understanding and pseudonymisation as a CV file (`loaders.cvs.parse_cv`)."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from loaders.records import RecordError
from loaders.tabular import canonical_column, read_rows
from loaders.values import optional_text, parse_departement, required_text

PROFILE_COLUMNS: dict[str, tuple[str, ...]] = {
    "candidate_ref": ("candidat", "id_candidat", "candidate", "candidate_id", "ref_candidat", "id", "reference"),
    "title": ("titre", "intitule", "poste", "job_title", "headline", "label", "metier", "poste_recherche"),
    "summary": ("resume", "description", "texte", "text", "profil", "profile", "about", "presentation"),
    "positions": ("experiences", "postes", "job_titles", "emplois", "work", "historique", "parcours"),
    "skills": ("competences", "mots_cles", "keywords"),
    "departement": ("dept", "dep", "code_departement", "department"),
    "postal_code": ("code_postal", "cp", "postcode", "zip", "zip_code"),
    "city": ("ville", "commune", "location", "localisation", "lieu"),
}
# File names a dataset folder may hold its profiles in (docs/formats.md).
PROFILE_FILES = ("candidates.csv", "candidates.json", "profiles.csv", "profiles.json")
LIST_SEPARATOR = re.compile(r"\s*[;|\n]\s*")
Problem = tuple[str, str, str]  # (record, field, reason)


def read_profiles(path: Path) -> tuple[list[tuple[str, dict[str, Any]]], list[Problem]]:
    """(record, JSON Resume) per good row of a profiles CSV or JSON array, and the problems of the others."""
    problems: list[Problem] = []
    rows: list[tuple[str, Mapping[str, object]]] = []
    if path.suffix.lower() == ".json":
        rows, problems = _json_rows(path)
    else:
        found, bad, _ = read_rows(path, PROFILE_COLUMNS)
        problems = [(f"line {b.line}", b.field, b.reason) for b in bad]
        rows = [(f"line {row.line}", row.values) for row in found]
    resumes = []
    for record, values in rows:
        try:
            resumes.append((record, profile_resume(values)))
        except RecordError as error:
            problems.append((record, error.field, error.reason))
    return resumes, problems


def _json_rows(path: Path) -> tuple[list[tuple[str, Mapping[str, object]]], list[Problem]]:
    try:
        items = json.loads(path.read_bytes().decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        return [], [("file", "file", f"not a UTF-8 JSON array of profiles: {error}")]
    if not isinstance(items, list):
        return [], [("file", "file", f"expected a JSON array of profiles, got {type(items).__name__}")]
    rows: list[tuple[str, Mapping[str, object]]] = []
    problems: list[Problem] = []
    for number, item in enumerate(items, start=1):
        if isinstance(item, dict):
            rows.append((f"record {number}", {canonical_column(k, PROFILE_COLUMNS): v for k, v in item.items()}))
        else:
            problems.append((f"record {number}", "record", f"expected an object, got {type(item).__name__}"))
    return rows, problems


def profile_resume(values: Mapping[str, object]) -> dict[str, Any]:
    """One exported profile as a JSON Resume: title → `basics.label`, summary → `basics.summary`, job titles →
    `work[].position` (most recent first), skills → `skills[]`, place → `basics.location`."""
    ref = required_text(values, "candidate_ref")
    departement = parse_departement(values.get("departement"))
    location = {
        "postalCode": optional_text(values, "postal_code"),
        "city": optional_text(values, "city"),
        "region": departement,
    }
    basics = {
        "label": optional_text(values, "title"),
        "summary": optional_text(values, "summary"),
        "location": {k: v for k, v in location.items() if v},
    }
    return {
        "basics": {k: v for k, v in basics.items() if v},
        "work": [{"position": p} for p in _items(values, "positions")],
        "skills": [{"name": s} for s in _items(values, "skills")],
        "meta": {"candidate_ref": ref},
    }


def _items(values: Mapping[str, object], name: str) -> list[str]:
    value = values.get(name)
    if isinstance(value, list):
        return [str(v).strip() for v in value if str(v).strip()]
    text = optional_text(values, name)
    return [part for part in LIST_SEPARATOR.split(text) if part] if text else []
