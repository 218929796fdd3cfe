"""Health and readiness, and a Neo4j out of reach: 503 with Retry-After, no traceback."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from graph.server import free_port
from vivier.settings import Settings


def test_health_and_readiness(api: dict[str, Any]) -> None:
    assert api["client"].get("/health").json() == {"status": "ok"}
    ready = api["client"].get("/ready")
    assert ready.status_code == 200, ready.text
    assert ready.json()["model_version"] == api["version"]


@pytest.mark.slow
def test_neo4j_unreachable_answers_503_with_retry_after(tmp_path: Path) -> None:
    settings = Settings(NEO4J_URI=f"bolt://127.0.0.1:{free_port()}", VIVIER_DATA_DIR=tmp_path)  # nothing listens
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        started = time.monotonic()
        response = client.get("/v1/offers/off-EA-00/candidates", headers={"X-API-Key": "viv_abc_def"})
        assert response.status_code == 503
        assert response.headers["Retry-After"].isdigit()
        assert "Traceback" not in response.text and "unreachable" in response.json()["detail"]
        assert client.get("/ready").status_code == 503
        assert client.get("/health").status_code == 200
        assert time.monotonic() - started < 20
