"""`vivier ontology …`: build, validate, load, search and curate the knowledge base (issue 3).

Concepts are named by URI or by a short reference: `rome:K1401`, `ogr:10200`, `rmfp:FPACH001`, `grade:0001`,
`cadre:1`, `esco:<uuid>`. Commands import the layers they use lazily, so that `vivier --help` stays quick.
"""

from __future__ import annotations

import getpass
import json
import time
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from ontology import uris
from vivier.runtime import command_database

app = typer.Typer(help="Build, validate, load and curate the ontology.", no_args_is_help=True)
console = Console()

SHORT_REFERENCES = {
    "rome": uris.rome_fiche,
    "rome4": uris.rome4_fiche,
    "ogr": uris.rome_appellation,
    "rmfp": uris.rmfp_emploi,
    "grade": uris.grade,
    "cadre": uris.cadre_emplois,
    "esco": uris.esco_occupation,
    "isco": uris.isco_group,
}
ActorOption = Annotated[str, typer.Option(help="Who makes the change (recorded in the audit log).")]


def concept_uri(reference: str) -> str:
    if reference.startswith(("http://", "https://")):
        return reference
    scheme, _, code = reference.partition(":")
    if scheme.lower() not in SHORT_REFERENCES or not code:
        raise typer.BadParameter(f"{reference!r}: give a URI or one of {', '.join(SHORT_REFERENCES)}:<code>")
    return SHORT_REFERENCES[scheme.lower()](code)


def _print_counts(counts: dict[str, int], title: str) -> None:
    table = Table(title=title)
    table.add_column("label / relationship")
    table.add_column("count", justify="right")
    for name, count in counts.items():
        table.add_row(name, f"{count:,}")
    console.print(table)


@app.command()
def build(validate: Annotated[bool, typer.Option(help="Validate with SHACL before saving.")] = True) -> None:
    """Build the ontology from data/sources/, validate it and save it as the current Turtle."""
    from ontology.repository import default_repository
    from ontology.validate import OntologyValidationError

    repository = default_repository()
    try:
        summary = repository.build(validate=validate)
    except OntologyValidationError as error:
        console.print(error.report.table())
        raise typer.Exit(1) from None
    _print_counts(summary.stats, "Knowledge base (from the sources)")
    console.print(
        f"{summary.triples:,} triples, {summary.concepts:,} concepts; built in {summary.seconds_build:.1f} s, "
        f"SHACL in {summary.seconds_validate:.1f} s → {repository.current_file}"
    )
    for reason, count in summary.skipped.items():
        console.print(f"[yellow]left out[/]: {count} × {reason}")


@app.command("validate")
def validate_command(
    file: Annotated[Path | None, typer.Option(help="A Turtle file instead of the current graph.")] = None,
) -> None:
    """Validate the current ontology (or a Turtle file) with SHACL; exit status 1 with a report if it fails."""
    from ontology.repository import default_repository
    from ontology.validate import validate_graph
    from ontology.vocab import new_graph

    if file is not None:
        graph = new_graph()
        graph.parse(file, format="turtle")
    else:
        graph = default_repository().graph()
    report = validate_graph(graph)
    if not report.conforms:
        console.print(report.table())
        raise typer.Exit(1)
    console.print(str(report))


