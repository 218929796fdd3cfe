"""The knowledge base in Neo4j: build it from the repertories (`ontology`), validate it with SHACL, load it
(`graph.ontology_store`), import extra concepts, freeze releases. Orchestration across packages, so it lives in
the application layer.
"""

from __future__ import annotations

from dataclasses import dataclass

from rdflib import Graph

from graph.curation import record_release
from graph.db import Database
from graph.ontology_store import LoadSummary, file_stamp, load_ontology, loaded_marker, ontology_counts
from ontology.repository import BuildSummary, OntologyRepository, default_repository
from ontology.validate import require_valid


@dataclass(frozen=True)
class KnowledgeBaseLoad:
    """What `build_and_load` did: whether it built the ontology (and its summary), whether Neo4j was (re)loaded,
    how long the load took, and the Neo4j counts by label (empty when not asked for)."""

    built: bool
    build: BuildSummary | None
    loaded: bool
    load_seconds: float
    counts: dict[str, int]


def build_and_load(
    db: Database,
    repository: OntologyRepository | None = None,
    rebuild: bool = False,
    counts: bool = True,
) -> KnowledgeBaseLoad:
    """What `vivier demo` calls: build (and validate) the ontology if there is none yet, then load it into Neo4j
    unless Neo4j already holds it. Idempotent; a few seconds when everything is already there."""
    repository = repository or default_repository()
    built: BuildSummary | None = repository.build() if rebuild or repository.needs_build() else None
    marker = loaded_marker(db)
    if marker.get("file") == str(repository.current_file) and marker.get("file_stamp") == file_stamp(
        repository.current_file
    ):
        # Neo4j holds this very file: no need to even parse it.
        summary = LoadSummary(False, 0.0, ontology_counts(db) if counts else {})
    else:
        summary = load_ontology(db, repository.graph(), mark_file=repository.current_file)
    return KnowledgeBaseLoad(built is not None, built, summary.loaded, summary.seconds, summary.counts)


def import_graph(db: Database, graph: Graph) -> LoadSummary:
    """Validate a graph of extra concepts (a Turtle file) with SHACL and load it only if it conforms.

    Raises OntologyValidationError with the report; then nothing was loaded."""
    require_valid(graph)
    return load_ontology(db, graph, force=True, mark=False)


def release(db: Database, version: str, note: str = "", repository: OntologyRepository | None = None) -> str:
    """Freeze the current ontology as a versioned Turtle file and an `:OntologyRelease` node."""
    repository = repository or default_repository()
    path = repository.release(version)
    record_release(db, version, note, str(path), len(repository.graph()))
    return str(path)
