"""GDPR: everything held about a candidate exported, then erased so that nothing is left: Neo4j, the files under
the data directory (model versions included), the model in this process's memory and in another process's; and
rankings still return k after erasures, wherever the erasure ran."""

from __future__ import annotations

import io
import json
import time
import uuid
import zipfile
from pathlib import Path
from typing import Any

import pandas as pd
from fastapi.testclient import TestClient

from api.app import create_app
from api.erasure import erase_in_graph
from audit.attributes import attributes_path, read_attributes
from graph.db import Database
from graph.erasure import mentions
from loaders.rejects import RejectLog
from tests.support.api import call
from vivier.settings import get_settings


def _upload(api: dict[str, Any], ref: str) -> str:
    """A CV uploaded through the API (its id is the HMAC pseudonym of `ref`), applied to an offer, ranked."""
    resume = {
        "basics": {"name": "Dominique Erasmus", "summary": "Gestionnaire paie et carrière, catégorie B."},
        "work": [{"name": "Mairie de Brest", "position": "Gestionnaire RH", "startDate": "2018-03-01"}],
        "skills": [{"name": "Gestion de la paie"}],
        "meta": {"candidate_ref": ref},
    }
    files = {"file": (f"{ref}.json", json.dumps(resume).encode(), "application/json")}
    uploaded = call(api, "admin", "POST", "/v1/candidates", files=files, data={"offer_id": "off-EA-00"})
    assert uploaded.status_code == 201, uploaded.text
    candidate_id: str = uploaded.json()["candidate_id"]
    assert call(api, "admin", "GET", f"/v1/candidates/{candidate_id}/offers", params={"k": 3}).status_code == 200
    return candidate_id


def _mentions_in_files(root: Path, needle: str) -> list[str]:
    """Every file under `root` (symbolic links aside: the shared ontology cache) whose bytes hold `needle`; zip
    archives (torch's .pt files) are searched member by member, decompressed."""
    found = []
    encoded = needle.encode()
    for path in root.rglob("*"):
        if path.is_symlink() or not path.is_file() or any(p.is_symlink() for p in path.parents if root in p.parents):
            continue
        data = path.read_bytes()
        if encoded in data:
            found.append(str(path))
        if zipfile.is_zipfile(io.BytesIO(data)):
            with zipfile.ZipFile(io.BytesIO(data)) as archive:
                found += [f"{path}:{m}" for m in archive.namelist() if encoded in archive.read(m)]
    return found


def test_gdpr_export_then_erase_leaves_nothing(api: dict[str, Any]) -> None:
    database: Database = api["database"]
    data_dir = get_settings().data_dir
    ref = f"erasure-probe-{uuid.uuid4().hex[:8]}"
    uploaded = _upload(api, ref)
    served = call(api, "admin", "GET", "/v1/candidates/cand-23/offers", params={"k": 3, "explain": False})
    assert served.status_code == 200
    ranking = call(api, "admin", "GET", "/v1/offers/off-EA-03/candidates", params={"k": 30, "explain": False})
    assert "cand-23" in {c["candidate_id"] for c in ranking.json()["candidates"]}
    exported = call(api, "admin", "GET", "/v1/gdpr/candidates/cand-23")
    assert exported.status_code == 200, exported.text
    body = exported.json()
    assert body["candidate"]["candidate_id"] == "cand-23"
    assert {"HAS_SKILL", "HELD", "LIVES_IN"} <= {r["type"] for r in body["relationships"]}
    assert any(log.get("candidate_id") == "cand-23" for log in body["recommendation_logs"])
    # A rejects file and a report that name them (an operator's note, a reviewer's export): text files are scrubbed.
    RejectLog(data_dir / "rejects" / "rejects-probe.jsonl").add("upload:cv", "record 1", "candidate_id", uploaded, "cv")
    (data_dir / "reports" / "probe").mkdir(parents=True, exist_ok=True)
    (data_dir / "reports" / "probe" / "notes.md").write_text(f"cand-23 and {uploaded} were reviewed\n")
    stored = [p for p in (data_dir / "models").rglob("*") if p.is_file()]
    attributes = attributes_path(data_dir)  # the audit's sensitive file: the erasure removes their rows whole
    attributes.parent.mkdir(parents=True, exist_ok=True)
    pd.DataFrame({"candidate_id": ["cand-22", "cand-23", uploaded], "sex": ["F", "M", "F"]}).to_csv(
        attributes, index=False
    )
    assert _mentions_in_files(data_dir / "models", "cand-23"), "the trained model should hold cand-23 before"

    for candidate_id in ("cand-23", uploaded):
        erased = call(api, "admin", "DELETE", f"/v1/gdpr/candidates/{candidate_id}")
        assert erased.status_code == 200, erased.text
        assert call(api, "admin", "GET", f"/v1/gdpr/candidates/{candidate_id}").status_code == 404
    assert call(api, "admin", "DELETE", "/v1/gdpr/candidates/cand-23").status_code == 404

    for needle in ("cand-23", uploaded, ref):
        assert mentions(database, needle) == [], needle
        assert _mentions_in_files(data_dir, needle) == [], needle
    assert read_attributes(attributes).index.tolist() == ["cand-22"]  # no `erased` row left in its place
    assert all(p.exists() for p in stored)  # rewritten in place, none removed: the version still serves
    ranked = call(api, "admin", "GET", "/v1/offers/off-EA-03/candidates", params={"k": 30, "explain": False})
    assert ranked.status_code == 200
    assert not {"cand-23", uploaded} & {c["candidate_id"] for c in ranked.json()["candidates"]}
    model = api["app"].state.vivier.recommender()
    assert not {"cand-23", uploaded} & set(model.candidate_ids())  # the served model dropped them from memory


