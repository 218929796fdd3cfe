"""`create_app(settings)`: the FastAPI application, one router per resource."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request, Response
from neo4j import Driver, GraphDatabase

from api.errors import install_error_handlers
from api.push import WebhookDispatcher
from api.routers import admin, applications, candidates, careers, gdpr, health, offers, ontology, suggestions
from api.state import AppState, Recommender, load_default_recommender
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


def open_driver(settings: Settings) -> Driver:
    # Short retry and connect times: when Neo4j is down the API answers 503 quickly instead of hanging for 30 s.
    return GraphDatabase.driver(
        settings.effective_uri,
        auth=settings.auth(),
        notifications_min_severity="OFF",
        max_transaction_retry_time=2.0,
        connection_timeout=3.0,
        connection_acquisition_timeout=5.0,
    )


def create_app(
    settings: Settings | None = None,
    driver: Driver | None = None,
    recommender_loader: Callable[[Driver], Recommender] = load_default_recommender,
) -> FastAPI:
    """The API. With no driver it opens one from the settings and closes it on shutdown."""
    settings = settings or get_settings()
    owns_driver = driver is None
    the_driver = driver or open_driver(settings)
    dispatcher = WebhookDispatcher(settings.webhook_secret.get_secret_value())
    state = AppState(the_driver, settings.neo4j_database, dispatcher, recommender_loader)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        dispatcher.start()
        state.log_writer.start()
        yield
        state.log_writer.stop()
        dispatcher.stop()
        if owns_driver:
            the_driver.close()

    app = FastAPI(title="Vivier API", version="1.0", description=DESCRIPTION, lifespan=lifespan)
    app.state.vivier = state
    install_error_handlers(app)

    @app.middleware("http")
    async def server_timing(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        # The time spent in the app, so that a client can tell it from network and queueing time.
        started = time.perf_counter()
        response = await call_next(request)
        response.headers["Server-Timing"] = f"app;dur={(time.perf_counter() - started) * 1000:.2f}"
        return response

    for module in (health, offers, candidates, applications, careers, suggestions, ontology, gdpr, admin):
        app.include_router(module.router)
    return app
