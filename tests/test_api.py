"""The query API end to end: a tiny real graph in the test Neo4j, a real GNN trained on it (a few epochs), the
FastAPI app served in-process, webhooks delivered to a real HTTP receiver on 127.0.0.1."""

from __future__ import annotations

import ipaddress
import json
import os
import random
import socket
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api import push
from api.app import create_app
from api.push import SIGNATURE_HEADER, Delivery, WebhookDispatcher, resolve_webhook, verify
from graph.access import create_api_key
from graph.db import Database
from graph.server import free_port
from ontology import uris
from vivier.settings import Settings, get_settings

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


@pytest.fixture(scope="module")
def api(database: Database, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """The app over the tiny graph with a real model trained on it, and one key per role."""
    from gnn.career import CareerConfig
    from gnn.pipeline import train_model
    from gnn.train import TrainConfig

    previous = os.environ.get("VIVIER_DATA_DIR")
    shared_ontology = get_settings().data_dir / "ontology"  # the catalogue cache: built once per machine, not per run
    shared_ontology.mkdir(parents=True, exist_ok=True)
    data_dir = tmp_path_factory.mktemp("vivier-data")  # models trained here stay out of the real data_dir
    (data_dir / "ontology").symlink_to(shared_ontology, target_is_directory=True)
    os.environ["VIVIER_DATA_DIR"] = str(data_dir)
    get_settings.cache_clear()
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
    app = create_app(get_settings().model_copy(update={"webhook_allow_private": True}), db=database)
    app.state.vivier.dispatcher.base_delay = 0.05  # the back-off schedule, shortened for the test
    with TestClient(app) as client:
        yield {"client": client, "keys": keys, "version": version.version, "app": app, "database": database}
    if previous is None:
        os.environ.pop("VIVIER_DATA_DIR", None)
    else:
        os.environ["VIVIER_DATA_DIR"] = previous
    get_settings.cache_clear()


def call(api: dict[str, Any], who: str | None, method: str, path: str, **kwargs: Any) -> Any:
    headers = {"X-API-Key": api["keys"][who]} if who else {}
    return api["client"].request(method, path, headers=headers, **kwargs)


# --- recommendations ---------------------------------------------------------------------------------------
def test_candidates_for_offer_are_ranked_explained_and_logged(api: dict[str, Any]) -> None:
    response = call(api, "recA", "GET", "/v1/offers/off-EA-00/candidates", params={"k": 5})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["model_version"] == api["version"]
    assert "a recruiter decides" in body["notice"]
    ranked = body["candidates"]
    assert len(ranked) == 5
    assert [c["rank"] for c in ranked] == [1, 2, 3, 4, 5]
    assert [c["score"] for c in ranked] == sorted((c["score"] for c in ranked), reverse=True)
    first = ranked[0]
    assert set(first["eligibility"]) == {"eligible", "route", "reasons"}
    explanation = first["explanation"]
    assert explanation["model_version"] == api["version"]
    required = {s["uri"] for s in explanation["skills_shared"]} | {s["uri"] for s in explanation["skills_missing"]}
    assert len(required) == 4  # the offer's four required skills, split between shared and missing
    essentials = [s["essential"] for s in explanation["skills_shared"]]
    assert essentials == sorted(essentials, reverse=True)  # essential first
    assert explanation["offer_occupation"]["uri"] == uris.rome_fiche("K1401")
    everyone = call(api, "recA", "GET", "/v1/offers/off-EA-00/candidates", params={"k": 30}).json()["candidates"]
    routes = {c["explanation"]["candidate_occupation"]["uri"]: c["explanation"]["career_route"] for c in everyone}
    assert routes[uris.rome_fiche("K1401")]["length"] == 0  # already in the offer's occupation
    assert routes[uris.rome_fiche("M1501")] is None  # no real transition leads back from M1501
    hires = [h for c in ranked for h in c["explanation"]["similar_hires_same_employer"]]
    hires += [h for c in ranked for h in c["explanation"]["similar_hires_similar_employers"]]
    assert hires and all(0 <= h["skill_similarity"] <= 1 for h in hires)
    logs = call(api, "recA", "GET", "/v1/logs", params={"offer_id": "off-EA-00"}).json()
    log = next(entry for entry in logs if entry["log_id"] == body["log_id"])
    assert log["ranked_ids"] == [c["candidate_id"] for c in ranked]
    assert log["scores"] == pytest.approx([c["score"] for c in ranked])
    assert log["model_version"] == api["version"] and log["employer_id"] == "EA" and log["caller_role"] == "recruiter"


def test_eligible_only_returns_only_statutorily_eligible_candidates(api: dict[str, Any]) -> None:
    response = call(
        api, "recA", "GET", "/v1/offers/off-EA-03/candidates", params={"k": 30, "eligible_only": True, "explain": False}
    )
    assert response.status_code == 200, response.text
    ranked = response.json()["candidates"]
    assert ranked and all(c["eligibility"]["eligible"] for c in ranked)
    everyone = call(api, "recA", "GET", "/v1/offers/off-EA-03/candidates", params={"k": 30, "explain": False})
    assert len(everyone.json()["candidates"]) >= len(ranked)


def next_poll(app: Any) -> None:
    """Wait until the app's freshness watcher has read a snapshot that began after this call (at most 5 s)."""
    watcher, moment = app.state.vivier.freshness, time.monotonic()
    while not watcher.read_since(moment):
        assert time.monotonic() < moment + 5, "the freshness watcher stopped polling"
        time.sleep(0.005)


def _served_eligibility(api: dict[str, Any], offer_id: str) -> dict[str, Any]:
    response = call(api, "recA", "GET", f"/v1/offers/{offer_id}/candidates", params={"k": 30, "explain": False})
    assert response.status_code == 200, response.text
    return {c["candidate_id"]: c["eligibility"] for c in response.json()["candidates"]}


def test_rankings_read_statutory_facts_from_memory_while_the_revision_stands(api: dict[str, Any]) -> None:
    from api.service import eligibilities
    from graph import revision

    state, database = api["app"].state.vivier, api["database"]
    state.candidate_facts.refresh()
    served = _served_eligibility(api, "off-EA-03")
    ids = sorted(served)
    found, missing = state.candidate_facts.lookup(revision.current(database), ids)
    assert not missing and sorted(found) == ids  # the ranking needed no facts from Neo4j
    fresh = {c: e.model_dump() for c, e in eligibilities(state, "off-EA-03", ids).items()}
    assert served == fresh  # the same verdicts as the per-candidate query

    # A change written by hand (not through Vivier) is only seen once the revision moves (`vivier db touch`), from
    # the watcher's next poll on.
    target = ids[0]
    before = database.execute_query(
        "MATCH (c:Candidate {candidate_id: $id}) WITH c, properties(c) AS old "
        "SET c.titulaire = true, c.versant = 'FPE', c.categorie = 'C', c.education_level = -3 RETURN old",
        id=target,
    ).records[0]["old"]
    try:
        next_poll(api["app"])
        assert _served_eligibility(api, "off-EA-03")[target] == served[target]
        revision.bump(database)
        changed = {c: e.model_dump() for c, e in eligibilities(state, "off-EA-03", [target]).items()}
        assert changed[target] != served[target]
        next_poll(api["app"])
        assert _served_eligibility(api, "off-EA-03")[target] == changed[target]  # the first request after the poll
        state.candidate_facts.refresh()
        found, missing = state.candidate_facts.lookup(revision.current(database), [target])
        assert not missing and found[target]["categorie"] == "C"
        # The model's own `eligible_only` pre-filter reads the profiles again too.
        assert state.recommender().inner._candidate_profiles(database)[target].categorie == "C"
    finally:
        database.execute_query("MATCH (c:Candidate {candidate_id: $id}) SET c = $old", id=target, old=before)
        revision.bump(database)


def test_a_revoked_key_gets_401_from_a_ranking_served_from_memory(api: dict[str, Any]) -> None:
    caller, key = create_api_key(api["database"], "recruiter", "EA", "revoked while cached")
    headers = {"X-API-Key": key}
    path = "/v1/offers/off-EA-03/candidates"
    assert api["client"].get(path, headers=headers, params={"explain": False}).status_code == 200
    api["database"].execute_query("MATCH (k:ApiKey {key_id: $id}) SET k.revoked = true", id=caller.key_id)  # by hand
    next_poll(api["app"])
    assert api["client"].get(path, headers=headers, params={"explain": False}).status_code == 401


def test_a_ranking_makes_no_round_trip_for_facts_or_keys_while_the_snapshot_is_fresh(
    api: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    from api import facts as facts_module
    from api import state as state_module

    state = api["app"].state.vivier
    state.candidate_facts.refresh()
    path, params = "/v1/offers/off-EA-06/candidates", {"k": 5, "explain": False}
    first = call(api, "recA", "GET", path, params=params)  # reads the offer's requirement once
    assert first.status_code == 200

    def no_round_trip(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("a Neo4j round trip on the ranking's hot path")

    monkeypatch.setattr(facts_module, "statutory_facts", no_round_trip)
    monkeypatch.setattr(state_module, "key_is_active", no_round_trip)
    next_poll(api["app"])  # a snapshot just read: a loaded CI machine cannot have aged it past max_age
    again = call(api, "recA", "GET", path, params=params)
    assert again.status_code == 200 and again.json()["candidates"] == first.json()["candidates"]


def test_a_server_freezes_its_heap_once_the_model_is_loaded(api: dict[str, Any]) -> None:
    import gc

    settings = get_settings().model_copy(update={"gc_freeze": True, "webhook_allow_private": True})
    app = create_app(settings, db=api["database"])
    try:
        with TestClient(app) as client:
            before = gc.get_freeze_count()
            response = client.get(
                "/v1/offers/off-EA-03/candidates", params={"explain": False}, headers={"X-API-Key": api["keys"]["recA"]}
            )
            assert response.status_code == 200
            assert gc.get_freeze_count() > before  # the model and everything alive then
    finally:
        gc.unfreeze()


def test_with_the_watcher_off_every_request_checks_neo4j(api: dict[str, Any]) -> None:
    """`VIVIER_FRESHNESS_MS=0`: a key revoked by hand is refused on the very next request."""
    settings = get_settings().model_copy(update={"freshness_ms": 0, "webhook_allow_private": True})
    app = create_app(settings, db=api["database"])
    caller, key = create_api_key(api["database"], "recruiter", "EA", "watcher off")
    path, params = "/v1/offers/off-EA-03/candidates", {"explain": False}
    with TestClient(app) as client:
        assert app.state.vivier.freshness is None
        assert client.get(path, params=params, headers={"X-API-Key": key}).status_code == 200
        api["database"].execute_query("MATCH (k:ApiKey {key_id: $id}) SET k.revoked = true", id=caller.key_id)
        assert client.get(path, params=params, headers={"X-API-Key": key}).status_code == 401


def test_score_one_pair_with_its_explanation(api: dict[str, Any]) -> None:
    response = call(api, "recA", "GET", "/v1/offers/off-EA-00/candidates/cand-04")
    assert response.status_code == 200, response.text
    body = response.json()
    assert -1.0 <= body["score"] <= 1.0
    assert body["explanation"]["candidate_occupation"]["uri"] == uris.rome_fiche("K1401")
    assert body["explanation"]["career_route"]["length"] == 0  # same fiche: no transition needed
    factors = body["explanation"]["score_factors"]  # the re-ranker's terms, largest effect first
    assert {f["fact"] for f in factors} >= {"gnn_cosine", "skill_coverage", "career_hops", "same_departement"}
    effects = [abs(f["contribution"]) for f in factors]
    assert effects == sorted(effects, reverse=True)


def test_offers_for_a_candidate(api: dict[str, Any]) -> None:
    response = call(api, "admin", "GET", "/v1/candidates/cand-01/offers", params={"k": 4})
    assert response.status_code == 200, response.text
    offers = response.json()["offers"]
    assert len(offers) == 4 and all(o["explanation"] is not None for o in offers)
    # a recruiter sees only its own employer's offers, and only for candidates linked to them
    mine = call(api, "recA", "GET", "/v1/candidates/cand-ea/offers", params={"k": 10, "explain": False})
    assert mine.status_code == 200, mine.text
    assert mine.json()["offers"] and {o["employer_id"] for o in mine.json()["offers"]} == {"EA"}


def test_career_paths_and_next_steps(api: dict[str, Any]) -> None:
    route = {"from_uri": uris.rome_fiche("K1401"), "to_uri": uris.rome_fiche("M1501"), "k": 3}
    response = call(api, "hr", "GET", "/v1/careers/paths", params=route)
    assert response.status_code == 200, response.text
    routes = response.json()["routes"]
    assert [r["length"] for r in routes] == sorted(r["length"] for r in routes)
    codes = [[f["code"] for f in r["fiches"]] for r in routes]
    assert codes[0] == ["K1401", "M1402", "M1501"]
    assert ["K1401", "K1402", "M1402", "M1501"] in codes
    assert all(step["skills_to_acquire"] for r in routes for step in r["steps"])
    steps = call(api, "hr", "GET", "/v1/occupations/next-steps", params={"uri": uris.rome_fiche("K1401"), "k": 3})
    assert steps.status_code == 200, steps.text
    body = steps.json()
    assert body["model_version"] == api["version"] and body["steps"]
    assert {s["transition"] for s in body["steps"] if s["transition"]} <= {"proche", "evolution"}
    mine = call(api, "admin", "GET", "/v1/candidates/cand-00/next-steps", params={"k": 3})
    assert mine.status_code == 200, mine.text
    assert mine.json()["occupation"]["uri"] == uris.rome_fiche("K1401")


# --- push, feedback, applications ----------------------------------------------------------------------------
def test_creating_an_offer_pushes_signed_suggestions_retried_with_backoff(api: dict[str, Any]) -> None:
    receiver = Receiver(failures=2)
    try:
        hook = call(api, "recA", "POST", "/v1/webhooks", json={"url": receiver.url})
        assert hook.status_code == 201, hook.text
        offer = {
            "offer_id": "api-new-1",
            "title": "Gestionnaire des ressources humaines",
            "departement": "75",
            "description": "Gestion administrative du personnel, paie, carrière des agents territoriaux.",
            "published_at": "2026-03-01",
            "contract": "titulaire_ou_contractuel",
            "categorie": "B",
            "versant": "FPT",
        }
        created = call(api, "recA", "POST", "/v1/offers", json=offer)
        assert created.status_code == 201, created.text
        pushed = created.json()["suggestions"]
        assert len(pushed) == 10 and all(s["kind"] == "candidate_for_offer" for s in pushed)
        assert api["app"].state.vivier.dispatcher.join(30)
        assert receiver.attempts == 3 and len(receiver.received) == 1
        headers, body = receiver.received[0]
        secret = get_settings().webhook_secret.get_secret_value()
        assert verify(secret, body, headers[SIGNATURE_HEADER])
        assert not verify("another secret", body, headers[SIGNATURE_HEADER])
        payload = json.loads(body)
        assert payload["offer_id"] == "api-new-1"
        assert [s["candidate_id"] for s in payload["suggestions"]] == [s["candidate_id"] for s in pushed]
        listed = call(api, "recA", "GET", "/v1/suggestions", params={"offer_id": "api-new-1"}).json()
        assert {s["suggestion_id"] for s in listed} == {s["suggestion_id"] for s in pushed}
        assert all(s["delivered"] for s in listed)
        assert call(api, "recB", "GET", "/v1/suggestions", params={"offer_id": "api-new-1"}).status_code == 403
        assert all(s["employer_id"] == "EB" for s in call(api, "recB", "GET", "/v1/suggestions").json())
        again = call(api, "recA", "POST", "/v1/offers", json=offer)
        assert again.status_code == 409
    finally:
        receiver.close()


def test_feedback_on_a_suggestion_is_recorded(api: dict[str, Any]) -> None:
    suggestions = call(api, "recA", "GET", "/v1/suggestions").json()
    assert suggestions, "the offer created by the push test left suggestions"
    target = suggestions[0]["suggestion_id"]
    response = call(
        api,
        "recA",
        "POST",
        f"/v1/suggestions/{target}/feedback",
        json={"decision": "dismissed", "reason": "profil déjà reçu en entretien"},
    )
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "dismissed"
    assert response.json()["feedback_reason"] == "profil déjà reçu en entretien"
    bad = call(api, "recA", "POST", f"/v1/suggestions/{target}/feedback", json={"decision": "rejected"})
    assert bad.status_code == 422


def test_uploading_a_cv_pseudonymises_it_and_records_the_application(api: dict[str, Any]) -> None:
    resume = {
        "basics": {
            "name": "Camille Durand",
            "email": "camille.durand@example.org",
            "phone": "06 12 34 56 78",
            "summary": "Gestionnaire paie et carrière, fonctionnaire territoriale de catégorie B.",
        },
        "work": [
            {
                "name": "Mairie de Lyon",
                "position": "Gestionnaire des ressources humaines",
                "startDate": "2019-01-01",
                "summary": "Paie, carrières, absences des agents.",
            }
        ],
        "skills": [{"name": "Gestion de la paie"}],
        "meta": {"candidate_ref": "upload-camille"},
    }
    files = {"file": ("camille.json", json.dumps(resume).encode(), "application/json")}
    refused = call(api, "recA", "POST", "/v1/candidates", files=files)
    assert refused.status_code == 422 and "offer_id" in refused.json()["detail"]
    uploaded = call(api, "recA", "POST", "/v1/candidates", files=files, data={"offer_id": "off-EA-00"})
    assert uploaded.status_code == 201, uploaded.text
    candidate_id = uploaded.json()["candidate_id"]
    assert uploaded.json()["application_id"] and uploaded.json()["suggestions"] == []
    stored = json.dumps(call(api, "admin", "GET", f"/v1/gdpr/candidates/{candidate_id}").json(), ensure_ascii=False)
    assert "Camille" not in stored and "camille.durand" not in stored and "06 12 34" not in stored
    profile = call(api, "recA", "GET", f"/v1/candidates/{candidate_id}")
    assert profile.status_code == 200, profile.text
    ranked = call(api, "recA", "GET", "/v1/offers/off-EA-00/candidates/" + candidate_id)
    assert ranked.status_code == 200, ranked.text
    board = call(api, "admin", "POST", "/v1/candidates", files={"file": ("cv.exe", b"MZ", "application/octet-stream")})
    assert board.status_code == 422 and "cv.exe" in board.json()["detail"]


def test_applications_and_outcomes(api: dict[str, Any]) -> None:
    created = call(
        api,
        "recA",
        "POST",
        "/v1/applications",
        json={"offer_id": "off-EA-00", "candidate_id": "cand-05", "applied_at": "2026-01-10"},
    )
    assert created.status_code == 201, created.text
    application_id = created.json()["application_id"]
    updated = call(api, "recA", "PATCH", f"/v1/applications/{application_id}", json={"stage": "interviewed"})
    assert updated.status_code == 200, updated.text
    assert updated.json()["stage"] == "interviewed"
    listed = call(api, "recA", "GET", "/v1/offers/off-EA-00/applications").json()
    assert any(a["application_id"] == application_id and a["stage"] == "interviewed" for a in listed)


# --- GDPR ----------------------------------------------------------------------------------------------------
def test_gdpr_export_then_erase(api: dict[str, Any]) -> None:
    served = call(api, "admin", "GET", "/v1/candidates/cand-23/offers", params={"k": 3, "explain": False})
    assert served.status_code == 200
    exported = call(api, "admin", "GET", "/v1/gdpr/candidates/cand-23")
    assert exported.status_code == 200, exported.text
    body = exported.json()
    assert body["candidate"]["candidate_id"] == "cand-23"
    kinds = {r["type"] for r in body["relationships"]}
    assert {"HAS_SKILL", "HELD", "LIVES_IN"} <= kinds
    assert any(log.get("candidate_id") == "cand-23" for log in body["recommendation_logs"])
    erased = call(api, "admin", "DELETE", "/v1/gdpr/candidates/cand-23")
    assert erased.status_code == 200, erased.text
    assert call(api, "admin", "GET", "/v1/gdpr/candidates/cand-23").status_code == 404
    database = api["database"]
    left = database.execute_query(
        "MATCH (l:RecommendationLog) WHERE l.candidate_id = $c OR $c IN l.ranked_ids RETURN count(l) AS n", c="cand-23"
    ).records[0]["n"]
    assert left == 0
    ranked = call(api, "admin", "GET", "/v1/offers/off-EA-03/candidates", params={"k": 30, "explain": False})
    assert "cand-23" not in {c["candidate_id"] for c in ranked.json()["candidates"]}
    model = api["app"].state.vivier.recommender().inner
    assert "cand-23" not in model._candidates.index  # the served model dropped the embedding from memory


# --- access control --------------------------------------------------------------------------------------------
# Every protected route, on employer EA's data: (method, path, json body or None, roles allowed).
REC = ("recruiter", "admin")
ROUTES: list[tuple[str, str, dict[str, Any] | None, tuple[str, ...]]] = [
    ("GET", "/v1/offers?employer_id=EA", None, REC),
    (
        "POST",
        "/v1/offers",
        {
            "offer_id": "x-1",
            "title": "t",
            "employer_id": "EA",
            "description": "d",
            "departement": "75",
            "published_at": "2026-01-01",
            "contract": "contractuel",
        },
        REC,
    ),
    ("GET", "/v1/offers/off-EA-00", None, REC),
    (
        "PUT",
        "/v1/offers/off-EA-00",
        {
            "offer_id": "off-EA-00",
            "title": "t",
            "employer_id": "EA",
            "description": "d",
            "departement": "75",
            "published_at": "2026-01-01",
            "contract": "contractuel",
        },
        REC,
    ),
    ("GET", "/v1/offers/off-EA-00/candidates", None, REC),
    ("GET", "/v1/offers/off-EA-00/candidates/cand-04", None, REC),
    ("GET", "/v1/offers/off-EA-00/applications", None, REC),
    ("POST", "/v1/applications", {"offer_id": "off-EA-00", "candidate_id": "cand-08"}, REC),
    ("PATCH", "/v1/applications/app-0-fit", {"stage": "offered"}, REC),
    ("GET", "/v1/candidates/cand-ea", None, REC),
    ("GET", "/v1/candidates/cand-ea/offers", None, REC),
    ("GET", "/v1/candidates/cand-ea/next-steps", None, REC),
    ("GET", "/v1/suggestions?offer_id=off-EA-00", None, REC),
    ("POST", "/v1/suggestions/SUGGESTION/feedback", {"decision": "kept"}, REC),
    ("POST", "/v1/webhooks", {"url": "http://127.0.0.1:9/x", "employer_id": "EA"}, REC),
    ("DELETE", "/v1/webhooks/WEBHOOK", None, REC),
    ("GET", "/v1/logs?offer_id=off-EA-00", None, REC),
    ("GET", "/v1/gdpr/candidates/cand-ea", None, ("admin",)),
    ("DELETE", "/v1/gdpr/candidates/cand-does-not-exist", None, ("admin",)),
    ("GET", "/v1/admin/api-keys", None, ("admin",)),
    ("POST", "/v1/admin/api-keys", {"role": "hr_expert"}, ("admin",)),
    ("DELETE", "/v1/admin/api-keys/nokey", None, ("admin",)),
    ("POST", "/v1/admin/model/reload", None, ("admin",)),
    ("GET", "/v1/ontology/concepts?q=paie", None, ("hr_expert", "admin")),
    ("GET", "/v1/ontology/concept?uri=x", None, ("hr_expert", "admin")),
    ("POST", "/v1/ontology/changes", {"op": "add_label", "uri": "x", "label": "y"}, ("hr_expert", "admin")),
    ("GET", "/v1/ontology/audit", None, ("hr_expert", "admin")),
    ("GET", "/v1/careers/paths?from_uri=a&to_uri=b", None, ("recruiter", "hr_expert", "admin")),
    ("GET", "/v1/occupations/next-steps?uri=a", None, ("recruiter", "hr_expert", "admin")),
]
ROLE_KEYS = {"recruiter": "recA", "hr_expert": "hr", "admin": "admin"}


def _route_id(route: tuple[str, str, Any, Any]) -> str:
    return f"{route[0]} {route[1]}"


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


def test_every_route_is_documented_in_openapi(api: dict[str, Any]) -> None:
    paths = api["client"].get("/openapi.json").json()["paths"]
    for method, path, _, _ in ROUTES:
        template = path.split("?")[0]
        documented = [p for p in paths if _matches(p, template)]
        assert documented, f"{method} {template} is not in the OpenAPI schema"
        assert method.lower() in paths[documented[0]]
    description = api["client"].get("/openapi.json").json()["info"]["description"]
    assert "No endpoint rejects a candidate" in description


def _matches(template: str, path: str) -> bool:
    a, b = template.strip("/").split("/"), path.strip("/").split("/")
    return len(a) == len(b) and all(x == y or x.startswith("{") for x, y in zip(a, b, strict=True))


@pytest.mark.parametrize("route", ROUTES, ids=_route_id)
def test_every_route_answers_401_without_a_valid_key(api: dict[str, Any], route: tuple) -> None:
    method, path, body, _ = route
    assert api["client"].request(method, path, json=body).status_code == 401
    bogus = {"X-API-Key": "viv_000000000000_not-a-real-secret"}
    assert api["client"].request(method, path, json=body, headers=bogus).status_code == 401
    assert api["client"].request(method, path, json=body, headers={"X-API-Key": "garbage"}).status_code == 401


@pytest.mark.parametrize("route", ROUTES, ids=_route_id)
def test_every_route_answers_403_to_roles_it_does_not_serve(api: dict[str, Any], route: tuple) -> None:
    method, path, body, allowed = route
    for role, who in ROLE_KEYS.items():
        if role not in allowed:
            response = call(api, who, method, _resolve(api, path), json=body)
            assert response.status_code == 403, f"{role}: {response.status_code} {response.text}"


@pytest.mark.parametrize(
    "route",
    [r for r in ROUTES if "recruiter" in r[3] and "careers" not in r[1] and "occupations" not in r[1]],
    ids=_route_id,
)
def test_a_recruiter_of_employer_b_gets_403_on_employer_a_data(api: dict[str, Any], route: tuple) -> None:
    method, path, body, _ = route
    response = call(api, "recB", method, _resolve(api, path), json=body)
    assert response.status_code == 403, response.text


def test_listings_show_a_recruiter_only_its_own_employer_data(api: dict[str, Any]) -> None:
    _resolve(api, "/v1/webhooks/WEBHOOK")  # employer EA has a webhook
    _resolve(api, "/v1/suggestions/SUGGESTION/feedback")  # and a suggestion
    for path in ("/v1/webhooks", "/v1/suggestions"):
        rows = call(api, "recB", "GET", path).json()
        assert all(row["employer_id"] == "EB" for row in rows), path
        assert any(row["employer_id"] == "EA" for row in call(api, "recA", "GET", path).json()), path
    assert call(api, "recB", "GET", "/v1/offers").json() == [f"off-EB-{j:02d}" for j in (1, 4, 7, 10)]


def test_revoked_key_stops_working(api: dict[str, Any]) -> None:
    created = call(api, "admin", "POST", "/v1/admin/api-keys", json={"role": "recruiter", "employer_id": "EB"})
    assert created.status_code == 201, created.text
    key, key_id = created.json()["api_key"], created.json()["key_id"]
    stored = api["database"].execute_query("MATCH (k:ApiKey {key_id: $id}) RETURN k", id=key_id).records[0]["k"]
    assert key not in json.dumps(dict(stored), default=str)  # only the hash is stored
    headers = {"X-API-Key": key}
    assert api["client"].get("/v1/offers", headers=headers).status_code == 200
    assert call(api, "admin", "DELETE", f"/v1/admin/api-keys/{key_id}").status_code == 204
    assert api["client"].get("/v1/offers", headers=headers).status_code == 401


def test_revocation_in_one_process_takes_effect_within_one_poll_in_another(api: dict[str, Any]) -> None:
    """Two apps with their own state (two server processes) over the same Neo4j: a key revoked through one is
    refused by the other from its freshness watcher's next poll on (100 ms by default), on the ranking hot path as
    on any other route; and at once by the process that revoked it."""
    from graph.access import revoke_api_key

    keys = [create_api_key(api["database"], "recruiter", "EB", f"revocation {i}") for i in range(3)]
    other = create_app(get_settings().model_copy(update={"webhook_allow_private": True}), db=api["database"])
    ranking = ("/v1/offers/off-EB-01/candidates", {"k": 3, "explain": False})
    with TestClient(other) as client:
        for _, key in keys:  # each key is now in the other process's cache
            for path, params in (ranking, ("/v1/offers", {})):
                assert client.get(path, params=params, headers={"X-API-Key": key}).status_code == 200
        for caller, _ in keys[:2]:
            assert call(api, "admin", "DELETE", f"/v1/admin/api-keys/{caller.key_id}").status_code == 204
        revoke_api_key(api["database"], keys[2][0].key_id)  # as `vivier api-key revoke` does, from a third process
        assert call(api, "recB", "GET", "/v1/offers").status_code == 200
        api_client = api["client"]
        assert api_client.get("/v1/offers", headers={"X-API-Key": keys[0][1]}).status_code == 401  # this process
        next_poll(other)
        assert client.get(ranking[0], params=ranking[1], headers={"X-API-Key": keys[0][1]}).status_code == 401
        assert client.get("/v1/offers", headers={"X-API-Key": keys[1][1]}).status_code == 401
        # a revoked key learns nothing about other employers' offers: 401, not the 403 it got before
        assert client.get("/v1/offers/off-EA-00/candidates", headers={"X-API-Key": keys[2][1]}).status_code == 401
        assert all(key not in other.state.vivier._auth_cache for _, key in keys)


# --- webhooks and server-side request forgery -------------------------------------------------------------------
REFUSED_WEBHOOKS = [
    "http://127.0.0.1/hook",
    "http://10.0.0.1/hook",
    "http://169.254.169.254/latest/meta-data",
    "http://[::1]/hook",
    "http://localhost:8080/hook",
    "http://[::ffff:127.0.0.1]/hook",
    "http://0.0.0.0/hook",
    "http://192.168.1.10/hook",
]


def test_webhooks_to_internal_addresses_are_refused_at_registration(api: dict[str, Any]) -> None:
    strict = create_app(get_settings().model_copy(update={"webhook_allow_private": False}), db=api["database"])
    headers = {"X-API-Key": api["keys"]["recA"]}
    with TestClient(strict) as client:
        assert strict.state.vivier.dispatcher.allow_private is False
        for url in REFUSED_WEBHOOKS:
            response = client.post("/v1/webhooks", json={"url": url}, headers=headers)
            assert response.status_code == 422, f"{url}: {response.status_code} {response.text}"
            assert "internal address" in response.json()["detail"], url
        ftp = client.post("/v1/webhooks", json={"url": "ftp://93.184.216.34/hook"}, headers=headers)
        assert ftp.status_code == 422 and "url" in str(ftp.json()["detail"])
        public = client.post("/v1/webhooks", json={"url": "https://93.184.216.34/hook"}, headers=headers)
        assert public.status_code == 201, public.text  # registration resolves only: no network needed
        client.delete(f"/v1/webhooks/{public.json()['webhook_id']}", headers=headers)
    assert resolve_webhook("http://127.0.0.1:9/hook", allow_private=True).address.is_loopback  # the tests' setting
    assert Settings(VIVIER_WEBHOOK_ALLOW_PRIVATE="true").webhook_allow_private  # type: ignore[arg-type]
    assert not Settings.model_fields["webhook_allow_private"].default  # off unless asked for


def test_a_delivery_to_an_address_that_became_internal_fails_without_connecting(
    api: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    """DNS rebinding: the name resolved to a public address when registered, to loopback when delivered."""
    receiver = Receiver(failures=0)
    port = receiver.server.server_address[1]
    answers = {"now": "93.184.216.34"}

    real_dns = socket.getaddrinfo

    def rebinding_dns(host: str, *args: Any, **kwargs: Any) -> list[tuple[Any, ...]]:
        if host != "hooks.example.org":
            return real_dns(host, *args, **kwargs)  # the rest of the process resolves as usual
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (answers["now"], port))]

    monkeypatch.setattr(push.socket, "getaddrinfo", rebinding_dns)
    url = f"http://hooks.example.org:{port}/hook"
    try:
        assert resolve_webhook(url).address == ipaddress.ip_address("93.184.216.34")  # accepted when registered
        answers["now"] = "127.0.0.1"
        dispatcher = WebhookDispatcher("secret", max_attempts=3, base_delay=0.01)
        dispatcher.submit(Delivery(url=url, event="candidates_for_offer", payload={"offer_id": "x"}))
        assert dispatcher.join(10)
        delivery = dispatcher.history[-1]
        assert not delivery.delivered and "refused, not connected" in (delivery.last_error or "")
        assert receiver.attempts == 0  # no connection was made
        dispatcher.allow_private = True  # the same delivery where private receivers are allowed (the tests')
        dispatcher.submit(Delivery(url=url, event="candidates_for_offer", payload={"offer_id": "x"}))
        assert dispatcher.join(10) and dispatcher.history[-1].delivered
        headers, _ = receiver.received[-1]
        assert headers["Host"] == f"hooks.example.org:{port}"  # sent to the checked address, under its own name
        dispatcher.stop()
    finally:
        receiver.close()


# --- errors --------------------------------------------------------------------------------------------------
def test_clear_404_and_422(api: dict[str, Any]) -> None:
    missing = call(api, "admin", "GET", "/v1/offers/no-such-offer/candidates")
    assert missing.status_code == 404 and "no-such-offer" in missing.json()["detail"]
    assert call(api, "admin", "GET", "/v1/offers/off-EA-00/candidates", params={"k": 0}).status_code == 422
    bad = call(api, "recA", "POST", "/v1/offers", json={"offer_id": "x", "title": "t"})
    assert bad.status_code == 422
    assert any("description" in str(e["loc"]) for e in bad.json()["detail"])
    wrong_stage = call(api, "recA", "PATCH", "/v1/applications/app-0-fit", json={"stage": "maybe"})
    assert wrong_stage.status_code == 422


def test_neo4j_unreachable_answers_503_with_retry_after(tmp_path: Path) -> None:
    settings = Settings(NEO4J_URI=f"bolt://127.0.0.1:{free_port()}", VIVIER_DATA_DIR=tmp_path)  # nothing listens
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        started = time.monotonic()
        response = client.get("/v1/offers/off-EA-00/candidates", headers={"X-API-Key": "viv_abc_def"})
        assert response.status_code == 503
        assert response.headers["Retry-After"].isdigit()
        assert "Traceback" not in response.text and "unreachable" in response.json()["detail"]
        assert client.get("/ready").status_code == 503
        assert client.get("/health").status_code == 200
        assert time.monotonic() - started < 20


def test_ontology_endpoints_for_hr_experts(api: dict[str, Any]) -> None:
    found = call(api, "hr", "GET", "/v1/ontology/concepts", params={"q": "savoir", "limit": 5})
    assert found.status_code == 200, found.text
    assert len(found.json()) == 5
    uri = found.json()[0]["uri"]
    concept = call(api, "hr", "GET", "/v1/ontology/concept", params={"uri": uri})
    assert concept.status_code == 200, concept.text
    assert {r["type"] for r in concept.json()["incoming"]} == {"REQUIRES_SKILL"}
    assert call(api, "hr", "GET", "/v1/ontology/concept", params={"uri": "urn:nothing"}).status_code == 404
    refused = call(api, "hr", "POST", "/v1/ontology/changes", json={"op": "rename_everything", "uri": uri})
    assert refused.status_code == 422 and "rename_everything" in refused.json()["detail"]
    assert call(api, "hr", "GET", "/v1/ontology/audit").status_code == 200


def test_health_and_readiness(api: dict[str, Any]) -> None:
    assert api["client"].get("/health").json() == {"status": "ok"}
    ready = api["client"].get("/ready")
    assert ready.status_code == 200, ready.text
    assert ready.json()["model_version"] == api["version"]