@app.command()
def load(
    force: Annotated[bool, typer.Option(help="Reload even if Neo4j already holds this graph.")] = False,
    file: Annotated[Path | None, typer.Option(help="Validate and load this Turtle file instead.")] = None,
) -> None:
    """Load the current ontology into Neo4j (idempotent; builds it first if needed)."""
    from graph.ontology_store import load_ontology
    from ontology.repository import default_repository
    from ontology.validate import OntologyValidationError
    from ontology.vocab import new_graph
    from vivier.knowledge_base import build_and_load, import_graph

    with command_database() as db:
        if file is not None:
            graph = new_graph()
            graph.parse(file, format="turtle")
            try:
                summary = import_graph(db, graph)
            except OntologyValidationError as error:
                console.print(error.report.table())
                console.print("[red]nothing loaded[/]")
                raise typer.Exit(1) from None
            loaded, seconds, counts = summary.loaded, summary.seconds, summary.counts
        elif force:
            repository = default_repository()
            summary = load_ontology(db, repository.graph(), force=True, mark_file=repository.current_file)
            loaded, seconds, counts = summary.loaded, summary.seconds, summary.counts
        else:
            result = build_and_load(db)
            loaded, seconds, counts = result.loaded, result.load_seconds, result.counts
    _print_counts(counts, "Ontology in Neo4j")
    console.print(f"{'loaded' if loaded else 'already loaded'} in {seconds:.1f} s")


@app.command()
def search(text: str, limit: Annotated[int, typer.Option(min=1, max=500)] = 20) -> None:
    """Search concepts by label, alternative label or code (accent- and case-insensitive)."""
    from graph.curation import search_concepts

    with command_database() as db:
        rows = search_concepts(db, text, limit)
    table = Table(title=f"Concepts matching {text!r}")
    for column in ("label", "kind", "code", "uri"):
        table.add_column(column, overflow="fold")
    for row in rows:
        label = row["label"] + (" [deprecated]" if row["deprecated"] else "")
        table.add_row(label, ", ".join(row["kinds"]), row["code"] or "", row["uri"])
    console.print(table)


@app.command()
def show(reference: str, limit: Annotated[int, typer.Option(min=1)] = 30) -> None:
    """Show a concept with its properties and neighbours."""
    from graph.curation import concept_with_neighbours, resolve_uri

    with command_database() as db:
        uri = concept_uri(reference)
        live = resolve_uri(db, uri)
        concept = concept_with_neighbours(db, live, limit)
    if live != uri:
        console.print(f"[yellow]{uri} was replaced by {live}[/]")
    props = concept["properties"]
    console.print(f"[bold]{props.get('label')}[/] ({', '.join(concept['labels'])}) {live}")
    for key in sorted(props):
        if key not in ("label", "uri", "label_folded", "alt_folded") and props[key] not in (None, [], ""):
            console.print(f"  {key}: {props[key]}")
    table = Table(title="Neighbours")
    for column in ("direction", "relationship", "label", "uri"):
        table.add_column(column, overflow="fold")
    for direction in ("outgoing", "incoming"):
        for rel in concept[direction][:limit]:
            extra = {k: v for k, v in rel["props"].items() if k != "mobility_id"}
            table.add_row(direction, rel["type"] + (f" {extra}" if extra else ""), rel["label"] or "", rel["uri"])
    console.print(table)


def _apply(change: Any, actor: str) -> None:
    from graph.curation import apply_change
    from ontology.curation import CurationError
    from ontology.validate import OntologyValidationError

    with command_database() as db:
        try:
            entry = apply_change(change, actor or getpass.getuser(), db)
        except OntologyValidationError as error:
            console.print(error.report.table())
            console.print("[red]change refused: nothing was applied[/]")
            raise typer.Exit(1) from None
        except CurationError as error:
            console.print(f"[red]change refused:[/] {error}")
            raise typer.Exit(1) from None
    console.print(f"applied {entry.op} (audit {entry.audit_id}, by {entry.actor} at {entry.at})")
    console.print_json(json.dumps({"before": entry.before, "after": entry.after}, ensure_ascii=False))


@app.command()
def label(
    reference: str,
    text: str,
    action: Annotated[str, typer.Option(help="add (alternative label), remove, or set (preferred label)")] = "add",
    actor: ActorOption = "",
) -> None:
    """Add, remove or change a concept's label."""
    from ontology.curation import AddLabel, ChangeLabel, RemoveLabel

    changes = {"add": AddLabel, "remove": RemoveLabel, "set": ChangeLabel}
    if action not in changes:
        raise typer.BadParameter(f"action must be one of {', '.join(changes)}")
    _apply(changes[action](concept_uri(reference), text), actor)


