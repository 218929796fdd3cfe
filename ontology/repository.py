"""Where the curated ontology lives on disk: `<data_dir>/ontology/`.

- `ontology.ttl`: the current graph. It is written as sorted N-Triples lines, which are valid Turtle and ten
  times faster to write than pretty Turtle (a curation change rewrites it in about a second);
- `releases/<version>.ttl`: frozen releases (pretty Turtle, with prefixes);
- `audit.jsonl`: one line per curation change (who, when, the change, before, after);
- `build.json`: the fingerprint of what built `ontology.ttl` (the ontology package's code and the sources), written
  by a build and removed by any other save (a curation change, an import). A file built by other code is stale and
  is rebuilt on next use; a file saved since its build is kept, because a rebuild would lose the curators' changes
  (`vivier ontology build` rebuilds it on purpose).

The graph is kept in memory per process and re-read only when the file changed on disk (another process, the
CLI while the API runs, …).
"""

from __future__ import annotations

import functools
import hashlib
import json
import logging
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

log = logging.getLogger(__name__)

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

    @property
    def build_file(self) -> Path:
        return self.root / "build.json"

    def exists(self) -> bool:
        return self.current_file.exists()

    def needs_build(self) -> bool:
        """No current graph, or one that a build by other code or sources left untouched since."""
        if not self.exists():
            return True
        try:
            built_by = json.loads(self.build_file.read_text(encoding="utf-8")).get("fingerprint")
        except FileNotFoundError:
            return False  # saved since its build (curated, imported): never thrown away behind the user's back
        except (OSError, ValueError):
            built_by = None
        if built_by == build_fingerprint():
            return False
        log.warning("%s was built by other code or sources: rebuilding it", self.current_file)
        return True

    def _file_stamp(self) -> tuple[int, int]:
        stat = self.current_file.stat()
        return stat.st_mtime_ns, stat.st_size

    def graph(self) -> Graph:
        """The current graph (built from the sources on first use)."""
        if self.needs_build():
            self.build()
        if self._graph is None or self._stamp != self._file_stamp():
            graph = new_graph()
            graph.parse(self.current_file, format="nt")
            self._graph, self._stamp = graph, self._file_stamp()
        return self._graph

    def save(self, graph: Graph, built_by: str | None = None) -> None:
        """Make `graph` the current graph; `built_by` is the build's fingerprint when a build saves it."""
        self.root.mkdir(parents=True, exist_ok=True)
        tmp = self.current_file.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_bytes(graph.serialize(format="nt", encoding="utf-8"))
        if built_by is None:
            self.build_file.unlink(missing_ok=True)  # before the new file is in place: never a stale stamp
        tmp.replace(self.current_file)
        if built_by is not None:
            self.build_file.write_text(json.dumps({"fingerprint": built_by}), encoding="utf-8")
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
        self.save(graph, built_by=build_fingerprint())
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


@functools.cache  # code and sources do not change under a running process
def build_fingerprint() -> str:
    """What a built graph depends on: the ontology package's modules and shape files, the sources' names and
    sizes."""
    from ontology.sources import SOURCES_DIR

    digest = hashlib.sha1()
    package = Path(__file__).parent
    for path in sorted(p for p in package.rglob("*") if p.suffix in {".py", ".ttl"}):
        digest.update(path.relative_to(package).as_posix().encode() + b"\0" + path.read_bytes())
    for path in sorted(p for p in SOURCES_DIR.rglob("*") if p.is_file()):
        digest.update(f"{path.relative_to(SOURCES_DIR).as_posix()}:{path.stat().st_size}".encode())
    return digest.hexdigest()


@functools.cache
def _repository_at(root: Path) -> OntologyRepository:
    return OntologyRepository(root)


def default_repository() -> OntologyRepository:
    """The repository under the configured data_dir, one instance per process: its parsed graph (13–25 s to read)
    is reused by every call (API requests, CLI commands) until the file changes on disk."""
    return _repository_at(get_settings().data_dir / "ontology")


def isomorphic(a: Graph, b: Graph) -> bool:
    return to_isomorphic(a) == to_isomorphic(b)
