"""The recommendation log, written off the request path: entries are queued with their id and time fixed when
the answer is served, and a background thread writes them to Neo4j in batches (one transaction per batch).

Reading or erasing logs flushes the queue first, so what the API shows is complete; shutdown flushes too.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable
from typing import Any

log = logging.getLogger("vivier.api.traceability")
MAX_BATCH = 500


class LogWriter:
    def __init__(self, write: Callable[[list[dict[str, Any]]], None], linger: float = 0.05) -> None:
        self._write = write
        self._linger = linger  # seconds a first entry waits for others to share its transaction
        self._queue: queue.Queue[dict[str, Any]] = queue.Queue()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self._stopping = threading.Event()

    def start(self) -> None:
        with self._lock:
            if self._thread is None or not self._thread.is_alive():
                self._stopping.clear()
                self._thread = threading.Thread(target=self._run, name="vivier-recommendation-log", daemon=True)
                self._thread.start()

    def submit(self, entry: dict[str, Any]) -> None:
        self.start()
        self._queue.put(entry)

    def flush(self, timeout: float = 30.0) -> bool:
        """Wait until every queued entry is written; False on timeout."""
        deadline = time.monotonic() + timeout
        while self._queue.unfinished_tasks and time.monotonic() < deadline:
            time.sleep(0.005)
        return not self._queue.unfinished_tasks

    def stop(self, timeout: float = 30.0) -> None:
        self.flush(timeout)
        self._stopping.set()
        if self._thread is not None:
            self._thread.join(timeout)

    def _run(self) -> None:
        while not self._stopping.is_set():
            try:
                first = self._queue.get(timeout=0.2)
            except queue.Empty:
                continue
            time.sleep(self._linger)
            batch = [first]
            while len(batch) < MAX_BATCH:
                try:
                    batch.append(self._queue.get_nowait())
                except queue.Empty:
                    break
            self._write_with_retries(batch)
            for _ in batch:
                self._queue.task_done()

    def _write_with_retries(self, batch: list[dict[str, Any]], attempts: int = 5) -> None:
        for attempt in range(attempts):
            try:
                self._write(batch)
                return
            except Exception:  # Neo4j briefly away: keep the entries and retry, never drop them silently
                log.warning("recommendation log: write of %d entries failed (attempt %d)", len(batch), attempt + 1)
                time.sleep(min(10.0, 0.5 * 2**attempt))
        log.error("recommendation log: %d entries could not be written: %s", len(batch), batch)
