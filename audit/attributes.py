"""The file of protected or sensitive attributes: `<data_dir>/sensitive/attributes.csv`, one row per candidate
keyed by the candidate's pseudonymous id (`candidate_id`, the keyed HMAC the graph holds), one column per
attribute (sex, age band, disability recognition, nationality group, residence band, or any other).

It is stored apart from the graph, never written to Neo4j, and read by the audit only: no model, export or
feature reads this folder (tests/test_audit.py::test_model_inputs_ignore_the_sensitive_file).
"""

from __future__ import annotations

import csv
import os
import tempfile
from collections.abc import Iterable
from pathlib import Path

import pandas as pd

from loaders.pseudonym import candidate_id
from vivier.settings import get_settings

KEY = "candidate_id"


class AttributesError(ValueError):
    """A sensitive-attributes file that cannot be read: the message names the file, the line and the field."""


def sensitive_dir(data_dir: Path | None = None) -> Path:
    return (data_dir or get_settings().data_dir) / "sensitive"


def attributes_path(data_dir: Path | None = None) -> Path:
    return sensitive_dir(data_dir) / "attributes.csv"


def import_attributes(source_file: Path, source: str, data_dir: Path | None = None) -> Path:
    """Pseudonymise a file keyed by `candidate_ref` (the simulator's truth/sensitive.csv, or an employer's own
    extract) with the same `source` as the CVs, and store it as the audit's attributes file."""
    frame = _read(source_file, "candidate_ref")
    frame.insert(0, KEY, [candidate_id(source, ref) for ref in frame.pop("candidate_ref")])
    target = attributes_path(data_dir)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.parent.chmod(0o700)  # personal data of a special category: the owner only
    frame.to_csv(target, index=False, quoting=csv.QUOTE_MINIMAL)
    return target


def read_attributes(path: Path | None = None) -> pd.DataFrame:
    """The attributes, indexed by candidate id; every other column is an attribute (strings; empty → unknown)."""
    path = path or attributes_path()
    if not path.exists():
        raise FileNotFoundError(
            f"{path}: no sensitive-attributes file; create it with `vivier audit attributes FILE --source NAME`"
        )
    return _read(path, KEY).set_index(KEY)


def _read(path: Path, key: str) -> pd.DataFrame:
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    if key not in frame.columns:
        raise AttributesError(f"{path}: no {key!r} column (columns: {', '.join(frame.columns)})")
    if len(frame.columns) < 2:
        raise AttributesError(f"{path}: no attribute column beside {key!r}")
    empty = frame.index[frame[key].str.strip() == ""]
    if len(empty):
        raise AttributesError(f"{path}, line {int(empty[0]) + 2}, field {key}: empty")
    duplicated = frame.index[frame[key].duplicated()]
    if len(duplicated):
        line = int(duplicated[0]) + 2
        raise AttributesError(f"{path}, line {line}, field {key}: {frame[key].iloc[line - 2]!r} appears twice")
    return frame.replace("", "inconnu")


def erase_attributes(candidate_ids: Iterable[str], data_dir: Path | None = None) -> int:
    """GDPR erasure: remove these candidates' rows from the attributes file; the number of rows removed. The file
    is rewritten through a temporary file in the same folder and a rename, so a reader (an audit running now)
    reads the old file or the new one, never half of one; every other row is kept byte for byte."""
    path = attributes_path(data_dir)
    if not path.exists():
        return 0
    wanted = set(candidate_ids)
    with path.open(newline="", encoding="utf-8") as source:
        rows = list(csv.reader(source))
    if not rows or KEY not in rows[0]:
        raise AttributesError(f"{path}: no {KEY!r} column; the erasure cannot find the candidates' rows")
    column = rows[0].index(KEY)
    kept = [rows[0]] + [row for row in rows[1:] if len(row) <= column or row[column] not in wanted]
    removed = len(rows) - len(kept)
    if removed:
        handle, name = tempfile.mkstemp(prefix=".attributes.", suffix=".erasure", dir=path.parent)
        try:
            with os.fdopen(handle, "w", newline="", encoding="utf-8") as target:
                csv.writer(target, quoting=csv.QUOTE_MINIMAL, lineterminator="\n").writerows(kept)
                target.flush()
                os.fsync(target.fileno())
            os.replace(name, path)
        except BaseException:
            Path(name).unlink(missing_ok=True)
            raise
    return removed
