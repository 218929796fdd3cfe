"""What other processes changed, read every `VIVIER_FRESHNESS_MS` (100 ms) instead of on every request.

A background thread polls one small query (graph/revision.py `snapshot`): the revision counters of candidates'
statutory facts and of offers, and the ids of the active API keys. Requests compare their caches with the latest
snapshot and make no round trip of their own for it:

- a cached API key is trusted while its id is in the snapshot (revoked or deleted: 401 within one poll);
- candidates' facts and offers' requirements held in memory are used while their counter has not moved.

- erasures: when the `erasures` counter moves, the listeners (api/state.py) read the new tombstones and forget the
  erased candidates held in memory.

A write made through this process polls at once (`poll_now`), so the next request here sees it. When polls fail
(Neo4j away), the snapshot ages; past `max_age` it is no longer used, and requests read Neo4j themselves, which
answers their 503. With `VIVIER_FRESHNESS_MS=0` there is no watcher: every request reads Neo4j, as before.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from graph.db import Database
from graph.revision import Snapshot, snapshot

log = logging.getLogger(__name__)


class FreshnessWatcher:
    def __init__(self, db: Database, interval_ms: int) -> None:
        self._db = db
        self.interval = interval_ms / 1000
        self.max_age = max(1.0, 5 * self.interval)  # a few missed polls: Neo4j is away, stop trusting memory
        self._latest: tuple[Snapshot, float] | None = None  # (snapshot, monotonic time its read began)
        self._latest_lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="vivier-freshness", daemon=True)
        # Called with each snapshot the watcher's own thread reads (never on a request's thread).
        self.listeners: list[Callable[[Snapshot], None]] = []

    def start(self) -> None:
        """Start polling (again, after `stop`)."""
        if self._thread.is_alive():
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="vivier-freshness", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=5)

    def current(self) -> Snapshot | None:
        """The latest snapshot, or None when there is none recent enough to trust."""
        latest = self._latest
        if latest is None or time.monotonic() - latest[1] > self.max_age:
            return None
        return latest[0]

    def poll_now(self) -> None:
        """Read a snapshot now (after a write through this process: the next request must see it)."""
        started = time.monotonic()  # the snapshot is as old as the moment its read began
        read = snapshot(self._db)
        with self._latest_lock:  # a slow poll never replaces one that began after it
            if self._latest is None or self._latest[1] <= started:
                self._latest = (read, started)

    def read_since(self, moment: float) -> bool:
        """Whether the latest snapshot began after `moment` (time.monotonic())."""
        latest = self._latest
        return latest is not None and latest[1] > moment

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self.poll_now()
                latest = self._latest
                for listener in self.listeners:
                    if latest is not None:
                        listener(latest[0])
            except Exception:  # Neo4j away: the snapshot ages until requests stop trusting it
                log.debug("freshness poll failed", exc_info=True)
            self._stop.wait(self.interval)
