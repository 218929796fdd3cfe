"""`vivier audit`: the bias audit (Markdown + plots), the sensitive-attributes file, the kill switch and the
retention purge of the served-recommendation log (issue 17, docs/fairness.md)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from vivier.runtime import command_database
from vivier.settings import get_settings

console = Console()
app = typer.Typer(help="Bias audit, sensitive attributes, kill switch and log retention.", no_args_is_help=True)
MIN_RETENTION_DAYS = 183  # AI Act art. 26(6): a deployer keeps the logs at least six months


@app.command("attributes")
def attributes(
    file: Annotated[Path, typer.Argument(help="CSV keyed by candidate_ref (e.g. a simulated truth/sensitive.csv)")],
    source: Annotated[str, typer.Option(help="the source the CVs were loaded with (a dataset: its folder name)")],
) -> None:
    """Pseudonymise a sensitive-attributes file and store it apart from the graph (<data dir>/sensitive/)."""
    from audit.attributes import AttributesError, import_attributes

    try:
        path = import_attributes(file, source)
    except (AttributesError, FileNotFoundError) as error:
        console.print(f"[red]{error}[/red]")
        raise typer.Exit(1) from None
    console.print(f"attributes stored in {path} (never loaded into Neo4j, never a model input)")


@app.command("report")
def report(
    employer: Annotated[str | None, typer.Option(help="employer_id (default: every employer)")] = None,
    since: Annotated[str | None, typer.Option(help="offers published from this date (YYYY-MM-DD)")] = None,
    until: Annotated[str | None, typer.Option(help="offers published up to this date (YYYY-MM-DD)")] = None,
    model: Annotated[bool, typer.Option("--model/--no-model", help="also audit the model's scores")] = True,
    version: Annotated[str | None, typer.Option(help="model version (default: the latest)")] = None,
    out: Annotated[Path | None, typer.Option(help="report folder (default: <data dir>/reports/audit/…)")] = None,
) -> None:
    """Audit an employer's history (and the model) per sensitive group: Markdown report with plots."""
    from audit.attributes import read_attributes
    from audit.report import write_report
    from audit.run import run_audit

    try:
        table = read_attributes()
    except (FileNotFoundError, ValueError) as error:
        console.print(f"[red]{error}[/red]")
        raise typer.Exit(1) from None
    with command_database() as db:
        scorer = None
        if model:
            from gnn.serving import Recommender

            try:
                scorer = Recommender.load(db, version)
            except FileNotFoundError as error:
                console.print(f"[yellow]no model ({error}); auditing the history only[/yellow]")
        result = run_audit(db, employer, since, until, scorer, table)
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
        folder = out or get_settings().data_dir / "reports" / "audit" / f"{employer or 'all'}-{stamp}"
        path = write_report(result, folder)
        if scorer is not None:
            from audit.model_card import write_model_card

            console.print(f"Model card updated: {write_model_card(db, scorer.version)}")
    _print_summary(result)
    console.print(f"Report written to {path}")


def _print_summary(result: object) -> None:
    from audit.run import Audit

    assert isinstance(result, Audit)
    table = Table(title="Shortlist rate ratio to the best-treated group (95 % interval)")
    for column in ("attribute", "group", "applications", "shortlist ratio", "hire ratio", "verdict"):
        table.add_column(column)
    for a in result.attributes:
        for r in a.selection:
            table.add_row(
                a.attribute,
                r.group,
                f"{r.applications:,}",
                str(r.ratios["shortlisted"]),
                str(r.ratios["hired"]),
                r.verdict,
            )
    console.print(table)


@app.command("purge-logs")
def purge_logs(
    keep_days: Annotated[
        int | None, typer.Option(help="keep this many days of logs (default: VIVIER_LOG_RETENTION_DAYS)")
    ] = None,
) -> None:
    """Delete the served-recommendation log entries older than the retention period (at least six months)."""
    from graph.oversight import purge_recommendation_logs, record_event

    days = keep_days if keep_days is not None else get_settings().log_retention_days
    if days < MIN_RETENTION_DAYS:
        console.print(f"[red]--keep-days {days}: the logs are kept at least {MIN_RETENTION_DAYS} days[/red]")
        raise typer.Exit(2)
    before = (datetime.now(UTC) - timedelta(days=days)).isoformat()
    with command_database() as db:
        deleted = purge_recommendation_logs(db, before)
        record_event(db, "logs_purged", "cli", None, f"{deleted} entries served before {before}")
    console.print(f"{deleted:,} recommendation-log entries served before {before} deleted")


