"""What the offer page's explanations hold in memory (api/facts.py `ExplanationCache`): an offer's occupation and
skills and the routes between occupations; an offer's read again once it is written, everything once the `offers`
counter moves without a stamp (an ontology load, curation, Cypher by hand and `vivier db touch`).
The reads that change with every application (candidates' skills and jobs, past hires) are never held."""

from __future__ import annotations

from typing import Any

from api.facts import ExplanationCache, OfferChanges
from graph import revision
from graph.writes import write_offers
from loaders.records import OfferRecord
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


def test_an_offer_written_again_is_read_again_and_nothing_else_is(api: dict[str, Any]) -> None:
    """A loader writing offers beside the API (stamped writes): only the offers it wrote leave the caches; the
    routes and the other offers' requirements and skills stay in memory."""
    state, database = api["app"].state.vivier, api["database"]
    _routes(api)  # fills the routes and off-EA-00's occupation and skills
    cache = state.explanation_facts
    held = revision.current(database, revision.OFFERS)
    cache.offer(held, "off-EA-new", lambda: (None, []))  # not yet published: nothing to hold but its absence
    kept = cache.offer(held, "off-EA-00", lambda: ({"uri": "unused"}, []))
    routes_before = dict(cache._routes)
    assert routes_before and kept[0] is not None
    record = OfferRecord(
        offer_id="off-EA-new",
        title="Gestionnaire RH",
        description="",
        employer_id="EA",
        departement=None,
        published_at="2026-12-01",
        contract=None,
        source="test",
    )
    try:
        write_offers(database, [record])
        moved = revision.current(database, revision.OFFERS)
        assert moved > held
        assert cache.offer(moved, "off-EA-new", lambda: ({"uri": "read again"}, [])) == ({"uri": "read again"}, [])
        assert cache.offer(moved, "off-EA-00", lambda: ({"uri": "read again"}, [])) == kept
        cache.routes(moved, [], "t", lambda missing: {})
        assert cache._routes == routes_before  # routes depend on the ontology, not on offers
        assert state.candidate_facts.offer_requirement(moved, "off-EA-new") is not None
    finally:
        database.execute_query("MATCH (o:Offer {offer_id: 'off-EA-new'}) DETACH DELETE o")
        revision.bump(database, revision.OFFERS)


class _Changes(OfferChanges):
    """What Neo4j would answer (tests/api cover the real one): offers written after each revision."""

    def __init__(self, written: dict[int, tuple[int, frozenset[str]] | None]) -> None:
        self.written = written

    def since(self, revision: int) -> tuple[int, frozenset[str]] | None:
        return self.written[revision]


def test_the_cache_asks_only_for_what_it_lacks_and_never_without_a_revision() -> None:
    changes = _Changes({3: (4, frozenset({"o2"})), 4: None})
    cache, asked = ExplanationCache(changes), []

    def read(starts: list[str]) -> dict[str, Any]:
        asked.append(starts)
        return {s: {"length": 1} for s in starts if s != "b"}  # no route from b

    assert cache.routes(3, ["a", "b"], "t", read) == {"a": {"length": 1}}
    assert cache.routes(3, ["a", "b", "c"], "t", read) == {"a": {"length": 1}, "c": {"length": 1}}
    assert asked == [["a", "b"], ["c"]]  # b's absence of a route is remembered too
    cache.routes(2, ["a"], "t", read)  # an older snapshot (a slower request): what is held is fresher
    cache.routes(None, ["a"], "t", read)  # no snapshot to trust: read
    assert asked[2:] == [["a"]]
    offers_read: list[str] = []

    def read_offer(name: str) -> Any:
        def read() -> tuple[dict[str, Any], list[Any]]:
            offers_read.append(name)
            return {"uri": name}, []

        return read

    assert cache.offer(3, "o1", read_offer("o1")) == cache.offer(3, "o1", read_offer("o1")) == ({"uri": "o1"}, [])
    cache.offer(3, "o2", read_offer("o2"))
    assert offers_read == ["o1", "o2"]
    cache.offer(4, "o1", read_offer("o1"))  # o2 was written after 3: only it is forgotten
    cache.offer(4, "o2", read_offer("o2"))
    cache.routes(4, ["a"], "t", read)
    assert offers_read == ["o1", "o2", "o2"] and asked[3:] == []
    cache.routes(5, ["a"], "t", read)  # an unstamped write after 4 (an ontology load): everything is read again
    cache.offer(5, "o1", read_offer("o1"))
    assert asked[3:] == [["a"]] and offers_read[3:] == ["o1"]
