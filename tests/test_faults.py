"""Faults, on real processes: Neo4j killed under a running API (503 with Retry-After within a second, recovery
when it returns), an API process killed with SIGKILL during a burst of writes (every write it acknowledged is in
Neo4j), a loader killed with SIGKILL mid-load (the re-run gives the graph an uninterrupted load gives)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from graph import queries
from graph.access import create_api_key
from graph.db import Database
from graph.schema import apply_schema
from graph.server import EmbeddedServer, free_port
from tests.conftest import ONTOLOGY_LABELS, wipe
from tests.support.ingestion import count, graph_fingerprint, write_ontology_stubs
from vivier.settings import REPO_ROOT, Settings

pytestmark = [pytest.mark.neo4j, pytest.mark.slow]


# --- Neo4j killed under the API ----------------------------------------------------------------------------------
@pytest.fixture
def own_neo4j(tmp_path: Path) -> Iterator[EmbeddedServer]:
    """A Neo4j of this test's own, to kill (the session's serves the other tests)."""
    server = EmbeddedServer(home=tmp_path / "neo4j", port=free_port(), heap="512m", pagecache="64m")
    server.start(timeout=600)
    try:
        yield server
    finally:
        server.stop()


def _kill(server: EmbeddedServer) -> None:
    pid = server.pid()
    assert pid is not None
    os.kill(pid, signal.SIGKILL)
    os.waitpid(pid, 0)  # our child: reaped, so the port is free for the restart
    server.pid_file.unlink(missing_ok=True)


def test_neo4j_killed_gives_503_with_retry_after_within_a_second_then_recovers(
    own_neo4j: EmbeddedServer, env: Callable[..., Settings], tmp_path: Path
) -> None:
    # The loop below asks as fast as 503s come back: the per-key rate limit (tests/api/test_abuse.py) is lifted.
    settings = env(
        NEO4J_URI=own_neo4j.uri, VIVIER_DATA_DIR=str(tmp_path / "data"), VIVIER_API_RATE_LIMIT="1000000/second"
    )
    setup = Database.connect(uri=own_neo4j.uri)
    apply_schema(setup)
    setup.execute_query(
        "CREATE (o:Offer {offer_id: 'O1', title: 'Gestionnaire paie', source: 'test'})"
        "-[:POSTED_BY]->(:Employer {employer_id: 'E1', name: 'Commune'})"
    )
    headers = {"X-API-Key": create_api_key(setup, "admin", label="faults")[1]}
    setup.close()
    path = "/v1/offers/O1/applications"  # no model needed: Neo4j alone answers it
    with TestClient(create_app(settings)) as client:  # its own handle: the server's driver settings (FAIL_FAST)
        assert client.get(path, headers=headers).status_code == 200
        _kill(own_neo4j)
        killed = time.monotonic()
        answers = []
        while time.monotonic() - killed < 3.0:
            started = time.monotonic()
            response = client.get(path, headers=headers)
            answers.append((started - killed, time.monotonic() - started, response))
        slowest = max(took for _, took, _ in answers)
        assert slowest <= 1.0, f"slowest answer {slowest:.2f} s"
        late = [r for since, _, r in answers if since > 1.5]  # memory (keys, offers) no longer trusted by then
        seen = {(r.status_code, r.headers.get("Retry-After"), r.json().get("detail")) for r in late}
        assert late and all(r.status_code == 503 and int(r.headers.get("Retry-After", 0)) >= 1 for r in late), seen
        assert {r.status_code for _, _, r in answers} <= {200, 503}

        own_neo4j.start(timeout=600)  # recovery after a kill, on a busy machine
        deadline = time.monotonic() + 30
        while client.get(path, headers=headers).status_code != 200:  # the same app, no restart: it recovers
            assert time.monotonic() < deadline, "the API did not recover within 30 s of Neo4j's return"
            time.sleep(0.2)


# --- an API process killed during a burst of writes ----------------------------------------------------------------
def _serve(port: int, env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    process = subprocess.Popen(
        [sys.executable, "-m", "vivier.cli", "serve", "--port", str(port)],
        cwd=REPO_ROOT,
        env=env,
        stdout=log.open("ab"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    deadline = time.monotonic() + 180
    while True:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/health", timeout=1).status_code == 200:
                return process
        except httpx.HTTPError:
            pass
        assert process.poll() is None, log.read_text()[-3000:]
        assert time.monotonic() < deadline, "vivier serve did not answer within 180 s"
        time.sleep(0.3)


def test_an_api_killed_mid_burst_keeps_every_write_it_acknowledged(
    clean_data: Database, neo4j_uri: str, tmp_path: Path
) -> None:
    db = clean_data
    candidates = [f"burst-cand-{i:02d}" for i in range(40)]
    db.execute_query(
        "CREATE (o:Offer {offer_id: 'B1', title: 'Gestionnaire RH', source: 'test'})"
        "-[:POSTED_BY]->(:Employer {employer_id: 'EB1', name: 'Commune'}) "
        "WITH o UNWIND $ids AS id CREATE (:Candidate {candidate_id: id, source: 'test'})",
        ids=candidates,
    )
    rows = [
        {
            "kind": "candidate_for_offer",
            "offer_id": "B1",
            "candidate_id": c,
            "score": 0.5,
            "rank": i,
            "model_version": "t",
        }
        for i, c in enumerate(candidates, start=1)
    ]
    suggestions = queries.store_suggestions(db, rows)
    headers = {"X-API-Key": create_api_key(db, "admin", label="burst")[1]}
    port = free_port()
    env = {**os.environ, "NEO4J_URI": neo4j_uri, "VIVIER_DATA_DIR": str(tmp_path / "data")}
    server = _serve(port, env, tmp_path / "serve.log")
    base = f"http://127.0.0.1:{port}"

    acknowledged: list[tuple[str, str]] = []  # (kind, key) of every write answered 2xx
    lock = threading.Lock()

    def write(i: int) -> None:
        try:
            if i % 5 == 0 and i // 5 < len(suggestions):
                sid = suggestions[i // 5]
                body: dict[str, Any] = {"decision": "kept", "reason": f"burst-{i}"}
                response = httpx.post(f"{base}/v1/suggestions/{sid}/feedback", json=body, headers=headers, timeout=10)
                kind, key = "feedback", sid
            else:
                app = {"application_id": f"burst-{i}", "offer_id": "B1", "candidate_id": candidates[i % 40]}
                response = httpx.post(f"{base}/v1/applications", json=app, headers=headers, timeout=10)
                kind, key = "application", f"burst-{i}"
        except httpx.HTTPError:
            return  # the server is gone: this write was never acknowledged
        if 200 <= response.status_code < 300:
            with lock:
                acknowledged.append((kind, key))

    def killer() -> None:
        while len(acknowledged) < 40:
            time.sleep(0.005)
        os.killpg(server.pid, signal.SIGKILL)  # the whole session: uvicorn and anything it started

    threading.Thread(target=killer, daemon=True).start()
    with ThreadPoolExecutor(8) as pool:
        list(pool.map(write, range(400)))
    server.wait(timeout=30)
    assert server.returncode == -signal.SIGKILL
    assert 40 <= len(acknowledged) < 400, len(acknowledged)  # killed mid-burst

    applications = {r["id"] for r in db.execute_query("MATCH ()-[a:APPLIED]->() RETURN a.application_id AS id")[0]}
    kept = {r["id"] for r in db.execute_query("MATCH (s:Suggestion {status: 'kept'}) RETURN s.suggestion_id AS id")[0]}
    assert {key for kind, key in acknowledged if kind == "application"} <= applications
    assert {key for kind, key in acknowledged if kind == "feedback"} <= kept

    restarted = _serve(port, env, tmp_path / "serve.log")
    try:
        listed = httpx.get(f"{base}/v1/offers/B1/applications", headers=headers, timeout=30)
        assert listed.status_code == 200, listed.text
        assert {a["application_id"] for a in listed.json()} == applications
    finally:
        os.killpg(restarted.pid, signal.SIGTERM)
        restarted.wait(timeout=60)


# --- a loader killed mid-load ------------------------------------------------------------------------------------
def test_a_loader_killed_mid_load_then_rerun_gives_the_uninterrupted_graph(db: Database, tmp_path: Path) -> None:
    from simulator.dataset import simulate_dataset

    dataset = tmp_path / "dataset"
    simulate_dataset(dataset, 120, seed=3, quiet=True)
    load = [sys.executable, "-m", "vivier.cli", "load", "dataset", str(dataset), "--source", "faults"]
    env = {**os.environ, "VIVIER_DATA_DIR": str(tmp_path / "data")}
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "ontology").symlink_to(Path(os.environ["VIVIER_DATA_DIR"]) / "ontology")
    subprocess.run(load, cwd=REPO_ROOT, env=env, check=True, capture_output=True)
    expected = graph_fingerprint(db)
    total = count(db, "MATCH (n) WHERE n:Offer OR n:Candidate RETURN count(n)")

    wipe(db, keep_labels=ONTOLOGY_LABELS)
    write_ontology_stubs(db)
    loader = subprocess.Popen(load, cwd=REPO_ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    while count(db, "MATCH (n) WHERE n:Offer OR n:Candidate RETURN count(n)") == 0:
        assert loader.poll() is None, "the loader ended before it wrote anything"
        time.sleep(0.01)
    loader.send_signal(signal.SIGKILL)
    loader.wait()
    written = count(db, "MATCH (n) WHERE n:Offer OR n:Candidate RETURN count(n)")
    assert 0 < written < total, (written, total)  # killed mid-load
    assert graph_fingerprint(db) != expected

    subprocess.run(load, cwd=REPO_ROOT, env=env, check=True, capture_output=True)  # the re-run
    assert graph_fingerprint(db) == expected
