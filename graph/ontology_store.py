"""The ontology in Neo4j: load the RDF graph (idempotent, batched), keep concepts in sync after curation, and the
read queries that curation and the API need (search, show with neighbours, URI resolution, counts).

Mapping (see ontology/vocab.py): each typed concept becomes a node `:Concept:<Class>` (plus `:Occupation` for
occupation-like ones) keyed by `uri`; SKOS / vocabulary object properties become the relationship types of
graph/schema.py; reified `v:Mobility` resources become `MOBILITY` relationships between ROME fiches, and reified
`v:CareerStep` resources (issue 18) `CAREER_STEP` relationships between grades, cadres or emplois-référence,
`v:Rome4Move` ones `ROME4_MOVE` between ROME 4.0 fiches and `v:ComputedMapping` ones `COMPUTED_MATCH` from an
emploi-référence to a ROME 4.0 fiche or an ESCO occupation.
"""

from __future__ import annotations

import hashlib
import time
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rdflib import RDF, Graph, Literal, URIRef
from rich.progress import Progress

from graph import revision
from graph.db import Database
from graph.schema import CAREER_STEP, CONCEPT, MOBILITY, NODE_KEYS, OCCUPATION, RELATIONSHIP_TYPES, apply_schema
from ontology.text import fold
from ontology.vocab import (
    CAREER_STEP_CLASS,
    CLASSES,
    MAPPING_DECISIONS,
    MOBILITY_CLASS,
    MULTI_VALUED,
    PROPERTIES,
    REIFIED,
    RELATIONS,
    Reified,
    V,
)

BATCH = 5000
MARKER_CODE = "VIVIER"  # the :Repertory node that records which ontology build is loaded
ONTOLOGY_RELATIONSHIPS = sorted(
    {rel for rel, _ in RELATIONS.values()} | {MOBILITY, CAREER_STEP} | {r.rel_type for r in REIFIED.values()}
)
# Relationships made from reified resources, MERGEd on their resource's URI (a pair may carry several of them).
RELATIONSHIP_KEYS = {MOBILITY: "mobility_id", CAREER_STEP: "step_id", **{r.rel_type: r.key for r in REIFIED.values()}}
CLASS_BY_URI = {str(V[name]): name for name in CLASSES}
assert all(label in NODE_KEYS or label == OCCUPATION for labels in CLASSES.values() for label in labels)
assert all(rel in RELATIONSHIP_TYPES for rel in ONTOLOGY_RELATIONSHIPS)


@dataclass
class Rows:
    """Node and relationship rows ready for UNWIND, grouped by node labels and by relationship type."""

    nodes: dict[tuple[str, ...], list[dict[str, Any]]] = field(default_factory=lambda: defaultdict(list))
    relationships: dict[str, list[dict[str, Any]]] = field(default_factory=lambda: defaultdict(list))


def concept_class(graph: Graph, subject: URIRef) -> str | None:
    for cls in graph.objects(subject, RDF.type):
        name = CLASS_BY_URI.get(str(cls))
        if name:
            return name
    return None


def class_index(graph: Graph) -> dict[Any, str]:
    """Every typed concept's class, in one pass (a full load would otherwise look types up ~500k times)."""
    return {s: CLASS_BY_URI[str(o)] for s, o in graph.subject_objects(RDF.type) if str(o) in CLASS_BY_URI}


def concept_rows(graph: Graph, subject: URIRef, classes: dict[Any, str]) -> tuple[dict[str, Any], list[tuple]]:
    """A concept's node properties and its (relationship type, fixed properties, target) list, in one pass."""
    props: dict[str, Any] = {"uri": str(subject), "alt_labels": [], "source_ids": [], "deprecated": False}
    sources: list[str] = []
    external: list[str] = []
    relations: list[tuple] = []
    for predicate, obj in graph.predicate_objects(subject):
        name, mapped = PROPERTIES.get(str(predicate)), RELATIONS.get(str(predicate))
        if name and isinstance(obj, Literal):
            value = obj.toPython()
            if name == "source":
                sources.append(str(value))
            elif name in MULTI_VALUED:
                props[name].append(str(value))
            elif name == "indices":
                props[name] = [int(i) for i in str(value).split(",") if i]
            else:
                props[name] = value
        elif mapped and isinstance(obj, URIRef):
            if obj in classes:
                relations.append((mapped[0], mapped[1], str(obj)))
            else:
                external.append(str(obj))  # e.g. skos:exactMatch to the official ESCO URI
    props["alt_labels"].sort()
    props["source_ids"].sort()
    props["source"] = " | ".join(sorted(sources))
    props["external_matches"] = sorted(external)
    props["label_folded"] = fold(str(props.get("label", "")))
    props["alt_folded"] = " | ".join(fold(a) for a in props["alt_labels"])
    return props, relations


