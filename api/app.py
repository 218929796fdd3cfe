"""`create_app(settings)`: the FastAPI application, one router per resource."""

from __future__ import annotations

import ctypes
import os
import sys
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from threading import Thread

import torch
from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware
from threadpoolctl import threadpool_limits

from api.errors import install_error_handlers, install_openapi
from api.limits import AbuseLimitMiddleware, AbuseLimits
from api.memory import MallocTrimmer, MemoryLog
from api.push import WebhookDispatcher
from api.routers import (
    admin,
    applications,
    audit,
    candidates,
    careers,
    gdpr,
    health,
    notice,
    offers,
    ontology,
    oversight,
    suggestions,
)
from api.security import SecurityHeadersMiddleware
from api.state import AppState, Recommender, load_default_recommender
from api.timing import ServerTimingMiddleware
from api.web.routes import mount_web
from graph.db import FAIL_FAST, Database
from loaders.nlp import default_analyzer
from vivier.settings import Settings, get_settings

DESCRIPTION = """
Vivier proposes candidates for public-sector job offers, offers and career steps for candidates, and explains why.

**Vivier suggests; a human decides.** No endpoint rejects a candidate: rankings, eligibility checks and pushed
suggestions are aids for a recruiter, who keeps or dismisses them (feedback that trains the next model).
Every recommendation served is logged (caller, time, subject, model version, ranked ids and scores) for the
traceability the AI Act asks of a high-risk use.

Authenticate with the header `X-API-Key`. Roles: `recruiter` (one employer's offers, applications and
suggestions), `hr_expert` (ontology curation), `admin` (everything, GDPR, keys).
"""


# Multipart framing and the form's other fields, on top of the largest CV a request may carry.
BODY_SLACK = 64 * 1024


M_ARENA_MAX = -8  # glibc's malloc.h


def limit_malloc_arenas(arenas: int) -> bool:
    """Cap glibc's malloc arenas (M_ARENA_MAX) for the threads created from now on; False where the C library is
    not glibc or `arenas` is 0. An environment's own MALLOC_ARENA_MAX, read by glibc at start-up, is left alone."""
    if arenas <= 0 or "MALLOC_ARENA_MAX" in os.environ or not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL("libc.so.6")
    except OSError:  # musl (Alpine) and others: no arenas to cap
        return False
    return bool(libc.mallopt(M_ARENA_MAX, arenas))


def open_database(settings: Settings) -> Database:
    # Fail fast: when Neo4j is down the API answers 503 within a second instead of hanging (graph/db.py).
    return Database.connect(settings, **FAIL_FAST)


def create_app(
    settings: Settings | None = None,
    db: Database | None = None,
    recommender_loader: Callable[[Database], Recommender] = load_default_recommender,
) -> FastAPI:
    """The API. With no database handle it opens one from the settings and closes it on shutdown."""
    settings = settings or get_settings()
    limit_malloc_arenas(settings.malloc_arenas)  # before the request threads exist
    owns_db = db is None
    the_db = db or open_database(settings)
    dispatcher = WebhookDispatcher(
        settings.webhook_secret.get_secret_value(), allow_private=settings.webhook_allow_private
    )
    state = AppState(the_db, dispatcher, recommender_loader, settings.freshness_ms, settings.gc_freeze)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        # One BLAS / OpenMP thread: a server runs many small top-k products side by side, and on 2 cores the
        # library's second thread (spinning between calls) only fought the request threads and the Neo4j driver
        # (raw top-k faster with one thread than with two on the busy machine: docs/api.md, Measurements).
        blas = threadpool_limits(1)
        # torch's own intra-op pool too: threadpoolctl sets OpenMP's limit for the calling thread only, and the
        # rankings run in the request threads, where torch's 2 OpenMP threads then spun between requests.
        torch_threads = torch.get_num_threads()
        torch.set_num_threads(1)
        dispatcher.start()
        state.log_writer.start()
        state.candidate_facts.refresh_in_background()  # the first rankings find the facts in memory
        # The CV reader (spaCy, the catalogue's patterns, the offer coding: seconds, minutes without the catalogue's
        # disk cache) is built now, beside the first requests, rather than by the first upload while it waits.
        Thread(target=default_analyzer, name="vivier-text-analyzer", daemon=True).start()
        if state.freshness is not None:
            state.freshness.start()
        trimmer = MallocTrimmer(settings.malloc_trim_s) if settings.malloc_trim_s > 0 else None
        if trimmer is not None:
            trimmer.start()
        memory_log = None
        if settings.memory_log is not None:
            memory_log = MemoryLog(
                settings.memory_log, settings.memory_log_s, state.cache_sizes, settings.memory_trace_frames
            )
            memory_log.start()
        yield
        for helper in (memory_log, trimmer):
            if helper is not None:
                helper.stop()
        state.close()
        state.log_writer.stop()
        dispatcher.stop()
        blas.restore_original_limits()
        torch.set_num_threads(torch_threads)
        if owns_db:
            the_db.close()

    app = FastAPI(title="Vivier API", version="1.0", description=DESCRIPTION, lifespan=lifespan)
    app.state.vivier = state
    install_error_handlers(app)
    install_openapi(app)

    # Server-Timing (`app;dur=…` first, then the steps of the request): a plain ASGI middleware, cheaper per
    # request than `@app.middleware("http")`.
    app.add_middleware(ServerTimingMiddleware)
    # Outermost last: security headers (and the body bound) on every answer, 429s included; CORS only for the
    # origins allowed (none by default: no Access-Control-* header is ever sent); then the abuse limits.
    app.state.abuse_limits = AbuseLimits.from_settings(settings)
    app.add_middleware(AbuseLimitMiddleware, limits=app.state.abuse_limits)
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_methods=["GET", "POST", "PUT", "PATCH", "DELETE"],
            allow_headers=["X-API-Key", "Content-Type"],
            expose_headers=["Retry-After", "Server-Timing"],
        )
    app.add_middleware(
        SecurityHeadersMiddleware, max_body_bytes=settings.cv_max_bytes + BODY_SLACK, behind_tls=settings.api_behind_tls
    )

    for module in (health, offers, candidates, applications, careers, suggestions, ontology, gdpr, admin):
        app.include_router(module.router)
    for module in (audit, notice, oversight):  # human oversight (issue 17)
        app.include_router(module.router)
    mount_web(app)  # the web app (/ui): server-rendered pages over the same functions
    return app
