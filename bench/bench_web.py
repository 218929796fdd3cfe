"""Time to first byte of the web app's two hot pages, with the server warm: an offer page with ten explained
candidates (target p95 ≤ 150 ms) and one expansion of the career graph (target ≤ 100 ms).

The sandbox is bench/bench_api.py's: a private embedded Neo4j (temporary store, free port), its synthetic recruitment
graph at demo scale (5,000 candidates, 500 offers, ROME fiches with skills and mobility transitions), and the API
process serving it (the web app is mounted in the same app). By default the model serves random embeddings through
the real `gnn.serving.Recommender` (latency depends on the matrix's shape, not on what was learnt); `--train` trains
the GNN first. One client signs in like a browser (form token cookie, then the session cookie) and requests the pages
one after the other; TTFB is the time until the response's headers and first body bytes arrive.

    .venv/bin/python bench/bench_web.py                     # 5,000 candidates, 100 measured requests per page
    .venv/bin/python bench/bench_web.py --requests 40 --warmup 10
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path

import httpx
from rich.console import Console
from rich.progress import Progress
from rich.table import Table

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from bench.bench_api import (  # noqa: E402
    FICHES,
    load_candidates,
    load_offers_and_applications,
    load_ontology_and_employers,
    start_server,
)
from graph.access import create_api_key  # noqa: E402
from graph.db import Database  # noqa: E402
from graph.schema import apply_schema  # noqa: E402
from graph.server import EmbeddedServer, free_port  # noqa: E402
from ontology import uris  # noqa: E402
from vivier.settings import get_settings  # noqa: E402

console = Console(width=140)


def signed_in_client(base: str, key: str) -> httpx.Client:
    """A client holding a session cookie, obtained through the sign-in form as a browser does."""
    client = httpx.Client(base_url=base, timeout=600)  # the first page loads the model
    page = client.get("/ui/connexion")
    token = re.search(r'name="form_token" value="([^"]+)"', page.text)
    assert token, "no form token on the sign-in page"
    answer = client.post("/ui/connexion", data={"api_key": key, "form_token": token.group(1), "suite": "/ui/"})
    assert answer.status_code == 303, answer.text
    return client


def ttfb(client: httpx.Client, path: str) -> float:
    """Milliseconds until the headers and the first body bytes arrive."""
    started = time.perf_counter()
    with client.stream("GET", path) as response:
        chunks = response.iter_raw()
        next(chunks, b"")
        elapsed = (time.perf_counter() - started) * 1000
        for _ in chunks:  # the rest of the page, not timed
            pass
    assert response.status_code == 200, f"{path}: {response.status_code}"
    return elapsed


def measure(client: httpx.Client, paths: list[str], warmup: int, requests: int) -> list[float]:
    for i in range(warmup):
        ttfb(client, paths[i % len(paths)])
    return [ttfb(client, paths[i % len(paths)]) for i in range(requests)]


def row(name: str, samples: list[float], target: float) -> list[str]:
    ordered = sorted(samples)
    p50 = statistics.median(ordered)
    p95 = ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))]
    verdict = "met" if p95 <= target else "NOT met"
    return [name, str(len(samples)), f"{p50:.1f}", f"{p95:.1f}", f"{max(ordered):.1f}", f"{target:.0f}", verdict]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--candidates", type=int, default=5_000)
    parser.add_argument("--offers", type=int, default=500)
    parser.add_argument("--employers", type=int, default=150)
    parser.add_argument("--requests", type=int, default=100, help="measured requests per page")
    parser.add_argument("--warmup", type=int, default=20)
    parser.add_argument("--train", action="store_true", help="train the GNN instead of random embeddings")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="vivier-bench-web-") as sandbox:
        root = Path(sandbox)
        neo4j = EmbeddedServer(home=root / "neo4j", port=free_port(), heap="1g", pagecache="512m")
        with console.status("Starting a private Neo4j…"):
            neo4j.start()
        env = dict(os.environ, NEO4J_URI=neo4j.uri, VIVIER_DATA_DIR=str(root / "data"))
        os.environ.update(NEO4J_URI=neo4j.uri, VIVIER_DATA_DIR=str(root / "data"))
        get_settings.cache_clear()
        database = Database.connect(uri=neo4j.uri)
        server = None
        try:
            apply_schema(database)
            load_ontology_and_employers(database, args.employers)
            with Progress(console=console, transient=True) as progress:
                load_candidates(database, 0, args.candidates, progress)
            offer_ids = load_offers_and_applications(database, args.offers, args.employers, args.candidates)
            if args.train:
                from gnn.career import CareerConfig
                from gnn.pipeline import train_model
                from gnn.train import TrainConfig

                config = TrainConfig(hidden=32, out=64, epochs=10, eval_every=5)
                with console.status("Training the GNN…"):
                    train_model(database, config, CareerConfig(hidden=16, out=16, epochs=10), progress=False)
            key = create_api_key(database, "admin", label="bench web")[1]
            port = free_port()
            server = start_server(env, port, random_model=not args.train)
            client = signed_in_client(f"http://127.0.0.1:{port}", key)
            offers = [f"/ui/offres/{o}" for o in offer_ids[:50]]
            expansions = [f"/ui/carrieres/voisins?uri={uris.rome_fiche(f)}" for f in FICHES]
            with console.status("Measuring…"):
                offer_ms = measure(client, offers, args.warmup, args.requests)
                expand_ms = measure(client, expansions, args.warmup, args.requests)
            load = os.getloadavg()
            table = Table(title=f"Web app TTFB, {args.candidates:,} candidates (load average {load[0]:.1f})")
            for column in ("page", "requests", "p50 ms", "p95 ms", "max ms", "target p95 ms", "target"):
                table.add_column(column)
            table.add_row(*row("offer page, 10 explained candidates", offer_ms, 150))
            table.add_row(*row("career graph: one expansion", expand_ms, 100))
            console.print(table)
        finally:
            if server is not None:
                server.terminate()
                server.wait(30)
            database.close()
            neo4j.stop()


if __name__ == "__main__":
    main()
