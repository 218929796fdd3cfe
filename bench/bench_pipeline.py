"""The whole pipeline — simulate → load → train → evaluate → serve — at several scales, through the product's own
commands, against the demo scale measured in the same run (issue 13, *National scale on one machine*).

Each scale runs in a private sandbox: its own embedded Neo4j, its own data directory (the built ontology is shared,
read only), and each stage is a `vivier` command in its own process, so its wall time, CPU time and peak RSS are
its own; the Neo4j JVM's resident memory is sampled beside it. The serve stage starts `vivier serve`, times the first
ranking (the model is loaded on first use) and then `--rankings` more. The table gives each stage's cost per
candidate relative to the baseline (1.0 = linear scaling) and a linear extrapolation to `large` (1,000,000
candidates) from the biggest scale, against the issue's budgets: training ≤ 90 min and ≤ 16 GB, the whole
pipeline ≤ 3 h.

    .venv/bin/python bench/bench_pipeline.py                         # demo baseline (5,000), then 50,000 candidates
    .venv/bin/python bench/bench_pipeline.py --scales 5000,100000 --eval-offers 50 --out var/pipeline.json
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import signal
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import httpx
from rich.console import Console
from rich.table import Table

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from bench.bench_api import percentiles  # noqa: E402
from bench.bench_load import _sample  # noqa: E402
from gnn.train import MINIBATCH_NODES  # noqa: E402
from graph.server import EmbeddedServer, free_port  # noqa: E402
from vivier.settings import get_settings  # noqa: E402

console = Console()
LARGE = 1_000_000
VIVIER = str(REPO / ".venv" / "bin" / "vivier")
# The budgets at `large`: training peak RSS and wall, the whole pipeline's wall.
TRAIN_RSS_GB, TRAIN_MINUTES, PIPELINE_HOURS = 16, 90, 3


@dataclass
class Stage:
    name: str
    wall_s: float
    cpu_s: float
    peak_rss_mb: float  # the stage's process tree, sampled twice a second, or its main process's VmHWM if higher
    neo4j_peak_rss_mb: float
    load_before: float
    load_after: float

    @classmethod
    def measured(
        cls, name: str, started: float, load_before: float, usage: resource.struct_rusage, peaks: _Peaks
    ) -> Stage:
        """A finished stage: its own rusage (from wait4) and the peaks sampled beside it."""
        return cls(
            name=name,
            wall_s=time.perf_counter() - started,
            cpu_s=usage.ru_utime + usage.ru_stime,
            peak_rss_mb=peaks.tree_mb,
            neo4j_peak_rss_mb=peaks.neo4j_mb,
            load_before=load_before,
            load_after=os.getloadavg()[0],
        )


@dataclass
class ScaleRun:
    candidates: int
    stages: list[Stage] = field(default_factory=list)
    ranking_ms: dict[str, float] = field(default_factory=dict)
    counts: dict[str, str] = field(default_factory=dict)


def _run_stage(name: str, command: list[str], env: dict[str, str], neo4j_pid: int | None, log: Path) -> Stage:
    """Run one `vivier` command to its end; its output goes to `log` (printed if it fails)."""
    console.print(f"[bold]{name}[/bold]: {' '.join(command[1:])}")
    load_before = os.getloadavg()[0]
    started = time.perf_counter()
    with log.open("ab") as out:
        process = subprocess.Popen(command, env=env, stdout=out, stderr=subprocess.STDOUT, cwd=REPO)
        peaks = _Peaks(process.pid, neo4j_pid)
        _, status, usage = os.wait4(process.pid, 0)
        peaks.stop()
    if os.waitstatus_to_exitcode(status) != 0:
        console.print(log.read_text(errors="replace")[-4000:])
        raise SystemExit(f"{name} failed (exit {os.waitstatus_to_exitcode(status)}); its log: {log}")
    stage = Stage.measured(name, started, load_before, usage, peaks)
    console.print(
        f"  {stage.wall_s:,.1f} s wall, {stage.cpu_s:,.1f} s CPU, peak {stage.peak_rss_mb:,.0f} MB "
        f"(Neo4j {stage.neo4j_peak_rss_mb:,.0f} MB), load {load_before:.1f} → {stage.load_after:.1f}"
    )
    return stage


def _high_water_mb(pid: int) -> float:
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return 0.0
    return next((int(line.split()[1]) / 1024 for line in status.splitlines() if line.startswith("VmHWM")), 0.0)


class _Peaks:
    """Peak resident memory of a process tree and of the Neo4j JVM, sampled in a thread until `stop`."""

    def __init__(self, pid: int, neo4j_pid: int | None) -> None:
        self.tree_mb = self.neo4j_mb = 0.0
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._loop, args=(pid, neo4j_pid), daemon=True)
        self._thread.start()

    def _loop(self, pid: int, neo4j_pid: int | None) -> None:
        # The command's own high-water mark (VmHWM, reset at exec) besides the tree's sampled RSS: wait4's ru_maxrss
        # would start from this bench's own RSS at the fork (about 0.8 GB with torch imported).
        while not self._done.wait(0.5):
            self.tree_mb = max(self.tree_mb, _sample(pid)["rss_mb"], _high_water_mb(pid))
            if neo4j_pid is not None:
                self.neo4j_mb = max(self.neo4j_mb, _sample(neo4j_pid)["rss_mb"])

    def stop(self) -> None:
        self._done.set()
        self._thread.join()


def _serve_stage(env: dict[str, str], neo4j: EmbeddedServer, rankings: int, log: Path) -> tuple[Stage, dict]:
    """`vivier serve`: the first ranking (model loaded on first use), then `rankings` more, each of a new offer."""
    key_output = subprocess.run(
        [VIVIER, "api-key", "create", "--role", "admin", "--label", "bench_pipeline"],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    key = _api_key(key_output)
    offer_ids = [
        str(row["id"])
        for row in _cypher(neo4j, "MATCH (o:Offer) RETURN o.offer_id AS id ORDER BY id LIMIT $n", n=rankings + 1)
    ]
    port = free_port()
    load_before = os.getloadavg()[0]
    started = time.perf_counter()
    with log.open("ab") as out:
        process = subprocess.Popen([VIVIER, "serve", "--port", str(port)], env=env, stdout=out, stderr=out, cwd=REPO)
    peaks = _Peaks(process.pid, neo4j.pid())
    timings: list[float] = []
    try:
        base = f"http://127.0.0.1:{port}"
        _wait_for(base, process)
        with httpx.Client(base_url=base, headers={"X-API-Key": key}, timeout=1800) as client:
            for offer_id in offer_ids:
                began = time.perf_counter()
                client.get(f"/v1/offers/{offer_id}/candidates", params={"k": 10}).raise_for_status()
                timings.append((time.perf_counter() - began) * 1000)
    finally:
        process.send_signal(signal.SIGINT)
        _, _, usage = os.wait4(process.pid, 0)
        peaks.stop()
    stage = Stage.measured("serve", started, load_before, usage, peaks)
    ranking = {"first_ms": timings[0], "p50_ms": percentiles(timings[1:])[0] if timings[1:] else float("nan")}
    console.print(f"  first ranking {ranking['first_ms']:,.0f} ms, then p50 {ranking['p50_ms']:,.0f} ms")
    return stage, ranking


def _api_key(output: str) -> str:
    """`vivier api-key create` prints the key alone on its last line."""
    lines = output.strip().splitlines()
    if not lines:
        raise SystemExit("`vivier api-key create` printed no key")
    return lines[-1].strip()


def _wait_for(base: str, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"vivier serve exited with {process.returncode}")
        try:
            if httpx.get(f"{base}/health", timeout=2).status_code < 500:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    raise SystemExit("vivier serve did not answer /health within 300 s")


def _cypher(neo4j: EmbeddedServer, query: str, **parameters: object) -> list[dict]:
    from graph.db import Database

    database = Database.connect(uri=neo4j.uri)
    try:
        return [dict(record) for record in database.execute_query(query, parameters).records]
    finally:
        database.close()


def run_scale(candidates: int, args: argparse.Namespace, workdir: Path) -> ScaleRun:
    """Every stage at one scale, in a sandbox under `workdir` (removed by the caller)."""
    console.rule(f"[bold]{candidates:,} candidates")
    data, done_file = workdir / "data", workdir / "stages.json"
    done = [Stage(**stage) for stage in json.loads(done_file.read_text())] if done_file.exists() else []
    if done:  # a kept sandbox (--keep) resumed after its last completed stage
        console.print(f"Resuming {workdir} after: {', '.join(stage.name for stage in done)}")
    else:
        data.mkdir(parents=True)
        shared_ontology = get_settings().data_dir / "ontology"
        if shared_ontology.is_dir():
            (data / "ontology").symlink_to(shared_ontology, target_is_directory=True)
    neo4j = EmbeddedServer(home=workdir / "neo4j", port=free_port(), heap=args.heap, pagecache=args.pagecache)
    with console.status("Starting a private Neo4j…"):
        neo4j.start(timeout=600)
    env = dict(os.environ, NEO4J_URI=neo4j.uri, VIVIER_DATA_DIR=str(data))
    dataset, log = workdir / "dataset", workdir / "stages.log"
    train = [VIVIER, "train", "--seed", str(args.seed)] + (["--epochs", str(args.epochs)] if args.epochs else [])
    plan = [
        ("schema + ontology", [VIVIER, "ontology", "load"]),
        ("simulate", [VIVIER, "simulate", "--scale", str(candidates), "--seed", str(args.seed), "--out", str(dataset)]),
        ("load", [VIVIER, "load", "dataset", str(dataset)]),
        ("train", train),
        ("evaluate", [VIVIER, "evaluate", "--truth", str(dataset), "--offers", str(args.eval_offers)]),
    ]
    if args.stop_after:
        plan = plan[: [name for name, _ in plan].index(args.stop_after) + 1]
    run = ScaleRun(candidates=candidates, stages=done)
    try:
        subprocess.run([VIVIER, "schema"], env=env, check=True, capture_output=True)
        for name, command in plan[len(done) :]:
            run.stages.append(_run_stage(name, command, env, neo4j.pid(), log))
            done_file.write_text(json.dumps([asdict(stage) for stage in run.stages], indent=1))
        if not args.stop_after:
            stage, run.ranking_ms = _serve_stage(env, neo4j, args.rankings, log)
            run.stages.append(stage)
        counts = _cypher(neo4j, "MATCH (n) RETURN count(n) AS nodes")[0]
        relationships = _cypher(neo4j, "MATCH ()-[r]->() RETURN count(r) AS relationships")[0]
        run.counts = {"nodes": f"{counts['nodes']:,}", "relationships": f"{relationships['relationships']:,}"}
    finally:
        neo4j.stop()
    return run


def _at_large(runs: list[ScaleRun], i: int) -> float:
    """Stage i's wall time at `large`: the line through the two biggest scales (what each more candidate costs; the
    fixed costs, start-up and the ontology's part of the graph, stay fixed), or proportional with one scale."""
    top = runs[-1]
    if len(runs) < 2:
        return top.stages[i].wall_s * LARGE / top.candidates
    previous = runs[-2]
    slope = (top.stages[i].wall_s - previous.stages[i].wall_s) / (top.candidates - previous.candidates)
    return top.stages[i].wall_s + max(slope, 0.0) * (LARGE - top.candidates)


