"""The database under test is a real Neo4j 5.26 with APOC core and OpenGDS, reached over Bolt."""

from __future__ import annotations

import pytest

from graph.db import Database
from graph.schema import LATEST_VERSION, NODE_KEYS, STEPS, applied_versions, apply_schema


def test_database_is_real_neo4j_5_26_with_apoc_and_gds(database: Database) -> None:
    records, _, _ = database.execute_query("CALL dbms.components() YIELD name, versions RETURN name, versions")
    assert records[0]["name"] == "Neo4j Kernel"
    assert records[0]["versions"][0].startswith("5.26.")
    apoc = database.execute_query("RETURN apoc.version() AS v").records[0]["v"]
    gds = database.execute_query("RETURN gds.version() AS v").records[0]["v"]
    assert apoc.startswith("5.26")
    assert gds.startswith("2.")


@pytest.mark.slow
def test_gds_runs_an_algorithm(empty_db: Database) -> None:
    empty_db.execute_query("CREATE (:T {i: 1})-[:R]->(:T {i: 2})-[:R]->(:T {i: 3})")
    empty_db.execute_query("CALL gds.graph.project('t', 'T', 'R')")
    try:
        records, _, _ = empty_db.execute_query(
            "CALL gds.degree.stream('t') YIELD nodeId, score RETURN sum(score) AS total"
        )
        assert records[0]["total"] == 2
    finally:
        empty_db.execute_query("CALL gds.graph.drop('t')")


def test_schema_is_applied_once_and_is_a_noop_the_second_time(database: Database) -> None:
    assert applied_versions(database) == {step.version for step in STEPS}
    assert apply_schema(database) == []
    constraints = {r["name"] for r in database.execute_query("SHOW CONSTRAINTS YIELD name").records}
    for label, key in NODE_KEYS.items():
        assert f"{label.lower()}_{key}" in constraints
    assert max(applied_versions(database)) == LATEST_VERSION


def test_unique_keys_are_enforced(empty_db: Database) -> None:
    empty_db.execute_query("CREATE (:Offer {offer_id: 'o1'})")
    try:
        empty_db.execute_query("CREATE (:Offer {offer_id: 'o1'})")
    except Exception as error:  # the database raises ConstraintError
        assert "already exists" in str(error)
    else:
        raise AssertionError("a duplicate Offer key was accepted")


def test_a_routing_uri_sends_reads_to_readers_and_writes_to_the_leader(neo4j_uri: str, empty_db: Database) -> None:
    """`neo4j://` (a cluster's URI) works on the single embedded server too, whose routing table names it as both
    reader and writer; the handle asks Neo4j's planner once per query text whether the query only reads."""
    from neo4j import RoutingControl

    routed = Database.connect(uri=neo4j_uri.replace("bolt://", "neo4j://"))
    try:
        assert routed.routed and not empty_db.routed
        write = "MERGE (e:Employer {employer_id: $id}) RETURN e.employer_id AS id"
        read = "MATCH (e:Employer {employer_id: $id}) RETURN e.employer_id AS id"
        assert routed.execute_query(write, {"id": "E-route"}).records[0]["id"] == "E-route"
        assert routed.execute_query(read, id="E-route").records[0]["id"] == "E-route"
        assert routed.routing(read) is RoutingControl.READ
        assert routed.routing(write) is RoutingControl.WRITE
        assert routed.routing("CREATE INDEX route_test IF NOT EXISTS FOR (e:Employer) ON (e.name)") is (
            RoutingControl.WRITE
        )
        assert set(routed._query_types) >= {read, write}  # asked once, then remembered
    finally:
        routed.close()
