"""The database handle: one Neo4j driver and the name of the database it works on, built once per process and
passed explicitly to every function that reads or writes the graph.

Every query goes through `Database.execute_query` with parameters (the driver manual's `execute_query`), or a
session of the same database for the few that stream or run `CALL … IN TRANSACTIONS`.

When Neo4j cannot be reached, a server must say so fast (the API's 503 within a second, docs/api.md *Faults*):
`FAIL_FAST` bounds the driver's connect and retry times, and the handle's circuit breaker remembers for
`DOWN_MEMORY_SECONDS` that the server was unreachable, so that the queries of that second fail at once instead of
each waiting out its own connection attempt. The first query after that second tries the server again: recovery
needs no restart.

With a routing URI (`neo4j://`, `neo4j+s://`, `neo4j+ssc://`: a cluster), reads go to the secondaries and writes to
the leader. Which a query is, Neo4j says itself: the first time a handle meets a query text it asks for its plan
(`EXPLAIN`, nothing runs) and keeps the plan's query type; only a read-only plan (`r`) is routed to a reader.
With `bolt://` (one server, the embedded one) nothing of this happens.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from neo4j import Driver, EagerResult, GraphDatabase, Query, RoutingControl, Session
from neo4j.exceptions import ServiceUnavailable, SessionExpired

from vivier.settings import Settings, get_settings

# The driver's errors that mean "the server cannot be reached now": callers answer "retry later" (the API's 503).
UNAVAILABLE: tuple[type[Exception], ...] = (ServiceUnavailable, SessionExpired)

# URI schemes of the driver that route (a cluster, or one server behind its routing table).
ROUTING_SCHEMES = ("neo4j", "neo4j+s", "neo4j+ssc")

# How long a handle answers "unavailable" without trying, after the server was found unreachable.
DOWN_MEMORY_SECONDS = 1.0
# Driver settings of a server process: a refused or silent connection fails in 0.5 s, and the driver's own retries
# (meant for transient errors and leader switches) stop after 0.3 s, from a first delay of 0.05 s instead of 1 s.
# Measured with Neo4j killed: 503 in 0.3–0.6 s (tests/test_faults.py), against 2.8–3.4 s with the driver's defaults.
FAIL_FAST: dict[str, Any] = {
    "connection_timeout": 0.5,
    "connection_acquisition_timeout": 1.0,
    "max_transaction_retry_time": 0.3,
    "initial_retry_delay": 0.05,
}


class CircuitBreaker:
    """Remembers for `memory` seconds that the server was unreachable."""

    def __init__(self, memory: float = DOWN_MEMORY_SECONDS) -> None:
        self.memory = memory
        self._down_until = 0.0
        self._lock = threading.Lock()

    def check(self) -> None:
        """Raise ServiceUnavailable while the server is remembered as down."""
        left = self._down_until - time.monotonic()
        if left > 0:
            raise ServiceUnavailable(f"Neo4j was unreachable less than {self.memory:g} s ago (retry in {left:.2f} s)")

    def failed(self) -> None:
        with self._lock:
            self._down_until = time.monotonic() + self.memory

    def succeeded(self) -> None:
        self._down_until = 0.0


@dataclass(frozen=True)
class Database:
    """A driver and its database name. Closing the handle closes the driver."""

    driver: Driver
    name: str = "neo4j"
    breaker: CircuitBreaker = field(default_factory=CircuitBreaker, compare=False, repr=False)
    routed: bool = False  # a routing URI: reads may go to secondaries
    _query_types: dict[str, str] = field(default_factory=dict, compare=False, repr=False)

    @classmethod
    def connect(cls, settings: Settings | None = None, uri: str | None = None, **driver_config: Any) -> Database:
        """A handle on the configured Neo4j (`NEO4J_URI`, else the embedded server), or on `uri`; `driver_config`
        goes to the driver (timeouts)."""
        settings = settings or get_settings()
        # Notifications such as "label does not exist yet" are expected on an empty store: keep the log quiet.
        driver = GraphDatabase.driver(
            uri or settings.effective_uri, auth=settings.auth(), notifications_min_severity="OFF", **driver_config
        )
        routed = (uri or settings.effective_uri).split("://", 1)[0].lower() in ROUTING_SCHEMES
        return cls(driver, settings.neo4j_database, routed=routed)

    def execute_query(
        self, query: str | Query, parameters_: dict[str, Any] | None = None, **kwargs: Any
    ) -> EagerResult:
        """`Driver.execute_query` on this database; keyword arguments are query parameters, as in the driver.
        Raises ServiceUnavailable at once while the breaker remembers the server as down."""
        self.breaker.check()
        if self.routed and "routing_" not in kwargs:
            named = {k: v for k, v in kwargs.items() if not k.endswith("_")}  # the driver's own options end in _
            kwargs["routing_"] = self.routing(query, {**(parameters_ or {}), **named})
        try:
            result = self.driver.execute_query(query, parameters_, database_=self.name, **kwargs)
        except UNAVAILABLE:
            self.breaker.failed()
            raise
        self.breaker.succeeded()
        return result

    def routing(self, query: str | Query, parameters: dict[str, Any] | None = None) -> RoutingControl:
        """READ when Neo4j plans `query` as read-only, else WRITE (asked once per query text, then remembered)."""
        text = str(query.text) if isinstance(query, Query) else query
        kind = self._query_types.get(text)
        if kind is None:
            plan = self.driver.execute_query(
                f"EXPLAIN {text}", parameters, database_=self.name, routing_=RoutingControl.WRITE
            )
            kind = self._query_types.setdefault(text, plan.summary.query_type or "rw")
        return RoutingControl.READ if kind == "r" else RoutingControl.WRITE

    def session(self, **config: Any) -> Session:
        return self.driver.session(database=self.name, **config)

    def verify(self) -> None:
        """Raise the driver's error if the server does not answer."""
        self.driver.verify_connectivity()

    def close(self) -> None:
        self.driver.close()


@contextmanager
def open_database(settings: Settings | None = None, uri: str | None = None) -> Iterator[Database]:
    """A verified handle for a command's lifetime, closed on exit."""
    db = Database.connect(settings, uri)
    try:
        db.verify()
        yield db
    finally:
        db.close()
