"""What the app holds while it runs: the Neo4j driver, the recommender (loaded on first use), the webhook
dispatcher and a short-lived cache of authenticated keys."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, Protocol

from neo4j import Driver

from api.push import WebhookDispatcher
from api.traceability import LogWriter
from graph.access import Caller, authenticate
from graph.queries import offer_employers, record_recommendations

AUTH_CACHE_SECONDS = 10.0  # a revoked key stops working within this delay on other workers
OFFER_CACHE_SECONDS = 60.0  # an offer's employer never changes; the cache only saves a round trip per ranking


class Recommender(Protocol):
    """What `gnn.serving.Recommender` offers the API (ids with float scores)."""

    version: str

    def recommend_candidates(
        self, driver: Driver, offer_id: str, k: int, eligible_only: bool
    ) -> list[tuple[str, float]]: ...

    def recommend_offers(self, driver: Driver, candidate_id: str, k: int) -> list[tuple[str, float]]: ...

    def score_pair(self, driver: Driver, candidate_id: str, offer_id: str) -> float: ...

    def next_steps(self, driver: Driver, occupation_uri: str, k: int) -> list[tuple[str, float]]: ...

    def embed_new_offer(self, driver: Driver, offer_id: str) -> Any: ...

    def embed_new_candidate(self, driver: Driver, candidate_id: str) -> Any: ...


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

    def recommend_candidates(
        self, driver: Driver, offer_id: str, k: int, eligible_only: bool
    ) -> list[tuple[str, float]]:
        with self._lock.read():
            return self.inner.recommend_candidates(driver, offer_id, k, eligible_only)

    def recommend_offers(self, driver: Driver, candidate_id: str, k: int) -> list[tuple[str, float]]:
        with self._lock.read():
            return self.inner.recommend_offers(driver, candidate_id, k)

    def score_pair(self, driver: Driver, candidate_id: str, offer_id: str) -> float:
        with self._lock.read():
            return self.inner.score_pair(driver, candidate_id, offer_id)

    def next_steps(self, driver: Driver, occupation_uri: str, k: int) -> list[tuple[str, float]]:
        with self._lock.read():
            return self.inner.next_steps(driver, occupation_uri, k)

    def embed_new_offer(self, driver: Driver, offer_id: str) -> Any:
        with self._lock.write():
            return self.inner.embed_new_offer(driver, offer_id)

    def embed_new_candidate(self, driver: Driver, candidate_id: str) -> Any:
        with self._lock.write():
            return self.inner.embed_new_candidate(driver, candidate_id)

    def forget_candidate(self, candidate_id: str) -> None:
        """After a GDPR erase: drop the embedding from memory when the model can (rankings filter it anyway)."""
        forget = getattr(self.inner, "forget_candidate", None)
        if callable(forget):
            with self._lock.write():
                forget(candidate_id)


class ModelUnavailable(RuntimeError):
    """No trained model yet: the recommendation endpoints answer 503 until `vivier train` has run."""


def load_default_recommender(driver: Driver) -> Recommender:
    from gnn.serving import Recommender as GnnRecommender  # the gnn layer sits below the api: import it late

    return GnnRecommender.load(driver)


class AppState:
    def __init__(
        self,
        driver: Driver,
        database: str,
        dispatcher: WebhookDispatcher,
        recommender_loader: Callable[[Driver], Recommender] = load_default_recommender,
    ) -> None:
        self.driver = driver
        self.database = database
        self.dispatcher = dispatcher
        self.log_writer = LogWriter(lambda entries: record_recommendations(driver, entries, database))
        self._loader = recommender_loader
        self._recommender: GuardedRecommender | None = None
        self._lock = threading.Lock()
        self._auth_cache: dict[str, tuple[Caller, float]] = {}
        self._offer_cache: dict[str, tuple[str | None, float]] = {}

    def recommender(self) -> GuardedRecommender:
        if self._recommender is None:
            with self._lock:
                if self._recommender is None:
                    try:
                        self._recommender = GuardedRecommender(self._loader(self.driver))
                    except (LookupError, FileNotFoundError, ImportError) as error:
                        raise ModelUnavailable(f"no trained model to serve ({error}); run `vivier train`") from error
        return self._recommender

    def reload_recommender(self) -> None:
        with self._lock:
            self._recommender = None

    def model_if_loaded(self) -> GuardedRecommender | None:
        return self._recommender

    def authenticate(self, key: str) -> Caller | None:
        cached = self._auth_cache.get(key)
        now = time.monotonic()
        if cached and cached[1] > now:
            return cached[0]
        caller = authenticate(self.driver, key, self.database)
        if caller is None:
            self._auth_cache.pop(key, None)
        else:
            self._auth_cache[key] = (caller, now + AUTH_CACHE_SECONDS)
        return caller

    def offer_employer(self, offer_id: str) -> tuple[bool, str | None]:
        """(exists, employer_id) of an offer; known offers are remembered for a minute, unknown ones never."""
        cached = self._offer_cache.get(offer_id)
        now = time.monotonic()
        if cached and cached[1] > now:
            return True, cached[0]
        employers = offer_employers(self.driver, [offer_id], self.database)
        if offer_id not in employers:
            return False, None
        if len(self._offer_cache) > 100_000:
            self._offer_cache.clear()
        self._offer_cache[offer_id] = (employers[offer_id], now + OFFER_CACHE_SECONDS)
        return True, employers[offer_id]

    def forget_offer(self, offer_id: str) -> None:
        self._offer_cache.pop(offer_id, None)

    def forget_key(self, key_id: str) -> None:
        self._auth_cache = {k: v for k, v in self._auth_cache.items() if v[0].key_id != key_id}
