"""`vivier load …`: offers, CVs and recruitment histories into Neo4j (issue 4), with a progress bar and a
summary table. The work is in `vivier.ingest`, imported in the commands so that `vivier --help` stays quick."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.logging import RichHandler
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from rich.text import Text

if TYPE_CHECKING:
    from vivier.ingest import LoadSummary

app = typer.Typer(help="Load offers, CVs and recruitment histories.", no_args_is_help=True)
console = Console()


def _progress() -> Progress:
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    return Progress(*columns, console=console)


def _show(summary: LoadSummary) -> None:
    table = Table(title="Loaded")
    for column in ("kind", "loaded", "rejected", "nodes + relationships written"):
        table.add_column(column, justify="left" if column == "kind" else "right")
    for kind, counts in summary.kinds.items():
        table.add_row(kind, str(counts.loaded), str(counts.rejected), str(counts.written))
    console.print(table)
    if any(c.rejected for c in summary.kinds.values()):
        console.print(f"Rejects (JSON lines: source, record, field, reason): [bold]{summary.rejects_path}[/]")


def _run(action: str, path: list[Path], source: str | None) -> None:
    # Warnings such as "decoded as cp1252" are shown above the progress bar.
    logging.basicConfig(level=logging.WARNING, format="%(message)s", handlers=[RichHandler(console=console)])
    from graph.schema import apply_schema
    from loaders.pseudonym import warn_if_demo_key
    from vivier.ingest import load_cvs, load_dataset, load_history, load_offers
    from vivier.runtime import command_database

    if action != "offers":  # offers carry no candidate: no pseudonym to make
        warn_if_demo_key(lambda message: console.print(Text(f"Warning: {message}", style="bold yellow")))
    with command_database() as db:
        apply_schema(db)
        with _progress() as progress:
            if action == "offers":
                summary = load_offers(db, path[0], progress=progress)
                for extra in path[1:]:
                    load_offers(db, extra, progress=progress, summary=summary)
            elif action == "cvs":
                summary = load_cvs(db, path, source or "cvs", progress=progress)
            elif action == "history":
                summary = load_history(db, path[0], source or "cvs", progress=progress)
            else:
                summary = load_dataset(db, path[0], source, progress=progress)
    _show(summary)


@app.command("offers")
def offers(path: Annotated[list[Path], typer.Argument(exists=True, help="offer files or folders")]) -> None:
    """Offers: formats.md JSON/CSV, schema.org JobPosting JSON-LD, Place de l'Emploi Public exports."""
    _run("offers", path, None)


@app.command("cvs")
def cvs(
    path: Annotated[list[Path], typer.Argument(exists=True, help="CV files or folders (JSON Resume, PDF, DOCX, txt)")],
    source: Annotated[str, typer.Option(help="scope of the candidate pseudonyms; applications use the same")] = "cvs",
) -> None:
    """CVs, pseudonymised (no name, e-mail, phone, address or birth date reaches Neo4j)."""
    _run("cvs", path, source)


@app.command("history")
def history(
    path: Annotated[Path, typer.Argument(exists=True, help="applications.csv, employers.csv, or a folder with them")],
    source: Annotated[str, typer.Option(help="the source the CVs were loaded with")] = "cvs",
) -> None:
    """A recruitment history: employers and applications as an employer exports them."""
    _run("history", [path], source)


@app.command("dataset")
def dataset(
    path: Annotated[Path, typer.Argument(exists=True, file_okay=False, help="a docs/formats.md folder")],
    source: Annotated[str | None, typer.Option(help="pseudonym scope (default: the folder's name)")] = None,
) -> None:
    """A whole dataset folder: employers, offers, CVs, applications, in that order."""
    _run("dataset", [path], source)


@app.command("measure")
def measure(
    cvs: Annotated[
        Path | None,
        typer.Option(exists=True, file_okay=False, help="also a `vivier simulate` folder's CVs vs its truth"),
    ] = None,
    limit: Annotated[int, typer.Option(help="CVs measured at most")] = 300,
    gold_cvs: Annotated[
        bool, typer.Option("--gold-cvs", help="only the hand-written CVs of data/gold/cvs.jsonl (their section)")
    ] = False,
) -> None:
    """Measure text understanding on the 652 real offers and the hand-written gold CVs; writes
    docs/ingestion-figures.md and the README's figures block."""
    from loaders import measure as m

    with console.status(f"Reading the CVs of {m.GOLD_CVS.name}…"):
        gold_cv_block = m.gold_cvs_markdown(m.measure_gold_cvs())
    if gold_cvs:
        _show_gold_cvs(gold_cv_block)
        text = m.FIGURES.read_text(encoding="utf-8") if m.FIGURES.exists() else ""
        console.print(f"Written to {m.write_figures(m.replace_gold_cvs_block(text, gold_cv_block))}")
        return
    with console.status("Understanding the 652 real offers…"):
        figures = m.measure()
    with console.status("Statutory facts of the offers of the gold files…"):
        statutory_sets = m.measure_statutory_sets()
    statutory = statutory_sets[m.GOLD_STATUTORY]
    with console.status(f"Skill mentions of the offers of {m.GOLD_SKILLS.name}…"):
        skills = m.measure_skills()
    with console.status(f"RMFP emplois-référence of the offers of {m.GOLD_RMFP.name}…"):
        rmfp = m.measure_rmfp()
    cv_figures = None
    if cvs is not None:
        with console.status(f"Reading {limit} CVs of {cvs}…"):
            cv_figures = m.measure_cvs(cvs, limit)
    markdown = m.figures_markdown(figures) + m.statutory_sets_markdown(statutory_sets)
    markdown += m.skills_markdown(skills) + m.rmfp_markdown(rmfp)
    markdown += m.cv_figures_markdown(cv_figures, cvs) if cv_figures and cvs else ""
    _show_figures(markdown)
    _show_gold_cvs(gold_cv_block)
    markdown += "\n" + gold_cv_block
    console.print(f"Written to {m.write_figures(markdown)}")
    block = m.readme_block(figures, cv_figures, cvs, statutory, skills, rmfp, statutory_sets)
    changed = m.write_readme(block)
    console.print(f"{m.README}: figures block {'rewritten' if changed else 'already up to date'}")


def _value(cells: list[str]) -> str:
    """A table row's figures as one value: the statutory table's (field, stated, found, right, precision, recall),
    the skills table's (offers, gold spans, found, span P, span R, gold concepts, found concepts, concept P, R, F1)."""
    if len(cells) == 10:
        return f"concept P {cells[7]} / R {cells[8]} / F1 {cells[9]}; span P {cells[3]} / R {cells[4]}"
    return cells[1] if len(cells) == 2 else f"P {cells[4]} / R {cells[5]} (stated {cells[1]})"


def _show_figures(markdown: str) -> None:
    table = Table(title="Text understanding on real offers")
    table.add_column("measure")
    table.add_column("value", justify="right")
    for line in markdown.splitlines():
        cells = line.strip("| ").split(" | ")
        if line.startswith("| ") and not line.startswith(("| measure", "| field", "| offers")):
            table.add_row(cells[0], _value(cells))
    console.print(table)


def _show_gold_cvs(block: str) -> None:
    rows = [line.strip("| ").split(" | ") for line in block.splitlines() if line.startswith("| ")]
    table = Table(title="Hand-written CVs against the gold")
    for column in rows[0]:
        table.add_column(column, justify="left" if column == "measure" else "right")
    for cells in rows[2:]:
        table.add_row(*cells)
    console.print(table)
