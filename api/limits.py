"""Abuse limits, as one ASGI middleware in front of the routes: a rate limit per API key (per client address for
requests without a key), and a back-off for client addresses that keep sending bad keys. Both answer 429 with
`Retry-After` (Problem Details) before the request reaches authentication or Neo4j.

The rate limit is a moving window in memory, per process (docs/api.md, Limits): a key is identified by the SHA-256
of the header, never by the key id it claims, so a wrong secret cannot use up the real key's budget. The bad-key
back-off is ours: it needs the response (a 401) and not only the request."""

from __future__ import annotations

import hashlib
import math
import threading
import time
from collections import OrderedDict, deque
from dataclasses import dataclass

from limits import RateLimitItem, parse_many
from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.errors import problem_response
from vivier.settings import Settings

KEY_HEADER = "x-api-key"
MAX_TRACKED = 100_000  # addresses and keys remembered at most: memory stays bounded under a spray of addresses


@dataclass
class BadKeys:
    """One client address's recent bad keys."""

    count: int
    last: float
    blocked_until: float = 0.0


class BadKeyBackoff:
    """After `allowed` bad keys from one address within `window_s`, that address waits 1 s before its next key
    is checked, then 2 s, 4 s, … up to `max_wait_s`; a quiet `window_s` forgets it. Keys seen valid stay served
    from that address (a colleague behind the same NAT is not locked out by someone else's guesses)."""

    def __init__(self, allowed: int, window_s: float, max_wait_s: float) -> None:
        self.allowed, self.window_s, self.max_wait_s = allowed, window_s, max_wait_s
        self._addresses: OrderedDict[str, BadKeys] = OrderedDict()
        self._good_keys: OrderedDict[str, None] = OrderedDict()
        self._lock = threading.Lock()

    def wait(self, address: str, key_digest: str | None, now: float) -> float:
        """Seconds this request must wait first (0: go ahead)."""
        with self._lock:
            if key_digest is not None and key_digest in self._good_keys:
                return 0.0
            entry = self._addresses.get(address)
            if entry is None:
                return 0.0
            if now - entry.last > self.window_s:
                del self._addresses[address]
                return 0.0
            return max(0.0, entry.blocked_until - now)

    def record(self, address: str, key_digest: str, status: int, now: float) -> None:
        with self._lock:
            if status != 401:
                _remember(self._good_keys, key_digest, None)
                return
            entry = self._addresses.get(address)
            if entry is None or now - entry.last > self.window_s:
                entry = BadKeys(0, now)
            entry.count += 1
            entry.last = now
            over = entry.count - self.allowed
            if over > 0:
                entry.blocked_until = now + min(self.max_wait_s, 2.0 ** (over - 1))
            _remember(self._addresses, address, entry)


def _remember(table: OrderedDict, key: str, value: object) -> None:
    table[key] = value
    table.move_to_end(key)
    while len(table) > MAX_TRACKED:
        table.popitem(last=False)


class MovingWindows:
    """The moving windows of the `limits` library (`MovingWindowRateLimiter`), the same answers, at a constant
    cost per request. Its memory storage inserted each hit at the head of a list as long as the limit (15,000 for
    a minute), copied the list from a timer thread it started anew every 10 ms, and that thread's creation alone
    was 6 % of a feedback request's interpreter time under py-spy (docs/api.md, Load). Here each identity holds
    one deque of hit times per window, oldest first, trimmed on its own next hit; identities beyond
    MAX_TRACKED are forgotten oldest first, as the back-off's addresses are."""

    def __init__(self, items: list[RateLimitItem]) -> None:
        self.windows = [(item.amount, float(item.get_expiry())) for item in items]
        self._hits: OrderedDict[str, list[deque[float]]] = OrderedDict()
        self._lock = threading.Lock()

    def hit(self, identity: str, now: float) -> int:
        """0 when this request fits every window (it is counted), else the seconds until it would. As in
        `limits`, the windows are tried in order and a request counts in those it passed before one refused it."""
        with self._lock:
            hits = self._hits.get(identity)
            if hits is None:
                hits = [deque() for _ in self.windows]
            _remember(self._hits, identity, hits)
            for (amount, seconds), times in zip(self.windows, hits, strict=True):
                while times and times[0] < now - seconds:  # a hit exactly `seconds` old still counts, as in limits
                    times.popleft()
                if len(times) >= amount:
                    return max(1, math.ceil(times[0] + seconds - now))
                times.append(now)
            return 0


class AbuseLimits:
    """The per-key rate limit and the bad-key back-off of one process."""

    def __init__(self, rate_limit: str, backoff: BadKeyBackoff) -> None:
        self.items: list[RateLimitItem] = parse_many(rate_limit)
        self.limiter = MovingWindows(self.items)
        self.backoff = backoff

    @classmethod
    def from_settings(cls, settings: Settings) -> AbuseLimits:
        backoff = BadKeyBackoff(
            settings.api_bad_keys_allowed, settings.api_bad_key_window_s, settings.api_bad_key_max_wait_s
        )
        return cls(settings.api_rate_limit, backoff)

    def retry_after(self, identity: str) -> int:
        """0 when this request fits every window of the rate limit (and is counted), else the seconds to wait."""
        return self.limiter.hit(identity, time.monotonic())


class AbuseLimitMiddleware:
    def __init__(self, app: ASGIApp, limits: AbuseLimits) -> None:
        self.app = app
        self.limits = limits

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        key = Headers(scope=scope).get(KEY_HEADER)
        address = scope["client"][0] if scope.get("client") else "unknown"
        digest = hashlib.sha256(key.encode("utf-8", "surrogateescape")).hexdigest() if key else None
        now = time.monotonic()
        if digest is not None:
            wait = self.limits.backoff.wait(address, digest, now)
            if wait > 0:
                detail = f"too many bad API keys from {address}; retry in {math.ceil(wait)} s"
                await _refuse(scope, receive, send, detail, math.ceil(wait))
                return
        retry = self.limits.retry_after("key:" + digest if digest else "address:" + address)
        if retry:
            limit = "; ".join(str(item) for item in self.limits.items)
            detail = f"rate limit of {limit} per API key reached; retry in {retry} s"
            await _refuse(scope, receive, send, detail, retry)
            return
        if digest is None:
            await self.app(scope, receive, send)
            return

        async def send_recording(message: Message) -> None:
            if message["type"] == "http.response.start":
                self.limits.backoff.record(address, digest, message["status"], time.monotonic())
            await send(message)

        await self.app(scope, receive, send_recording)


async def _refuse(scope: Scope, receive: Receive, send: Send, detail: str, retry_after: int) -> None:
    response = problem_response(429, detail, scope.get("path"), headers={"Retry-After": str(retry_after)})
    await response(scope, receive, send)
