"""Web sessions: a signed-in browser holds a random session token in an HttpOnly cookie; the graph holds its hash,
the session's CSRF token, its expiry and the API key it stands for (graph/web_sessions.py). Every API process reads
sessions there, so any worker accepts the cookie; the read checks the key's revocation, so a revoked key ends its
sessions everywhere at their next request, and a sign-out in one process ends the session in all.

Why Neo4j rather than a signed cookie: a signed cookie cannot be ended by a sign-out before it expires, and to
check revocation it would have to carry the API key (or the process would need the key to authenticate it); here
neither the browser nor the graph ever holds the key, and the per-request read is one keyed lookup.

One-time sign-in links (`vivier demo`) are kept the same way and work once, within `LINK_SECONDS`."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass

from graph import web_sessions
from graph.access import Caller
from graph.db import Database

SESSION_SECONDS = 8 * 3600  # a working day
LINK_SECONDS = 15 * 60


@dataclass(frozen=True)
class WebSession:
    caller: Caller
    csrf: str


class WebSessions:
    """Session token → `WebSession`, and one-time link token → a session, stored in Neo4j. `authenticate` is the
    API's own key check (`AppState.authenticate`), used where a key is presented: sign-in and link creation."""

    def __init__(self, db: Callable[[], Database], authenticate: Callable[[str], Caller | None]) -> None:
        self._db = db
        self._authenticate = authenticate

    def open(self, caller: Caller) -> tuple[str, WebSession] | None:
        """A new session for an authenticated caller; None when its key was revoked meanwhile."""
        token, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(24)
        if not web_sessions.open_session(self._db(), token, caller.key_id, csrf, SESSION_SECONDS):
            return None
        return token, WebSession(caller, csrf)

    def get(self, token: str | None) -> WebSession | None:
        if not token:
            return None
        found = web_sessions.find_session(self._db(), token)
        return WebSession(found.caller, found.csrf) if found is not None else None

    def close(self, token: str | None) -> None:
        if token:
            web_sessions.close_session(self._db(), token)

    def sign_in_link(self, api_key: str) -> str:
        """A token that opens one session for `api_key`, once (the demo prints it as a link)."""
        caller = self._authenticate(api_key)
        if caller is None:
            raise ValueError("a sign-in link needs an active API key")
        token = secrets.token_urlsafe(32)
        web_sessions.open_session(self._db(), token, caller.key_id, "", LINK_SECONDS, kind=web_sessions.LINK)
        return token

    def redeem(self, link: str) -> str | None:
        """The token of a new session opened by one-time link `link`; None when used, expired or its key revoked."""
        token = secrets.token_urlsafe(32)
        if not web_sessions.redeem_link(self._db(), link, token, secrets.token_urlsafe(24), SESSION_SECONDS):
            return None
        return token
