"""The bias audit (issue 17): group metrics, the simulator's attributes and injected bias, detection of that bias
in a history loaded into Neo4j, isolation of the sensitive file from the model's inputs, and log retention."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import torch
from typer.testing import CliRunner

from audit.attributes import (
    AttributesError,
    attributes_path,
    erase_attributes,
    import_attributes,
    read_attributes,
)
from audit.fairness import TOO_FEW, decided_applications, exposure_by_group, selection_by_group
from audit.mitigation import bounded_rerank, evaluate_mitigation, exposure_gap
from audit.run import run_audit
from graph import queries
from graph.db import Database
from graph.oversight import oversight_events, purge_recommendation_logs
from graph.writes import write_applications
from loaders.history import read_applications
from simulator.dataset import simulate_dataset
from simulator.sensitive import ATTRIBUTES, parse_bias
from vivier.cli import app
from vivier.settings import Settings

SOURCE = "biased"


def _frame(rates: dict[str, float], per_offer: int, offers: int, seed: int = 0) -> pd.DataFrame:
    """Applications of `offers` offers, `per_offer` per group each, shortlisted at each group's rate."""
    rng = np.random.default_rng(seed)
    rows = []
    for o in range(offers):
        for group, rate in rates.items():
            for k in range(per_offer):
                shortlisted = rng.random() < rate
                rows.append(
                    {
                        "candidate_id": f"{group}-{o}-{k}",
                        "offer_id": f"off-{o}",
                        "stage": "shortlisted" if shortlisted else "rejected",
                        "reached": "shortlisted" if shortlisted else "received",
                        "reason": "" if shortlisted else "profil ne correspondant pas au poste",
                        "group": group,
                    }
                )
    return decided_applications(pd.DataFrame(rows))


def test_selection_rates_flag_a_four_fifths_gap_and_mark_small_groups() -> None:
    frame = _frame({"a": 0.30, "b": 0.12}, per_offer=10, offers=60)
    few = _frame({"c": 0.5}, per_offer=1, offers=12, seed=1)
    rows = {r.group: r for r in selection_by_group(pd.concat([frame, few], ignore_index=True), "group")}
    assert rows["a"].ratios["shortlisted"].value == pytest.approx(1.0)
    assert rows["b"].ratios["shortlisted"].high < 0.8  # the whole interval under four-fifths
    assert rows["b"].verdict == "below four-fifths"
    assert rows["a"].verdict == "no evidence below four-fifths"
    assert rows["c"].applications == 12 and rows["c"].verdict == TOO_FEW  # shown with its counts, not hidden
    assert (
        rows["a"].rates["shortlisted"].low < rows["a"].rates["shortlisted"].value < rows["a"].rates["shortlisted"].high
    )


def test_exposure_shares_against_the_pool() -> None:
    attributes = pd.Series({"x1": "x", "x2": "x", "y1": "y", "y2": "y"})
    rows = {
        e.group: e for e in exposure_by_group([["x1", "x2", "y1"], ["x1", "x2"]], pd.Series(["x1", "y1"]), attributes)
    }
    assert rows["x"].served == 4 and rows["y"].served == 1
    assert rows["x"].served_share.value == pytest.approx(0.8) and rows["x"].pool_share == pytest.approx(0.5)
    assert rows["x"].ratio == pytest.approx(1.6)


def test_bias_spec_is_checked() -> None:
    assert str(parse_bias("sex=F:0.8")) == "sex=F:0.8"
    for wrong in ("sex=F", "colour=F:1", "sex=X:1", "sex=F:-1"):
        with pytest.raises(ValueError, match="bias"):
            parse_bias(wrong)


def test_attributes_go_to_truth_only_and_no_bias_changes_nothing(tmp_path: Path) -> None:
    plain = simulate_dataset(tmp_path / "plain", "tiny", seed=7, quiet=True)
    zero = simulate_dataset(tmp_path / "zero", "tiny", seed=7, quiet=True, bias=parse_bias("sex=F:0"))
    sensitive = pd.read_csv(plain.out / "truth" / "sensitive.csv", dtype=str)
    assert list(sensitive.columns) == ["candidate_ref", *ATTRIBUTES] and len(sensitive) == plain.candidates
    for name in ("applications.csv", "employers.csv", "offers.json", "truth/utilities.csv"):
        assert (plain.out / name).read_bytes() == (zero.out / name).read_bytes(), name
    words = {"RQTH", "hors UE"}
    assert not any(w in p.read_text(encoding="utf-8") for p in (plain.out / "cvs").iterdir() for w in words)
    assert "bias" not in (plain.out / "truth" / "manifest.json").read_text()