@app.command()
def relate(
    subject: str,
    relation: Annotated[
        str,
        typer.Argument(
            help="broader, related, exact_match, close_match, requires_skill, or confirm_mapping / reject_mapping "
            "(an HR expert's decision on a computed RMFP mapping)"
        ),
    ],
    obj: Annotated[str, typer.Argument(metavar="OBJECT")],
    remove: Annotated[bool, typer.Option(help="Remove the relation instead of adding it.")] = False,
    optional: Annotated[bool, typer.Option(help="For requires_skill: an optional (not essential) skill.")] = False,
    actor: ActorOption = "",
) -> None:
    """Add (or remove) a relation between two concepts."""
    from ontology.curation import AddRelation, RemoveRelation

    s, o = concept_uri(subject), concept_uri(obj)
    change = RemoveRelation(s, relation, o) if remove else AddRelation(s, relation, o, essential=not optional)  # type: ignore[arg-type]
    _apply(change, actor)


@app.command()
def merge(source: str, target: str, actor: ActorOption = "") -> None:
    """Merge SOURCE into TARGET: references move, labels are kept, SOURCE redirects to TARGET."""
    from ontology.curation import MergeConcepts

    _apply(MergeConcepts(concept_uri(source), concept_uri(target)), actor)


@app.command()
def deprecate(
    reference: str,
    replaced_by: Annotated[str | None, typer.Option(help="The successor concept, if any.")] = None,
    actor: ActorOption = "",
) -> None:
    """Deprecate a concept (optionally pointing to its successor)."""
    from ontology.curation import DeprecateConcept

    _apply(DeprecateConcept(concept_uri(reference), concept_uri(replaced_by) if replaced_by else None), actor)


@app.command("release")
def release_command(version: str, note: Annotated[str, typer.Option()] = "") -> None:
    """Freeze the current ontology as release VERSION (Turtle file + OntologyRelease node)."""
    from vivier.knowledge_base import release

    with command_database() as db:
        path = release(db, version, note)
    console.print(f"release {version} → {path}")


@app.command()
def diff(v1: str, v2: Annotated[str, typer.Argument(help="A release, or 'current'.")] = "current") -> None:
    """Concepts and relations added / removed / changed between two releases."""
    from ontology.diff import diff_releases
    from ontology.repository import default_repository

    result = diff_releases(default_repository(), v1, v2)
    _print_counts(result.counts(), f"Differences {v1} → {v2}")
    for title, items in (
        ("added", result.added_concepts),
        ("removed", result.removed_concepts),
        ("changed", result.changed_concepts),
    ):
        for item in items[:50]:
            console.print(f"{title} concept: {item}")
    for title, rels in (("+", result.added_relations), ("-", result.removed_relations)):
        for s, rel, o in rels[:50]:
            console.print(f"{title} {s} -[{rel}]-> {o}")


@app.command()
def export(
    path: Path,
    version: Annotated[str | None, typer.Option(help="Export a release instead of the current graph.")] = None,
) -> None:
    """Export the ontology as Turtle."""
    from ontology.repository import default_repository

    start = time.perf_counter()
    repository = default_repository()
    graph = repository.release_graph(version) if version else repository.graph()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(graph.serialize(format="turtle", encoding="utf-8"))
    console.print(f"{len(graph):,} triples → {path} ({time.perf_counter() - start:.1f} s)")


