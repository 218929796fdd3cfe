"""Suggestions and webhooks: a new offer's suggestions pushed, signed and retried; feedback; webhooks to internal
addresses refused (server-side request forgery), at registration and at delivery."""

from __future__ import annotations

import ipaddress
import json
import socket
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api import push
from api.app import create_app
from api.push import SIGNATURE_HEADER, Delivery, WebhookDispatcher, resolve_webhook, verify
from tests.support.api import Receiver, _resolve, call
from vivier.settings import Settings, get_settings


def test_creating_an_offer_pushes_signed_suggestions_retried_with_backoff(api: dict[str, Any]) -> None:
    receiver = Receiver(failures=2)
    try:
        hook = call(api, "recA", "POST", "/v1/webhooks", json={"url": receiver.url})
        assert hook.status_code == 201, hook.text
        offer = {
            "offer_id": "api-new-1",
            "title": "Gestionnaire des ressources humaines",
            "departement": "75",
            "description": "Gestion administrative du personnel, paie, carrière des agents territoriaux.",
            "published_at": "2026-03-01",
            "contract": "titulaire_ou_contractuel",
            "categorie": "B",
            "versant": "FPT",
        }
        created = call(api, "recA", "POST", "/v1/offers", json=offer)
        assert created.status_code == 201, created.text
        pushed = created.json()["suggestions"]
        assert len(pushed) == 10 and all(s["kind"] == "candidate_for_offer" for s in pushed)
        assert api["app"].state.vivier.dispatcher.join(30)
        assert receiver.attempts == 3 and len(receiver.received) == 1
        headers, body = receiver.received[0]
        secret = get_settings().webhook_secret.get_secret_value()
        assert verify(secret, body, headers[SIGNATURE_HEADER])
        assert not verify("another secret", body, headers[SIGNATURE_HEADER])
        payload = json.loads(body)
        assert payload["offer_id"] == "api-new-1"
        assert [s["candidate_id"] for s in payload["suggestions"]] == [s["candidate_id"] for s in pushed]
        listed = call(api, "recA", "GET", "/v1/suggestions", params={"offer_id": "api-new-1"}).json()
        assert {s["suggestion_id"] for s in listed} == {s["suggestion_id"] for s in pushed}
        assert all(s["delivered"] for s in listed)
        assert call(api, "recB", "GET", "/v1/suggestions", params={"offer_id": "api-new-1"}).status_code == 403
        assert all(s["employer_id"] == "EB" for s in call(api, "recB", "GET", "/v1/suggestions").json())
        again = call(api, "recA", "POST", "/v1/offers", json=offer)
        assert again.status_code == 409
    finally:
        receiver.close()


def test_feedback_on_a_suggestion_is_recorded(api: dict[str, Any]) -> None:
    _resolve(api, "/v1/suggestions/SUGGESTION/feedback")  # one of EA's, should this test run without the push test
    suggestions = call(api, "recA", "GET", "/v1/suggestions").json()
    assert suggestions, "the offer created by the push test left suggestions"
    target = suggestions[0]["suggestion_id"]
    response = call(
        api,
        "recA",
        "POST",
        f"/v1/suggestions/{target}/feedback",
        json={"decision": "dismissed", "reason": "profil déjà reçu en entretien"},
    )
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "dismissed"
    assert response.json()["feedback_reason"] == "profil déjà reçu en entretien"
    bad = call(api, "recA", "POST", f"/v1/suggestions/{target}/feedback", json={"decision": "rejected"})
    assert bad.status_code == 422


REFUSED_WEBHOOKS = [
    "http://127.0.0.1/hook",
    "http://10.0.0.1/hook",
    "http://169.254.169.254/latest/meta-data",
    "http://[::1]/hook",
    "http://localhost:8080/hook",
    "http://[::ffff:127.0.0.1]/hook",
    "http://0.0.0.0/hook",
    "http://192.168.1.10/hook",
]


def test_webhooks_to_internal_addresses_are_refused_at_registration(api: dict[str, Any]) -> None:
    strict = create_app(get_settings().model_copy(update={"webhook_allow_private": False}), db=api["database"])
    headers = {"X-API-Key": api["keys"]["recA"]}
    with TestClient(strict) as client:
        assert strict.state.vivier.dispatcher.allow_private is False
        for url in REFUSED_WEBHOOKS:
            response = client.post("/v1/webhooks", json={"url": url}, headers=headers)
            assert response.status_code == 422, f"{url}: {response.status_code} {response.text}"
            assert "internal address" in response.json()["detail"], url
        ftp = client.post("/v1/webhooks", json={"url": "ftp://93.184.216.34/hook"}, headers=headers)
        assert ftp.status_code == 422 and "url" in str(ftp.json()["detail"])
        public = client.post("/v1/webhooks", json={"url": "https://93.184.216.34/hook"}, headers=headers)
        assert public.status_code == 201, public.text  # registration resolves only: no network needed
        client.delete(f"/v1/webhooks/{public.json()['webhook_id']}", headers=headers)
    assert resolve_webhook("http://127.0.0.1:9/hook", allow_private=True).address.is_loopback  # the tests' setting
    assert Settings(VIVIER_WEBHOOK_ALLOW_PRIVATE="true").webhook_allow_private  # type: ignore[arg-type]
    assert not Settings.model_fields["webhook_allow_private"].default  # off unless asked for


def test_a_delivery_to_an_address_that_became_internal_fails_without_connecting(
    api: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    """DNS rebinding: the name resolved to a public address when registered, to loopback when delivered."""
    receiver = Receiver(failures=0)
    port = receiver.server.server_address[1]
    answers = {"now": "93.184.216.34"}

    real_dns = socket.getaddrinfo

    def rebinding_dns(host: str, *args: Any, **kwargs: Any) -> list[tuple[Any, ...]]:
        if host != "hooks.example.org":
            return real_dns(host, *args, **kwargs)  # the rest of the process resolves as usual
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (answers["now"], port))]

    monkeypatch.setattr(push.socket, "getaddrinfo", rebinding_dns)
    url = f"http://hooks.example.org:{port}/hook"
    try:
        assert resolve_webhook(url).address == ipaddress.ip_address("93.184.216.34")  # accepted when registered
        answers["now"] = "127.0.0.1"
        dispatcher = WebhookDispatcher("secret", max_attempts=3, base_delay=0.01)
        dispatcher.submit(Delivery(url=url, event="candidates_for_offer", payload={"offer_id": "x"}))
        assert dispatcher.join(10)
        delivery = dispatcher.history[-1]
        assert not delivery.delivered and "refused, not connected" in (delivery.last_error or "")
        assert receiver.attempts == 0  # no connection was made
        dispatcher.allow_private = True  # the same delivery where private receivers are allowed (the tests')
        dispatcher.submit(Delivery(url=url, event="candidates_for_offer", payload={"offer_id": "x"}))
        assert dispatcher.join(10) and dispatcher.history[-1].delivered
        headers, _ = receiver.received[-1]
        assert headers["Host"] == f"hooks.example.org:{port}"  # sent to the checked address, under its own name
        dispatcher.stop()
    finally:
        receiver.close()
