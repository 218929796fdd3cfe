"""Readers for the official repertories copied under data/sources/ (see data/sources/SOURCES.md).

Each reader returns plain records and fails with a `SourceError` naming the file, the record and the field when a
file does not have the expected shape. Encodings and separators are the sources' own: ROME and ESCO are UTF-8 with
`,`, the NEG grade files are cp1252 with `;`, the OGR crosswalks use `|`.
"""

from __future__ import annotations

import csv
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from vivier.settings import REPO_ROOT

SOURCES_DIR = REPO_ROOT / "data" / "sources"


class SourceError(ValueError):
    """A source file that does not have the expected shape."""

    def __init__(self, file: Path | str, record: str, field: str, message: str) -> None:
        self.file, self.record, self.field = str(file), record, field
        super().__init__(f"{file}: record {record}, field {field!r}: {message}")


def read_csv(path: Path, *, sep: str = ",", encoding: str = "utf-8", required: tuple[str, ...] = ()) -> list[dict]:
    """All rows of a CSV file as dicts of stripped strings; checks that the required columns exist."""
    with path.open(encoding=encoding, newline="") as handle:
        reader = csv.DictReader(handle, delimiter=sep)
        missing = [c for c in required if c not in (reader.fieldnames or [])]
        if missing:
            raise SourceError(path, "header", missing[0], f"missing column (found {reader.fieldnames})")
        return [{k: (v or "").strip() for k, v in row.items() if k is not None} for row in reader]


def require(row: dict, field: str, path: Path | str, record: str) -> str:
    value = row.get(field, "")
    if not value:
        raise SourceError(path, record, field, "empty value")
    return value


def lines(text: str | None) -> list[str]:
    """The non-empty lines of a multi-line RMFP / ESCO field."""
    return [line.strip() for line in (text or "").splitlines() if line.strip()]


# --- RMFP ---------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class RmfpEmploi:
    code: str
    domaine: str
    famille: str
    intitule: str
    connaissances: tuple[str, ...]
    savoir_faire: tuple[str, ...]
    savoir_etre: tuple[str, ...]


def read_rmfp(path: Path | None = None) -> list[RmfpEmploi]:
    path = path or SOURCES_DIR / "rmfp" / "metiers.json"
    raw = json.loads(path.read_text(encoding="utf-8"))
    if not isinstance(raw, list):
        raise SourceError(path, "root", "-", "expected a JSON list of emplois-référence")
    emplois = []
    for index, item in enumerate(raw):
        record = str(item.get("code") or f"#{index}")
        emplois.append(
            RmfpEmploi(
                code=require(item, "code", path, record),
                domaine=require(item, "domaine", path, record),
                famille=require(item, "famille", path, record),
                intitule=require(item, "intitule", path, record),
                connaissances=tuple(lines(item.get("connaissances"))),
                savoir_faire=tuple(lines(item.get("savoir_faire"))),
                savoir_etre=tuple(lines(item.get("savoir_etre"))),
            )
        )
    return emplois


def read_rmfp_rome_pairs(path: Path | None = None) -> list[tuple[str, str]]:
    """The Place de l'Emploi Public crosswalk: (RMFP métier label, ROME appellation OGR code)."""
    path = path or SOURCES_DIR / "crosswalks" / "rmfp_rome.js"
    text = path.read_text(encoding="utf-8")
    pattern = re.compile(r"lib_rmfp:\s*(['\"])((?:\\.|(?!\1).)*)\1\s*,\s*code_ogr:\s*['\"]?(\d+)")
    pairs = [(re.sub(r"\\(.)", r"\1", m.group(2)), m.group(3)) for m in pattern.finditer(text)]
    if not pairs:
        raise SourceError(path, "exports.rmfp_rome", "lib_rmfp", "no pair found")
    return pairs


# --- ROME ---------------------------------------------------------------------------------------------------
ROME_DIR = SOURCES_DIR / "rome-v3.44"


def rome_file(prefix: str, rome_dir: Path | None = None) -> Path:
    directory = rome_dir or ROME_DIR
    matches = sorted(directory.glob(f"{prefix}-*.csv"))
    if not matches:
        raise SourceError(directory, prefix, "-", "ROME file not found")
    return matches[0]


def read_rome(prefix: str, required: tuple[str, ...] = (), rome_dir: Path | None = None) -> list[dict]:
    return read_csv(rome_file(prefix, rome_dir), required=required)


# --- ESCO ---------------------------------------------------------------------------------------------------
ESCO_DIR = SOURCES_DIR / "esco-v1.1.2-fr"
ESCO_COLLECTIONS = ("digital", "green", "research", "language", "digComp", "transversal")


def read_esco(relative: str, required: tuple[str, ...] = ()) -> list[dict]:
    return read_csv(ESCO_DIR / relative, required=required)


# --- Grades -------------------------------------------------------------------------------------------------
GRADES_DIR = SOURCES_DIR / "fp-grades"


def read_grades(name: str, required: tuple[str, ...] = (), grades_dir: Path | None = None) -> list[dict]:
    path = (grades_dir or GRADES_DIR) / name
    if name == "grilles_clean.csv":
        return read_csv(path, required=required)
    rows = read_csv(path, sep=";", encoding="cp1252", required=required)
    return [{k: ("" if v == "<null>" else v) for k, v in row.items()} for row in rows]


def iter_nonempty(rows: list[dict], field: str) -> Iterator[dict]:
    return (row for row in rows if row.get(field))
