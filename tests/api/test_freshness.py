"""What a serving process keeps in memory (statutory facts, API keys, a frozen heap) and how soon it sees a change
made elsewhere: from its freshness watcher's next poll on, or at once with the watcher off."""

from __future__ import annotations

import time
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from graph.access import create_api_key
from tests.support.api import call
from vivier.settings import get_settings


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
