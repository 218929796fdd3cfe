"""graph.queries on a real Neo4j: what the API reads on its hot paths is found by key, not by scanning."""

from __future__ import annotations

from typing import Any

from graph import queries
from graph.db import Database


def _db_hits(plan: dict[str, Any]) -> int:
    return int(plan.get("dbHits", 0)) + sum(_db_hits(child) for child in plan.get("children", []))


def _suggest(db: Database, pairs: list[tuple[str, str]], kind: str = "offer_for_candidate") -> None:
    db.execute_query(
        "UNWIND $pairs AS p MERGE (o:Offer {offer_id: p[0]}) MERGE (c:Candidate {candidate_id: p[1]}) "
        "WITH o MATCH (e:Employer {employer_id: CASE WHEN o.offer_id STARTS WITH 'A' THEN 'EA' ELSE 'EB' END}) "
        "MERGE (o)-[:POSTED_BY]->(e)",
        pairs=[list(p) for p in pairs],
    )
    queries.store_suggestions(
        db,
        [
            {"kind": kind, "offer_id": o, "candidate_id": c, "score": 0.5, "rank": 1, "model_version": "t"}
            for o, c in pairs
        ],
    )


def _profiled_hits(db: Database, anchor: str, **ids: str | None) -> int:
    parameters = {"eid": None, "oid": None, "cid": None, "kind": None, "limit": 100} | ids
    summary = db.execute_query("PROFILE " + queries.suggestions_query(anchor), parameters).summary
    assert summary.profile is not None
    return _db_hits(summary.profile)


def test_suggestions_are_read_from_their_candidate_offer_or_employer_not_from_all(empty_db: Database) -> None:
    empty_db.execute_query("UNWIND ['EA', 'EB'] AS e CREATE (:Employer {employer_id: e})")
    _suggest(empty_db, [("A1", "C1"), ("A1", "C2"), ("B1", "C1")])
    _suggest(empty_db, [("A1", "C1")], kind="candidate_for_offer")
    assert {(r["offer_id"], r["kind"]) for r in queries.suggestions(empty_db, candidate_id="C1")} == {
        ("A1", "offer_for_candidate"),
        ("A1", "candidate_for_offer"),
        ("B1", "offer_for_candidate"),
    }
    by_kind = queries.suggestions(empty_db, candidate_id="C1", kind="candidate_for_offer")
    assert [(r["offer_id"], r["employer_id"]) for r in by_kind] == [("A1", "EA")]
    assert {r["candidate_id"] for r in queries.suggestions(empty_db, offer_id="A1")} == {"C1", "C2"}
    assert {r["offer_id"] for r in queries.suggestions(empty_db, employer_id="EB")} == {"B1"}
    assert queries.suggestions(empty_db, employer_id="EB", offer_id="A1") == []  # another employer's offer
    assert len(queries.suggestions(empty_db)) == 4
    asked = {
        "candidate": {"cid": "C1"},
        "offer": {"oid": "A1"},
        "employer": {"eid": "EA"},
    }
    before = {anchor: _profiled_hits(empty_db, anchor, **ids) for anchor, ids in asked.items()}
    # 300 suggestions of other candidates, on other offers of the other employer: none of them is read.
    _suggest(empty_db, [(f"B{i % 30 + 2}", f"X{i}") for i in range(300)])
    after = {anchor: _profiled_hits(empty_db, anchor, **ids) for anchor, ids in asked.items()}
    assert after == before
    assert _profiled_hits(empty_db, "all") > before["candidate"] + 300  # the scan, for contrast


def _log(db: Database, offer_id: str, ranked: list[str], n: int, served_at: str = "2026-01-01T00:00:00+00:00") -> None:
    queries.record_recommendations(
        db,
        [
            {
                "log_id": f"{offer_id}-{i}",
                "served_at": served_at,
                "endpoint": "candidates_for_offer",
                "caller_key_id": "k",
                "caller_role": "recruiter",
                "employer_id": "EA",
                "offer_id": offer_id,
                "candidate_id": None,
                "occupation_uri": None,
                "model_version": "t",
                "ranked_ids": ranked,
                "scores": [0.5] * len(ranked),
                "parameters": "",
            }
            for i in range(n)
        ],
    )


def test_an_offers_log_entries_are_read_from_the_offer_not_from_every_entry(empty_db: Database) -> None:
    _log(empty_db, "A1", ["C1", "C2"], 2)
    _log(empty_db, "A2", ["C1"], 1, served_at="2026-02-01T00:00:00+00:00")
    assert {e["log_id"] for e in queries.recommendation_logs(empty_db, offer_id="A1")} == {"A1-0", "A1-1"}
    newest, *older = [e["log_id"] for e in queries.recommendation_logs(empty_db, candidate_id="C1")]
    assert newest == "A2-0" and sorted(older) == ["A1-0", "A1-1"]
    assert [e["log_id"] for e in queries.recommendation_logs(empty_db, offer_id="A1", candidate_id="C2", limit=1)] in (
        ["A1-0"],
        ["A1-1"],
    )
    assert queries.recommendation_logs(empty_db, offer_id="A2", candidate_id="C2") == []

    def hits() -> int:
        parameters = {"oid": "A1", "cid": "C2", "eid": None, "limit": 100}
        summary = empty_db.execute_query("PROFILE " + queries.recommendation_logs_query(True), parameters).summary
        assert summary.profile is not None
        return _db_hits(summary.profile)

    before = hits()
    _log(empty_db, "B9", ["C2"], 300)  # other offers' entries, the candidate ranked in each: none is read
    assert hits() == before
