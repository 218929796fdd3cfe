"""`vivier db start | stop | status | logs` on a second, private embedded Neo4j: a second start is refused, stop
leaves no JVM behind."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from graph.server import _pid_alive, free_port
from vivier.cli import app
from vivier.settings import Settings


@pytest.fixture
def private_settings(tmp_path: Path, env: Callable[..., Settings]) -> Iterator[Path]:
    env(
        VIVIER_DATA_DIR=str(tmp_path),
        VIVIER_BOLT_PORT=str(free_port()),
        VIVIER_NEO4J_HEAP="512m",
        VIVIER_NEO4J_PAGECACHE="128m",
    )
    yield tmp_path
    CliRunner().invoke(app, ["db", "stop"])  # never leave a JVM behind, even when an assertion failed


@pytest.mark.neo4j  # a Neo4j of its own
@pytest.mark.slow
def test_start_twice_is_refused_and_stop_leaves_no_jvm(private_settings: Path) -> None:
    runner = CliRunner()
    started = runner.invoke(app, ["db", "start"])
    assert started.exit_code == 0, started.output
    assert "Neo4j is up on bolt://127.0.0.1:" in started.output
    pid = int((private_settings / "neo4j" / "neo4j.pid").read_text())
    assert _pid_alive(pid)

    again = runner.invoke(app, ["db", "start"])
    assert again.exit_code == 1
    assert "already running" in again.output
    assert f"pid {pid}" in again.output

    status = runner.invoke(app, ["db", "status"])
    assert status.exit_code == 0 and f"pid {pid}" in status.output
    logs = runner.invoke(app, ["db", "logs", "-n", "20"])
    assert "VIVIER-NEO4J READY" in logs.output

    stopped = runner.invoke(app, ["db", "stop"])
    assert stopped.exit_code == 0 and "stopped" in stopped.output
    assert not _pid_alive(pid)
    assert not (private_settings / "neo4j" / "neo4j.pid").exists()
    not_running = runner.invoke(app, ["db", "status"])
    assert not_running.exit_code == 3 and "not running" in not_running.output


def test_start_refuses_a_port_taken_by_another_process(
    private_settings: Path, neo4j_uri: str, env: Callable[..., Settings]
) -> None:
    env(VIVIER_BOLT_PORT=neo4j_uri.rsplit(":", 1)[1])  # the test session's own Neo4j listens there
    result = CliRunner().invoke(app, ["db", "start"])
    assert result.exit_code == 1
    assert "already taken" in result.output
