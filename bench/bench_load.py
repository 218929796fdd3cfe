"""Mixed traffic at a target rate against `vivier serve`, while a loader writes offers into the same Neo4j.

Runs in a private sandbox on loopback, like bench/bench_api.py (whose graph builders it reuses): its own embedded
Neo4j, a synthetic recruitment graph, a GNN trained on it (a few epochs; `--random-model`: random embeddings, no
training), and the API in a child process. Requests are due at a fixed rate whatever the answers' latency (an open
loop: a slow server meets the same arrivals, as in production; latency counts from the moment a request was due, so
waiting for a free client counts), mixed as `--mix` says:

- `ranking`: the top 10 candidates of an offer, without explanations;
- `explanation`: the top 3, explained;
- `feedback`: keep or dismiss a stored suggestion;
- `upload`: a JSON Resume CV uploaded (parsed, pseudonymised, embedded, pushed).

Meanwhile a loader thread writes batches of offers through `graph.writes.write_offers` (the loaders' writer), and a
sampler reads the server's resident memory and open file descriptors every second. The report: per route the
count, p50 and p99 latency and errors; RSS and fds at the start, the end and their peak.

    .venv/bin/python bench/bench_load.py --rate 200 --duration 60   # the target: 0 errors
    .venv/bin/python bench/bench_load.py --soak                     # 10 minutes at the same rate: RSS, fds flat
    .venv/bin/python bench/bench_load.py --rate 50 --duration 20 --random-model   # a short check
    .venv/bin/python bench/bench_load.py --by-route   # where the cores go: server and Neo4j CPU per request, by route
"""

from __future__ import annotations

import argparse
import json
import os
import queue
import random
import re
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any, TypeVar

import httpx
from rich.console import Console
from rich.progress import Progress
from rich.table import Table

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from bench.bench_api import (  # noqa: E402
    load_candidates,
    load_offers_and_applications,
    load_ontology_and_employers,
    percentiles,
    start_server,
)
from graph import queries  # noqa: E402
from graph.access import create_api_key  # noqa: E402
from graph.db import Database  # noqa: E402
from graph.schema import apply_schema  # noqa: E402
from graph.server import EmbeddedServer, free_port  # noqa: E402
from graph.writes import write_offers  # noqa: E402
from loaders.records import OfferRecord  # noqa: E402
from vivier.settings import get_settings  # noqa: E402

console = Console(width=140)
T = TypeVar("T")
ROUTES = ("ranking", "explanation", "feedback", "upload")
DEFAULT_MIX = {"ranking": 0.70, "explanation": 0.10, "feedback": 0.15, "upload": 0.05}


@dataclass
class Results:
    latencies: dict[str, list[float]] = field(default_factory=lambda: {r: [] for r in ROUTES})
    errors: dict[str, dict[str, int]] = field(default_factory=lambda: {r: {} for r in ROUTES})
    late_starts: int = 0  # requests sent more than 100 ms after their slot (every client thread was busy)
    samples: list[dict[str, float]] = field(default_factory=list)
    offers_written: int = 0

    def error(self, route: str, what: str) -> None:
        self.errors[route][what] = self.errors[route].get(what, 0) + 1


def _resume(n: int) -> bytes:
    resume = {
        "basics": {"summary": "Gestionnaire paie et carrière, catégorie B, fonction publique territoriale."},
        "work": [{"name": "Mairie", "position": "Gestionnaire RH", "startDate": "2019-01-01"}],
        "skills": [{"name": "Gestion de la paie"}, {"name": "Droit de la fonction publique"}],
        "meta": {"candidate_ref": f"bench-load-{n}-{random.random():.9f}"},
    }
    return json.dumps(resume).encode()


