"""Where a request's time goes: `Server-Timing: app;dur=…, auth;dur=…, topk;dur=…` on every response.

A plain ASGI middleware (no `BaseHTTPMiddleware`, whose extra task and streams cost a fraction of a millisecond
per request) opens a list of steps in a context variable; `step(name)` records into it from the endpoint's worker
thread (the thread runs in a copy of the request's context, which shares the list).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from starlette.types import ASGIApp, Message, Receive, Scope, Send

_steps: ContextVar[list[tuple[str, float]] | None] = ContextVar("vivier_request_steps", default=None)


@contextmanager
def step(name: str) -> Iterator[None]:
    """Time a block under `name` in the current request's Server-Timing (nothing outside a request)."""
    started = time.perf_counter()
    try:
        yield
    finally:
        steps = _steps.get()
        if steps is not None:
            steps.append((name, (time.perf_counter() - started) * 1000))


def server_timing(total_ms: float, steps: list[tuple[str, float]]) -> str:
    # `app` first: clients that read only the first metric get the time spent in the app.
    return ", ".join(f"{name};dur={ms:.2f}" for name, ms in [("app", total_ms), *steps])


class ServerTimingMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        steps: list[tuple[str, float]] = []
        token = _steps.set(steps)

        async def send_with_timing(message: Message) -> None:
            if message["type"] == "http.response.start":
                value = server_timing((time.perf_counter() - started) * 1000, steps)
                message["headers"] = [*message.get("headers", []), (b"server-timing", value.encode("latin-1"))]
            await send(message)

        try:
            await self.app(scope, receive, send_with_timing)
        finally:
            _steps.reset(token)
