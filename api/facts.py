"""Candidates' statutory facts and offers' requirements held in memory, so that a ranking does not wait on Neo4j.

Each is tagged with the revision counter it was read at (graph/revision.py); a request passes the counter it
knows, from the freshness watcher's latest snapshot (api/freshness.py) or, with the watcher off, from a light
query of its own run beside the top-k. When the counter is the cache's, no candidate (or offer) was written,
erased or regraded since: the cached facts are current. Otherwise, or for a candidate the cache has never seen,
the request reads the facts of its ranked candidates from Neo4j, and the cache is read again in the background.

`ExplanationCache` holds, on the same principle, what explaining a ranking reads that only offer and ontology
writes change (an offer's occupation and skills, routes between occupations), tagged with the `offers` counter.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

from graph.db import Database
from graph.queries import StatutoryFacts, all_candidate_facts, candidate_facts_since, statutory_facts

Row = dict[str, Any]
MAX_OFFERS = 100_000  # requirements remembered; beyond it the cache starts again
log = logging.getLogger(__name__)


class StatutoryFactsCache:
    def __init__(self, db: Database) -> None:
        self._db = db
        self._snapshot: tuple[int | None, dict[str, Row]] = (None, {})  # (revision, facts), swapped whole
        self._refreshing = threading.Lock()
        self._offers: dict[str, Row | None] = {}
        self._offers_revision: int | None = None
        self._offers_lock = threading.Lock()
        # The concurrent requests' light queries, and at most one refresh beside them.
        self._pool = ThreadPoolExecutor(max_workers=8, thread_name_prefix="vivier-facts")

    def request_facts(self, offer_id: str, key_id: str | None) -> Future[StatutoryFacts]:
        """Start the light per-request query (offer requirement, key revocation, revision) without waiting."""
        return self._pool.submit(statutory_facts, self._db, offer_id, [], key_id)

    def candidates(self, revision: int, offer_id: str, candidate_ids: Sequence[str]) -> dict[str, Row]:
        """The facts of those of `candidate_ids` still in the graph: from memory when the cache is current at
        `revision`, otherwise (or for candidates it lacks) from Neo4j."""
        rows, missing = self.lookup(revision, candidate_ids)
        if missing:
            rows.update(statutory_facts(self._db, offer_id, missing).candidates)
        return rows

    def lookup(self, revision: int, candidate_ids: Sequence[str]) -> tuple[dict[str, Row], list[str]]:
        """(facts found in memory, ids to read from Neo4j). A stale cache answers nothing and is refreshed."""
        current, held = self._snapshot
        if current != revision:
            self.refresh_in_background()
            return {}, list(candidate_ids)
        found = {c: held[c] for c in candidate_ids if c in held}
        return found, [c for c in candidate_ids if c not in found]

    def offer_requirement(self, revision: int, offer_id: str) -> Row | None:
        """The offer's statutory requirement (None: no such offer), from memory while the offers' counter stands
        at `revision`; read from Neo4j and remembered otherwise."""
        with self._offers_lock:
            if self._offers_revision != revision:
                self._offers, self._offers_revision = {}, revision
            if offer_id in self._offers:
                return self._offers[offer_id]
        offer = statutory_facts(self._db, offer_id, []).offer
        with self._offers_lock:
            if self._offers_revision == revision:  # read after the counter: as fresh as it, or fresher
                if len(self._offers) >= MAX_OFFERS:
                    self._offers.clear()
                self._offers[offer_id] = offer
        return offer

    def refresh_in_background(self) -> None:
        if not self._refreshing.locked():
            self._pool.submit(self._refresh_unless_running)

    def refresh(self) -> None:
        """Read the candidates' facts again: those written since, or everyone (one query; about a second at
        100,000 candidates)."""
        with self._refreshing:
            self._read_all()

    def _refresh_unless_running(self) -> None:
        if self._refreshing.acquire(blocking=False):  # a refresh already running will do
            try:
                self._read_all()
            except Exception:  # Neo4j away: requests read the facts from it (and answer 503 meanwhile)
                log.warning("could not read candidates' statutory facts; will try again", exc_info=True)
            finally:
                self._refreshing.release()

    def _read_all(self) -> None:
        """The candidates written since the held revision merged into what is held (an upload reads one
        candidate, not all of them); everyone again after a write that did not stamp what it changed."""
        held_revision, held = self._snapshot
        changed = None if held_revision is None else candidate_facts_since(self._db, held_revision)
        if changed is None:
            self._snapshot = all_candidate_facts(self._db)
            return
        revision, rows = changed
        held.update(rows)  # in place: a reader at the old revision may see newer facts, never older ones
        self._snapshot = (revision, held)

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)


MAX_ROUTES = 200_000  # occupation pairs remembered; beyond it the cache starts again


class ExplanationCache:
    """What an explanation reads that changes only with the offers or the ontology: an offer's occupation and
    required skills, and the best career route between two occupations (ROME transitions, or job moves and
    statutory steps between public-service concepts). Held while the `offers` counter stands: offer writes,
    ontology loads and curation bump it (graph/revision.py). Candidates' skills and occupations, and past hires,
    change with every application and are always read."""

    def __init__(self) -> None:
        self._revision: int | None = None
        self._offers: dict[str, tuple[Row | None, list[Row]]] = {}
        self._routes: dict[tuple[str, str], Row | None] = {}  # None: no route between the two
        self._lock = threading.Lock()

    def offer(
        self, revision: int | None, offer_id: str, read: Callable[[], tuple[Row | None, list[Row]]]
    ) -> tuple[Row | None, list[Row]]:
        """(the offer's occupation, its required skills), from memory while the counter stands at `revision`;
        `read` otherwise (always, with no `revision`: no freshness snapshot to trust)."""
        with self._lock:
            if self._current(revision) and offer_id in self._offers:
                return self._offers[offer_id]
        found = read()
        with self._lock:
            if self._current(revision):  # read after the counter was: as fresh as it, or fresher
                if len(self._offers) >= MAX_OFFERS:
                    self._offers.clear()
                self._offers[offer_id] = found
        return found

    def routes(
        self, revision: int | None, from_uris: Sequence[str], to_uri: str, read: Callable[[list[str]], dict[str, Row]]
    ) -> dict[str, Row]:
        """The best route from each of `from_uris` to `to_uri` (absent: none); `read` is asked for the starts
        whose route is not held at `revision`."""
        with self._lock:
            current = self._current(revision)
            held = {u: self._routes[(u, to_uri)] for u in from_uris if current and (u, to_uri) in self._routes}
        missing = [u for u in from_uris if u not in held]
        found = read(missing) if missing else {}
        with self._lock:
            if self._current(revision):
                if len(self._routes) + len(missing) > MAX_ROUTES:
                    self._routes.clear()
                self._routes.update({(u, to_uri): found.get(u) for u in missing})
        return {u: route for u, route in (held | found).items() if route is not None}

    def _current(self, revision: int | None) -> bool:
        """Whether what is held is as of `revision`; a newer counter empties the cache (counters only grow, so an
        older one comes from a request that read its snapshot before: it neither reads nor fills the cache)."""
        if revision is None or (self._revision is not None and revision < self._revision):
            return False
        if revision != self._revision:
            self._offers, self._routes, self._revision = {}, {}, revision
        return True