def test_rankings_return_k_after_an_erasure_made_by_another_process(api: dict[str, Any]) -> None:
    """Another process erases a candidate: until this one's watcher reads the tombstone (one poll), the model
    still ranks them. Once the snapshot is too old to trust (the watcher stopped here), a ranking reads the facts
    from Neo4j, finds the candidate gone and asks the model again, deeper, so that k candidates still come back;
    after one poll the model has forgotten them. (While the snapshot is fresh, the cached facts may list them for
    up to one poll: the documented freshness window.)"""
    database: Database = api["database"]
    pool = [c["candidate_id"] for c in _ranking(api, "off-EA-06", 100)]
    model = api["app"].state.vivier.recommender()
    watcher = api["app"].state.vivier.freshness
    watcher.stop()  # this process polls nothing while the other one erases: the model still holds the candidate
    try:
        assert _within(5.0, lambda: api["app"].state.vivier.snapshot() is None)  # no longer trusted
        gone = pool[0]
        assert erase_in_graph(database, gone) is not None
        assert gone in model.candidate_ids()
        ranked = [c["candidate_id"] for c in _ranking(api, "off-EA-06", len(pool) - 1)]
        assert len(ranked) == len(pool) - 1 and gone not in ranked
        assert [c["candidate_id"] for c in _ranking(api, "off-EA-06", 1)] == [pool[1]]
    finally:
        watcher.start()
    assert _within(2.0, lambda: gone not in model.candidate_ids())


def test_a_second_api_process_forgets_an_erased_candidate_within_one_poll(api: dict[str, Any], neo4j_uri: str) -> None:
    handle = Database.connect(uri=neo4j_uri)  # a process of its own has a driver of its own
    second = create_app(get_settings(), db=handle)
    with TestClient(second) as client:
        headers = {"X-API-Key": api["keys"]["admin"]}
        response = client.get("/v1/offers/off-EB-07/candidates", params={"k": 5, "explain": False}, headers=headers)
        assert response.status_code == 200, response.text
        model = second.state.vivier.recommender()
        victim = response.json()["candidates"][0]["candidate_id"]
        assert victim in model.candidate_ids()
        assert call(api, "admin", "DELETE", f"/v1/gdpr/candidates/{victim}").status_code == 200
        assert _within(1.0, lambda: victim not in model.candidate_ids()), "the second process still holds them"
        again = client.get("/v1/offers/off-EB-07/candidates", params={"k": 5, "explain": False}, headers=headers)
        assert victim not in {c["candidate_id"] for c in again.json()["candidates"]}
        assert len(again.json()["candidates"]) == 5
    handle.close()
    tombstones = api["database"].execute_query("MATCH (t:ErasureTombstone) RETURN properties(t) AS p").records
    assert tombstones and all(victim not in json.dumps(t["p"], default=str) for t in tombstones)


def test_eligible_only_returns_k_from_a_pool_mostly_ineligible(api: dict[str, Any]) -> None:
    """An offer reserved to titulaires of catégorie A: about a third of the pool may be appointed."""
    from gnn.eligibility import candidate_profiles_from_neo4j, offer_requirement_from_neo4j
    from graph.revision import bump_all
    from ontology.eligibility import is_eligible

    database: Database = api["database"]
    database.execute_query(
        "MATCH (o:Offer {offer_id: 'off-EA-03'}) MERGE (n:Offer {offer_id: 'off-EA-90'}) "
        "SET n += apoc.map.removeKeys(properties(o), ['offer_id', 'embedding', 'embedding_version', 'gid']), "
        "  n.contract = 'titulaire', n.categorie = 'A' "
        "WITH o, n MATCH (o)-[r:POSTED_BY|OF_OCCUPATION|LOCATED_IN|REQUIRES_SKILL]->(t) "
        "CALL apoc.create.relationship(n, type(r), properties(r), t) YIELD rel RETURN count(rel)"
    )
    bump_all(database)
    requirement = offer_requirement_from_neo4j(database, "off-EA-90")
    profiles = candidate_profiles_from_neo4j(database)
    known = set(api["app"].state.vivier.recommender().candidate_ids())
    eligible = {c for c, profile in profiles.items() if c in known and is_eligible(profile, requirement)}
    assert 3 < len(eligible) < len(profiles) / 2, (len(eligible), len(profiles))

    for k in (3, len(eligible), len(eligible) + 10):
        ranked = _ranking(api, "off-EA-90", k, eligible_only=True)
        assert len(ranked) == min(k, len(eligible)), k
        assert {c["candidate_id"] for c in ranked} <= eligible
        assert all(c["eligibility"]["eligible"] for c in ranked)
    assert {c["candidate_id"] for c in _ranking(api, "off-EA-90", len(eligible), eligible_only=True)} == eligible


def _ranking(api: dict[str, Any], offer_id: str, k: int, eligible_only: bool = False) -> list[dict[str, Any]]:
    params: dict[str, Any] = {"k": k, "explain": False, "eligible_only": eligible_only}
    response = call(api, "admin", "GET", f"/v1/offers/{offer_id}/candidates", params=params)
    assert response.status_code == 200, response.text
    ranked: list[dict[str, Any]] = response.json()["candidates"]
    return ranked


def _within(seconds: float, condition: Any) -> bool:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.01)
    return True
