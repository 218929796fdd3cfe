"""Web sessions and one-time sign-in links (api/web/sessions.py), on their own."""

from __future__ import annotations

from api.web import sessions
from api.web.sessions import WebSessions


def test_a_sign_in_link_opens_one_session_once() -> None:
    store = WebSessions()
    token = store.sign_in_link("viv_key")
    assert store.redeem(token) == "viv_key"
    assert store.redeem(token) is None  # used
    assert store.redeem("made-up") is None


def test_sessions_expire_and_close() -> None:
    store = WebSessions()
    token, session = store.open("viv_key")
    assert store.get(token) is session and len(session.csrf) >= 32
    other, _ = store.open("viv_key")
    assert other != token and store.get(other) is not session  # one token, one CSRF secret per sign-in
    store.close(token)
    assert store.get(token) is None
    session_expired = store.get(other)
    assert session_expired is not None
    session_expired.expires = 0.0
    assert store.get(other) is None
    assert sessions.SESSION_SECONDS == 8 * 3600