def node_properties(graph: Graph, subject: URIRef) -> dict[str, Any]:
    return concept_rows(graph, subject, _LazyClasses(graph))[0]


class _LazyClasses(dict):
    """`obj in classes` for a few subjects (curation sync) without indexing the whole graph."""

    def __init__(self, graph: Graph) -> None:
        super().__init__()
        self.graph = graph

    def __contains__(self, item: object) -> bool:
        return isinstance(item, URIRef) and concept_class(self.graph, item) is not None


def rows_from_graph(graph: Graph, subjects: Iterable[URIRef] | None = None) -> Rows:
    """Rows for the given subjects (default: every concept and reified resource of the graph). A concept brings
    the reified resources that start from it along (mobilities, ROME 4.0 moves, computed mappings, job moves)."""
    rows = Rows()
    reified: dict[Any, Reified] = {URIRef(cls): spec for cls, spec in REIFIED.items()}
    if subjects is None:
        classes: dict[Any, str] = class_index(graph)
        subjects = [*classes, *(m for m in graph.subjects(RDF.type, MOBILITY_CLASS) if isinstance(m, URIRef))]
        subjects += [s for s in graph.subjects(RDF.type, CAREER_STEP_CLASS) if isinstance(s, URIRef)]
        subjects += [r for cls in reified for r in graph.subjects(RDF.type, cls) if isinstance(r, URIRef)]
    else:
        classes = _LazyClasses(graph)
        subjects = list(subjects)
        starts = {V.fromFiche, V.stepFrom} | {spec.start for spec in reified.values()}
        subjects += [r for s in list(subjects) for p in starts for r in graph.subjects(p, s) if isinstance(r, URIRef)]
    for subject in dict.fromkeys(subjects):
        if (subject, RDF.type, MOBILITY_CLASS) in graph:
            rows.relationships[MOBILITY].append(mobility_row(graph, subject))
            continue
        if (subject, RDF.type, CAREER_STEP_CLASS) in graph:
            rows.relationships[CAREER_STEP].append(career_step_row(graph, subject))
            continue
        spec = next((reified[c] for c in graph.objects(subject, RDF.type) if c in reified), None)
        if spec is not None:
            rows.relationships[spec.rel_type].append(reified_row(graph, subject, spec))
            continue
        cls = classes[subject] if not isinstance(classes, _LazyClasses) else concept_class(graph, subject)
        if cls is None:
            continue
        props, relations = concept_rows(graph, subject, classes)
        rows.nodes[(CONCEPT, *CLASSES[cls])].append(props)
        for rel_type, fixed, target in relations:
            rows.relationships[rel_type].append({"from": str(subject), "to": target, "props": dict(fixed)})
    return rows


def reified_row(graph: Graph, subject: URIRef, spec: Reified) -> dict[str, Any]:
    """One relationship from a reified resource; a computed mapping also gets its curation `status`."""
    start, end = graph.value(subject, spec.start), graph.value(subject, spec.end)
    props: dict[str, Any] = {spec.key: str(subject)}
    for predicate, obj in graph.predicate_objects(subject):
        name = spec.literals.get(str(predicate))
        if name and isinstance(obj, Literal):
            props[name] = obj.toPython()
    if spec.rel_type == "COMPUTED_MATCH" and start is not None and end is not None:
        decided = [status for p, status in MAPPING_DECISIONS.items() if (start, URIRef(p), end) in graph]
        props["status"] = decided[0] if decided else "proposed"
    return {"from": str(start), "to": str(end), "props": props}


def mobility_row(graph: Graph, subject: URIRef) -> dict[str, Any]:
    def one(predicate: URIRef) -> str | None:
        value = graph.value(subject, predicate)
        return str(value) if value is not None else None

    props = {
        "mobility_id": str(subject),
        "kind": one(V.mobilityKind),
        "source_appellation": _code(one(V.fromAppellation)),
        "target_appellation": _code(one(V.toAppellation)),
    }
    return {"from": one(V.fromFiche), "to": one(V.toFiche), "props": props}