def report(runs: list[ScaleRun]) -> None:
    """Per stage and scale: wall, CPU, peak RSS; cost per candidate against the first scale; `large` extrapolated."""
    base, top = runs[0], runs[-1]
    table = Table(title="The pipeline through `vivier` commands: wall s / CPU s / peak RSS MB per stage")
    table.add_column("stage")
    for run in runs:
        table.add_column(f"{run.candidates:,} candidates", justify="right")
    table.add_column("wall per candidate, × baseline", justify="right")
    table.add_column("large, extrapolated", justify="right")
    total = 0.0
    for i, stage in enumerate(base.stages):
        cells = [f"{r.stages[i].wall_s:,.0f} / {r.stages[i].cpu_s:,.0f} / {r.stages[i].peak_rss_mb:,.0f}" for r in runs]
        if stage.name == "schema + ontology":  # the same at every scale
            table.add_row(stage.name, *cells, "—", f"{top.stages[i].wall_s / 60:,.0f} min")
            continue
        ratio = (top.stages[i].wall_s / top.candidates) / (stage.wall_s / base.candidates)
        estimate = _at_large(runs, i)
        total += estimate
        table.add_row(stage.name, *cells, f"{ratio:.2f}", f"{estimate / 60:,.0f} min")
    table.add_row("Neo4j peak RSS MB", *[f"{max(s.neo4j_peak_rss_mb for s in r.stages):,.0f}" for r in runs])
    table.add_row(
        "nodes / relationships", *[f"{r.counts.get('nodes')} / {r.counts.get('relationships')}" for r in runs]
    )
    if all(r.ranking_ms for r in runs):  # not with --stop-after
        table.add_row(
            "first ranking / p50 ms",
            *[f"{r.ranking_ms['first_ms']:,.0f} / {r.ranking_ms['p50_ms']:,.0f}" for r in runs],
        )
    table.add_row(
        "load average, first → last stage",
        *[f"{r.stages[0].load_before:.1f} → {r.stages[-1].load_after:.1f}" for r in runs],
    )
    console.print(table)
    how = f"a line through {runs[-2].candidates:,} and {top.candidates:,}" if len(runs) > 1 else "proportional"
    index = next((i for i, s in enumerate(top.stages) if s.name == "train"), None)
    if index is None:  # --stop-after before training
        console.print(f"large (1,000,000 candidates), extrapolated ({how} candidates): {total / 60:.0f} min")
        return
    console.print(
        f"large (1,000,000 candidates), extrapolated ({how} candidates): the pipeline {total / 3600:.1f} h "
        f"(budget {PIPELINE_HOURS} h), training {_at_large(runs, index) / 60:.0f} min (budget {TRAIN_MINUTES} min; "
        "full batch at these scales, a line its mini-batches past that threshold do not follow). "
        f"Training's peak RSS at {top.candidates:,} candidates: {top.stages[index].peak_rss_mb / 1024:.1f} GB (budget "
        f"{TRAIN_RSS_GB} GB at large; memory is not extrapolated: past {MINIBATCH_NODES:,} graph nodes training "
        "switches to mini-batches, docs/model.md, Training cost)."
    )