def _one(
    client: httpx.Client, route: str, n: int, slot: float, offers: list[str], suggestions: list[str], results: Results
) -> None:
    """One request; its latency counts from its slot, so time spent queued behind a slow server counts too."""
    rng = random.Random(n)
    try:
        if route == "ranking":
            response = client.get(f"/v1/offers/{rng.choice(offers)}/candidates", params={"k": 10, "explain": 0})
        elif route == "explanation":
            response = client.get(f"/v1/offers/{rng.choice(offers)}/candidates", params={"k": 3, "explain": 1})
        elif route == "feedback":
            body = {"decision": rng.choice(["kept", "dismissed"]), "reason": "bench"}
            response = client.post(f"/v1/suggestions/{rng.choice(suggestions)}/feedback", json=body)
        else:
            files = {"file": (f"cv-{n}.json", _resume(n), "application/json")}
            response = client.post("/v1/candidates", files=files)
    except httpx.HTTPError as error:
        results.error(route, type(error).__name__)
        return
    results.latencies[route].append((time.perf_counter() - slot) * 1000)
    if response.status_code >= 400:
        results.error(route, str(response.status_code))


def _traffic(
    base: str,
    key: str,
    rate: float,
    duration: float,
    mix: dict[str, float],
    offers: list[str],
    suggestions: list[str],
    clients: int = 64,
) -> Results:
    """Open loop: request n is due at n / rate seconds, whatever the answers before it; `clients` threads with a
    keep-alive connection each take the due requests in turn (a request that finds them all busy waits, and its
    wait counts in its latency)."""
    results = Results()
    routes = list(mix)
    weights = [mix[r] for r in routes]
    picker = random.Random(7)
    due: queue.Queue[tuple[int, str, float] | None] = queue.Queue()

    def client_thread() -> None:
        with httpx.Client(base_url=base, headers={"X-API-Key": key}, timeout=30) as client:
            while (job := due.get()) is not None:
                n, route, slot = job
                if time.perf_counter() - slot > 0.1:
                    results.late_starts += 1
                _one(client, route, n, slot, offers, suggestions, results)

    threads = [threading.Thread(target=client_thread, daemon=True) for _ in range(clients)]
    for thread in threads:
        thread.start()
    began = time.perf_counter()
    for n in range(int(rate * duration)):
        slot = began + n / rate
        delay = slot - time.perf_counter()
        if delay > 0:
            time.sleep(delay)
        due.put((n, picker.choices(routes, weights)[0], slot))
    for _ in threads:
        due.put(None)
    for thread in threads:
        thread.join()
    return results


def _warm_cv_reader(base: str, key: str) -> None:
    """One upload, untimed: the server builds its CV reader at start-up (spaCy, the catalogue's patterns); the
    measured traffic starts once it is there, as a deployment's first users would find it."""
    with httpx.Client(base_url=base, headers={"X-API-Key": key}, timeout=900) as client:
        files = {"file": ("cv-warm.json", _resume(-1), "application/json")}
        client.post("/v1/candidates", files=files).raise_for_status()


def _tree(pid: int) -> list[int]:
    """The process and its descendants (uvicorn workers)."""
    children = Path(f"/proc/{pid}/task/{pid}/children")
    found = [pid]
    if children.exists():
        for child in children.read_text().split():
            found += _tree(int(child))
    return found


def _sample(pid: int) -> dict[str, float]:
    rss = fds = cpu = 0.0
    for p in _tree(pid):
        try:
            status = Path(f"/proc/{p}/status").read_text()
            rss += next(int(line.split()[1]) for line in status.splitlines() if line.startswith("VmRSS")) / 1024
            fds += len(os.listdir(f"/proc/{p}/fd"))
            fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
            cpu += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime
        except (OSError, StopIteration):
            continue
    return {"rss_mb": rss, "fds": fds, "cpu_s": cpu}


def _machine_cpu() -> dict[str, float]:
    """Seconds of CPU the whole machine spent busy, and in all, since boot (the first line of /proc/stat)."""
    ticks = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:9]]
    idle = ticks[3] + ticks[4]  # idle and iowait
    clock = os.sysconf("SC_CLK_TCK")
    return {"machine_busy_s": (sum(ticks) - idle) / clock, "machine_total_s": sum(ticks) / clock}