def career_step_row(graph: Graph, subject: URIRef) -> dict[str, Any]:
    def one(predicate: URIRef) -> Any:
        value = graph.value(subject, predicate)
        return value.toPython() if isinstance(value, Literal) else (str(value) if value is not None else None)

    props = {
        "step_id": str(subject),
        "kind": one(V.stepKind),
        "basis": one(V.stepBasis),
        "requirement": str(one(V.requirement)),
        "weight": float(one(V.weight)),
        "provenance": one(V.provenance),
        "years_in_grade": one(V.yearsInGrade),
        "via": sorted(str(v) for v in graph.objects(subject, V.via)) or None,  # ROME 4.0 moves behind a job move
    }
    return {"from": one(V.stepFrom), "to": one(V.stepTo), "props": props}


def _code(uri: str | None) -> str | None:
    return uri.rsplit("/", 1)[-1] if uri else None


def _batches(rows: list[dict[str, Any]], size: int = BATCH) -> Iterator[list[dict[str, Any]]]:
    for start in range(0, len(rows), size):
        yield rows[start : start + size]


def write_rows(db: Database, rows: Rows, progress: Progress | None = None) -> None:
    """MERGE nodes on `uri` and relationships on their end points (and `mobility_id`): loading twice is a no-op."""
    total = sum(len(r) for r in rows.nodes.values()) + sum(len(r) for r in rows.relationships.values())
    task = progress.add_task("Loading the ontology into Neo4j", total=total) if progress else None
    for labels, node_rows in rows.nodes.items():
        query = f"UNWIND $rows AS row MERGE (n:{CONCEPT} {{uri: row.uri}}) SET n:{':'.join(labels[1:])}, n += row"
        for batch in _batches(node_rows):
            db.execute_query(query, rows=batch)
            if progress and task is not None:
                progress.advance(task, len(batch))
    for rel_type, rel_rows in rows.relationships.items():
        key_name = RELATIONSHIP_KEYS.get(rel_type)
        key = f"{{{key_name}: row.props.{key_name}}}" if key_name else ""
        query = (
            f"UNWIND $rows AS row MATCH (a:{CONCEPT} {{uri: row.from}}) MATCH (b:{CONCEPT} {{uri: row.to}}) "
            f"MERGE (a)-[r:{rel_type} {key}]->(b) SET r += row.props"
        )
        for batch in _batches(rel_rows):
            db.execute_query(query, rows=batch)
            if progress and task is not None:
                progress.advance(task, len(batch))


def triple_digest(triple: tuple[Any, Any, Any]) -> int:
    return int.from_bytes(hashlib.blake2b(" ".join(t.n3() for t in triple).encode(), digest_size=8).digest())


def graph_hash(graph: Graph) -> str:
    """An order-independent digest of the graph (XOR of triple digests, so a change updates it incrementally),
    to tell whether Neo4j holds this very graph."""
    digest = 0
    for triple in graph:
        digest ^= triple_digest(triple)
    return f"{digest:016x}-{len(graph)}"


def updated_hash(old: str, added: Iterable[Any], removed: Iterable[Any]) -> str:
    digest, count = int(old.split("-")[0], 16), int(old.split("-")[1])
    for triple in added:
        digest, count = digest ^ triple_digest(triple), count + 1
    for triple in removed:
        digest, count = digest ^ triple_digest(triple), count - 1
    return f"{digest:016x}-{count}"


def file_stamp(path: Path) -> str:
    stat = path.stat()
    return f"{stat.st_mtime_ns}-{stat.st_size}"


@dataclass(frozen=True)
class LoadSummary:
    loaded: bool  # False when Neo4j already held this build
    seconds: float
    counts: dict[str, int]


def loaded_marker(db: Database) -> dict[str, Any]:
    """What Neo4j says it holds: graph_hash, file, file_stamp (empty when no ontology was loaded)."""
    records, _, _ = db.execute_query(
        "MATCH (r:Repertory {code: $code}) RETURN r.graph_hash AS graph_hash, r.file AS file, "
        "r.file_stamp AS file_stamp",
        code=MARKER_CODE,
    )
    return dict(records[0]) if records else {}


def set_marker(db: Database, digest: str, file: Path | None) -> None:
    db.execute_query(
        "MERGE (r:Repertory {code: $code}) SET r.label = 'Vivier knowledge base', r.graph_hash = $hash, "
        "r.loaded_at = datetime(), r.file = $file, r.file_stamp = $stamp",
        code=MARKER_CODE,
        hash=digest,
        file=str(file) if file else None,
        stamp=file_stamp(file) if file and file.exists() else None,
    )


