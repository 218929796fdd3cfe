"""Web sessions: a signed-in browser holds a random session token in an HttpOnly cookie; the server keeps, in
memory, the API key it stands for and the session's CSRF token. Every page re-checks the key exactly as the JSON
API does (`AppState.authenticate`: a revoked key ends the session at its next request).

Sessions live in the process that created them: a restart, or another worker, asks for the key again. One-time
sign-in links (`vivier demo`) are kept the same way and work once, within `LINK_SECONDS`."""

from __future__ import annotations

import secrets
import threading
import time
from dataclasses import dataclass, field

SESSION_SECONDS = 8 * 3600  # a working day
LINK_SECONDS = 15 * 60
MAX_SESSIONS = 10_000


@dataclass
class WebSession:
    api_key: str
    csrf: str = field(default_factory=lambda: secrets.token_urlsafe(24))
    expires: float = field(default_factory=lambda: time.monotonic() + SESSION_SECONDS)


class WebSessions:
    """Session token → `WebSession`, and one-time link token → API key; thread-safe."""

    def __init__(self) -> None:
        self._sessions: dict[str, WebSession] = {}
        self._links: dict[str, tuple[str, float]] = {}
        self._lock = threading.Lock()

    def open(self, api_key: str) -> tuple[str, WebSession]:
        token = secrets.token_urlsafe(32)
        session = WebSession(api_key)
        with self._lock:
            self._drop_expired()
            self._sessions[token] = session
        return token, session

    def get(self, token: str | None) -> WebSession | None:
        if not token:
            return None
        with self._lock:
            session = self._sessions.get(token)
            if session is not None and session.expires < time.monotonic():
                del self._sessions[token]
                return None
            return session

    def close(self, token: str | None) -> None:
        with self._lock:
            self._sessions.pop(token or "", None)

    def sign_in_link(self, api_key: str) -> str:
        """A token that opens one session for `api_key`, once (the demo prints it as a link)."""
        token = secrets.token_urlsafe(32)
        with self._lock:
            self._links[token] = (api_key, time.monotonic() + LINK_SECONDS)
        return token

    def redeem(self, token: str) -> str | None:
        with self._lock:
            found = self._links.pop(token, None)
        if found is None or found[1] < time.monotonic():
            return None
        return found[0]

    def _drop_expired(self) -> None:
        now = time.monotonic()
        for token in [t for t, s in self._sessions.items() if s.expires < now]:
            del self._sessions[token]
        if len(self._sessions) >= MAX_SESSIONS:  # a flood of sign-ins must not grow memory without bound
            oldest = sorted(self._sessions, key=lambda t: self._sessions[t].expires)[: MAX_SESSIONS // 10]
            for token in oldest:
                del self._sessions[token]
