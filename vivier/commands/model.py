"""`vivier train` and `vivier evaluate` (issue 6)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.table import Table

from vivier.runtime import command_database

if TYPE_CHECKING:
    from gnn.artifacts import ModelVersion
    from graph.db import Database

console = Console()


def train(
    epochs: Annotated[
        int, typer.Option(help="maximum epochs (early stopping on validation Recall@10 + Recall@50)")
    ] = 300,
    seed: Annotated[int, typer.Option(help="fixes the split of each epoch, the negatives and the weights")] = 7,
    threads: Annotated[int, typer.Option(help="torch threads (1 is faster on a machine busy with other jobs)")] = 2,
    processes: Annotated[
        int,
        typer.Option(
            help="local data-parallel training processes (DDP over gloo; the threads are shared among them). "
            "Several machines: start one `vivier train` per process with torchrun (docs/distributed.md)"
        ),
    ] = 1,
    supervision: Annotated[
        str,
        typer.Option(
            help="random: a random share of the training offers supervised per epoch (the demo's measured scheme); "
            "temporal: the offers after a cut, only earlier applications known (histories of mostly cold "
            "candidates, docs/any-language.md); auto: temporal when more than 30 % of the latest offers' selected "
            "candidates had never applied, random otherwise"
        ),
    ] = "auto",
) -> None:
    """Train the GNN on the graph in Neo4j, store a new model version and write the embeddings back."""
    from gnn.distributed import follow, launched_rank
    from gnn.pipeline import train_model
    from gnn.train import TrainConfig

    if launched_rank() not in (None, 0):  # a torchrun rank other than 0: trains on rank 0's export, stores nothing
        follow()
        return
    with command_database() as db:
        try:
            if supervision not in ("random", "temporal", "auto"):
                raise ValueError(f"--supervision {supervision!r}: expected auto, random or temporal")
            config = TrainConfig(epochs=epochs, seed=seed, threads=threads)
            version = train_model(db, config, processes=processes, supervision=supervision)
        except ValueError as error:
            console.print(f"[red]{error}[/red]")
            raise typer.Exit(1) from None
        report_trained(version)
        _write_card(db, version.version)


def _write_card(db: Database, version: str) -> None:
    """The version's model card (issue 17, docs/model-card.md), rewritten with the latest figures."""
    from audit.model_card import write_model_card

    console.print(f"Model card: {write_model_card(db, version)}")


def report_trained(version: ModelVersion) -> None:
    """The trained model's table: where it is stored, its data, its validation figures."""
    table = Table(title=f"Model {version.version}")
    table.add_column("what")
    table.add_column("value")
    table.add_row("stored in", str(version.path))
    table.add_row("training data sha256", version.data_hash[:16] + "…")
    if "weights_hash" in version.metrics:  # versions trained before 2026-12-07 have none
        table.add_row(
            "weights sha256 (same data, seed, threads and libraries: same digest)",
            version.metrics["weights_hash"][:16] + "…",
        )
    table.add_row("best epoch", str(version.metrics["best_epoch"]))
    # The served model's figures at the kept epoch (`reranker`: the slot the served ranking is stored in).
    kept = version.metrics.get("reranker") or {}
    table.add_row(
        "validation Recall@10 / @50, served model",
        f"{kept.get('recall@10', float('nan')):.3f} / {kept.get('recall@50', float('nan')):.3f}",
    )
    table.add_row("training seconds", f"{version.metrics.get('seconds', float('nan')):.1f}")
    for name, result in version.metrics["career"].items():
        table.add_row(f"career: {name}", f"Hits@10 {result['hits@10']:.3f}, MRR {result['mrr']:.3f}")
    console.print(table)


def evaluate(
    version: Annotated[str | None, typer.Option(help="model version (default: the latest)")] = None,
    truth: Annotated[
        Path | None, typer.Option(help="simulated dataset folder: adds its latent utility as the upper bound")
    ] = None,
    docs: Annotated[bool, typer.Option("--docs", help="also copy the report and plots into docs/")] = False,
    offers: Annotated[
        int | None,
        typer.Option(
            help="rank a fixed sample of this many test offers (default: all of them; past 500,000 nodes, 2,000)"
        ),
    ] = None,
) -> None:
    """Evaluate a stored model against baselines on the temporal test; writes a Markdown report with plots."""

    from gnn.evaluate import evaluate_model
    from gnn.truth import has_process, simulator_process, simulator_utility

    with command_database() as db:
        try:
            scorer = simulator_utility(truth) if truth else None
            oracle = simulator_process(truth) if truth and has_process(truth) else None
            report = evaluate_model(db, version, truth=scorer, to_docs=docs, oracle=oracle, offers=offers)
        except FileNotFoundError as error:
            console.print(f"[red]{error}[/red]")
            raise typer.Exit(1) from None
        _write_card(db, report.parent.name)  # the report's folder is named after the version it evaluated
    console.print(f"Report written to {report}")