def load_ontology(
    db: Database,
    graph: Graph,
    force: bool = False,
    mark_file: Path | None = None,
    mark: bool = True,
) -> LoadSummary:
    """Load the whole graph unless Neo4j already holds it (same hash). With `mark`, records the graph's hash
    (and the file it came from) as the ontology Neo4j holds; an import of extra concepts passes mark=False."""
    start, digest = time.perf_counter(), graph_hash(graph)
    apply_schema(db)  # constraints before data: MERGE on uri without its index would crawl
    if not force and mark and loaded_marker(db).get("graph_hash") == digest:
        if mark_file is not None:
            set_marker(db, digest, mark_file)
        return LoadSummary(False, time.perf_counter() - start, ontology_counts(db))
    with Progress(transient=True) as progress:
        write_rows(db, rows_from_graph(graph), progress)
        write_repertories(db, graph)
    if mark:
        set_marker(db, digest, mark_file)
    revision.bump_all(db)  # grades and cadres are what eligibility reads, for candidates and offers
    return LoadSummary(True, time.perf_counter() - start, ontology_counts(db))


def write_repertories(db: Database, graph: Graph) -> None:
    from rdflib import SKOS

    rows = [
        {"code": str(graph.value(s, SKOS.notation)), "uri": str(s), "label": str(graph.value(s, SKOS.prefLabel))}
        for s in graph.subjects(RDF.type, SKOS.ConceptScheme)
    ]
    db.execute_query(
        "UNWIND $rows AS row MERGE (r:Repertory {code: row.code}) SET r.uri = row.uri, r.label = row.label",
        rows=rows,
    )


def ontology_counts(db: Database) -> dict[str, int]:
    """Nodes per ontology label and relationships per ontology type (what the README table reports)."""
    counts: dict[str, int] = {}
    for label in (CONCEPT, *sorted({lab for labels in CLASSES.values() for lab in labels})):
        records, _, _ = db.execute_query(f"MATCH (n:{label}) RETURN count(n) AS n")
        counts[label] = records[0]["n"]
    for rel in ONTOLOGY_RELATIONSHIPS:
        records, _, _ = db.execute_query(f"MATCH (:{CONCEPT})-[r:{rel}]->(:{CONCEPT}) RETURN count(r) AS n")
        counts[rel] = records[0]["n"]
    return counts


def sync_concepts(db: Database, graph: Graph, subjects: Iterable[URIRef]) -> None:
    """Make Neo4j match the graph for these subjects: properties replaced, outgoing ontology relationships
    rebuilt. Subjects absent from the graph lose their ontology relationships but keep their node (and URI)."""
    subjects = list(subjects)
    uris = [str(s) for s in subjects]
    db.execute_query(
        f"UNWIND $uris AS uri MATCH (n:{CONCEPT} {{uri: uri}})-[r]->(:{CONCEPT}) WHERE type(r) IN $types DELETE r",
        uris=uris,
        types=ONTOLOGY_RELATIONSHIPS,
    )
    rows = rows_from_graph(graph, subjects)
    for node_rows in rows.nodes.values():  # `=` (not `+=`): removed properties must disappear
        for batch in _batches(node_rows):
            db.execute_query(f"UNWIND $rows AS row MATCH (n:{CONCEPT} {{uri: row.uri}}) SET n = row", rows=batch)
    write_rows(db, rows)


