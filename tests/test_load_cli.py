"""`vivier load offers|cvs|history|dataset` as a user sees them: the progress bars and the summary table (loaded,
rejected, written per kind), the rejects file it names, and the demo pseudonym key warning.

Off a terminal (CliRunner, a pipe, a CI log) rich draws no live bar: it prints each bar once, in its final state,
when the load ends (`rich.live.Live.stop`). That is what these tests read; the last one runs the command in a
pseudo-terminal to check that there the bar is drawn live."""

from __future__ import annotations

import json
import os
import re
import select
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from graph.db import Database
from loaders import pseudonym
from loaders.rejects import RejectLog
from tests.support.ingestion import write_ontology_stubs
from vivier.ingest import load_cvs, load_history, load_offers
from vivier.settings import REPO_ROOT, Settings

DATASET = Path(__file__).parent / "data" / "ingestion" / "dataset"
KINDS = ("employer", "offer", "cv", "application")
DEMO_KEY = "VIVIER_PSEUDONYM_KEY is not set"


@pytest.fixture
def db(clean_data: Database, stubs: None, monkeypatch: pytest.MonkeyPatch, env: Callable[..., Settings]) -> Database:
    write_ontology_stubs(clean_data)
    monkeypatch.setattr(pseudonym, "_warned", False)  # each command runs as in a fresh process
    # One table row per line, whatever terminal runs the tests.
    env(COLUMNS="160", VIVIER_PSEUDONYM_KEY=None)
    return clean_data


def run_load(*args: str) -> str:
    from typer.testing import CliRunner

    from vivier.cli import app

    result = CliRunner().invoke(app, ["load", *args])
    assert result.exit_code == 0, result.output
    return result.output


def summary_rows(output: str) -> dict[str, tuple[int, int]]:
    """(loaded, rejected) per kind, read from the summary table; every loaded kind must have written something."""
    rows: dict[str, tuple[int, int]] = {}
    for line in output.splitlines():
        cells = [cell.strip() for cell in line.split("│")]
        if len(cells) == 6 and cells[1] in KINDS:
            loaded, rejected, written = int(cells[2]), int(cells[3]), int(cells[4])
            assert written > 0 or loaded == 0, line
            rows[cells[1]] = (loaded, rejected)
    assert "Loaded" in output and "nodes + relationships written" in output  # the table's title and header
    return rows


def progress_bars(output: str) -> dict[str, tuple[int, int]]:
    """(done, total) of each progress bar, as printed when the load ends."""
    found = re.findall(r"^\s*((?:offers|CVs|applications): \w+)\s.*?(\d+)/(\d+)\s+\d+:\d\d:\d\d\s*$", output, re.M)
    return {label: (int(done), int(total)) for label, done, total in found}


def rejects_file(output: str) -> list[dict[str, str]]:
    match = re.search(r"Rejects \(JSON lines: source, record, field, reason\): (\S+\.jsonl)", output)
    assert match, output
    return [json.loads(line) for line in Path(match.group(1)).read_text(encoding="utf-8").splitlines()]


def test_load_offers_command(db: Database, tmp_path: Path) -> None:
    load_history(db, DATASET / "employers.csv", rejects=RejectLog(tmp_path / "setup.jsonl"))
    offers = json.loads((DATASET / "offers.json").read_text(encoding="utf-8"))
    untitled = {**offers[0], "offer_id": "O-BAD"}
    del untitled["title"]
    path = tmp_path / "offers.json"
    path.write_text(json.dumps([*offers, untitled], ensure_ascii=False), encoding="utf-8")

    output = run_load("offers", str(path))
    assert summary_rows(output) == {"offer": (3, 1)}
    assert progress_bars(output) == {"offers: understanding": (3, 3), "offers: writing": (3, 3)}
    assert [(r["source"], r["record"], r["field"]) for r in rejects_file(output)] == [(str(path), "record 4", "title")]
    assert DEMO_KEY not in output  # offers carry no candidate: nothing to pseudonymise