def _scale_run(saved: dict) -> ScaleRun:
    stages = [Stage(**stage) for stage in saved.pop("stages")]
    return ScaleRun(stages=stages, **saved)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scales", default="5000,50000", help="numbers of candidates; the first is the baseline")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--epochs", type=int, help="maximum training epochs (default: vivier train's)")
    parser.add_argument("--eval-offers", type=int, default=50, help="test offers the evaluation ranks")
    parser.add_argument("--rankings", type=int, default=20, help="rankings served after the first")
    parser.add_argument("--heap", default="2g", help="each private Neo4j's heap")
    parser.add_argument("--pagecache", default="2g", help="each private Neo4j's page cache")
    parser.add_argument(
        "--keep", type=Path, help="keep the sandboxes under this folder (default: removed); run again, it resumes"
    )
    parser.add_argument(
        "--stop-after",
        choices=["schema + ontology", "simulate", "load", "train"],
        help="run the stages up to this one only, and serve nothing (e.g. the load's scaling alone)",
    )
    parser.add_argument("--out", type=Path, help="write the figures as JSON here")
    parser.add_argument("--report", type=Path, help="print the table of a former run's --out file, run nothing")
    args = parser.parse_args()
    if args.report:
        report([_scale_run(run) for run in json.loads(args.report.read_text())])
        return
    scales = [int(s) for s in args.scales.split(",")]
    runs = []
    for candidates in scales:
        if args.keep:
            workdir = args.keep / f"pipeline-{candidates}"
            runs.append(run_scale(candidates, args, workdir))
            continue
        with tempfile.TemporaryDirectory(prefix=f"vivier-bench-pipeline-{candidates}-") as sandbox:
            runs.append(run_scale(candidates, args, Path(sandbox)))
    report(runs)
    if args.out:
        args.out.write_text(json.dumps([asdict(run) for run in runs], indent=2))


if __name__ == "__main__":
    main()