def _sampler(pid: int, neo4j_pid: int | None, results: Results, stop: threading.Event) -> None:
    """Every second: the server's RSS, fds and CPU; the CPU of Neo4j, of this process (clients and loader) and of
    the whole machine, to tell where the cores went (`_cpu_shares`)."""
    began = time.monotonic()
    while not stop.wait(1.0):
        sample = {"t": time.monotonic() - began, **_sample(pid)}
        sample["neo4j_cpu_s"] = _sample(neo4j_pid)["cpu_s"] if neo4j_pid is not None else 0.0
        sample["bench_cpu_s"] = sum(os.times()[:2])
        results.samples.append(sample | _machine_cpu())


def _cpu_shares(samples: list[dict[str, float]]) -> str:
    """Cores used over the sampled traffic: server, Neo4j, this bench (clients and loader), the rest, idle."""
    first, last = samples[0], samples[-1]
    if "machine_total_s" not in first or last["t"] <= first["t"]:
        return ""
    span = last["t"] - first["t"]
    used = {name: (last[key] - first[key]) / span for name, key in _CPU_KEYS.items()}
    busy = (last["machine_busy_s"] - first["machine_busy_s"]) / span
    cores = (last["machine_total_s"] - first["machine_total_s"]) / span
    rest = busy - sum(used.values())
    shown = ", ".join(f"{name} {value:.2f}" for name, value in used.items())
    idle = cores - busy
    return f"cores used over the traffic ({cores:.1f} in all): {shown}, the rest {rest:.2f}, idle {idle:.2f}"


_CPU_KEYS = {"server": "cpu_s", "Neo4j": "neo4j_cpu_s", "bench (clients, loader)": "bench_cpu_s"}


def _offer_loader(database: Database, employers: int, results: Results, stop: threading.Event) -> None:
    """Batches of 20 new offers every half second, through the loaders' writer."""
    batch = 0
    while not stop.wait(0.5):
        records = [
            OfferRecord(
                offer_id=f"bench-load-o{batch}-{i}",
                title="Gestionnaire des ressources humaines",
                description="Paie, carrières, absences des agents.",
                employer_id=f"E{(batch * 20 + i) % employers}",
                departement=f"{1 + i % 95:02d}",
                published_at="2025-06-01",
                contract="titulaire_ou_contractuel",
                source="bench-load",
                versant="FPT",
                categorie="B",
            )
            for i in range(20)
        ]
        write_offers(database, records)
        results.offers_written += len(records)
        batch += 1


def report(results: Results, rate: float, duration: float, out: Path | None) -> int:
    table = Table(title=f"Mixed traffic at {rate:g} req/s for {duration:g} s")
    for column in ("route", "requests", "p50 ms", "p99 ms", "errors"):
        table.add_column(column, justify="right" if column != "route" else "left")
    errors = 0
    summary: dict[str, Any] = {"rate": rate, "duration": duration, "routes": {}}
    for route in ROUTES:
        latencies = results.latencies[route]
        failed = sum(results.errors[route].values())
        errors += failed
        if not latencies and not failed:
            continue
        p50, p99 = percentiles(latencies) if latencies else (float("nan"), float("nan"))
        shown = ", ".join(f"{k}×{v}" for k, v in results.errors[route].items()) or "0"
        table.add_row(route, str(len(latencies)), f"{p50:.1f}", f"{p99:.1f}", shown)
        summary["routes"][route] = {"n": len(latencies), "p50": p50, "p99": p99, "errors": results.errors[route]}
    console.print(table)
    samples = results.samples
    if samples:
        for name in ("rss_mb", "fds"):
            values = [s[name] for s in samples]
            quarters = ", ".join(f"{values[min(len(values) - 1, len(values) * q // 4)]:.0f}" for q in (1, 2, 3))
            console.print(
                f"{name}: start {values[0]:.0f}, at 1/4, 1/2, 3/4 {quarters}, end {values[-1]:.0f}, "
                f"peak {max(values):.0f}; slope over the second half {_slope(samples, name):+.2f}/min"
            )
        answered = sum(len(v) for v in results.latencies.values())
        cpu = samples[-1]["cpu_s"] - samples[0]["cpu_s"]
        if answered and cpu > 0:
            # What a machine of its own would give: the rate one core of server CPU sustains, whatever the load.
            console.print(
                f"server CPU: {cpu:.1f} s for {answered} requests answered while sampled, "
                f"{1000 * cpu / answered:.1f} ms per request, about {answered / cpu:.0f} requests/s per core"
            )
        if shares := _cpu_shares(samples):
            console.print(shares)
    console.print(f"offers written by the loader meanwhile: {results.offers_written}")
    console.print(f"requests sent > 100 ms after they were due (every client busy): {results.late_starts}")
    summary |= {"samples": samples, "offers_written": results.offers_written, "late_starts": results.late_starts}
    if out is not None:
        out.write_text(json.dumps(summary, indent=1))
    return errors


