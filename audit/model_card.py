"""The model card of a trained version (docs/model-card.md): data and period, features, metrics with intervals,
fairness results, known limits, intended and excluded uses. `vivier train` writes it, `vivier evaluate` and
`vivier audit report` rewrite it with their figures; it lives beside the version's artifacts."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from audit.model_fairness import stored_markdown
from gnn.rerank import FEATURES
from graph.db import Database
from graph.oversight import history_period
from vivier.settings import get_settings

INTENDED = (
    "Suggest, with their reasons, candidates for a French public-sector job offer and offers for a candidate, to a "
    "recruiter who reads them and decides; check statutory eligibility (catégorie, versant, cadre d'emplois, grade, "
    "diploma) and show its reasons."
)
EXCLUDED = (
    "Rejecting or filtering out an applicant without a human reading the application; ranking employees for "
    "promotion, pay, discipline or dismissal; posts outside the RMFP / ROME repertories; any use with the sensitive "
    "attributes as input; use while the latest audit shows a gap the employer has not looked into."
)
LIMITS = [
    "Trained on past recruitment decisions: it learns their preferences, including unfair ones; the fairness "
    "section measures how far (docs/fairness.md).",
    "Scores rank candidates for one offer; they are not probabilities across offers, and a candidate absent from "
    "the pool (never applied, no CV loaded) is never suggested.",
    "Skills come from the candidate's CV text: a CV that names few skills scores lower than the person's real "
    "skills would.",
    "Statutory eligibility follows the catalogue's rules (ontology/eligibility.py); special routes (concours, "
    "détachement rules of particular corps, disability-specific contracts) are not modelled.",
    "Evaluated on a temporal split of the same history (docs/evaluation.md); on simulated data the figures say "
    "what the model can learn, not how it does on a real employer's data.",
]


def card_path(version: str) -> Path:
    return get_settings().data_dir / "models" / version / "model-card.md"


def _evaluation(version: str) -> dict[str, Any]:
    path = get_settings().data_dir / "reports" / version / "evaluation.json"
    return json.loads(path.read_text()) if path.exists() else {}


def latest_audit(version: str) -> dict[str, Any] | None:
    """The newest `audit.json` written by `vivier audit report` for this model version."""
    folder = get_settings().data_dir / "reports" / "audit"
    found = []
    for path in folder.glob("*/audit.json") if folder.exists() else []:
        body = json.loads(path.read_text())
        if body.get("model_version") == version:
            found.append((path.stat().st_mtime, body, path))
    if not found:
        return None
    _, body, path = max(found, key=lambda f: f[0])
    return {**body, "path": str(path.parent / "audit.md")}


def render_card(
    version: str,
    metrics: dict[str, Any],
    period: dict[str, Any],
    audit: dict[str, Any] | None,
    model_side: str | None = None,
) -> str:
    lines = [f"# Model card — Vivier {version}", ""]
    lines += ["## Data and period", ""]
    lines += [
        f"- Offers published {period.get('first') or '?'} → {period.get('last') or '?'}: {period.get('offers', 0):,} "
        f"offers, {period.get('applications', 0):,} applications, {period.get('candidates', 0):,} candidates "
        "(the graph at training time)",
        f"- Training data sha256: {metrics.get('data_hash', '?')}",
        *_reproduction(metrics),
        "- Sensitive attributes: not in the graph, never an input (docs/fairness.md, *Isolation*).",
        "",
        "## Features",
        "",
        "Graph model (docs/model.md): CV and offer text, skills, career steps, occupations and their mobility links, "
        "statutory grade, département, employer, past applications and selections. Re-ranker facts: "
        + ", ".join(f"`{f}`" for f in FEATURES)
        + ".",
        "",
        "## Metrics (temporal test, 95 % bootstrap over offers)",
        "",
    ]
    evaluation = metrics.get("evaluation") or {}
    if evaluation:
        lines += ["| method | Recall@10 | nDCG@10 |", "|---|---|---|"]
        for method, values in evaluation.items():
            r, n = values.get("recall@10", {}), values.get("ndcg@10", {})
            lines.append(
                f"| {method} | {r.get('mean', float('nan')):.3f} [{r.get('low', float('nan')):.3f}, "
                f"{r.get('high', float('nan')):.3f}] | {n.get('mean', float('nan')):.3f} |"
            )
    else:
        best = max((h.get("val_recall@10", 0.0) for h in metrics.get("history", [])), default=float("nan"))
        lines.append(f"Not evaluated yet (`vivier evaluate`). Validation Recall@10 at training: {best:.3f}.")
    lines += ["", "## Fairness", ""]
    if audit:
        lines.append(f"Latest audit: `{audit['path']}` ({audit.get('applications', 0):,} decided applications).")
        lines += ["", "| attribute | group | shortlist ratio, history | shortlist ratio, model | verdict |"]
        lines.append("|---|---|---|---|---|")
        for row in audit.get("rows", []):
            lines.append(
                f"| {row['attribute']} | {row['group']} | {row['history']} | {row['model']} | {row['verdict']} |"
            )
    else:
        lines.append("No audit of this version yet: `vivier audit report --version " + version + "`.")
    lines += ["", "### The model's rankings and the exposure bound (temporal test)", ""]
    lines.append(model_side or f"Not measured yet: `vivier audit model --truth DATASET --version {version}`.")
    lines += ["", "## Known limits", "", *[f"- {x}" for x in LIMITS]]
    lines += ["", "## Intended use", "", INTENDED, "", "## Excluded uses", "", EXCLUDED, ""]
    return "\n".join(lines)


def _reproduction(metrics: dict[str, Any]) -> list[str]:
    """What retraining needs to give these weights again: absent from versions trained before 2026-12-07."""
    if "weights_hash" not in metrics:
        return []
    software = metrics.get("software") or {}
    train = metrics.get("train") or {}
    libraries = ", ".join(
        f"{name} {software[name]}" for name in ("vivier", "torch", "torch-geometric") if software.get(name)
    )
    return [
        f"- Weights sha256: {metrics['weights_hash']}. Deterministic training: the same data, configuration "
        f"(`config.json`: seed ({train.get('seed', '?')}), threads ({train.get('threads', '?')}), …) and libraries "
        f"({libraries}) give these weights again on the same kind of CPU."
    ]


def write_model_card(db: Database, version: str) -> Path:
    """Write (or rewrite) the version's card from its stored metrics, its evaluation and its latest audit."""
    path = card_path(version)
    stored: dict[str, Any] = {}
    for name in ("config.json", "metrics.json"):  # the data hash is in the config, the figures in the metrics
        if (path.parent / name).exists():
            stored.update(json.loads((path.parent / name).read_text()))
    evaluation = _evaluation(version)
    stored["evaluation"] = {k: v for k, v in evaluation.items() if k.startswith(("Vivier", "GNN", "skill", "random"))}
    path.parent.mkdir(parents=True, exist_ok=True)
    card = render_card(version, stored, history_period(db), latest_audit(version), stored_markdown(version))
    path.write_text(card, encoding="utf-8")
    return path
