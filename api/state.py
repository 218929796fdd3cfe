"""What the app holds while it runs: the database handle, the recommender (loaded on first use), the webhook
dispatcher, and caches of authenticated keys, of offers' employers and of candidates' statutory facts (api/facts.py).

A cached key is trusted while the freshness watcher's latest snapshot lists it as active (api/freshness.py: a
revoke from any process counts within one poll, 100 ms by default, and at once in the process that made it); with
the watcher off, after a per-request check that it is still active (one keyed read of its `ApiKey` node, or the
same check folded into the ranking's own query). The cache saves the full lookup (hash, role, employer).
"""

from __future__ import annotations

import gc
import logging
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, Protocol

from api import erasure
from api.facts import ExplanationCache, OfferChanges, StatutoryFactsCache
from api.freshness import FreshnessWatcher
from api.push import WebhookDispatcher
from api.traceability import LogWriter
from graph import erasure as erasure_graph
from graph.access import Caller, authenticate
from graph.db import Database
from graph.erasure import ERASURES
from graph.queries import (
    all_offer_employers,
    existing_candidates,
    key_is_active,
    offer_employers,
    record_recommendations,
)
from graph.revision import Snapshot

log = logging.getLogger("vivier.api")
CACHE_SIZE = 100_000  # keys or offers remembered per process; beyond it the cache starts again
# An offer's employer never changes; the delay only bounds how long a deleted offer still passes the check.
OFFER_CACHE_SECONDS = 600.0


ScoreFactors = dict[str, list[tuple[str, float, float]]]  # candidate → (fact, value, contribution), largest first


class Recommender(Protocol):
    """What `gnn.serving.Recommender` offers the API (ids with float scores): every method the API calls."""

    version: str

    def recommend_candidates(
        self, db: Database, offer_id: str, k: int, eligible_only: bool
    ) -> list[tuple[str, float]]: ...

    def recommend_offers(self, db: Database, candidate_id: str, k: int) -> list[tuple[str, float]]: ...

    def score_pair(self, db: Database, candidate_id: str, offer_id: str) -> float: ...

    def score_candidates(self, db: Database, offer_id: str, candidate_ids: list[str]) -> dict[str, float]:
        """`score_pair` for several candidates of one offer; those the model does not know are left out."""
        ...

    def next_steps(self, db: Database, occupation_uri: str, k: int) -> list[tuple[str, float]]: ...

    def embed_new_offer(self, db: Database, offer_id: str) -> Any: ...

    def embed_new_candidate(self, db: Database, candidate_id: str) -> Any: ...

    def score_factors(self, db: Database, offer_id: str, candidate_ids: list[str]) -> ScoreFactors:
        """The facts behind each candidate's score; {} when the model cannot say (no linear re-ranker)."""
        ...

    def forget_candidate(self, candidate_id: str) -> bool:
        """After a GDPR erase: the candidate's embedding leaves memory and no ranking returns it again; False when
        the model did not know the id."""
        ...

    def candidate_ids(self) -> list[str]:
        """The ids of the candidates the model holds."""
        ...


class _ReadWriteLock:
    """Many readers or one writer: rankings run side by side, embedding a new node waits for them."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._readers = 0
        self._writing = False

    @contextmanager
    def read(self) -> Iterator[None]:
        with self._cond:
            self._cond.wait_for(lambda: not self._writing)
            self._readers += 1
        try:
            yield
        finally:
            with self._cond:
                self._readers -= 1
                self._cond.notify_all()

    @contextmanager
    def write(self) -> Iterator[None]:
        with self._cond:
            self._cond.wait_for(lambda: not self._writing and self._readers == 0)
            self._writing = True
        try:
            yield
        finally:
            with self._cond:
                self._writing = False
                self._cond.notify_all()


class GuardedRecommender:
    """The model shared by the server's threads. Embedding a new offer or candidate grows the in-memory matrices,
    which a concurrent top-k must not see half done: embeds take the write side of a lock, rankings the read side.
    (A ranking that meets an offer unknown to the model embeds it under the read side: rare, offers created
    through this API are embedded first.)"""

    def __init__(self, inner: Recommender) -> None:
        self.inner = inner
        self.version = inner.version
        self._lock = _ReadWriteLock()

    def recommend_candidates(self, db: Database, offer_id: str, k: int, eligible_only: bool) -> list[tuple[str, float]]:
        with self._lock.read():
            return self.inner.recommend_candidates(db, offer_id, k, eligible_only)

    def recommend_offers(self, db: Database, candidate_id: str, k: int) -> list[tuple[str, float]]:
        with self._lock.read():
            return self.inner.recommend_offers(db, candidate_id, k)

    def score_pair(self, db: Database, candidate_id: str, offer_id: str) -> float:
        with self._lock.read():
            return self.inner.score_pair(db, candidate_id, offer_id)

    def score_candidates(self, db: Database, offer_id: str, candidate_ids: list[str]) -> dict[str, float]:
        with self._lock.read():
            return self.inner.score_candidates(db, offer_id, candidate_ids)

    def next_steps(self, db: Database, occupation_uri: str, k: int) -> list[tuple[str, float]]:
        with self._lock.read():
            return self.inner.next_steps(db, occupation_uri, k)

    def embed_new_offer(self, db: Database, offer_id: str) -> Any:
        with self._lock.write():
            return self.inner.embed_new_offer(db, offer_id)

    def embed_new_candidate(self, db: Database, candidate_id: str) -> Any:
        with self._lock.write():
            return self.inner.embed_new_candidate(db, candidate_id)

    def score_factors(self, db: Database, offer_id: str, candidate_ids: list[str]) -> ScoreFactors:
        """The facts behind each candidate's score, when the model can say (a linear re-ranker)."""
        with self._lock.read():
            return self.inner.score_factors(db, offer_id, candidate_ids)

    def forget_candidate(self, candidate_id: str) -> bool:
        """After a GDPR erase: the embedding leaves the matrices, which a concurrent ranking must not see half done."""
        with self._lock.write():
            return self.inner.forget_candidate(candidate_id)

    def candidate_ids(self) -> list[str]:
        with self._lock.read():
            return self.inner.candidate_ids()


