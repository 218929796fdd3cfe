"""Candidates' statutory facts and offers' requirements held in memory, so that a ranking does not wait on Neo4j.

Each is tagged with the revision counter it was read at (graph/revision.py); a request passes the counter it
knows, from the freshness watcher's latest snapshot (api/freshness.py) or, with the watcher off, from a light
query of its own run beside the top-k. When the counter is the cache's, no candidate (or offer) was written,
erased or regraded since: the cached facts are current. Otherwise, or for a candidate the cache has never seen,
the request reads the facts of its ranked candidates from Neo4j, and the cache is read again in the background.

Offers' requirements, and what explaining a ranking reads that only offer and ontology writes change (an offer's
occupation and skills, routes between occupations: `ExplanationCache`), follow the `offers` counter: when it moves,
`OfferChanges` asks Neo4j which offers were written since (they are stamped, graph/revision.py) and only those
are forgotten, so that a loader writing offers beside the API does not empty the caches at every batch; routes and
everything else are forgotten only after a write that did not stamp what it changed (an ontology load, curation).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, Generic, TypeVar

from graph.db import Database
from graph.queries import (
    StatutoryFacts,
    all_candidate_facts,
    candidate_facts_since,
    offers_changed_since,
    statutory_facts,
)

Row = dict[str, Any]
MAX_OFFERS = 100_000  # requirements remembered; beyond it the cache starts again
log = logging.getLogger(__name__)


Value = TypeVar("Value")


class OfferChanges:
    """Which offers were written after a revision of the offers counter, asked once per revision however many
    caches and requests ask (they all follow the same freshness snapshots)."""

    def __init__(self, db: Database) -> None:
        self._db = db
        self._lock = threading.Lock()
        self._last: tuple[int, tuple[int, frozenset[str]] | None] | None = None

    def since(self, revision: int) -> tuple[int, frozenset[str]] | None:
        """(the counter now, the offers written after `revision`); None: a write did not stamp what it changed,
        forget everything."""
        with self._lock:
            if self._last is not None and self._last[0] == revision:
                return self._last[1]
            found = offers_changed_since(self._db, revision)
            answer = None if found is None else (found[0], frozenset(found[1]))
            self._last = (revision, answer)
            return answer


class OfferKeyedCache(Generic[Value]):
    """Values per offer, valid as of a revision of the offers counter. A request with a newer revision first
    catches up: the offers written since are forgotten (`OfferChanges`), or everything after an unstamped write,
    which also moves `generation` (what depends on more than one offer, like routes, follows it)."""

    def __init__(self, changes: OfferChanges, limit: int = MAX_OFFERS) -> None:
        self._changes = changes
        self._limit = limit
        self._values: dict[str, Value] = {}
        self._revision: int | None = None
        self.generation = 0
        self._lock = threading.Lock()

    def get(self, revision: int | None, offer_id: str, read: Callable[[], Value]) -> Value:
        """The offer's value from memory when held as of `revision` or later; `read` otherwise (always, with no
        `revision`: no freshness snapshot to trust)."""
        if revision is None:
            return read()
        with self._lock:
            self.catch_up(revision)
            held = (self._revision, self.generation)
            if offer_id in self._values:
                return self._values[offer_id]
        value = read()
        with self._lock:
            if (self._revision, self.generation) == held:  # nothing forgotten meanwhile: as fresh as what is held
                if len(self._values) >= self._limit:
                    self._values.clear()
                self._values[offer_id] = value
        return value

    def catch_up(self, revision: int) -> None:
        """Bring what is held to `revision` or later (the caller holds `_lock`, or is alone)."""
        if self._revision is not None and revision <= self._revision:
            return
        if self._revision is None:  # nothing held yet: whatever is read from now on is as fresh as `revision`
            self._revision = revision
            return
        found = self._changes.since(self._revision)
        if found is None:
            self._values, self.generation, self._revision = {}, self.generation + 1, revision
            return
        version, written = found
        for offer_id in written:
            self._values.pop(offer_id, None)
        self._revision = max(version, revision)

    def locked(self) -> threading.Lock:
        return self._lock

    def __len__(self) -> int:
        return len(self._values)


class StatutoryFactsCache:
    def __init__(self, db: Database, offer_changes: OfferChanges | None = None) -> None:
        self._db = db
        self._snapshot: tuple[int | None, dict[str, Row]] = (None, {})  # (revision, facts), swapped whole
        self._refreshing = threading.Lock()
        self._offers: OfferKeyedCache[Row | None] = OfferKeyedCache(offer_changes or OfferChanges(db))
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
        """The offer's statutory requirement (None: no such offer), from memory while it was not written after
        `revision` of the offers counter; read from Neo4j and remembered otherwise."""
        return self._offers.get(revision, offer_id, lambda: statutory_facts(self._db, offer_id, []).offer)

    def sizes(self) -> dict[str, int]:
        """Entries held (for the memory log, api/memory.py)."""
        return {"candidate_facts": len(self._snapshot[1]), "offer_requirements": len(self._offers)}

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
    statutory steps between public-service concepts). An offer's are forgotten when it is written again; routes,
    and everything, after an unstamped write (ontology loads and curation, graph/revision.py). Candidates' skills
    and occupations, and past hires, change with every application and are always read."""

    def __init__(self, changes: OfferChanges) -> None:
        self._offers: OfferKeyedCache[tuple[Row | None, list[Row]]] = OfferKeyedCache(changes)
        self._routes: dict[tuple[str, str], Row | None] = {}  # None: no route between the two
        self._routes_generation = 0
        self._lock = threading.Lock()

    def sizes(self) -> dict[str, int]:
        """Entries held (for the memory log, api/memory.py)."""
        return {"explanation_offers": len(self._offers), "routes": len(self._routes)}

    def offer(
        self, revision: int | None, offer_id: str, read: Callable[[], tuple[Row | None, list[Row]]]
    ) -> tuple[Row | None, list[Row]]:
        """(the offer's occupation, its required skills), from memory while the offer was not written after
        `revision`; `read` otherwise (always, with no `revision`: no freshness snapshot to trust)."""
        return self._offers.get(revision, offer_id, read)

    def routes(
        self, revision: int | None, from_uris: Sequence[str], to_uri: str, read: Callable[[list[str]], dict[str, Row]]
    ) -> dict[str, Row]:
        """The best route from each of `from_uris` to `to_uri` (absent: none); `read` is asked for the starts
        whose route is not held (all of them, with no `revision`)."""
        if revision is None:
            return {u: route for u, route in read(list(from_uris)).items() if route is not None}
        with self._offers.locked():
            self._offers.catch_up(revision)
            generation = self._offers.generation
        with self._lock:
            if generation != self._routes_generation:
                self._routes, self._routes_generation = {}, generation
            held = {u: self._routes[(u, to_uri)] for u in from_uris if (u, to_uri) in self._routes}
        missing = [u for u in from_uris if u not in held]
        found = read(missing) if missing else {}
        with self._lock:
            if generation == self._routes_generation:
                if len(self._routes) + len(missing) > MAX_ROUTES:
                    self._routes.clear()
                self._routes.update({(u, to_uri): found.get(u) for u in missing})
        return {u: route for u, route in (held | found).items() if route is not None}
