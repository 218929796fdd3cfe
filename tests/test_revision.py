"""The statutory-facts revision (graph/revision.py): every write that changes what eligibility reads moves it, in
the same transaction, and reads leave it alone. The API's facts cache is only as fresh as this counter."""

from __future__ import annotations

from collections.abc import Callable

from typer.testing import CliRunner

from api.facts import StatutoryFactsCache
from graph import revision
from graph.db import Database
from graph.erasure import erase_candidate
from graph.queries import all_candidate_facts, candidate_facts_since, statutory_facts
from graph.writes import write_candidates, write_offers
from loaders.records import CandidateRecord, OfferRecord
from vivier.cli import app
from vivier.settings import Settings


def _candidate(candidate_id: str, categorie: str) -> CandidateRecord:
    return CandidateRecord(
        candidate_id=candidate_id,
        source="test",
        cv_text="Agent d'accueil",
        versant="FPT",
        categorie=categorie,
        titulaire=True,
        education_level=4,
    )


def test_candidate_writes_and_erasure_move_the_revision_reads_do_not(empty_db: Database) -> None:
    start = revision.current(empty_db)
    write_candidates(empty_db, [_candidate("rev-1", "C"), _candidate("rev-2", "B")])
    assert revision.current(empty_db) == start + 1  # one bump per batch, whatever its size
    write_candidates(empty_db, [_candidate("rev-1", "B")])  # a candidate regraded
    assert revision.current(empty_db) == start + 2
    statutory_facts(empty_db, "no-offer", ["rev-1", "rev-2"])
    all_candidate_facts(empty_db)
    offer = OfferRecord(
        offer_id="rev-o",
        title="Agent",
        description="Accueil",
        employer_id="E",
        departement="75",
        published_at="2026-01-01",
        contract=None,
        source="test",
    )
    write_offers(empty_db, [offer])
    assert revision.current(empty_db) == start + 2  # reads and offer writes leave candidates' facts alone
    assert erase_candidate(empty_db, "rev-2", digest="d-rev-2") is not None
    assert revision.current(empty_db) == start + 3
    assert erase_candidate(empty_db, "nobody", digest="d-nobody") is None
    assert revision.current(empty_db) == start + 3  # nothing erased, nothing to invalidate


def test_all_candidate_facts_are_those_of_the_per_request_query_at_their_revision(empty_db: Database) -> None:
    write_candidates(empty_db, [_candidate("rev-1", "C"), _candidate("rev-2", "B")])
    version, rows = all_candidate_facts(empty_db)
    assert version == revision.current(empty_db)
    empty_db.execute_query("CREATE (:Offer {offer_id: 'rev-o', contract: 'titulaire', versant: 'FPT'})")
    fresh = statutory_facts(empty_db, "rev-o", ["rev-1", "rev-2"])
    assert fresh.revision == version
    assert rows == fresh.candidates
    assert rows["rev-1"]["categorie"] == "C" and rows["rev-2"]["education_level"] == 4


def test_vivier_db_touch_moves_the_revision(database: Database, neo4j_uri: str, env: Callable[..., Settings]) -> None:
    env(NEO4J_URI=neo4j_uri)
    before = revision.current(database)
    result = CliRunner().invoke(app, ["db", "touch"])
    assert result.exit_code == 0, result.output
    assert revision.current(database) == before + 1
    assert f"statutory_facts {before + 1}" in result.output


def test_a_cache_reads_only_the_candidates_written_since_unless_a_write_left_no_stamp(empty_db: Database) -> None:
    write_candidates(empty_db, [_candidate(f"rev-{i}", "C") for i in range(5)])
    held, _ = all_candidate_facts(empty_db)
    write_candidates(empty_db, [_candidate("rev-1", "A"), _candidate("rev-new", "B")])  # one regraded, one new
    changed = candidate_facts_since(empty_db, held)
    assert changed is not None
    version, rows = changed
    assert version == revision.current(empty_db) and set(rows) == {"rev-1", "rev-new"}
    assert rows["rev-1"]["categorie"] == "A"
    assert candidate_facts_since(empty_db, version) == (version, {})  # nothing since
    erase_candidate(empty_db, "rev-2", digest="d-rev-2")  # no stamp can say who left: read everyone again
    assert candidate_facts_since(empty_db, version) is None
    write_candidates(empty_db, [_candidate("rev-3", "B")])
    assert candidate_facts_since(empty_db, version) is None  # still: the erasure lies after `version`
    latest = revision.current(empty_db)
    assert candidate_facts_since(empty_db, latest) == (latest, {})
    revision.bump_all(empty_db)  # an ontology load, `vivier db touch`
    assert candidate_facts_since(empty_db, latest) is None


def test_the_api_facts_cache_merges_the_written_candidates_and_drops_the_erased(empty_db: Database) -> None:
    write_candidates(empty_db, [_candidate(f"rev-{i}", "C") for i in range(3)])
    cache = StatutoryFactsCache(empty_db)
    try:
        cache.refresh()
        write_candidates(empty_db, [_candidate("rev-0", "A")])
        cache.refresh()
        now = revision.current(empty_db)
        rows, missing = cache.lookup(now, ["rev-0", "rev-1", "rev-9"])
        assert rows["rev-0"]["categorie"] == "A" and rows["rev-1"]["categorie"] == "C" and missing == ["rev-9"]
        erase_candidate(empty_db, "rev-1", digest="d-rev-1")
        cache.refresh()
        rows, missing = cache.lookup(revision.current(empty_db), ["rev-0", "rev-1"])
        assert set(rows) == {"rev-0"} and missing == ["rev-1"]  # the erased candidate is gone from memory
    finally:
        cache.close()