def thaw_heap() -> None:
    """Undo `freeze_heap` at shutdown: frozen objects are never collected, and native libraries that count their
    objects at exit (triton's bindings, through torch) then report them as leaked."""
    gc.unfreeze()


def freeze_heap() -> None:
    """Collect once, then leave every object alive now (model, libraries) out of later collections. A server's
    heap is mostly this; without it, each full collection walked it all and stalled every request thread for about
    300 ms (the four-client p99 with explanations: 350 ms, 90 ms with the freeze; bench/bench_api.py)."""
    gc.collect()
    gc.freeze()


class ModelUnavailable(RuntimeError):
    """No trained model yet: the recommendation endpoints answer 503 until `vivier train` has run."""


def load_default_recommender(db: Database) -> Recommender:
    # The gnn layer sits below the api: import it late.
    from gnn.rerank import IncompatibleArtifact
    from gnn.serving import Recommender as GnnRecommender

    try:
        return GnnRecommender.load(db)
    except IncompatibleArtifact as error:  # a version stored by another Vivier: 503 with the advice to retrain
        raise ModelUnavailable(str(error)) from error


class AppState:
    def __init__(
        self,
        db: Database,
        dispatcher: WebhookDispatcher,
        recommender_loader: Callable[[Database], Recommender] = load_default_recommender,
        freshness_ms: int = 0,
        gc_freeze: bool = False,
    ) -> None:
        self.db = db
        self.dispatcher = dispatcher
        self.log_writer = LogWriter(lambda entries: record_recommendations(db, entries))
        offer_changes = OfferChanges(db)  # which offers were written since: asked once for both caches
        self.candidate_facts = StatutoryFactsCache(db, offer_changes)
        self.explanation_facts = ExplanationCache(offer_changes)  # offers' occupations and skills, career routes
        self.freshness = FreshnessWatcher(db, freshness_ms) if freshness_ms > 0 else None
        self._gc_freeze = gc_freeze
        self._loader = recommender_loader
        self._recommender: GuardedRecommender | None = None
        self._lock = threading.Lock()
        self._auth_cache: dict[str, Caller] = {}
        self._offer_cache: dict[str, tuple[str | None, float]] = {}
        self._offers_preloaded = False
        self._offers_lock = threading.Lock()
        self._erasures_seen = 0  # the `erasures` counter as of the tombstones this process has applied
        if self.freshness is not None:
            self.freshness.listeners.append(self._erasures_changed)

    def recommender(self) -> GuardedRecommender:
        if self._recommender is None:
            with self._lock:
                if self._recommender is None:
                    try:
                        loaded = GuardedRecommender(self._loader(self.db))
                        self._forget_erased(loaded, since=0)  # a version trained before an erasure holds them
                        self._recommender = loaded
                        if self._gc_freeze:
                            freeze_heap()
                    except (LookupError, FileNotFoundError, ImportError) as error:
                        raise ModelUnavailable(f"no trained model to serve ({error}); run `vivier train`") from error
        return self._recommender

    def reload_recommender(self) -> None:
        with self._lock:
            self._recommender = None

    def model_if_loaded(self) -> GuardedRecommender | None:
        return self._recommender

    def _erasures_changed(self, snapshot: Snapshot) -> None:
        """The watcher's listener: candidates erased by another process leave this one's model within one poll
        (that process rewrote the stored versions itself)."""
        model = self._recommender
        if model is not None and snapshot.counters.get(ERASURES, 0) > self._erasures_seen:
            self._forget_erased(model, since=self._erasures_seen, rewrite_stored=False)

    def _forget_erased(self, model: GuardedRecommender, since: int, rewrite_stored: bool = True) -> None:
        """Forget the candidates of the tombstones recorded after counter value `since`, unless they are in Neo4j
        again (the same CV uploaded after its erasure gets the same pseudonym: a new consent, a new candidate);
        with `rewrite_stored`, rewrite a stored version that still held one (trained while the erasure ran)."""
        digests, now = erasure_graph.tombstones(self.db, since)
        gone = erasure.matching(model.candidate_ids(), digests)
        gone -= set(existing_candidates(self.db, sorted(gone))) if gone else set()
        for candidate_id in gone:
            model.forget_candidate(candidate_id)
        if gone and rewrite_stored:
            erasure.erase_stored_models(gone)
        if gone:
            log.info("forgot %d erased candidate(s)", len(gone))
        self._erasures_seen = max(self._erasures_seen, now)

    def cached_caller(self, key: str) -> Caller | None:
        """The caller of a key authenticated before, not yet confirmed for this request (see `confirm`)."""
        return self._auth_cache.get(key)

    def authenticate(self, key: str) -> Caller | None:
        """The caller a key belongs to, None when unknown or revoked: a cached key is checked against the freshness
        snapshot (or, with the watcher off, one keyed read of its `ApiKey` node), an unknown one costs the full
        lookup."""
        decided, caller = self.authenticate_in_memory(key)
        if decided:
            return caller
        cached = self._auth_cache.get(key)
        if cached is not None:
            active = key_is_active(self.db, cached.key_id)
            return cached if self.confirm(key, active) else None
        caller = authenticate(self.db, key)
        if caller is not None:
            if len(self._auth_cache) >= CACHE_SIZE:
                self._auth_cache.clear()
            self._auth_cache[key] = caller
        return caller

    def authenticate_in_memory(self, key: str) -> tuple[bool, Caller | None]:
        """(True, the caller or None when revoked) for a cached key checked against the freshness snapshot (the
        watcher's list of active keys, at most one poll old): no round trip, so the event loop may ask it;
        (False, None) when it takes Neo4j (`authenticate`)."""
        cached = self._auth_cache.get(key)
        known = self.snapshot() if cached is not None else None
        if cached is None or known is None:
            return False, None
        return True, (cached if self.confirm(key, cached.key_id in known.active_keys) else None)

    def confirm(self, key: str, active: bool) -> bool:
        """Record the outcome of a revocation check of a cached key (`active` from Neo4j); False when revoked."""
        if not active:
            self._auth_cache.pop(key, None)
        return active

    def offer_employer(self, offer_id: str) -> tuple[bool, str | None]:
        """(exists, employer_id) of an offer. All offers' employers are read once, on first use, so a ranking
        usually pays no round trip for its ownership check; offers met later are read one by one. Known offers
        are remembered, unknown ones never."""
        if not self._offers_preloaded:
            self._preload_offers()
        cached = self._offer_cache.get(offer_id)
        now = time.monotonic()
        if cached and cached[1] > now:
            return True, cached[0]
        employers = offer_employers(self.db, [offer_id])
        if offer_id not in employers:
            return False, None
        if len(self._offer_cache) >= CACHE_SIZE:
            self._offer_cache.clear()
        self._offer_cache[offer_id] = (employers[offer_id], now + OFFER_CACHE_SECONDS)
        return True, employers[offer_id]

    def _preload_offers(self) -> None:
        with self._offers_lock:
            if self._offers_preloaded:
                return
            expires = time.monotonic() + OFFER_CACHE_SECONDS
            employers = all_offer_employers(self.db, CACHE_SIZE)
            self._offer_cache.update({offer_id: (employer, expires) for offer_id, employer in employers.items()})
            self._offers_preloaded = True

    def cache_sizes(self) -> dict[str, int]:
        """Entries of every cache this state holds, the model's included once loaded (the memory log)."""
        sizes = {"keys": len(self._auth_cache), "offer_employers": len(self._offer_cache)}
        sizes |= self.candidate_facts.sizes() | self.explanation_facts.sizes()
        model = self._recommender
        sizer = getattr(model.inner, "cache_sizes", None) if model is not None else None
        return sizes | (sizer() if sizer is not None else {})

    def close(self) -> None:
        """What shutdown undoes: the watcher, the facts cache's threads, the frozen heap."""
        if self.freshness is not None:
            self.freshness.stop()
        self.candidate_facts.close()
        if self._gc_freeze:
            thaw_heap()

    def snapshot(self) -> Snapshot | None:
        """What other processes changed, as of the watcher's latest poll; None: ask Neo4j on this request."""
        return self.freshness.current() if self.freshness is not None else None

    def changed(self) -> None:
        """After a write through this process: the next request here must see it, not wait for the next poll."""
        if self.freshness is not None:
            self.freshness.poll_now()

    def forget_offer(self, offer_id: str) -> None:
        self._offer_cache.pop(offer_id, None)

    def forget_key(self, key_id: str) -> None:
        self._auth_cache = {k: v for k, v in self._auth_cache.items() if v.key_id != key_id}