@app.command("dedup-report")
def dedup_report_command(examples: Annotated[int, typer.Option(min=1, max=100)] = 10) -> None:
    """How skill de-duplication went: counts, examples, pairs on both sides of the similarity threshold."""
    from ontology.report import dedup_report
    from ontology.skills import SIMILARITY_THRESHOLD

    report = dedup_report(examples=examples)
    _print_counts(
        {
            "skill labels (before)": report.labels,
            **{f"  from {k}": v for k, v in report.labels_by_repertory.items()},
            "skill concepts (after)": report.concepts,
            "concepts merging ≥ 2 labels": report.merged_concepts,
            "labels in those concepts": report.labels_in_merged,
            **{f"  merged {k}": v for k, v in report.merges_by_repertories.items()},
        },
        "Skill de-duplication",
    )
    for title, rows in (("across repertories", report.examples_across), ("within a repertory", report.examples_within)):
        table = Table(title=f"Merged {title} (examples)")
        table.add_column("concept label")
        table.add_column("merged labels", overflow="fold")
        for label, alts in rows:
            table.add_row(label, " | ".join(alts) or "(same label, several source records)")
        console.print(table)
    near = (
        (f"similarity ≥ {SIMILARITY_THRESHOLD}: merged", report.merged_pairs_near_threshold),
        (f"similarity < {SIMILARITY_THRESHOLD}: kept apart", report.kept_apart_near_threshold),
    )
    for title, pairs in near:
        table = Table(title=f"Pairs near the threshold, {title}")
        for column in ("label", "label", "cosine"):
            table.add_column(column, overflow="fold")
        for a, b, score in pairs:
            table.add_row(a, b, f"{score:.3f}")
        console.print(table)


# --- issue 18: coverage of the career graph ---------------------------------------------------------------------
COVERAGE_START = "<!-- career-coverage:start (written by `vivier ontology coverage`) -->"
COVERAGE_END = "<!-- career-coverage:end -->"
COVERAGE_ROWS = (
    ("emplois-référence with next steps (`CAREER_STEP` out)", "emplois_with_next_steps", "emplois"),
    ("emplois-référence with a ROME mapping (official crosswalk or computed)", "emplois_with_rome_mapping", "emplois"),
    ("… an official v3.44 crosswalk pair", "emplois_with_official_rome_mapping", "emplois"),
    (
        "… computed ROME 4.0 candidates (`COMPUTED_MATCH`, not rejected)",
        "emplois_with_computed_rome4_mapping",
        "emplois",
    ),
    ("… a computed ROME 4.0 mapping confirmed by an HR expert", "emplois_with_confirmed_rome4_mapping", "emplois"),
    ("emplois-référence typical of a cadre d'emplois (`TYPICAL_EMPLOI`)", "emplois_typical_of_a_cadre", "emplois"),
    ("grades ordered in their cadre (`ladder_rank`)", "grades_ordered", "grades"),
    ("current grades (not replaced in the NEG)", "grades_current", "grades"),
    ("cadres with an avancement de grade ladder", "cadres_with_grade_ladder", "cadres"),
    ("cadres linked across catégories (promotion interne, concours)", "cadres_linked_across_categories", "cadres"),
    ("cadres with a détachement to another versant", "cadres_with_detachement", "cadres"),
    ("cadres with typical emplois-référence", "cadres_with_typical_emplois", "cadres"),
)


def coverage_markdown(coverage: dict[str, int], stamp: str) -> str:
    lines = [COVERAGE_START, f"Figures of {stamp}.", "", "| measure | count | share |", "|---|---|---|"]
    for title, key, total in COVERAGE_ROWS:
        share = coverage[key] / coverage[total] if coverage[total] else 0.0
        lines.append(f"| {title} | {coverage[key]:,} of {coverage[total]:,} | {share:.0%} |")
    steps = sorted((k.removeprefix("steps_"), v) for k, v in coverage.items() if k.startswith("steps_"))
    lines += ["", "| `CAREER_STEP` kind | steps |", "|---|---|"]
    lines += [f"| {kind} | {n:,} |" for kind, n in steps]
    bases = sorted((k.removeprefix("job_moves_"), v) for k, v in coverage.items() if k.startswith("job_moves_"))
    lines += ["", "| job moves by `basis` | steps |", "|---|---|"]
    lines += [f"| {basis} | {n:,} |" for basis, n in bases]
    return "\n".join([*lines, COVERAGE_END])


