"""What the offer page's explanations hold in memory (api/facts.py `ExplanationCache`): an offer's occupation and
skills and the routes between occupations, while the `offers` revision counter stands; read again once it moves.
The reads that change with every application (candidates' skills and jobs, past hires) are never held."""

from __future__ import annotations

from typing import Any

from api.facts import ExplanationCache
from graph import revision
from ontology import uris
from tests.api.test_freshness import next_poll
from tests.support.api import call

M1501, K1401 = uris.rome_fiche("M1501"), uris.rome_fiche("K1401")


def _routes(api: dict[str, Any]) -> dict[str, Any]:
    response = call(api, "recA", "GET", "/v1/offers/off-EA-00/candidates", params={"k": 30})
    assert response.status_code == 200, response.text
    return {
        c["explanation"]["candidate_occupation"]["uri"]: c["explanation"]["career_route"]
        for c in response.json()["candidates"]
    }


def test_routes_are_held_while_the_offers_counter_stands_and_read_again_when_it_moves(api: dict[str, Any]) -> None:
    database = api["database"]
    assert _routes(api)[M1501] is None  # no real transition leads from M1501 to the offer's K1401
    database.execute_query(  # written by hand, as `vivier db touch` documents: the counter does not move
        "MATCH (a:RomeFiche {uri: $a}), (b:RomeFiche {uri: $b}) MERGE (a)-[:MOBILITY {kind: 'evolution'}]->(b)",
        a=M1501,
        b=K1401,
    )
    try:
        next_poll(api["app"])
        assert _routes(api)[M1501] is None  # served from memory
        revision.bump(database, revision.OFFERS)
        next_poll(api["app"])
        route = _routes(api)[M1501]
        assert route is not None and [s["kind"] for s in route["steps"]] == ["evolution"]
    finally:
        database.execute_query(
            "MATCH (:RomeFiche {uri: $a})-[m:MOBILITY]->(:RomeFiche {uri: $b}) DELETE m", a=M1501, b=K1401
        )
        revision.bump(database, revision.OFFERS)
        next_poll(api["app"])
    assert _routes(api)[M1501] is None


def test_the_cache_asks_only_for_what_it_lacks_and_never_without_a_revision() -> None:
    cache, asked = ExplanationCache(), []

    def read(starts: list[str]) -> dict[str, Any]:
        asked.append(starts)
        return {s: {"length": 1} for s in starts if s != "b"}  # no route from b

    assert cache.routes(3, ["a", "b"], "t", read) == {"a": {"length": 1}}
    assert cache.routes(3, ["a", "b", "c"], "t", read) == {"a": {"length": 1}, "c": {"length": 1}}
    assert asked == [["a", "b"], ["c"]]  # b's absence of a route is remembered too
    cache.routes(2, ["a"], "t", read)  # an older snapshot (a slower request): read, and nothing replaced
    cache.routes(None, ["a"], "t", read)  # no snapshot to trust: read
    assert asked[2:] == [["a"], ["a"]]
    cache.routes(4, ["a"], "t", read)  # the counter moved: everything is read again
    assert asked[4:] == [["a"]]
    offers_read: list[str] = []

    def read_offer() -> tuple[dict[str, Any] | None, list[dict[str, Any]]]:
        offers_read.append("o")
        return {"uri": "occ"}, []

    assert cache.offer(4, "o", read_offer) == cache.offer(4, "o", read_offer) == ({"uri": "occ"}, [])
    assert offers_read == ["o"]