@app.command("mitigate")
def mitigate(
    attribute: Annotated[str, typer.Option(help="the sensitive attribute whose groups' exposure is bounded")],
    employer: Annotated[str | None, typer.Option(help="employer_id (default: every employer)")] = None,
    since: Annotated[str | None, typer.Option(help="offers published from this date (YYYY-MM-DD)")] = None,
    until: Annotated[str | None, typer.Option(help="offers published up to this date (YYYY-MM-DD)")] = None,
    max_gap: Annotated[float, typer.Option(help="allowed relative shortfall of a group's share (0..1)")] = 0.2,
    version: Annotated[str | None, typer.Option(help="model version (default: the latest)")] = None,
    serve: Annotated[
        bool | None,
        typer.Option(
            "--on/--off", help="turn the re-ranking of the employer's served rankings on or off (audited) instead"
        ),
    ] = None,
    reason: Annotated[str, typer.Option(help="why it is turned on or off (oversight trail)")] = "vivier audit mitigate",
) -> None:
    """Exposure-aware re-ranking: its cost in Recall@10 and its gain in exposure, side by side, paired over offers;
    with --on / --off and --employer, whether the API applies it to that employer's served rankings."""
    import pandas as pd

    from audit.attributes import read_attributes
    from audit.fairness import decided_applications
    from audit.mitigation import mitigation_on_history
    from gnn.serving import Recommender
    from graph.oversight import audit_applications

    table = read_attributes()
    if attribute not in table.columns:
        console.print(f"[red]--attribute {attribute}: not in the attributes file ({', '.join(table.columns)})[/red]")
        raise typer.Exit(2)
    if serve is not None:
        _switch_mitigation(employer, attribute if serve else None, max_gap, reason)
        return
    with command_database() as db:
        model = Recommender.load(db, version)
        history = decided_applications(pd.DataFrame(audit_applications(db, employer, since, until)))
        result = mitigation_on_history(db, model, history, table[attribute], max_gap)
    out = Table(title=f"Exposure bound on {attribute} (max gap {max_gap:g}), {result.offers} offers, 95 % intervals")
    for column in ("", "model's top-10", "bounded re-ranking", "difference (paired)"):
        out.add_column(column)
    out.add_row("Recall@10", str(result.recall_plain), str(result.recall_mitigated), str(result.recall_difference))
    out.add_row(
        "largest exposure shortfall", str(result.gap_plain), str(result.gap_mitigated), str(result.gap_difference)
    )
    console.print(out)


def _switch_mitigation(employer: str | None, attribute: str | None, max_gap: float, reason: str) -> None:
    from graph.oversight import exposure_mitigations, set_exposure_mitigation

    if employer is None:
        console.print("[red]--on / --off apply to one employer: give --employer[/red]")
        raise typer.Exit(2)
    if not 0.0 <= max_gap <= 1.0:
        console.print(f"[red]--max-gap {max_gap}: between 0 and 1[/red]")
        raise typer.Exit(2)
    with command_database() as db:
        if attribute is None and employer not in exposure_mitigations(db):
            console.print(f"the re-ranking is not on for employer {employer}: nothing to turn off")
            return
        if not set_exposure_mitigation(db, employer, attribute, max_gap, "cli", reason):
            console.print(f"[red]--employer {employer}: not in the graph[/red]")
            raise typer.Exit(1)
    state = f"on ({attribute}, max gap {max_gap:g})" if attribute else "off"
    console.print(f"exposure-aware re-ranking {state} for employer {employer}; API processes follow within a second")


@app.command("model")
def model_side(
    truth: Annotated[Path, typer.Option(help="the simulated dataset: its latent utility is the unbiased oracle")],
    attribute: Annotated[str, typer.Option(help="the sensitive attribute")] = "sex",
    group: Annotated[str, typer.Option(help="the group whose share is followed (the one the bias disfavours)")] = "F",
    max_gap: Annotated[float, typer.Option(help="the exposure bound's allowed relative shortfall (0..1)")] = 0.2,
    version: Annotated[str | None, typer.Option(help="model version (default: the latest)")] = None,
) -> None:
    """The model's side on the temporal test: does it reproduce a bias of the history (the group's share of its top
    10 against the eligible pool, the recruiters' selections and the unbiased oracle), and the exposure bound's cost
    in Recall@10 beside its gain in exposure, paired over the same offers. Rewrites the model card."""
    from audit.model_card import write_model_card
    from audit.model_fairness import model_fairness, render, write

    with command_database() as db:
        try:
            result = model_fairness(db, truth, attribute, group, max_gap, version)
        except (KeyError, FileNotFoundError) as error:
            console.print(f"[red]{error}[/red]")
            raise typer.Exit(1) from None
        path = write(result)
        console.print(render(result))
        console.print(f"Written to {path.with_suffix('.md')}; model card: {write_model_card(db, result.version)}")
