"""Webhook delivery: HMAC-SHA256 signed POSTs, retried with exponential back-off on a background thread.

A delivery never blocks the request that caused it. The receiver checks `X-Vivier-Signature`
(`sha256=<hex HMAC of the raw body>` keyed by `VIVIER_WEBHOOK_SECRET`) and may de-duplicate on `X-Vivier-Delivery`.

Server-side request forgery: a webhook URL is the one place where a caller makes this server open a connection.
`resolve_webhook` refuses any scheme but http(s) and any host that resolves to an internal address (loopback,
private, link-local, multicast, reserved, unspecified, or otherwise not globally routable), at registration and
again at each delivery, since a name's DNS answer can change after it was checked (rebinding). A delivery then
connects to the very address it checked (the URL's host stays in `Host` and in TLS SNI and certificate checks),
so a second DNS answer cannot slip in between check and connection. `VIVIER_WEBHOOK_ALLOW_PRIVATE=true` lifts
the address check (tests, a receiver on the same private network).
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import json
import logging
import queue
import socket
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import httpx

log = logging.getLogger("vivier.api.push")
SIGNATURE_HEADER = "X-Vivier-Signature"


def sign(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()


def verify(secret: str, body: bytes, signature: str) -> bool:
    return hmac.compare_digest(sign(secret, body), signature)


class UnsafeWebhook(ValueError):
    """A webhook URL this server must not call: wrong scheme, no host, unresolvable or internal address."""


IpAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


def is_internal(address: IpAddress) -> bool:
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped  # ::ffff:127.0.0.1 is 127.0.0.1
    return (
        address.is_loopback
        or address.is_private
        or address.is_link_local
        or address.is_multicast
        or address.is_reserved
        or address.is_unspecified
        or not address.is_global
    )


@dataclass(frozen=True)
class WebhookTarget:
    """Where a checked webhook URL leads: the address to connect to, and the URL's own host for Host and TLS."""

    url: str
    scheme: str
    host: str
    port: int
    address: IpAddress

    def pinned_url(self) -> str:
        """The URL with its host replaced by the checked address."""
        parts = urlsplit(self.url)
        literal = f"[{self.address}]" if self.address.version == 6 else str(self.address)
        credentials = parts.netloc.rpartition("@")[0]  # user:password@, kept for the receiver's basic auth
        return parts._replace(
            netloc=f"{credentials}@{literal}:{self.port}" if credentials else f"{literal}:{self.port}"
        ).geturl()


