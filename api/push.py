"""Webhook delivery: HMAC-SHA256 signed POSTs, retried with exponential back-off on a background thread.

A delivery never blocks the request that caused it. The receiver checks `X-Vivier-Signature`
(`sha256=<hex HMAC of the raw body>` keyed by `VIVIER_WEBHOOK_SECRET`) and may de-duplicate on `X-Vivier-Delivery`.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import queue
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx

log = logging.getLogger("vivier.api.push")
SIGNATURE_HEADER = "X-Vivier-Signature"


def sign(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()


def verify(secret: str, body: bytes, signature: str) -> bool:
    return hmac.compare_digest(sign(secret, body), signature)


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
        self, secret: str, max_attempts: int = 5, base_delay: float = 0.5, max_delay: float = 30.0, timeout: float = 5.0
    ) -> None:
        self.secret = secret
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
        with httpx.Client(timeout=self.timeout) as client:
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
                response = client.post(delivery.url, content=body, headers=headers)
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
            log.warning("webhook %s to %s failed after %d attempts: %s", delivery.delivery_id, delivery.url,
                        delivery.attempts, delivery.last_error)  # fmt: skip