def write_coverage(markdown: str, path: Path) -> bool:
    """Replace the coverage block of `path` (appended when absent); True when the text changed."""
    old = path.read_text(encoding="utf-8")
    start, end = old.find(COVERAGE_START), old.find(COVERAGE_END)
    if start >= 0 and end > start:
        new = old[:start] + markdown + old[end + len(COVERAGE_END) :]
    else:
        new = old.rstrip() + "\n\n" + markdown + "\n"
    if new != old:
        path.write_text(new, encoding="utf-8")
    return new != old


@app.command()
def coverage(
    write: Annotated[bool, typer.Option(help="rewrite the coverage block of docs/ontology.md")] = True,
) -> None:
    """How much of the public service the career graph covers: emplois-référence with next steps, grades
    ordered, cadres linked (issue 18); read from Neo4j, written to docs/ontology.md."""
    import datetime
    import os

    from graph.ontology_store import career_coverage
    from vivier.settings import REPO_ROOT

    with command_database() as db:
        figures = career_coverage(db)
    _print_counts(figures, "Career graph coverage")
    load = os.getloadavg()[0]
    stamp = f"{datetime.date.today().isoformat()} (`vivier ontology coverage`, load average {load:.1f})"
    if write:
        path = REPO_ROOT / "docs" / "ontology.md"
        changed = write_coverage(coverage_markdown(figures, stamp), path)
        console.print(f"{path}: coverage block {'rewritten' if changed else 'already up to date'}")


@app.command()
def mappings(
    emploi: Annotated[str | None, typer.Argument(help="An RMFP code (FPDIR004): show its ranked candidates.")] = None,
    measure: Annotated[bool, typer.Option(help="Measure the method; write the figures into docs/ontology.md.")] = False,
    career: Annotated[bool, typer.Option(help="With --measure: also the whole-graph career head (minutes).")] = False,
    epochs: Annotated[int, typer.Option(min=1, help="Career head epochs (with --career).")] = 200,
) -> None:
    """Computed RMFP → ROME 4.0 / ESCO mappings (issue 18): one emploi's candidates, or the measured figures."""
    from ontology.catalogue import load_catalogue
    from ontology.mappings import compute_mappings
    from ontology.rome4 import load_rome4

    catalogue, rome4 = load_catalogue(), load_rome4()
    found = compute_mappings(catalogue, rome4)
    if emploi:
        table = Table(title=f"Computed mappings of {emploi.upper()}")
        for column in ("scheme", "rank", "code", "label", "score", "relation", "evidence"):
            table.add_column(column, overflow="fold")
        for c in (c for c in found.candidates if c.emploi == emploi.upper()):
            shared = c.evidence.get("shared_words", [])
            evidence = f"signals {c.evidence['signals']}; words {', '.join(shared if isinstance(shared, list) else [])}"
            table.add_row(c.scheme, str(c.rank), c.code, c.label, f"{c.score:.3f}", c.relation, evidence)
        console.print(table)
    if measure:
        _measure_mappings(catalogue, rome4, found.candidates, career, epochs)


def _measure_mappings(catalogue: Any, rome4: Any, candidates: list, career: bool, epochs: int) -> None:
    from ontology.mappings_report import career_markdown, mappings_markdown, measure_mappings, write_block

    block = mappings_markdown(measure_mappings(catalogue, rome4, candidates))
    console.print(block)
    console.print(f"docs/ontology.md {'updated' if write_block('rmfp-mappings', block) else 'unchanged'}")
    if career:
        from gnn.career import CareerConfig, evaluate_editions, whole_ontology

        start = time.perf_counter()
        results = evaluate_editions(whole_ontology(catalogue, rome4, candidates), CareerConfig(epochs=epochs))
        block = career_markdown(results, time.perf_counter() - start, epochs)
        console.print(block)
        console.print(f"docs/ontology.md {'updated' if write_block('career-moves', block) else 'unchanged'}")
