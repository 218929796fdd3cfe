"""Run Neo4j 5.26 Community embedded in its own JVM (the Maven project in `neo4j-embedded/`).

Used by `vivier db start|stop|status|logs` and by the test suite. Where Docker is available,
`docker-compose.yml` runs the official image instead and `NEO4J_URI` points at it.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from vivier.settings import REPO_ROOT

MAVEN_PROJECT = REPO_ROOT / "neo4j-embedded"
TARGET = MAVEN_PROJECT / "target"
MAIN_JAR = TARGET / "vivier-neo4j-embedded-1.0.0.jar"
MAIN_CLASS = "fr.vivier.db.EmbeddedNeo4j"
READY_MARK = "VIVIER-NEO4J READY"


class ServerError(RuntimeError):
    """The embedded server cannot be built, started or stopped; the message says what to do."""


def _require_tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise ServerError(
            f"`{name}` was not found. The embedded Neo4j needs a JDK 17 and Maven "
            "(Debian: apt-get install openjdk-17-jdk-headless maven). Without them, run Neo4j with Docker: "
            "`docker compose up -d neo4j` and set NEO4J_URI=bolt://localhost:7687."
        )
    return path


def ensure_built() -> None:
    """Build the Maven project once (downloads Neo4j, APOC and GDS from Maven Central); later calls reuse it."""
    if MAIN_JAR.exists() and (TARGET / "lib").is_dir() and (TARGET / "plugins").is_dir():
        return
    _require_tool("java")
    mvn = _require_tool("mvn")
    result = subprocess.run(
        [mvn, "-q", "-B", "package"], cwd=MAVEN_PROJECT, capture_output=True, text=True, check=False
    )
    if result.returncode != 0:
        raise ServerError(f"building neo4j-embedded failed:\n{result.stdout[-4000:]}\n{result.stderr[-4000:]}")


def port_is_open(port: int, host: str = "127.0.0.1") -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(0.3)
        return sock.connect_ex((host, port)) == 0


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # A zombie child still answers kill(0): look at its state.
    try:
        state = Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0]
        return state != "Z"
    except OSError:
        return True


@dataclass
class EmbeddedServer:
    """One embedded Neo4j: its home directory (store, logs, pid file) and its Bolt port."""

    home: Path
    port: int = 7687
    heap: str = "2g"
    pagecache: str = "2g"

    @property
    def uri(self) -> str:
        return f"bolt://127.0.0.1:{self.port}"

    @property
    def pid_file(self) -> Path:
        return self.home / "neo4j.pid"

    @property
    def log_file(self) -> Path:
        return self.home / "console.log"

    def pid(self) -> int | None:
        try:
            pid = int(self.pid_file.read_text().strip())
        except (OSError, ValueError):
            return None
        return pid if _pid_alive(pid) else None

    def is_running(self) -> bool:
        return self.pid() is not None

    def start(self, timeout: float = 180.0) -> int:
        """Start in the background and wait until Bolt answers; returns the JVM's pid."""
        running = self.pid()
        if running is not None:
            raise ServerError(f"Neo4j is already running (pid {running}, {self.uri}); `vivier db stop` first.")
        if port_is_open(self.port):
            raise ServerError(f"port {self.port} is already taken by another process; set VIVIER_BOLT_PORT.")
        ensure_built()
        java = _require_tool("java")
        self.home.mkdir(parents=True, exist_ok=True)
        extra = self.home / "vivier-memory.properties"
        extra.write_text(f"server.memory.pagecache.size={self.pagecache}\n")
        command = [
            java,
            f"-Xms{self.heap}",
            f"-Xmx{self.heap}",
            f"@{MAVEN_PROJECT / 'jvm.options'}",
            "-cp",
            f"{MAIN_JAR}{os.pathsep}{TARGET / 'lib' / '*'}",
            MAIN_CLASS,
            str(self.home),
            str(TARGET / "plugins"),
            str(self.port),
            str(extra),
        ]
        with self.log_file.open("ab") as log:
            log.write(f"\n--- start {time.strftime('%Y-%m-%d %H:%M:%S')} ---\n".encode())
            log.flush()
            offset = log.tell()
            process = subprocess.Popen(
                command, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True
            )
        self.pid_file.write_text(str(process.pid))
        self._wait_ready(process, offset, timeout)
        return process.pid

    def _wait_ready(self, process: subprocess.Popen[bytes], offset: int, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.log_file.open("rb") as log:
                log.seek(offset)
                output = log.read().decode(errors="replace")
            if READY_MARK in output:
                return
            if process.poll() is not None:
                self.pid_file.unlink(missing_ok=True)
                raise ServerError(f"Neo4j exited with code {process.returncode} while starting:\n{output[-3000:]}")
            time.sleep(0.2)
        self.stop()
        raise ServerError(f"Neo4j did not answer on {self.uri} within {timeout:.0f} s; see {self.log_file}.")

    def stop(self, timeout: float = 60.0) -> bool:
        """Stop cleanly (SIGTERM runs Neo4j's shutdown hook); returns False if nothing was running."""
        pid = self.pid()
        if pid is None:
            self.pid_file.unlink(missing_ok=True)
            return False
        os.kill(pid, signal.SIGTERM)
        deadline = time.monotonic() + timeout
        while _pid_alive(pid) and time.monotonic() < deadline:
            _reap(pid)
            time.sleep(0.2)
        if _pid_alive(pid):
            os.kill(pid, signal.SIGKILL)
            time.sleep(0.5)
            _reap(pid)
        self.pid_file.unlink(missing_ok=True)
        return True

    def tail_log(self, lines: int = 50) -> str:
        if not self.log_file.exists():
            return ""
        return "\n".join(self.log_file.read_text(errors="replace").splitlines()[-lines:])


def _reap(pid: int) -> None:
    """Collect the exit status when the JVM is our own child (tests), so it does not linger as a zombie."""
    with contextlib.suppress(ChildProcessError):
        os.waitpid(pid, os.WNOHANG)