def _slope(samples: list[dict[str, float]], name: str) -> float:
    """Least-squares slope per minute over the second half of the run: the first half holds the warm-up (the CV
    reader's models, the caches filling); a leak keeps growing after it, a flat process does not."""
    half = samples[len(samples) // 2 :]
    if len(half) < 2:
        return 0.0
    t = [s["t"] for s in half]
    v = [s[name] for s in half]
    mean_t, mean_v = sum(t) / len(t), sum(v) / len(v)
    var = sum((x - mean_t) ** 2 for x in t)
    return 60 * sum((x - mean_t) * (y - mean_v) for x, y in zip(t, v, strict=True)) / var if var else 0.0


def _mix(text: str) -> dict[str, float]:
    parts = dict(item.split("=") for item in text.split(","))
    mix = {route: float(parts.get(route, 0)) for route in ROUTES}
    if not sum(mix.values()):
        raise argparse.ArgumentTypeError("the mix gives no weight to any route")
    return mix


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rate", type=float, default=200.0, help="requests per second")
    parser.add_argument("--duration", type=float, default=60.0, help="seconds of traffic")
    parser.add_argument("--soak", action="store_true", help="10 minutes at --rate (RSS and fds must stay flat)")
    parser.add_argument("--mix", type=_mix, default=DEFAULT_MIX, help="e.g. ranking=0.7,explanation=0.1,…")
    parser.add_argument("--candidates", type=int, default=5_000)
    parser.add_argument("--offers", type=int, default=500)
    parser.add_argument("--employers", type=int, default=150)
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--random-model", action="store_true", help="no training: random 256-d embeddings")
    parser.add_argument("--workers", type=int, default=1, help="uvicorn worker processes of the API")
    parser.add_argument("--clients", type=int, default=64, help="client threads, one connection each")
    parser.add_argument("--heap", default="2g", help="the private Neo4j's heap")
    parser.add_argument("--pagecache", default="1g", help="the private Neo4j's page cache")
    parser.add_argument("--out", type=Path, help="write the figures as JSON here")
    parser.add_argument("--no-loader", action="store_true", help="no offers written meanwhile (to tell causes apart)")
    parser.add_argument(
        "--by-route",
        action="store_true",
        help="instead of the mix: the CPU of the server and of Neo4j per request of each route alone, and per offer "
        "the loader writes, each phase after an idle one (where the cores go, by cause)",
    )
    parser.add_argument("--repeat", type=int, default=2, help="with --by-route: passes over the phases")
    args = parser.parse_args()
    duration = 600.0 if args.soak else args.duration
    if args.random_model and args.mix.get("upload"):
        console.print("--random-model has no weights to embed an uploaded CV with: uploads left out of the mix")
        args.mix["upload"] = 0.0

    with tempfile.TemporaryDirectory(prefix="vivier-bench-load-") as sandbox:
        root = Path(sandbox)
        shared_ontology = get_settings().data_dir / "ontology"  # the catalogue the CV parser reads: not rebuilt
        (root / "data").mkdir()
        if shared_ontology.is_dir():
            (root / "data" / "ontology").symlink_to(shared_ontology, target_is_directory=True)
        neo4j = EmbeddedServer(home=root / "neo4j", port=free_port(), heap=args.heap, pagecache=args.pagecache)
        with console.status("Starting a private Neo4j…"):
            neo4j.start(timeout=600)
        env = dict(os.environ, NEO4J_URI=neo4j.uri, VIVIER_DATA_DIR=str(root / "data"))
        os.environ.update(NEO4J_URI=neo4j.uri, VIVIER_DATA_DIR=str(root / "data"))
        get_settings.cache_clear()
        database = Database.connect(uri=neo4j.uri)
        server: subprocess.Popen[bytes] | None = None
        try:
            apply_schema(database)
            load_ontology_and_employers(database, args.employers)
            with Progress(console=console, transient=True) as progress:
                load_candidates(database, 0, args.candidates, progress)
            offers = load_offers_and_applications(database, args.offers, args.employers, args.candidates)
            if not args.random_model:
                _train(database, args.epochs)
            suggestions = queries.store_suggestions(
                database,
                [
                    {
                        "kind": "candidate_for_offer",
                        "offer_id": o,
                        "candidate_id": f"bench-c{(7 * i) % args.candidates}",
                    }
                    | {"score": 0.5, "rank": 1, "model_version": "bench"}
                    for i, o in enumerate(offers)
                ],
            )
            key = create_api_key(database, "admin", label="bench-load")[1]
            port = free_port()
            server_log = root / "server.log"
            server = start_server(env, port, args.random_model, args.workers, log=server_log)
            base = f"http://127.0.0.1:{port}"
            with console.status("Warming up (model load, caches, the CV reader)…"):
                _traffic(base, key, 20, 5, {"ranking": 1.0}, offers, suggestions, args.clients)
                _warm_cv_reader(base, key)
            if args.by_route:
                by_route(base, key, server.pid, neo4j.pid(), database, args, offers, suggestions)
                return
            results = Results()
            stop = threading.Event()
            helpers = [threading.Thread(target=_sampler, args=(server.pid, neo4j.pid(), results, stop), daemon=True)]
            if not args.no_loader:
                loader = threading.Thread(
                    target=_offer_loader, args=(database, args.employers, results, stop), daemon=True
                )
                helpers.append(loader)
            for helper in helpers:
                helper.start()
            with console.status(f"{args.rate:g} req/s for {duration:g} s…"):
                measured = _traffic(base, key, args.rate, duration, args.mix, offers, suggestions, args.clients)
            stop.set()
            for helper in helpers:
                helper.join(timeout=30)
            measured.samples, measured.offers_written = results.samples, results.offers_written
            errors = report(measured, args.rate, duration, args.out)
            if errors and server_log.exists():  # the server's side of its errors: the tracebacks it logged
                console.print("The server's log, last lines:\n" + server_log.read_text(errors="replace")[-6000:])
        finally:
            if server is not None:
                server.terminate()
                server.wait(30)
            database.close()
            neo4j.stop()
    sys.exit(1 if errors else 0)


# Each route alone at a rate this 2-core machine keeps up with, so that CPU per request is not a queue's.
ROUTE_RATES = {"ranking": 60.0, "explanation": 15.0, "feedback": 40.0, "upload": 8.0}
PHASE_S = 30.0


def _thread_cpu(pid: int | None) -> dict[str, float]:
    """CPU seconds by thread name, digits folded (a JVM's "GC Thread#0" and "GC Thread#1" are one group)."""
    spent: dict[str, float] = {}
    for p in _tree(pid) if pid else []:
        for task in Path(f"/proc/{p}/task").glob("*"):
            try:
                name = re.sub(r"\d+", "#", (task / "comm").read_text().strip())
                fields = (task / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            spent[name] = spent.get(name, 0.0) + (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return spent


@dataclass
class Spent:
    server: float  # CPU seconds of the process tree (threads that exited included)
    neo4j: float
    neo4j_threads: dict[str, float]  # Neo4j's CPU seconds by thread group (its threads live as long as it does)
    wall: float


def _cpu_over(pid: int, neo4j_pid: int | None, work: Callable[[], T]) -> tuple[T, Spent]:
    """What `work()` returns, and the CPU the server and Neo4j spent while it ran."""

    def now() -> tuple[float, float, dict[str, float], float]:
        neo4j = _sample(neo4j_pid)["cpu_s"] if neo4j_pid else 0.0
        return _sample(pid)["cpu_s"], neo4j, _thread_cpu(neo4j_pid), time.monotonic()

    before = now()
    done = work()
    after = now()
    threads = {name: spent - before[2].get(name, 0.0) for name, spent in after[2].items()}
    return done, Spent(after[0] - before[0], after[1] - before[1], threads, after[3] - before[3])


def by_route(
    base: str,
    key: str,
    pid: int,
    neo4j_pid: int | None,
    database: Database,
    args: argparse.Namespace,
    offers: list[str],
    suggestions: list[str],
) -> None:
    """Where the cores go, by cause: an idle phase gives the background (the freshness watcher's polls, the
    log writer), then the loader alone, then each route alone, `--repeat` times (the first pass also pays the
    JVM's compilation of new code paths); each phase's CPU net of the background, per unit, and Neo4j's busiest
    thread groups."""
    idle = _cpu_over(pid, neo4j_pid, lambda: time.sleep(PHASE_S))[1]
    background = (idle.server / idle.wall, idle.neo4j / idle.wall)
    table = Table(title=f"CPU per unit, net of the idle background, {PHASE_S:g} s a phase")
    for column in ("phase", "units", "server ms/unit", "Neo4j ms/unit", "errors", "Neo4j's busiest threads, ms/unit"):
        table.add_column(column, justify="left" if column.startswith(("phase", "Neo4j's")) else "right")
    table.add_row("idle (background), per s", f"{idle.wall:.0f} s", *(f"{1000 * b:.1f}" for b in background), "0")

    def row(name: str, units: int, spent: Spent, errors: int) -> None:
        net = (spent.server - background[0] * spent.wall, spent.neo4j - background[1] * spent.wall)
        busiest = sorted(spent.neo4j_threads.items(), key=lambda i: -i[1])[:4]
        threads = ", ".join(f"{t} {1000 * s / max(units, 1):.2f}" for t, s in busiest)
        table.add_row(name, str(units), *(f"{1000 * n / max(units, 1):.2f}" for n in net), str(errors), threads)

    for _ in range(args.repeat):
        if not args.no_loader:
            written, stop = Results(), threading.Event()

            def load(written: Results = written, stop: threading.Event = stop) -> None:
                loader = threading.Thread(target=_offer_loader, args=(database, args.employers, written, stop))
                loader.start()
                time.sleep(PHASE_S)
                stop.set()
                loader.join(timeout=30)

            spent = _cpu_over(pid, neo4j_pid, load)[1]
            row("loader (per offer written)", written.offers_written, spent, 0)
        for route, rate in ROUTE_RATES.items():
            if args.mix.get(route):
                measured, spent = _cpu_over(
                    pid, neo4j_pid, partial(_traffic, base, key, rate, PHASE_S, {route: 1.0}, offers, suggestions)
                )
                answered, errors = len(measured.latencies[route]), sum(measured.errors[route].values())
                row(f"{route} alone at {rate:g}/s (per request)", answered, spent, errors)
    console.print(table)


def _candidate(i: int, candidates: int) -> str:
    return f"bench-c{(7 * i) % candidates}"


def _train(database: Database, epochs: int) -> None:
    from gnn.career import CareerConfig
    from gnn.pipeline import train_model
    from gnn.train import TrainConfig

    config = TrainConfig(
        hidden=32, out=64, epochs=epochs, eval_every=5, random_negatives=16, eligible_negatives=8, hard_negatives=4
    )
    with console.status(f"Training the GNN ({epochs} epochs)…"):
        train_model(database, config, CareerConfig(hidden=16, out=16, epochs=epochs), progress=False)


if __name__ == "__main__":
    main()
