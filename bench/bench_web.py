"""Time to first byte of the web app's two hot pages, with the server warm: an offer page with ten explained
candidates (target p95 ≤ 150 ms) and one expansion of the career graph (target ≤ 100 ms).

The sandbox is bench/bench_api.py's: a private embedded Neo4j (temporary store, free port), its synthetic recruitment
graph at demo scale (5,000 candidates, 500 offers, ROME fiches with skills and mobility transitions), and the API
process serving it (the web app is mounted in the same app). By default the model serves random embeddings through
the real `gnn.serving.Recommender` (latency depends on the matrix's shape, not on what was learnt); `--train` trains
the GNN first. One client signs in like a browser (form token cookie, then the session cookie) and requests the pages
one after the other; TTFB is the time until the response's headers and first body bytes arrive. The baseline is the
JSON API's own ranking with explanations (`GET /v1/offers/{id}/candidates?explain=true`, other offers), requested in
turn with the pages: the ratio of the two says what the page adds, whatever the machine's load. The page's
Server-Timing steps (access, top-k, facts, explain, render) are printed too.

    .venv/bin/python bench/bench_web.py                     # 5,000 candidates, 100 measured requests per page
    .venv/bin/python bench/bench_web.py --requests 60 --warmup 100

The warm-up (Neo4j's query plans and JIT, the model, the API's caches) visits offers other than the measured ones:
the 50 measured offer pages are each met for the first time (their first 50 requests), so the figures include the
requests that fill the per-offer caches.
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


def ttfb(client: httpx.Client, path: str, steps: dict[str, list[float]] | None = None) -> float:
    """Milliseconds until the headers and the first body bytes arrive; the server's own steps (Server-Timing)
    are added to `steps`."""
    started = time.perf_counter()
    with client.stream("GET", path) as response:
        chunks = response.iter_raw()
        next(chunks, b"")
        elapsed = (time.perf_counter() - started) * 1000
        for _ in chunks:  # the rest of the page, not timed
            pass
    assert response.status_code == 200, f"{path}: {response.status_code}"
    if steps is not None:
        for item in response.headers.get("server-timing", "").split(","):
            name, _, duration = item.strip().partition(";dur=")
            if duration:
                steps.setdefault(name, []).append(float(duration))
    return elapsed


def measure(
    client: httpx.Client, paths: list[str], warmup: int, requests: int, steps: dict[str, list[float]] | None = None
) -> list[float]:
    for i in range(warmup):
        ttfb(client, paths[i % len(paths)])
    return [ttfb(client, paths[i % len(paths)], steps) for i in range(requests)]


def measure_beside(
    client: httpx.Client,
    pages: list[str],
    api: httpx.Client,
    baseline: list[str],
    args: argparse.Namespace,
    steps: dict[str, list[float]],
    warm_pages: list[str],
    warm_baseline: list[str],
) -> tuple[list[float], list[float]]:
    """The offer pages and the JSON API's ranking of other offers, one request of each in turn: both meet the
    same machine load, so their ratio holds when the load changes between runs. The warm-up requests ask for
    offers of their own (`warm_pages`), so the measured offers are each met for the first time, then again."""
    for i in range(args.warmup):
        ttfb(client, warm_pages[i % len(warm_pages)])
        ttfb(api, warm_baseline[i % len(warm_baseline)])
    page_ms, api_ms = [], []
    for i in range(args.requests):
        page_ms.append(ttfb(client, pages[i % len(pages)], steps))
        api_ms.append(ttfb(api, baseline[i % len(baseline)]))
    return page_ms, api_ms


def p95(samples: list[float]) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))]


def row(name: str, samples: list[float], target: float | None) -> list[str]:
    verdict = "" if target is None else ("met" if p95(samples) <= target else "NOT met")
    return [name, str(len(samples)), f"{statistics.median(samples):.1f}", f"{p95(samples):.1f}",
            f"{max(samples):.1f}", "" if target is None else f"{target:.0f}", verdict]  # fmt: skip


def report(
    args: argparse.Namespace,
    offer_ms: list[float],
    api_ms: list[float],
    expand_ms: list[float],
    steps: dict[str, list[float]],
) -> None:
    load = os.getloadavg()
    table = Table(title=f"Web app TTFB, {args.candidates:,} candidates (load average {load[0]:.1f})")
    for column in ("page", "requests", "p50 ms", "p95 ms", "max ms", "target p95 ms", "target"):
        table.add_column(column)
    table.add_row(*row("offer page, 10 explained candidates", offer_ms, 150))
    table.add_row(*row("baseline: GET /v1/offers/{id}/candidates?explain=true", api_ms, None))
    table.add_row(*row("career graph: one expansion", expand_ms, 100))
    console.print(table)
    console.print(
        "offer page / JSON API baseline (same run, requests in turn, other offers): "
        f"p50 ×{statistics.median(offer_ms) / statistics.median(api_ms):.2f}, p95 ×{p95(offer_ms) / p95(api_ms):.2f}"
    )
    console.print(
        "offer page, server steps (Server-Timing, median / p95 ms): "
        + ", ".join(f"{name} {statistics.median(v):.1f} / {p95(v):.1f}" for name, v in steps.items())
    )


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
            api = httpx.Client(base_url=f"http://127.0.0.1:{port}", headers={"X-API-Key": key}, timeout=600)
            offers = [f"/ui/offres/{o}" for o in offer_ids[:50]]
            baseline = [f"/v1/offers/{o}/candidates?k=10&explain=true" for o in offer_ids[50:100]]
            expansions = [f"/ui/carrieres/voisins?uri={uris.rome_fiche(f)}" for f in FICHES]
            steps: dict[str, list[float]] = {}
            with console.status("Measuring…"):
                warm = ([f"/ui/offres/{o}" for o in offer_ids[100:300]],
                        [f"/v1/offers/{o}/candidates?k=10&explain=true" for o in offer_ids[300:500]])  # fmt: skip
                offer_ms, api_ms = measure_beside(client, offers, api, baseline, args, steps, *warm)
                expand_ms = measure(client, expansions, args.warmup, args.requests)
            report(args, offer_ms, api_ms, expand_ms, steps)
        finally:
            if server is not None:
                server.terminate()
                server.wait(30)
            database.close()
            neo4j.stop()


if __name__ == "__main__":
    main()
