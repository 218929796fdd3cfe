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
) -> None:
    """Write a simulated recruitment history (employers, offers, JSON Resume CVs, applications, truth/)."""
    console = Console()
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
