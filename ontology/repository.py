"""Where the curated ontology lives on disk: `<data_dir>/ontology/`.

- `ontology.ttl`: the current graph. It is written as sorted N-Triples lines, which are valid Turtle and ten
  times faster to write than pretty Turtle (a curation change rewrites it in about a second);
- `releases/<version>.ttl`: frozen releases (pretty Turtle, with prefixes);
- `audit.jsonl`: one line per curation change (who, when, the change, before, after).

The graph is kept in memory per process and re-read only when the file changed on disk (another process, the
CLI while the API runs, …).
"""

from __future__ import annotations

import functools
import json
import os
import re
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rdflib import Graph
from rdflib.compare import to_isomorphic

from ontology.vocab import new_graph
from vivier.settings import get_settings

VERSION_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,40}$")


@dataclass(frozen=True)
class BuildSummary:
    triples: int
    concepts: int
    seconds_build: float
    seconds_validate: float
    skipped: dict[str, int]
    stats: dict[str, int]


class OntologyRepository:
    def __init__(self, root: Path | None = None) -> None:
        self.root = root or get_settings().data_dir / "ontology"
        self._graph: Graph | None = None
        self._stamp: tuple[int, int] | None = None

    @property
    def current_file(self) -> Path:
        return self.root / "ontology.ttl"

    @property
    def audit_file(self) -> Path:
        return self.root / "audit.jsonl"

    def release_file(self, version: str) -> Path:
        if not VERSION_PATTERN.match(version):
            raise ValueError(f"invalid release version {version!r} (letters, digits, '.', '_', '-')")
        return self.root / "releases" / f"{version}.ttl"

    def exists(self) -> bool:
        return self.current_file.exists()

    def _file_stamp(self) -> tuple[int, int]:
        stat = self.current_file.stat()
        return stat.st_mtime_ns, stat.st_size

    def graph(self) -> Graph:
        """The current graph (built from the sources on first use)."""
        if not self.exists():
            self.build()
        if self._graph is None or self._stamp != self._file_stamp():
            graph = new_graph()
            graph.parse(self.current_file, format="nt")
            self._graph, self._stamp = graph, self._file_stamp()
        return self._graph

    def save(self, graph: Graph) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        tmp = self.current_file.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_bytes(graph.serialize(format="nt", encoding="utf-8"))
        tmp.replace(self.current_file)
        self._graph, self._stamp = graph, self._file_stamp()

    def build(self, validate: bool = True) -> BuildSummary:
        """Build the graph from data/sources/, validate it with SHACL and make it the current graph.

        Raises OntologyValidationError (nothing saved) when the build does not conform."""
        from rdflib import RDF, SKOS

        from ontology.build import build_graph
        from ontology.catalogue import load_catalogue
        from ontology.validate import require_valid

        start = time.perf_counter()
        catalogue = load_catalogue()
        graph, skipped = build_graph(catalogue)
        built = time.perf_counter()
        if validate:
            require_valid(graph)
        validated = time.perf_counter()
        self.save(graph)
        concepts = len(set(graph.subjects(RDF.type, SKOS.Concept)))
        return BuildSummary(len(graph), concepts, built - start, validated - built, skipped, dict(catalogue.stats))

    # --- releases -------------------------------------------------------------------------------------------
    def release(self, version: str) -> Path:
        path = self.release_file(version)
        if path.exists():
            raise FileExistsError(f"release {version} already exists: {path}")
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(self.graph().serialize(format="turtle", encoding="utf-8"))
        return path

    def releases(self) -> list[str]:
        folder = self.root / "releases"
        return sorted(p.stem for p in folder.glob("*.ttl")) if folder.exists() else []

    def release_graph(self, version: str) -> Graph:
        path = self.release_file(version)
        if not path.exists():
            raise FileNotFoundError(f"no release {version!r} under {path.parent} (have: {self.releases()})")
        graph = new_graph()
        graph.parse(path, format="turtle")
        return graph

    def export(self, path: Path) -> Path:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(self.graph().serialize(format="turtle", encoding="utf-8"))
        return path

    # --- audit ----------------------------------------------------------------------------------------------
    def append_audit(self, entry: dict[str, Any]) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        with self.audit_file.open("a", encoding="utf-8") as handle:
            handle.write(json.dumps(entry, ensure_ascii=False, sort_keys=True) + "\n")

    def audit_entries(self) -> list[dict[str, Any]]:
        if not self.audit_file.exists():
            return []
        return [json.loads(line) for line in self.audit_file.read_text(encoding="utf-8").splitlines() if line]


@functools.cache
def _repository_at(root: Path) -> OntologyRepository:
    return OntologyRepository(root)


def default_repository() -> OntologyRepository:
    """The repository under the configured data_dir, one instance per process: its parsed graph (13–25 s to read)
    is reused by every call (API requests, CLI commands) until the file changes on disk."""
    return _repository_at(get_settings().data_dir / "ontology")


def isomorphic(a: Graph, b: Graph) -> bool:
    return to_isomorphic(a) == to_isomorphic(b)