def test_load_cvs_command(db: Database, tmp_path: Path) -> None:
    folder = tmp_path / "cvs"
    shutil.copytree(DATASET / "cvs", folder)
    (folder / "cand-009.pdf").write_bytes(b"%PDF-1.4\nnot really a PDF")

    output = run_load("cvs", str(folder), "--source", "cli-test")
    assert summary_rows(output) == {"cv": (3, 1)}
    assert progress_bars(output) == {"CVs: reading": (4, 4), "CVs: writing": (3, 3)}
    [reject] = rejects_file(output)
    assert (reject["source"], reject["field"]) == (str(folder / "cand-009.pdf"), "file")
    assert output.count(DEMO_KEY) == 1  # loud, once, before the load: not once per CV
    assert output.index(DEMO_KEY) < output.index("CVs: reading")


def test_load_history_command(db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    setup = RejectLog(tmp_path / "setup.jsonl")
    load_history(db, DATASET / "employers.csv", "cli-test", setup)
    load_offers(db, DATASET / "offers.json", setup)
    load_cvs(db, [DATASET / "cvs"], "cli-test", setup)
    folder = tmp_path / "history"
    folder.mkdir()
    shutil.copy(DATASET / "employers.csv", folder)
    applications = (DATASET / "applications.csv").read_text(encoding="utf-8")
    (folder / "applications.csv").write_text(applications + "A005,O-404,cand-001,2024-03-20,received,,\n", "utf-8")
    monkeypatch.setattr(pseudonym, "_warned", False)  # the set-up above pseudonymised in this process already

    output = run_load("history", str(folder), "--source", "cli-test")
    assert summary_rows(output) == {"employer": (3, 0), "application": (4, 1)}
    assert progress_bars(output) == {"applications: writing": (4, 4)}
    [reject] = rejects_file(output)
    assert (reject["record"], reject["field"], reject["reason"]) == ("line 6", "offer_id", "unknown offer 'O-404'")
    assert output.count(DEMO_KEY) == 1


def test_load_dataset_command(db: Database) -> None:
    output = run_load("dataset", str(DATASET))
    assert summary_rows(output) == {"employer": (3, 0), "offer": (3, 0), "cv": (3, 0), "application": (4, 0)}
    assert progress_bars(output) == {
        "offers: understanding": (3, 3),
        "offers: writing": (3, 3),
        "CVs: reading": (3, 3),
        "CVs: writing": (3, 3),
        "applications: writing": (4, 4),
    }
    assert "Rejects" not in output  # nothing rejected: no rejects file to look at
    assert output.count(DEMO_KEY) == 1


def test_no_demo_key_warning_with_a_key(db: Database, env: Callable[..., Settings]) -> None:
    env(VIVIER_PSEUDONYM_KEY="a-production-secret")
    output = run_load("dataset", str(DATASET), "--source", "with-key")
    assert DEMO_KEY not in output and summary_rows(output)["cv"] == (3, 0)


def run_in_terminal(args: list[str], timeout: float = 300) -> str:
    """Run a command in a pseudo-terminal (what a person at a shell gets) and return everything it drew."""
    import pty

    master, slave = pty.openpty()
    env = {**os.environ, "TERM": "xterm-256color", "COLUMNS": "120", "LINES": "40"}
    process = subprocess.Popen(args, stdin=slave, stdout=slave, stderr=slave, env=env, cwd=REPO_ROOT)
    os.close(slave)
    chunks: list[bytes] = []
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            if select.select([master], [], [], 1)[0]:
                try:
                    data = os.read(master, 65536)
                except OSError:  # EIO: the command ended and closed the terminal
                    break
                if not data:
                    break
                chunks.append(data)
            elif process.poll() is not None:
                break
    finally:
        os.close(master)
        process.wait(timeout=30)
    assert process.returncode == 0, b"".join(chunks).decode(errors="replace")
    return b"".join(chunks).decode(errors="replace")


@pytest.mark.slow
def test_progress_is_drawn_live_on_a_terminal(db: Database) -> None:
    output = run_in_terminal([sys.executable, "-m", "vivier.cli", "load", "dataset", str(DATASET)])
    assert "\x1b[?25l" in output and "\x1b[?25h" in output  # the live display hid the cursor, then gave it back
    assert "offers: understanding" in output and "━" in output  # a bar, not just a status line
    assert "applications: writing" in output and "4/4" in output
    plain = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", output)
    assert {"employer", "offer", "cv", "application"} <= {
        cells[1] for line in plain.splitlines() if len(cells := [c.strip() for c in line.split("│")]) == 6
    }