def resolve_webhook(url: str, allow_private: bool = False) -> WebhookTarget:
    """Check a webhook URL and resolve its host; UnsafeWebhook says why it is refused. Every address the name
    resolves to must be public: a name with one public and one internal address is refused."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        raise UnsafeWebhook(f"webhook url {url!r}: scheme {parts.scheme!r} is not http or https")
    host = parts.hostname
    if not host:
        raise UnsafeWebhook(f"webhook url {url!r} has no host")
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
        found = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (ValueError, UnicodeError, socket.gaierror) as error:
        raise UnsafeWebhook(f"webhook url {url!r}: host {host!r} does not resolve ({error})") from error
    addresses = [ipaddress.ip_address(str(info[4][0]).split("%")[0]) for info in found]
    if not addresses:
        raise UnsafeWebhook(f"webhook url {url!r}: host {host!r} does not resolve")
    internal = sorted({str(a) for a in addresses if is_internal(a)})
    if internal and not allow_private:
        raise UnsafeWebhook(
            f"webhook url {url!r}: host {host!r} resolves to internal address {', '.join(internal)}; "
            "webhooks must reach a public address"
        )
    return WebhookTarget(url=url, scheme=parts.scheme, host=host, port=port, address=addresses[0])


@dataclass
class Delivery:
    url: str
    event: str
    payload: dict[str, Any]
    delivery_id: str = field(default_factory=lambda: uuid.uuid4().hex)
    attempts: int = 0
    delivered: bool = False
    last_error: str | None = None
    on_success: Callable[[], None] | None = None


class WebhookDispatcher:
    """One daemon thread draining a queue; each delivery is tried `max_attempts` times, waiting
    `base_delay * 2**attempt` seconds between tries (capped at `max_delay`)."""

    def __init__(
        self,
        secret: str,
        max_attempts: int = 5,
        base_delay: float = 0.5,
        max_delay: float = 30.0,
        timeout: float = 5.0,
        allow_private: bool = False,
    ) -> None:
        self.secret = secret
        self.allow_private = allow_private
        self.max_attempts = max_attempts
        self.base_delay = base_delay
        self.max_delay = max_delay
        self.timeout = timeout
        self.history: list[Delivery] = []  # the last deliveries, for the admin and the tests
        self._queue: queue.Queue[Delivery | None] = queue.Queue()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    def start(self) -> None:
        with self._lock:
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name="vivier-webhooks", daemon=True)
                self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        if self._thread is not None and self._thread.is_alive():
            self._queue.put(None)
            self._thread.join(timeout)

    def submit(self, delivery: Delivery) -> Delivery:
        self.start()
        self._queue.put(delivery)
        return delivery

    def join(self, timeout: float = 30.0) -> bool:
        """Wait until the queue is drained (tests, shutdown); False on timeout."""
        deadline = time.monotonic() + timeout
        while self._queue.unfinished_tasks and time.monotonic() < deadline:
            time.sleep(0.02)
        return not self._queue.unfinished_tasks

    def _run(self) -> None:
        # No redirects: a 30x to an internal address would bypass the address check.
        with httpx.Client(timeout=self.timeout, follow_redirects=False) as client:
            while True:
                delivery = self._queue.get()
                try:
                    if delivery is None:
                        return
                    self._deliver(client, delivery)
                finally:
                    self._queue.task_done()

    def _deliver(self, client: httpx.Client, delivery: Delivery) -> None:
        body = json.dumps(delivery.payload, ensure_ascii=False, sort_keys=True).encode("utf-8")
        headers = {
            "Content-Type": "application/json",
            SIGNATURE_HEADER: sign(self.secret, body),
            "X-Vivier-Event": delivery.event,
            "X-Vivier-Delivery": delivery.delivery_id,
        }
        while delivery.attempts < self.max_attempts:
            delivery.attempts += 1
            try:
                target = resolve_webhook(delivery.url, self.allow_private)  # again: DNS may have changed
            except UnsafeWebhook as error:
                delivery.last_error = f"refused, not connected: {error}"
                break  # not retried: an address check that fails now would fail again
            try:
                response = self._post(client, target, body, headers)
                if response.status_code < 300:
                    delivery.delivered = True
                    break
                delivery.last_error = f"HTTP {response.status_code}"
            except httpx.HTTPError as error:
                delivery.last_error = f"{type(error).__name__}: {error}"
            if delivery.attempts < self.max_attempts:
                time.sleep(min(self.max_delay, self.base_delay * 2 ** (delivery.attempts - 1)))
        self.history = [*self.history[-999:], delivery]
        if delivery.delivered and delivery.on_success is not None:
            try:
                delivery.on_success()
            except Exception:  # a bookkeeping failure must not kill the delivery thread
                log.exception("webhook %s delivered but not recorded", delivery.delivery_id)
        elif not delivery.delivered:
            log.warning(
                "webhook %s to %s failed after %d attempts: %s",
                delivery.delivery_id,
                delivery.url,
                delivery.attempts,
                delivery.last_error,
            )

    @staticmethod
    def _post(client: httpx.Client, target: WebhookTarget, body: bytes, headers: dict[str, str]) -> httpx.Response:
        """POST to the checked address; the URL's host goes in `Host` and, for https, in SNI and the certificate
        check, so the receiver sees the request it registered for."""
        default_port = 443 if target.scheme == "https" else 80
        host_header = target.host if ":" not in target.host else f"[{target.host}]"
        if target.port != default_port:
            host_header = f"{host_header}:{target.port}"
        extensions = {"sni_hostname": target.host} if target.scheme == "https" else {}
        request = client.build_request(
            "POST", target.pinned_url(), content=body, headers={**headers, "Host": host_header}, extensions=extensions
        )
        return client.send(request)
