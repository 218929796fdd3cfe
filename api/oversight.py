"""The kill switch as the API sees it: rankings and pushes are refused with 503 and a clear status while
recommendations are suspended, globally or for the offer's employer (graph/oversight.py writes the switch); and
which employers opted in to the exposure-aware re-ranking of their served rankings (api/service.py applies it).

Both are read from Neo4j at most once per `REFRESH_S` per process (in the background), and at once in the process
that changed them (`SuspensionWatch.refresh`): another API process follows within about that delay.
"""

from __future__ import annotations

import threading
import time
import weakref
from typing import Any

from fastapi import HTTPException, status

from graph.db import Database
from graph.oversight import GLOBAL, active_suspensions, exposure_mitigations, scope_of

REFRESH_S = 1.0
SUSPENDED = "recommendations_suspended"


class SuspensionWatch:
    """The suspensions in force, read on first use, then refreshed in the background when older than
    `REFRESH_S` (a request never waits on Neo4j for it, so the check can run on the event loop)."""

    def __init__(self, db: Database) -> None:
        self._db = db
        self._lock = threading.Lock()
        self._read_at: float | None = None
        self._refreshing = False
        self._active: dict[str, dict[str, Any]] = {}
        self._mitigations: dict[str, dict[str, Any]] = {}

    def active(self) -> dict[str, dict[str, Any]]:
        if self._read_at is None:
            self.refresh()
        elif time.monotonic() - self._read_at > REFRESH_S and not self._refreshing:
            self._refreshing = True
            threading.Thread(target=self._refresh_quietly, name="vivier-suspensions", daemon=True).start()
        return self._active

    def refresh(self) -> None:
        """Read the suspensions and re-ranking switches now (after this process changed them, and on first use)."""
        found, mitigations = active_suspensions(self._db), exposure_mitigations(self._db)
        with self._lock:
            self._active, self._mitigations, self._read_at = found, mitigations, time.monotonic()

    def _refresh_quietly(self) -> None:
        try:
            self.refresh()
        except Exception:  # Neo4j away: keep the last snapshot, try again on a later request
            pass
        finally:
            self._refreshing = False

    def mitigation(self, employer_id: str | None) -> dict[str, Any] | None:
        """The employer's exposure-aware re-ranking ({attribute, max_gap, since, by}) when it opted in."""
        self.active()  # refreshes the snapshot when it is old
        return self._mitigations.get(employer_id) if employer_id is not None else None

    def suspended_employers(self) -> set[str] | None:
        """The employers whose recommendations are suspended; None when all are (global suspension)."""
        active = self.active()
        if GLOBAL in active:
            return None
        return {scope.split(":", 1)[1] for scope in active if scope.startswith("employer:")}

    def check(self, employer_id: str | None = None) -> None:
        """503 when recommendations are suspended for everyone, or for `employer_id`."""
        active = self.active()
        for scope in (GLOBAL, *(() if employer_id is None else (scope_of(employer_id),))):
            if scope in active:
                found = active[scope]
                raise HTTPException(
                    status.HTTP_503_SERVICE_UNAVAILABLE,
                    f"{SUSPENDED}: recommendations are suspended ({scope}) since {found['at']} by {found['by']}: "
                    f"{found['reason']}. A recruiter decides without them until an admin resumes them.",
                )


_watches: weakref.WeakKeyDictionary[Database, SuspensionWatch] = weakref.WeakKeyDictionary()
_watches_lock = threading.Lock()


def watch(db: Database) -> SuspensionWatch:
    """The process's watch over this database (one per database handle)."""
    with _watches_lock:
        found = _watches.get(db)
        if found is None:
            found = _watches[db] = SuspensionWatch(db)
        return found
