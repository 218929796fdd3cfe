"""Errors as JSON with a clear message, never a stack trace: 503 + Retry-After when Neo4j or the model is not
there, 422 for invalid input, 500 for the rest (logged on the server side only)."""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from api.state import ModelUnavailable
from graph.db import UNAVAILABLE

log = logging.getLogger("vivier.api")
# Neo4j unreachable: the database handle retries the server after a second (graph/db.py, DOWN_MEMORY_SECONDS).
RETRY_AFTER_SECONDS = 1


def install_error_handlers(app: FastAPI) -> None:
    async def database_unavailable(request: Request, error: Exception) -> JSONResponse:
        log.warning("Neo4j unreachable on %s %s: %s", request.method, request.url.path, error)
        return JSONResponse(
            {"detail": "the graph database is unreachable; retry later"},
            status_code=503,
            headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
        )

    for unavailable in UNAVAILABLE:
        app.add_exception_handler(unavailable, database_unavailable)

    @app.exception_handler(ModelUnavailable)
    async def model_unavailable(request: Request, error: Exception) -> JSONResponse:
        return JSONResponse({"detail": str(error)}, status_code=503, headers={"Retry-After": "60"})

    @app.exception_handler(Exception)
    async def unexpected(request: Request, error: Exception) -> JSONResponse:
        log.exception("unexpected error on %s %s", request.method, request.url.path)
        return JSONResponse({"detail": "internal error; it has been logged"}, status_code=500)
