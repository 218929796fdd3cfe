"""The API tests' app: a tiny real graph in the test Neo4j, a real GNN trained on it (a few epochs), the FastAPI
app served in-process with one key per role, and a real HTTP receiver on 127.0.0.1 for webhooks. Its one
fixture, `api`, is exposed by tests/api/conftest.py."""

from __future__ import annotations

import random
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from graph.access import create_api_key
from graph.db import Database
from graph.server import free_port
from ontology import uris
from tests.support.settings import environment
from vivier.settings import get_settings

FICHES = ["K1401", "K1402", "M1402", "M1501"]
SKILLS = [f"competence-{i}" for i in range(12)]
EMPLOYERS = {"EA": ("commune", "75"), "EB": ("commune", "69"), "EH": ("hopital", "75")}


def _graph_rows(seed: int = 3) -> dict[str, list[dict[str, Any]]]:
    """A small, plausible recruitment graph: candidates, offers, applications whose outcomes follow skills."""
    rng = random.Random(seed)
    fiche_skills = {f: SKILLS[3 * i : 3 * i + 4] for i, f in enumerate(FICHES)}
    candidates = []
    for i in range(24):
        fiche = FICHES[i % len(FICHES)]
        own = set(fiche_skills[fiche][:3]) | set(rng.sample(SKILLS, 2))
        candidates.append(
            {
                "candidate_id": f"cand-{i:02d}",
                "fiche": uris.rome_fiche(fiche),
                "skills": [uris.skill(s) for s in own],
                "titulaire": i % 3 != 0,
                "versant": "FPT",
                "categorie": "A" if i % 2 else "B",
                "education_level": 3,
                "departement": "75" if i % 2 else "69",
                "grade": i % 6 == 1,
            }
        )
    offers = []
    for j in range(12):
        fiche = FICHES[j % len(FICHES)]
        employer = list(EMPLOYERS)[j % 3]
        offers.append(
            {
                "offer_id": f"off-{employer}-{j:02d}",
                "employer_id": employer,
                "fiche": uris.rome_fiche(fiche),
                "title": f"Poste {fiche} n°{j}",
                "published_at": f"2025-{1 + j % 12:02d}-15",
                "skills": [{"uri": uris.skill(s), "essential": k < 2} for k, s in enumerate(fiche_skills[fiche])],
                "categorie": "A" if j % 2 else "B",
                "departement": EMPLOYERS[employer][1],
            }
        )
    applications = []
    for j, offer in enumerate(offers):
        for n, cand in enumerate(rng.sample(candidates, 6)):
            fits = cand["fiche"] == offer["fiche"]
            stage = ("hired" if n % 2 == 0 else "shortlisted") if fits else "rejected"
            applications.append(
                {
                    "application_id": f"app-{j}-{n}",
                    "offer_id": offer["offer_id"],
                    "candidate_id": cand["candidate_id"],
                    "stage": stage,
                    "applied_at": offer["published_at"],
                }
            )
        # every offer has at least one positive: its fiche's first candidate
        match = next(c for c in candidates if c["fiche"] == offer["fiche"])
        applications.append(
            {
                "application_id": f"app-{j}-fit",
                "offer_id": offer["offer_id"],
                "candidate_id": match["candidate_id"],
                "stage": "hired",
                "applied_at": offer["published_at"],
            }
        )
    # A candidate known to employer EA only: the cross-employer access tests use it.
    candidates.append(dict(candidates[0], candidate_id="cand-ea"))
    applications.append(
        {
            "application_id": "app-ea",
            "offer_id": offers[0]["offer_id"],
            "candidate_id": "cand-ea",
            "stage": "received",
            "applied_at": offers[0]["published_at"],
        }
    )
    return {
        "candidates": candidates,
        "offers": offers,
        "applications": applications,
        "fiche_skills": [
            {"fiche": uris.rome_fiche(f), "skills": [uris.skill(s) for s in ss]} for f, ss in fiche_skills.items()
        ],
    }


