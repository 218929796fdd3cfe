"""`vivier simulate`: a simulated recruitment history in the loaders' formats (issue 5)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from simulator.dataset import parse_scale, simulate_dataset
from simulator.report import plot, report_table
from simulator.sensitive import Bias, parse_bias


def simulate(
    scale: Annotated[str, typer.Option(help="tiny, demo, large, or a number of candidates")] = "demo",
    seed: Annotated[int, typer.Option(help="same seed, same files byte for byte")] = 0,
    out: Annotated[Path, typer.Option(help="output folder (replaced if it exists)")] = Path("var/simulated"),
    report: Annotated[
        Path | None, typer.Option("--report", help="report on an existing output folder instead: table + PNG plots")
    ] = None,
    bias: Annotated[
        str | None,
        typer.Option(
            help="inject a historical bias: recruiters shortlist one group less at equal utility, "
            "attribute=value:penalty in utility units, e.g. sex=F:0.8 (docs/simulation.md); default: none"
        ),
    ] = None,
    profile: Annotated[
        str,
        typer.Option(
            help="public-service (the documented French public-service process) or sparse-multilingual: short "
            "French/English offers and profiles, most candidates cold (simulator/sparse.py, docs/any-language.md)"
        ),
    ] = "public-service",
) -> None:
    """Write a simulated recruitment history (employers, offers, JSON Resume CVs, applications, truth/)."""
    console = Console()
    if profile == "sparse-multilingual" and report is None:
        _simulate_sparse(console, out, scale, seed)
        return
    if profile not in ("public-service", "sparse-multilingual"):
        console.print(f"[red]unknown profile {profile!r}: expected public-service or sparse-multilingual[/red]")
        raise typer.Exit(2)
    if report is not None:
        try:
            console.print(report_table(report))
            for path in plot(report):
                console.print(f"plot written: {path}")
        except FileNotFoundError as error:
            console.print(f"[red]{error}[/red]")
            raise typer.Exit(1) from None
        return
    injected: Bias | None = None
    try:
        parse_scale(scale)
        injected = parse_bias(bias) if bias else None
    except ValueError as error:
        console.print(f"[red]{error}[/red]")
        raise typer.Exit(2) from None
    summary = simulate_dataset(out, scale, seed, bias=injected)
    table = Table(title=f"vivier simulate --scale {scale} --seed {seed}")
    table.add_column("what")
    table.add_column("count", justify="right")
    for key in ("employers", "candidates", "offers", "applications", "hires"):
        table.add_row(key, f"{getattr(summary, key):,}")
    table.add_row("seconds", f"{summary.seconds:.1f}")
    console.print(table)
    console.print(f"written to {out} (truth/ holds the latent utilities; the loaders never read it)")
    if injected is not None:
        console.print(f"historical bias injected: {injected} (truth/manifest.json)")


def _simulate_sparse(console: Console, out: Path, scale: str, seed: int) -> None:
    from simulator.sparse import parse_sparse_scale, simulate_sparse

    try:
        parse_sparse_scale(scale)
    except ValueError as error:
        console.print(f"[red]{error}[/red]")
        raise typer.Exit(2) from None
    manifest = simulate_sparse(out, scale, seed)
    table = Table(title=f"vivier simulate --profile sparse-multilingual --scale {scale} --seed {seed}")
    table.add_column("what")
    table.add_column("count", justify="right")
    for key, value in manifest["counts"].items():
        table.add_row(key, f"{value:,}")
    for key, value in manifest["profiles"].items():
        table.add_row(f"profiles: {key.replace('_', ' ')}", f"{value:,}")
    table.add_row("offers in English", f"{manifest['english_offers']:,}")
    table.add_row(
        "cold share of the latest offers' selected applicants", f"{manifest['cold_share_of_late_targets']:.0%}"
    )
    console.print(table)
    console.print(f"written to {out} (truth/ holds the latent utilities; the loaders never read it)")