def career_coverage(db: Database) -> dict[str, int]:
    """How much of the public service the career graph covers (issue 18): emplois-référence with next steps and
    with a ROME mapping (official v3.44 crosswalk pairs or computed ROME 4.0 ones not rejected; how many of each,
    how many confirmed), grades ordered, cadres linked, steps by kind, job moves by basis."""
    records, _, _ = db.execute_query(
        "CALL { MATCH (e:EmploiReference) "
        "  WITH e, EXISTS { (e)-[:EXACT_MATCH|CLOSE_MATCH]-(:RomeFiche|RomeAppellation) } AS official, "
        "  EXISTS { (e)-[m:COMPUTED_MATCH]->(:Rome4Fiche) WHERE coalesce(m.status, 'proposed') <> 'rejected' } "
        "    AS computed "
        "  RETURN count(e) AS emplois, "
        "  count(CASE WHEN EXISTS { (e)-[:CAREER_STEP]->() } THEN 1 END) AS emplois_with_next_steps, "
        "  count(CASE WHEN official OR computed THEN 1 END) AS emplois_with_rome_mapping, "
        "  count(CASE WHEN official THEN 1 END) AS emplois_with_official_rome_mapping, "
        "  count(CASE WHEN computed THEN 1 END) AS emplois_with_computed_rome4_mapping, "
        "  count(CASE WHEN EXISTS { (e)-[:COMPUTED_MATCH {status: 'confirmed'}]->(:Rome4Fiche) } THEN 1 END) "
        "    AS emplois_with_confirmed_rome4_mapping, "
        "  count(CASE WHEN EXISTS { (:CadreEmplois)-[:TYPICAL_EMPLOI]->(e) } THEN 1 END) "
        "    AS emplois_typical_of_a_cadre } "
        "CALL { MATCH (g:Grade) RETURN count(g) AS grades, count(CASE WHEN g.current THEN 1 END) AS grades_current, "
        "  count(g.ladder_rank) AS grades_ordered } "
        "CALL { MATCH (c:CadreEmplois) RETURN count(c) AS cadres, "
        "  count(CASE WHEN EXISTS { (:Grade)-[:CAREER_STEP]->(:Grade)-[:GRADE_OF]->(c) } "
        "    THEN 1 END) AS cadres_with_grade_ladder, "
        "  count(CASE WHEN EXISTS { (c)-[s:CAREER_STEP]-(:CadreEmplois) "
        "    WHERE s.kind IN ['promotion_interne', 'concours'] } THEN 1 END) AS cadres_linked_across_categories, "
        "  count(CASE WHEN EXISTS { (c)-[:CAREER_STEP {kind: 'detachement'}]-(:CadreEmplois) } THEN 1 END) "
        "    AS cadres_with_detachement, "
        "  count(CASE WHEN EXISTS { (c)-[:TYPICAL_EMPLOI]->() } THEN 1 END) AS cadres_with_typical_emplois } "
        "RETURN emplois, emplois_with_next_steps, emplois_with_rome_mapping, emplois_with_official_rome_mapping, "
        "emplois_with_computed_rome4_mapping, emplois_with_confirmed_rome4_mapping, emplois_typical_of_a_cadre, "
        "grades, grades_current, grades_ordered, cadres, cadres_with_grade_ladder, cadres_linked_across_categories, "
        "cadres_with_detachement, cadres_with_typical_emplois"
    )
    coverage = dict(records[0])
    records, _, _ = db.execute_query("MATCH ()-[s:CAREER_STEP]->() RETURN s.kind AS kind, count(s) AS n ORDER BY kind")
    coverage.update({f"steps_{r['kind']}": r["n"] for r in records})
    records, _, _ = db.execute_query(
        "MATCH (:EmploiReference)-[s:CAREER_STEP {kind: 'job_move'}]->() RETURN s.basis AS basis, count(s) AS n"
    )
    coverage.update({f"job_moves_{r['basis']}": r["n"] for r in records})
    return coverage


# --- ROME 4.0 and computed mappings (issue 18) --------------------------------------------------------------
def rome4_fiches_of(db: Database, v3_code: str) -> list[str]:
    """The ROME 4.0 fiches a v3.44 code resolves to: the fiche that kept the code first, then those split from it."""
    records, _, _ = db.execute_query(
        "MATCH (f:Rome4Fiche)-[:ROME_PARENT]->(:RomeFiche {code: $code}) "
        "RETURN f.code AS code ORDER BY f.code <> $code, f.code",
        code=v3_code,
    )
    return [r["code"] for r in records]


def computed_mappings(db: Database, rmfp_code: str) -> list[dict[str, Any]]:
    """An emploi-référence's computed candidate mappings, best first per repertory, with their curation status."""
    records, _, _ = db.execute_query(
        "MATCH (:EmploiReference {code: $code})-[m:COMPUTED_MATCH]->(t:Concept) "
        "RETURN t.uri AS uri, t.code AS target_code, t.label AS label, t.scheme AS scheme, m.rank AS rank, "
        "m.score AS score, m.relation AS relation, m.status AS status, m.evidence AS evidence, "
        "m.provenance AS provenance, m.method AS method, m.method_version AS method_version "
        "ORDER BY scheme, rank",
        code=rmfp_code,
    )
    return [dict(r) for r in records]
