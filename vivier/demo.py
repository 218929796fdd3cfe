"""`vivier demo`: the main job, end to end, on a fresh machine.

1. start the embedded Neo4j when NEO4J_URI is unset, apply the schema;
2. build the ontology from the real repertories, validate it with SHACL and load it;
3. simulate a recruitment history (employers, CVs, offers, applications) and load it through the real loaders;
4. train the GNN and evaluate it against the baselines on a temporal split (Markdown report with plots);
5. load the 652 real Place de l'Emploi Public offers and serve the API: ranked, explained candidates for a few real
   offers are fetched over HTTP from the running API and printed; then the API keeps serving until Ctrl-C.

Every step is idempotent: a second run reuses the built ontology and the simulated files, reloading them changes
nothing in Neo4j, and a new model version is trained on the same data (a few minutes).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any, TypeVar

import httpx
import typer
import uvicorn
from rich.console import Console
from rich.table import Table

from graph.db import Database, open_database
from graph.schema import LATEST_VERSION, apply_schema
from loaders.offers import PEP_PLACEHOLDER_EMPLOYER
from vivier.runtime import ensure_server
from vivier.settings import REPO_ROOT, get_settings

console = Console()
T = TypeVar("T")
REAL_OFFERS = REPO_ROOT / "data" / "sources" / "pep-offers" / "pep_offers_2020_2021.csv"
# Real offers shown at the end: the first real offer whose title names each of these families.
SHOWCASE_FAMILIES = ("comptab", "ressources humaines", "informatique")


def _step(title: str, work: Callable[[], T]) -> T:
    console.rule(f"[bold]{title}")
    started = time.perf_counter()
    result = work()
    console.print(f"[dim]{title}: {time.perf_counter() - started:.1f} s[/dim]")
    return result


def demo(
    scale: Annotated[str, typer.Option(help="simulation scale: tiny, demo, large or a number of candidates")] = "demo",
    seed: Annotated[int, typer.Option(help="simulation and training seed")] = 7,
    serve: Annotated[bool, typer.Option("--serve/--no-serve", help="keep serving the API at the end")] = True,
    port: Annotated[int, typer.Option(help="API port (loopback)")] = 8000,
) -> None:
    """Run the whole pipeline on simulated history and real offers, then serve the API."""
    settings = get_settings()
    uri = _step("Neo4j", ensure_server)
    with open_database(settings) as db:
        applied = apply_schema(db)
        console.print(f"Neo4j at {uri}; schema version {LATEST_VERSION} (applied now: {applied or 'none'}).")
        _step("Ontology: build, SHACL validation, load", lambda: _ontology(db))
        dataset = settings.data_dir / "datasets" / f"{scale}-seed{seed}"
        _step(f"Simulated history ({scale}, seed {seed})", lambda: _simulate(dataset, scale, seed))
        _step("Ingestion through the loaders", lambda: _load(db, dataset))
        _step("GNN training", lambda: _train(db, seed))
        _step("Evaluation against baselines", lambda: _evaluate(db, dataset))
        _step("Real Place de l'Emploi Public offers", lambda: _load_real_offers(db))
        with _api_server(port) as (base_url, app):
            key = _admin_key(db)
            offers = _showcase_offers(db)
            _step("Ranked candidates for real offers, from the API", lambda: _show_candidates(base_url, key, offers))
            link = app.state.web_sessions.sign_in_link(key)  # one use, within 15 minutes
            console.print(
                f"\nThe API is at {base_url} (OpenAPI: {base_url}/docs). An admin key for this demo:\n{key}\n"
                f"The web app, already signed in (a one-time link): {base_url}/ui/connexion/lien/{link}\n"
                "Vivier suggests; a recruiter decides."
            )
            if serve:
                console.print("Serving until Ctrl-C…")
                _wait_forever()


def _ontology(db: Database) -> None:
    from vivier.knowledge_base import build_and_load

    counts = build_and_load(db).counts
    table = Table(title="Knowledge base in Neo4j")
    table.add_column("concepts")
    table.add_column("count", justify="right")
    for name, count in counts.items():
        table.add_row(str(name), f"{count:,}")
    console.print(table)


def _simulate(dataset: Path, scale: str, seed: int) -> None:
    from gnn.truth import has_process
    from simulator.dataset import simulate_dataset

    # Same scale and seed give byte-identical files: no need to write them again (the application matrix is
    # the newest truth file, or its rows are replayed past the matrix limit: a dataset with neither comes from an
    # older simulator).
    if (dataset / "applications.csv").exists() and has_process(dataset):
        console.print(f"Reusing {dataset}")
        return
    summary = simulate_dataset(dataset, scale, seed)
    console.print(
        f"{summary.employers:,} employers, {summary.candidates:,} candidates, {summary.offers:,} offers, "
        f"{summary.applications:,} applications ({summary.hires:,} hires) in {dataset}"
    )


def _print_load(summary: Any, title: str) -> None:
    table = Table(title=title)
    for column in ("kind", "loaded", "rejected", "written"):
        table.add_column(column, justify="right" if column != "kind" else "left")
    for kind, counts in summary.kinds.items():
        table.add_row(kind, f"{counts.loaded:,}", f"{counts.rejected:,}", f"{counts.written:,}")
    console.print(table)
    console.print(f"Rejects (if any): {summary.rejects_path}")


def _load(db: Database, dataset: Path) -> None:
    from vivier.ingest import load_dataset

    _print_load(load_dataset(db, dataset), f"Loaded {dataset.name}")


def _train(db: Database, seed: int) -> None:
    from gnn.pipeline import train_model
    from gnn.train import TrainConfig
    from vivier.commands.model import report_trained

    report_trained(train_model(db, TrainConfig(seed=seed)))


def _evaluate(db: Database, dataset: Path) -> None:
    from gnn.evaluate import evaluate_model
    from gnn.truth import simulator_process, simulator_utility

    report = evaluate_model(db, truth=simulator_utility(dataset), oracle=simulator_process(dataset))
    console.print(f"Report: {report}")


def _load_real_offers(db: Database) -> None:
    from vivier.ingest import load_offers

    _print_load(load_offers(db, REAL_OFFERS), "Real offers (Place de l'Emploi Public, 2020-2021)")


@contextmanager
def _api_server(port: int) -> Iterator[tuple[str, Any]]:
    from api.app import create_app

    app = create_app(get_settings())
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name="vivier-api", daemon=True)
    thread.start()
    deadline = time.monotonic() + 60
    while not server.started and thread.is_alive() and time.monotonic() < deadline:
        time.sleep(0.1)
    if not server.started:
        raise RuntimeError(f"the API did not start on 127.0.0.1:{port} (is the port taken?)")
    try:
        yield f"http://127.0.0.1:{port}", app
    finally:
        server.should_exit = True
        thread.join(timeout=30)


def _admin_key(db: Database) -> str:
    from graph.access import create_api_key

    _, key = create_api_key(db, "admin", None, "vivier demo")
    return key


def _showcase_offers(db: Database) -> list[str]:
    from graph.queries import first_offer_per_title_word

    return first_offer_per_title_word(db, PEP_PLACEHOLDER_EMPLOYER.employer_id, SHOWCASE_FAMILIES)


def _show_candidates(base_url: str, key: str, offer_ids: list[str]) -> None:
    headers = {"X-API-Key": key}
    with httpx.Client(base_url=base_url, headers=headers, timeout=120) as client:
        for offer_id in offer_ids:
            offer = client.get(f"/v1/offers/{offer_id}").raise_for_status().json()
            ranked = client.get(f"/v1/offers/{offer_id}/candidates", params={"k": 5}).raise_for_status().json()
            console.print(_candidates_table(offer, ranked))


def _candidates_table(offer: dict[str, Any], ranked: dict[str, Any]) -> Table:
    table = Table(title=f"{offer.get('title')} — offer {offer.get('offer_id')} (model {ranked['model_version']})")
    for column in ("rank", "candidate", "score", "eligible", "shared skills", "missing (essential first)", "route"):
        table.add_column(column)
    for match in ranked["candidates"]:
        explanation = match.get("explanation") or {}
        shared = ", ".join(str(s["label"]) for s in explanation.get("skills_shared", [])[:3])
        missing = ", ".join(str(s["label"]) for s in explanation.get("skills_missing", [])[:3])
        route_found = explanation.get("career_route") or {}
        route = " → ".join(str(f.get("label") or f.get("uri")) for f in route_found.get("fiches", []))
        table.add_row(
            str(match["rank"]),
            match["candidate_id"][:12],
            f"{match['score']:.3f}",
            "yes" if match["eligibility"]["eligible"] else "no",
            shared,
            missing,
            route,
        )
    return table


def _wait_forever() -> None:
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        console.print("Stopped.")
