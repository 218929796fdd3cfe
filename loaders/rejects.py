"""The rejects file: one JSON line per record that could not be loaded (source file, line or record, field,
reason), so that nothing is lost silently and a person can fix the source and load it again."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from vivier.settings import get_settings


@dataclass(frozen=True)
class Reject:
    source: str  # the file (or "upload:<name>")
    record: str  # "line 12", "record 3", "page 2", or the whole file
    field: str
    reason: str
    kind: str  # offer, cv, application, employer


@dataclass
class RejectLog:
    """Collects rejects in memory and appends them to a JSONL file under `settings.data_dir/rejects/`."""

    path: Path = field(default_factory=lambda: default_rejects_path())
    rejects: list[Reject] = field(default_factory=list)

    def add(self, source: str | Path, record: str, field_name: str, reason: str, kind: str) -> None:
        reject = Reject(str(source), record, field_name, reason, kind)
        self.rejects.append(reject)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self.path.open("a", encoding="utf-8") as out:
            out.write(json.dumps(asdict(reject), ensure_ascii=False) + "\n")

    def count(self, kind: str | None = None) -> int:
        return sum(1 for r in self.rejects if kind is None or r.kind == kind)


def default_rejects_path() -> Path:
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%f")
    return get_settings().data_dir / "rejects" / f"rejects-{stamp}.jsonl"