def load_tiny_graph(database: Database) -> None:
    database.execute_query("MATCH (n) WHERE NOT n:SchemaMigration DETACH DELETE n")
    rows = _graph_rows()
    database.execute_query(
        "UNWIND $skills AS s CREATE (:Concept:Skill {uri: s, label: 'Savoir ' + s, label_folded: 'savoir ' + s, "
        "kind: 'savoir'})",
        skills=[uris.skill(s) for s in SKILLS],
    )
    database.execute_query(
        "UNWIND $fiches AS f "
        "CREATE (:Concept:Occupation:RomeFiche {uri: f.uri, code: f.code, label: 'Fiche ' + f.code})",
        fiches=[{"uri": uris.rome_fiche(f), "code": f} for f in FICHES],
    )
    database.execute_query(
        "UNWIND $rows AS r MATCH (f:RomeFiche {uri: r.fiche}) UNWIND r.skills AS s MATCH (k:Skill {uri: s}) "
        "CREATE (f)-[:REQUIRES_SKILL {essential: true}]->(k)",
        rows=rows["fiche_skills"],
    )
    mobility = [
        ("K1401", "K1402", "proche"),
        ("K1402", "M1402", "evolution"),
        ("K1401", "M1402", "evolution"),
        ("M1402", "M1501", "proche"),
    ]
    database.execute_query(
        "UNWIND $m AS m MATCH (a:RomeFiche {code: m[0]}), (b:RomeFiche {code: m[1]}) "
        "CREATE (a)-[:MOBILITY {kind: m[2]}]->(b)",
        m=[list(x) for x in mobility],
    )
    database.execute_query(
        "CREATE (ce:Concept:CadreEmplois {uri: $ce, label: 'Attachés territoriaux'}), "
        "(g:Concept:Grade {uri: $g, label: 'Attaché'})-[:GRADE_OF]->(ce), "
        "(ce)-[:IN_CATEGORIE]->(:Concept:Categorie {uri: $cat, code: 'A', label: 'A'}), "
        "(ce)-[:IN_VERSANT]->(:Concept:Versant {uri: $v, code: 'FPT', label: 'FPT'}), "
        "(:Departement {code: '75'}), (:Departement {code: '69'})",
        ce=uris.cadre_emplois("TEST-ATT"),
        g=uris.grade("TEST-ATT-1"),
        cat=uris.categorie("A"),
        v=uris.versant("FPT"),
    )
    database.execute_query(
        "UNWIND $rows AS r MATCH (d:Departement {code: r.dep}) "
        "CREATE (e:Employer {employer_id: r.id, name: 'Employeur ' + r.id, kind: r.kind})-[:LOCATED_IN]->(d)",
        rows=[{"id": k, "kind": v[0], "dep": v[1]} for k, v in EMPLOYERS.items()],
    )
    database.execute_query(
        "UNWIND $rows AS r MATCH (f:RomeFiche {uri: r.fiche}), (d:Departement {code: r.departement}) "
        "CREATE (c:Candidate {candidate_id: r.candidate_id, titulaire: r.titulaire, versant: r.versant, "
        "  categorie: r.categorie, education_level: r.education_level, source: 'test'}) "
        "CREATE (c)-[:HELD {order: 0, start: date('2020-01-01')}]->(f) CREATE (c)-[:LIVES_IN]->(d) "
        "WITH c, r UNWIND r.skills AS s MATCH (k:Skill {uri: s}) CREATE (c)-[:HAS_SKILL {confidence: 1.0}]->(k)",
        rows=rows["candidates"],
    )
    database.execute_query(
        "UNWIND $ids AS id MATCH (c:Candidate {candidate_id: id}), (g:Grade) CREATE (c)-[:HOLDS_GRADE]->(g)",
        ids=[c["candidate_id"] for c in rows["candidates"] if c["grade"]],
    )
    database.execute_query(
        "UNWIND $rows AS r MATCH (e:Employer {employer_id: r.employer_id}), (f:RomeFiche {uri: r.fiche}), "
        "(d:Departement {code: r.departement}) "
        "CREATE (o:Offer {offer_id: r.offer_id, title: r.title, description: 'Description de ' + r.title, "
        "  published_at: date(r.published_at), contract: 'titulaire_ou_contractuel', versant: 'FPT', "
        "  categorie: r.categorie, source: 'test'}) "
        "CREATE (o)-[:POSTED_BY]->(e) CREATE (o)-[:OF_OCCUPATION {rank: 1, score: 1.0}]->(f) "
        "CREATE (o)-[:LOCATED_IN]->(d) "
        "WITH o, r UNWIND r.skills AS s MATCH (k:Skill {uri: s.uri}) "
        "CREATE (o)-[:REQUIRES_SKILL {essential: s.essential}]->(k)",
        rows=rows["offers"],
    )
    database.execute_query(
        "UNWIND $rows AS r MATCH (c:Candidate {candidate_id: r.candidate_id}), (o:Offer {offer_id: r.offer_id}) "
        "CREATE (c)-[:APPLIED {application_id: r.application_id, stage: r.stage, applied_at: date(r.applied_at), "
        "  updated_at: date(r.applied_at)}]->(o)",
        rows=rows["applications"],
    )


