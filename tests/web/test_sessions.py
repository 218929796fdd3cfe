"""Web sessions (api/web/sessions.py, graph/web_sessions.py): kept in Neo4j, so that two API processes accept the
same session cookie, a sign-out in one ends it in the other, and a revoked key ends its sessions in both."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from api.web.sessions import WebSessions
from graph.access import create_api_key, revoke_api_key
from graph.db import Database
from graph.server import free_port
from graph.web_sessions import token_hash

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def _store(live_or_api: dict[str, Any]) -> WebSessions:
    store: WebSessions = live_or_api["app"].state.web_sessions
    return store


def _expire(database: Database, token: str) -> None:
    database.execute_query(
        "MATCH (s:WebSession {token_sha256: $h}) SET s.expires_at = datetime() - duration('PT1S')", h=token_hash(token)
    )


def test_sessions_close_expire_and_end_with_their_key(api: dict[str, Any]) -> None:
    database: Database = api["database"]
    store = _store(api)
    caller, key = create_api_key(database, "recruiter", "EA", "session test")
    first = store.open(caller)
    second = store.open(caller)
    assert first is not None and second is not None
    (token, session), (other, _) = first, second
    found = store.get(token)
    assert found is not None and found.caller == caller and found.csrf == session.csrf and len(session.csrf) >= 32
    assert other != token and (store.get(other) or session).csrf != session.csrf  # one CSRF secret per sign-in
    stored = database.execute_query(
        "MATCH (s:WebSession)-[:SIGNED_IN_WITH]->(:ApiKey {key_id: $id}) RETURN properties(s) AS p", id=caller.key_id
    ).records
    assert len(stored) == 2
    assert all(token not in map(str, r["p"].values()) and key not in map(str, r["p"].values()) for r in stored)
    assert {r["p"]["token_sha256"] for r in stored} == {token_hash(token), token_hash(other)}  # only the hashes

    store.close(token)
    assert store.get(token) is None
    _expire(database, other)  # eight hours later
    assert store.get(other) is None
    third = store.open(caller)
    assert third is not None and store.get(third[0]) is not None
    revoke_api_key(database, caller.key_id)
    assert store.get(third[0]) is None  # the key revoked: at once, no cache in between
    assert store.open(caller) is None
    assert not database.execute_query(  # the sign-in above removed the expired session
        "MATCH (s:WebSession {token_sha256: $h}) RETURN s", h=token_hash(other)
    ).records


def test_a_sign_in_link_opens_one_session_once(api: dict[str, Any]) -> None:
    store = _store(api)
    link = store.sign_in_link(api["keys"]["admin"])
    token = store.redeem(link)
    assert token is not None
    session = store.get(token)
    assert session is not None and session.caller.role == "admin"
    assert store.redeem(link) is None  # used
    assert store.get(link) is None  # a link is not a session
    assert store.redeem("made-up") is None
    expired = store.sign_in_link(api["keys"]["admin"])
    _expire(api["database"], expired)
    assert store.redeem(expired) is None
    with pytest.raises(ValueError, match="active API key"):
        store.sign_in_link("viv_unknown_key")


@pytest.fixture
def second_process(live: dict[str, Any]) -> Iterator[str]:
    """Another API process (uvicorn) on the same Neo4j and data directory as the live server of the tests."""
    port = free_port()
    command = [sys.executable, "-m", "uvicorn", "api.app:create_app", "--factory", "--host", "127.0.0.1",
               "--port", str(port), "--log-level", "warning"]  # fmt: skip
    server = subprocess.Popen(command, cwd=REPO, env=dict(os.environ), stderr=subprocess.PIPE)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    try:
        while True:
            assert server.poll() is None, server.stderr.read().decode() if server.stderr else "exited"
            assert time.monotonic() < deadline, "the second API process did not start within 120 s"
            try:
                if httpx.get(url + "/health", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.3)
        yield url
    finally:
        server.terminate()
        server.wait(30)


def _sign_in(url: str, key: str) -> httpx.Client:
    client = httpx.Client(base_url=url, timeout=60)
    form = re.search(r'name="form_token" value="([^"]+)"', client.get("/ui/connexion").text)
    assert form
    answer = client.post("/ui/connexion", data={"api_key": key, "form_token": form.group(1), "suite": "/ui/"})
    assert answer.status_code == 303 and answer.headers["location"] == "/ui/offres"
    return client


def _signed_in(url: str, cookie: str) -> bool:
    """Whether process `url` accepts session cookie `cookie` (its offers page, else a redirect to sign in)."""
    answer = httpx.get(url + "/ui/offres", cookies={"vivier_session": cookie}, timeout=60)
    assert answer.status_code in (200, 303), answer.text
    return answer.status_code == 200 and "employeur EA" in answer.text


def test_two_api_processes_share_sessions_sign_out_and_revocation(live: dict[str, Any], second_process: str) -> None:
    first = live["url"]
    caller, key = create_api_key(live["database"], "recruiter", "EA", "two processes")
    client = _sign_in(first, key)
    cookie = client.cookies["vivier_session"]
    assert _signed_in(first, cookie) and _signed_in(second_process, cookie)
    # A write in the second process with the CSRF token of a page of the first: the same session.
    csrf = re.search(r'name="csrf" value="([^"]+)"', client.get("/ui/offres").text)
    assert csrf
    out = httpx.post(
        second_process + "/ui/deconnexion", data={"csrf": csrf.group(1)}, cookies={"vivier_session": cookie}
    )
    assert out.status_code == 303 and out.headers["location"] == "/ui/connexion"
    assert not _signed_in(first, cookie)  # signed out in the second process: ended in the first

    cookie = _sign_in(second_process, key).cookies["vivier_session"]
    assert _signed_in(first, cookie) and _signed_in(second_process, cookie)
    revoked = httpx.delete(
        f"{second_process}/v1/admin/api-keys/{caller.key_id}", headers={"X-API-Key": live["keys"]["admin"]}
    )
    assert revoked.status_code == 204
    assert not _signed_in(first, cookie) and not _signed_in(second_process, cookie)  # at once, in both