def test_attributes_file_errors_name_file_line_and_field(tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text("candidate_ref,sex\nCAND-1,F\nCAND-1,M\n", encoding="utf-8")
    with pytest.raises(AttributesError, match=r"bad.csv, line 3, field candidate_ref"):
        import_attributes(bad, "x", tmp_path)


def test_erasure_removes_the_row_whole_and_keeps_the_others_byte_for_byte(tmp_path: Path) -> None:
    path = attributes_path(tmp_path)
    path.parent.mkdir(parents=True)
    text = 'candidate_id,sex,residence\nc-1,F,"Paris, 75"\nc-2,M,\nc-3,F,Lyon\n'
    path.write_text(text, encoding="utf-8")
    assert erase_attributes({"c-2", "c-unknown"}, tmp_path) == 1
    assert path.read_text(encoding="utf-8") == text.replace("c-2,M,\n", "")
    assert read_attributes(path).index.tolist() == ["c-1", "c-3"]
    assert erase_attributes({"c-2"}, tmp_path) == 0  # twice: nothing more to remove
    assert sorted(p.name for p in path.parent.iterdir()) == ["attributes.csv"]  # no temporary file left behind
    assert erase_attributes({"c-1"}, tmp_path / "elsewhere") == 0  # no file: nothing to do


@pytest.fixture(scope="module")
def biased(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """1,000 simulated candidates whose recruiters shortlist women less at equal utility."""
    out = tmp_path_factory.mktemp("sim") / SOURCE
    simulate_dataset(out, 1000, seed=7, quiet=True, bias=parse_bias("sex=F:0.8"))
    return out


def _load_history(db: Database, dataset: Path) -> None:
    """Employers, offer and candidate stubs (the audit reads none of their content), and the applications
    through the real loader (pseudonyms, furthest stage reached)."""
    applications, problems = read_applications(dataset / "applications.csv", SOURCE)
    assert not problems
    records = [a for _, a in applications]
    offers = pd.read_json(dataset / "offers.json")[["offer_id", "employer_id", "published_at"]]
    db.execute_query(
        "UNWIND $rows AS r MERGE (e:Employer {employer_id: r.employer_id}) "
        "CREATE (o:Offer {offer_id: r.offer_id, published_at: date(r.published_at)})-[:POSTED_BY]->(e)",
        rows=offers.astype(str).to_dict("records"),
    )
    db.execute_query(
        "UNWIND $ids AS id CREATE (:Candidate {candidate_id: id})", ids=sorted({a.candidate_id for a in records})
    )
    write_applications(db, records)


@pytest.mark.slow
def test_audit_detects_the_injected_bias_in_the_history(
    db: Database, biased: Path, env: Callable[..., Settings], tmp_path: Path
) -> None:
    env(VIVIER_DATA_DIR=str(tmp_path))
    _load_history(db, biased)
    import_attributes(biased / "truth" / "sensitive.csv", SOURCE)
    assert attributes_path().parent == tmp_path / "sensitive"
    audit = run_audit(db)
    assert audit.applications > 2000 and audit.without_attributes == 0
    sex = {r.group: r for r in next(a for a in audit.attributes if a.attribute == "sex").selection}
    assert sex["F"].verdict == "below four-fifths"
    assert sex["F"].ratios["shortlisted"].high < 0.8 and sex["M"].ratios["shortlisted"].value == 1.0
    keys, _, _ = db.execute_query("MATCH (n) UNWIND keys(n) AS k RETURN collect(DISTINCT k) AS keys")
    assert not set(ATTRIBUTES) & set(keys[0]["keys"])  # the attributes never reach Neo4j


def test_report_command_writes_markdown_and_plots(db: Database, env: Callable[..., Settings], tmp_path: Path) -> None:
    env(VIVIER_DATA_DIR=str(tmp_path))
    db.execute_query(
        "CREATE (e:Employer {employer_id: 'E1'}) WITH e UNWIND range(0, 39) AS o "
        "CREATE (f:Offer {offer_id: 'O' + o, published_at: date('2025-01-01')})-[:POSTED_BY]->(e) "
        "WITH f, o UNWIND range(0, 9) AS k MERGE (c:Candidate {candidate_id: 'C' + ((o * 10 + k) % 120)}) "
        "CREATE (c)-[:APPLIED {application_id: f.offer_id + '-' + k, stage: CASE WHEN k < 3 THEN 'shortlisted' "
        "  ELSE 'rejected' END, reached: CASE WHEN k < 3 THEN 'shortlisted' ELSE 'received' END}]->(f)"
    )
    path = attributes_path()
    path.parent.mkdir(parents=True)
    pd.DataFrame({"candidate_id": [f"C{i}" for i in range(120)], "sex": ["F", "M"] * 60}).to_csv(path, index=False)
    result = CliRunner().invoke(
        app, ["audit", "report", "--employer", "E1", "--no-model", "--out", str(tmp_path / "r")]
    )
    assert result.exit_code == 0, result.output
    text = (tmp_path / "r" / "audit.md").read_text()
    assert "What this report cannot show" in text and "| F |" in text
    assert (tmp_path / "r" / "sex_selection.png").stat().st_size > 1000
    assert read_attributes().loc["C1", "sex"] == "M"


def test_model_inputs_ignore_the_sensitive_file(db: Database, env: Callable[..., Settings], tmp_path: Path) -> None:
    """The exported graph tensors (every feature and edge the GNN and the re-ranker read) are identical with and
    without the sensitive-attributes file in the data directory."""
    from gnn.artifacts import data_hash
    from gnn.export import export_graph
    from tests.support.api import load_tiny_graph

    env(VIVIER_DATA_DIR=str(tmp_path))
    load_tiny_graph(db)
    without = export_graph(db, progress=False)
    path = attributes_path()
    path.parent.mkdir(parents=True)
    ids = [r["id"] for r in db.execute_query("MATCH (c:Candidate) RETURN c.candidate_id AS id").records]
    pd.DataFrame({"candidate_id": ids, "sex": "F", "disability": "RQTH"}).to_csv(path, index=False)
    with_file = export_graph(db, progress=False)
    assert data_hash(with_file) == data_hash(without)  # features, relations and applications, byte for byte
    for node_type in without.data.node_types:
        assert torch.equal(with_file.data[node_type].x, without.data[node_type].x), node_type
    for edge_type in without.data.edge_types:
        assert torch.equal(with_file.data[edge_type].edge_index, without.data[edge_type].edge_index), edge_type
    for name, keys in without.ids.items():
        assert np.array_equal(with_file.ids[name], keys), name
    for name, codes in without.attributes.items():
        for key, values in codes.items():
            assert np.array_equal(with_file.attributes[name][key], values), (name, key)
    assert with_file.texts == without.texts
    np.testing.assert_array_equal(with_file.offer_published, without.offer_published)


def _log(when: datetime, log_id: str) -> dict[str, Any]:
    return {
        "log_id": log_id,
        "served_at": when.isoformat(),
        "endpoint": "candidates_for_offer",
        "caller_key_id": "k",
        "caller_role": "admin",
        "employer_id": None,
        "offer_id": "O1",
        "candidate_id": None,
        "occupation_uri": None,
        "model_version": "v",
        "ranked_ids": ["C1"],
        "scores": [0.5],
        "parameters": "",
    }


def test_purge_deletes_logs_older_than_the_retention_period(
    db: Database, env: Callable[..., Settings], tmp_path: Path
) -> None:
    now = datetime.now(UTC)
    queries.record_recommendations(db, [_log(now - timedelta(days=400), "old"), _log(now - timedelta(days=30), "new")])
    env(VIVIER_LOG_RETENTION_DAYS="365")
    refused = CliRunner().invoke(app, ["audit", "purge-logs", "--keep-days", "30"])
    assert refused.exit_code == 2 and "at least 183 days" in refused.output
    result = CliRunner().invoke(app, ["audit", "purge-logs"])
    assert result.exit_code == 0, result.output
    left = {r["log_id"] for r in queries.recommendation_logs(db)}
    assert left == {"new"}
    assert oversight_events(db)[0]["kind"] == "logs_purged"
    assert purge_recommendation_logs(db, now.isoformat()) == 1  # a later, shorter purge takes the rest


def test_bounded_rerank_lifts_the_under_exposed_group_and_keeps_order_otherwise() -> None:
    ranked = [f"m{i}" for i in range(8)] + ["f0", "f1", "f2", "f3"]
    groups = {c: c[0] for c in ranked}
    shares = {"m": 0.5, "f": 0.5}
    assert bounded_rerank(ranked, groups, shares, 4, max_gap=1.0) == ["m0", "m1", "m2", "m3"]  # no bound
    top = bounded_rerank(ranked, groups, shares, 4, max_gap=0.0)
    assert top == ["m0", "f0", "m1", "f1"]  # each prefix keeps floor(i / 2) women, men in their own order
    assert exposure_gap(top, groups, shares) == 0.0 and exposure_gap(ranked[:4], groups, shares) == 0.5


def test_mitigation_reports_cost_and_gain_paired_over_offers() -> None:
    rankings = {f"o{k}": [f"m{k}-{i}" for i in range(12)] + [f"f{k}-{i}" for i in range(12)] for k in range(30)}
    groups = {c: c[0] for r in rankings.values() for c in r}
    selected = {o: {r[0], r[11]} for o, r in rankings.items()}  # the 12th man drops out of a bounded top-10
    result = evaluate_mitigation(rankings, selected, groups, {"m": 0.5, "f": 0.5}, "sex", max_gap=0.2)
    assert result.offers == 30
    assert result.recall_plain.value == pytest.approx(0.5) and result.recall_mitigated.value == pytest.approx(0.5)
    assert result.gap_plain.value == pytest.approx(0.5) and result.gap_mitigated.value <= 0.1 + 1e-9
    assert result.gap_difference.high < 0


def test_model_card_has_every_section(db: Database, env: Callable[..., Settings], tmp_path: Path) -> None:
    from audit.model_card import card_path, write_model_card

    env(VIVIER_DATA_DIR=str(tmp_path))
    folder = tmp_path / "models" / "v1"
    folder.mkdir(parents=True)
    software = {"vivier": "0.1.0", "torch": "2.9.0", "torch-geometric": "2.7.0"}
    config = {"data_hash": "abc123", "train": {"seed": 7, "threads": 2}, "software": software}
    (folder / "config.json").write_text(json.dumps(config))
    (folder / "metrics.json").write_text('{"history": [{"val_recall@10": 0.25}], "weights_hash": "def456"}')
    reports = tmp_path / "reports" / "audit" / "all-1"
    reports.mkdir(parents=True)
    row = {"attribute": "sex", "group": "F", "history": "0.5 [0.4, 0.6]", "model": "0.9 [0.8, 1.0]", "verdict": "x"}
    (reports / "audit.json").write_text(json.dumps({"model_version": "v1", "applications": 10, "rows": [row]}))
    db.execute_query("CREATE (:Offer {offer_id: 'O1', published_at: date('2024-03-01')})")
    text = write_model_card(db, "v1").read_text()
    assert card_path("v1") == folder / "model-card.md"
    for section in ("Data and period", "Features", "Metrics", "Fairness", "Known limits", "Intended use", "Excluded"):
        assert f"## {section}" in text
    assert "abc123" in text and "2024-03-01" in text and "0.250" in text and "| sex | F | 0.5 [0.4, 0.6]" in text
    assert "### The model's rankings and the exposure bound" in text and "vivier audit model --truth" in text
    assert "Weights sha256: def456" in text and "seed (7), threads (2)" in text and "torch 2.9.0" in text


def test_model_side_counts_shares_and_pairs_recall_as_the_evaluation_ranks() -> None:
    """`measure` on hand-made scores: the model's Recall@10 is gnn.train.rank_offers's (same pool, same ties), the
    group's shares are counted in each list, and the bounded top 10 lifts the group the model leaves out."""
    from types import SimpleNamespace

    from audit.model_fairness import measure, summarise
    from gnn.export import Applications
    from gnn.train import rank_offers

    rng = np.random.default_rng(3)
    candidates, offers = 80, 12
    ids = np.array([f"c{j}" for j in range(candidates)])
    groups = pd.Series({c: ("F" if j % 2 else "M") for j, c in enumerate(ids)})
    eligible = rng.random((offers, candidates)) < 0.7
    offer_of = np.repeat(np.arange(offers), 6)
    applicant = rng.integers(0, candidates, size=len(offer_of))
    positive = np.tile([True, True, False, False, False, False], offers)
    export = SimpleNamespace(
        ids={"candidate": ids}, applications=Applications(applicant, offer_of, np.zeros_like(offer_of), positive)
    )
    model = rng.random((offers, candidates)) + np.where(np.arange(candidates) % 2, 0.0, 1.0)  # M ranked first
    oracle = rng.random((offers, candidates))  # blind to the group
    test = np.arange(offers)
    per_offer = measure(export, test, eligible, model, oracle, groups, "F", max_gap=0.2)  # type: ignore[arg-type]
    evaluated = rank_offers(export, test, model, torch.from_numpy(eligible))  # type: ignore[arg-type]
    assert per_offer["recall_model"].tolist() == pytest.approx([q["recall@10"] for q in evaluated])
    assert per_offer["model"].max() < 0.2 and per_offer["mitigated"].min() >= 0.3  # ⌊10 × 0.5 × 0.8⌋ = 4 places
    assert 0.3 < per_offer["pool"].mean() < 0.7 and 0.2 < per_offer["oracle"].mean() < 0.8
    result = summarise(per_offer, "v1", "sex", "F", 0.2, {"F": 0.5, "M": 0.5})
    assert result.offers == offers and result.group_gain is not None and result.group_gain.low > 0
    assert result.model_minus["oracle"].high < 0 and result.gap["difference"].high < 0
    unbounded = measure(export, test, eligible, model, oracle, groups, "F", max_gap=1.0)  # type: ignore[arg-type]
    assert unbounded["recall_mitigated"].tolist() == unbounded["recall_model"].tolist()


def test_mitigate_command_turns_an_employers_rerank_on_and_off(
    db: Database, env: Callable[..., Settings], tmp_path: Path
) -> None:
    from graph.oversight import exposure_mitigations

    env(VIVIER_DATA_DIR=str(tmp_path))
    path = attributes_path(tmp_path)
    path.parent.mkdir(parents=True)
    path.write_text("candidate_id,sex\nc-1,F\nc-2,M\n", encoding="utf-8")
    db.execute_query("CREATE (:Employer {employer_id: 'E-MIT'})")
    turn = ["audit", "mitigate", "--employer", "E-MIT", "--attribute", "sex", "--max-gap", "0.1"]
    assert CliRunner().invoke(app, ["audit", "mitigate", "--attribute", "sex", "--on"]).exit_code == 2  # no employer
    assert CliRunner().invoke(app, [*turn[:4], "--attribute", "age", "--on"]).exit_code == 2  # not in the file
    result = CliRunner().invoke(app, [*turn, "--on", "--reason", "audit: gap"])
    assert result.exit_code == 0, result.output
    assert exposure_mitigations(db)["E-MIT"] | {"since": None} == {"attribute": "sex", "max_gap": 0.1, "since": None,
                                                                    "by": "cli"}  # fmt: skip
    assert CliRunner().invoke(app, [*turn, "--off", "--reason", "done"]).exit_code == 0
    assert "E-MIT" not in exposure_mitigations(db)
    events = [(e["kind"], e["scope"], e["detail"]) for e in oversight_events(db)[:2]]
    assert events == [
        ("mitigation_off", "employer:E-MIT", "done"),
        ("mitigation_on", "employer:E-MIT", "audit: gap (sex, max gap 0.1)"),
    ]