class Receiver:
    """A real HTTP receiver on 127.0.0.1 that fails its first `failures` requests with a 503."""

    def __init__(self, failures: int) -> None:
        self.failures = failures
        self.received: list[tuple[dict[str, str], bytes]] = []
        self.attempts = 0
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                outer.attempts += 1
                if outer.attempts <= outer.failures:
                    self.send_response(503)
                else:
                    outer.received.append((dict(self.headers), body))
                    self.send_response(200)
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", free_port()), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


# Package scope: built once for all of tests/api/ (the graph load and the training take ~30 s), torn down after its
# last test, so the data directory it points VIVIER_DATA_DIR to and its app's threads end with the API tests.
@pytest.fixture(scope="package")
def api(database: Database, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """The app over the tiny graph with a real model trained on it, and one key per role."""
    from gnn.career import CareerConfig
    from gnn.pipeline import train_model
    from gnn.train import TrainConfig

    shared_ontology = get_settings().data_dir / "ontology"  # the catalogue cache: built once per machine, not per run
    shared_ontology.mkdir(parents=True, exist_ok=True)
    data_dir = tmp_path_factory.mktemp("vivier-data")  # models trained here stay out of the real data_dir
    (data_dir / "ontology").symlink_to(shared_ontology, target_is_directory=True)
    with environment(VIVIER_DATA_DIR=str(data_dir)):
        load_tiny_graph(database)
        config = TrainConfig(
            hidden=16, out=16, epochs=10, eval_every=5, random_negatives=8, eligible_negatives=4, hard_negatives=2
        )
        version = train_model(database, config, CareerConfig(hidden=16, out=16, epochs=10, negatives=4), progress=False)
        keys = {
            "admin": create_api_key(database, "admin", label="test admin")[1],
            "hr": create_api_key(database, "hr_expert", label="test curator")[1],
            "recA": create_api_key(database, "recruiter", "EA", "recruiter of EA")[1],
            "recB": create_api_key(database, "recruiter", "EB", "recruiter of EB")[1],
        }
        # Webhooks go to a receiver on 127.0.0.1: allowed here only (VIVIER_WEBHOOK_ALLOW_PRIVATE, off by default).
        # Every test request comes from one address, and the access tests send revoked and unknown keys on purpose:
        # the bad-key back-off (tested with its own app in tests/api/test_abuse.py) would then hold the keys the
        # later tests create.
        relaxed = {"webhook_allow_private": True, "api_bad_keys_allowed": 1_000_000}
        app = create_app(get_settings().model_copy(update=relaxed), db=database)
        app.state.vivier.dispatcher.base_delay = 0.05  # the back-off schedule, shortened for the test
        with TestClient(app) as client:
            yield {"client": client, "keys": keys, "version": version.version, "app": app, "database": database}


def call(api: dict[str, Any], who: str | None, method: str, path: str, **kwargs: Any) -> Any:
    headers = {"X-API-Key": api["keys"][who]} if who else {}
    return api["client"].request(method, path, headers=headers, **kwargs)


def _resolve(api: dict[str, Any], path: str) -> str:
    """Routes on a suggestion need one of employer EA's: store it (MERGE, so idempotent)."""
    from graph import queries

    if "WEBHOOK" in path:
        hook = queries.register_webhook(api["database"], "http://127.0.0.1:9/ea", "candidates_for_offer", "EA")
        return path.replace("WEBHOOK", hook)
    if "SUGGESTION" not in path:
        return path

    row = {
        "kind": "candidate_for_offer",
        "offer_id": "off-EA-00",
        "candidate_id": "cand-00",
        "score": 0.5,
        "rank": 1,
        "model_version": api["version"],
    }
    return path.replace("SUGGESTION", queries.store_suggestions(api["database"], [row])[0])
