"""The model's side of the audit on the temporal test (issue 17, docs/fairness.md): how far a trained version
reproduces a historical bias in its rankings, and what the exposure bound served to an employer that opts in
costs in Recall@10 and gains in exposure, side by side and paired over the same test offers.

Everything is computed on the evaluation's own terms (gnn/evaluate.py): the same temporal split, the same pool per
test offer (its statutorily eligible candidates plus its selected ones), the ranking as served (the re-ranker on
the GNN's top candidates), the same tie-breaking, hence the same Recall@10 for the model's own top 10. The group
labels come from the sensitive-attributes file and are read here only to count and to re-rank.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from audit.attributes import read_attributes
from audit.fairness import Interval
from audit.mitigation import SERVING_DEPTH, UNKNOWN, bounded_rerank, exposure_gap, population_shares
from gnn.export import GraphExport
from gnn.metrics import bootstrap
from graph.db import Database
from vivier.settings import get_settings

TOP_K = 10
# What each share of the group is measured in, in the order of the table.
LISTS = {
    "pool": "eligible pool of the offer",
    "history": "recruiters' selections (shortlisted or later)",
    "oracle": "top 10 of the unbiased latent utility (simulator)",
    "model": "top 10 of the model, as served",
    "mitigated": "top 10 of the bounded re-ranking",
}


@dataclass
class ModelFairness:
    version: str
    attribute: str
    group: str
    max_gap: float
    offers: int
    shares: dict[str, float]  # the re-ranking's target: each group's share of the attributes file
    group_share: dict[str, Interval] = field(default_factory=dict)  # list → the group's share of it
    model_minus: dict[str, Interval] = field(default_factory=dict)  # list → model's share − that list's, paired
    recall: dict[str, Interval] = field(default_factory=dict)  # model, mitigated, difference
    gap: dict[str, Interval] = field(default_factory=dict)  # largest exposure shortfall: model, mitigated, difference
    group_gain: Interval | None = None  # the group's share of the top 10: mitigated − model, paired
    notes: list[str] = field(default_factory=list)


def _interval(values: np.ndarray, seed: int) -> Interval:
    kept = values[~np.isnan(values)]
    e = bootstrap(kept, seed=seed)
    return Interval(e.mean, e.low, e.high)


def measure(
    export: GraphExport,
    test: np.ndarray,
    eligible: np.ndarray,
    model_scores: np.ndarray,
    oracle_scores: np.ndarray,
    groups: pd.Series,
    group: str,
    max_gap: float,
    depth: int = SERVING_DEPTH,
    k: int = TOP_K,
) -> dict[str, np.ndarray]:
    """Per test offer: the group's share of each list of LISTS, Recall@k and the largest exposure shortfall of the
    model's top k and of the bounded re-ranking of its top `depth`. Ties are broken as gnn.train.rank_offers
    breaks them (one generator seeded 0, drawn offer after offer), so the model's Recall@k is the evaluation's."""
    ids = [str(c) for c in export.ids["candidate"]]
    by_id = {str(c): str(g) for c, g in groups.items()}
    label = np.array([by_id.get(c, UNKNOWN) == group for c in ids])
    shares = population_shares(groups)
    apps = export.applications
    rng = np.random.default_rng(0)
    rows: dict[str, list[float]] = {name: [] for name in (*LISTS, "recall_model", "recall_mitigated")}
    rows |= {"gap_model": [], "gap_mitigated": []}
    for i, offer in enumerate(test.tolist()):
        mine = apps.of_offer(offer)
        positives = np.unique(apps.candidate[mine][apps.positive[mine]])
        pool = np.asarray(eligible[i]).copy()
        pool[positives] = True
        index = np.nonzero(pool)[0]
        tie = rng.random(len(index))
        order = index[np.lexsort((-tie, -model_scores[i][index]))]
        oracle = index[np.lexsort((-tie, -oracle_scores[i][index]))][:k]
        bounded = bounded_rerank([ids[j] for j in order[:depth]], by_id, shares, k, max_gap)
        plain = [ids[j] for j in order[:k]]
        selected = {ids[j] for j in positives}
        rows["pool"].append(float(label[index].mean()))
        rows["history"].append(float(label[positives].mean()) if len(positives) else np.nan)
        rows["oracle"].append(float(label[oracle].mean()))
        rows["model"].append(float(label[order[:k]].mean()))
        rows["mitigated"].append(float(np.mean([by_id.get(c) == group for c in bounded])))
        for name, top in (("model", plain), ("mitigated", bounded)):
            rows[f"recall_{name}"].append(len(selected & set(top)) / len(selected) if selected else np.nan)
            rows[f"gap_{name}"].append(exposure_gap(top, by_id, shares))
    return {name: np.array(values, dtype=np.float64) for name, values in rows.items()}


def summarise(
    per_offer: dict[str, np.ndarray], version: str, attribute: str, group: str, max_gap: float, shares: dict[str, float]
) -> ModelFairness:
    """Means with 95 % bootstrap intervals over test offers; differences paired (the same offers resampled)."""
    result = ModelFairness(version, attribute, group, max_gap, len(per_offer["model"]), shares)
    for seed, name in enumerate(LISTS):
        result.group_share[name] = _interval(per_offer[name], seed)
        if name != "model":
            result.model_minus[name] = _interval(per_offer["model"] - per_offer[name], 10 + seed)
    result.group_gain = _interval(per_offer["mitigated"] - per_offer["model"], 20)
    for metric, seed in (("recall", 30), ("gap", 31)):
        model, mitigated = per_offer[f"{metric}_model"], per_offer[f"{metric}_mitigated"]
        target = result.recall if metric == "recall" else result.gap
        target |= {
            "model": _interval(model, seed),
            "mitigated": _interval(mitigated, seed),
            "difference": _interval(mitigated - model, seed),
        }
    skipped = int(np.isnan(per_offer["history"]).sum())
    if skipped:
        result.notes.append(f"{skipped} test offers without a selection are left out of the history's share")
    return result


def model_fairness(
    db: Database,
    truth: Path,
    attribute: str,
    group: str,
    max_gap: float = 0.2,
    version: str | None = None,
    progress: bool = True,
    attributes: pd.DataFrame | None = None,
) -> ModelFairness:
    """The trained version (latest when None) on its temporal test offers; `truth` is the simulated dataset whose
    latent utility (free of the injected bias) gives the unbiased oracle."""
    import torch

    from gnn import artifacts, baselines
    from gnn.eligibility import candidate_profiles, eligibility_matrix, offer_requirements
    from gnn.evaluate import SERVED, reranked_scorers
    from gnn.export import export_graph
    from gnn.train import TrainConfig, embeddings, message_graph, temporal_split
    from gnn.truth import simulator_utility

    table = read_attributes() if attributes is None else attributes
    if attribute not in table.columns:
        raise KeyError(f"attribute {attribute!r}: not in the attributes file ({', '.join(table.columns)})")
    stored = artifacts.load(version or artifacts.latest_version(db))
    config = TrainConfig(**stored.config["train"])
    torch.set_num_threads(config.threads)
    export = export_graph(db, spec=stored.spec, progress=progress)
    split = temporal_split(export, config)
    eligible = eligibility_matrix(candidate_profiles(export), offer_requirements(export), split.test)
    scorers = reranked_scorers(stored, export, split, eligible, progress)
    if SERVED in scorers:
        model_scores = scorers[SERVED](split.test, eligible)
    else:  # a version without a re-ranker serves the GNN's cosine
        graph = message_graph(export, split.history_test)
        model_scores = baselines.embedding_scores(embeddings(stored.model, export, graph), split.test)
    oracle_scores = simulator_utility(truth)(export, split.test)
    column = table[attribute]
    per_offer = measure(export, split.test, eligible.numpy(), model_scores, oracle_scores, column, group, max_gap)
    result = summarise(per_offer, stored.version, attribute, group, max_gap, population_shares(column))
    unknown = int(sum(str(c) not in column.index for c in export.ids["candidate"] if c))
    if unknown:
        result.notes.append(f"{unknown} candidates of the graph are absent from the attributes file (not in {group})")
    return result


def render(result: ModelFairness) -> str:
    """The two tables of docs/fairness.md, *The model's side*."""
    g, a = result.group, result.attribute
    lines = [
        f"Model {result.version}, {result.offers} temporal test offers; group `{a}={g}`; 95 % bootstrap intervals "
        "over test offers, differences paired over the same offers.",
        "",
        f"| list | share of `{g}` | model's top 10 − this list (paired) |",
        "|---|---|---|",
    ]
    for name, title in LISTS.items():
        minus = str(result.model_minus[name]) if name in result.model_minus else "—"
        lines.append(f"| {title} | {result.group_share[name]} | {minus} |")
    lines += [
        "",
        f"Exposure bound on `{a}` (max gap {result.max_gap:g}; target shares "
        + ", ".join(f"{k} {v:.3f}" for k, v in sorted(result.shares.items()))
        + f"), re-ranking the model's top {SERVING_DEPTH} as served to an employer that opts in:",
        "",
        "| figure | model's top 10 | bounded re-ranking | difference (paired) |",
        "|---|---|---|---|",
        f"| Recall@10 | {result.recall['model']} | {result.recall['mitigated']} | {result.recall['difference']} |",
        f"| share of `{g}` in the top 10 | {result.group_share['model']} | {result.group_share['mitigated']} | "
        f"{result.group_gain} |",
        f"| largest exposure shortfall | {result.gap['model']} | {result.gap['mitigated']} | "
        f"{result.gap['difference']} |",
    ]
    lines += [f"\n{note}." for note in result.notes]
    return "\n".join(lines) + "\n"


def report_path(version: str) -> Path:
    return get_settings().data_dir / "reports" / version / "model-fairness.json"


def write(result: ModelFairness) -> Path:
    """`model-fairness.json` and `.md` beside the version's evaluation report; the model card reads the JSON."""
    path = report_path(result.version)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({**asdict(result), "markdown": render(result)}, indent=2), encoding="utf-8")
    path.with_suffix(".md").write_text(render(result), encoding="utf-8")
    return path


def stored_markdown(version: str) -> str | None:
    path = report_path(version)
    return str(json.loads(path.read_text())["markdown"]) if path.exists() else None
