"""The figures of the RMFP mappings (`ontology.mappings`) that docs/ontology.md gives: every variant of the method on
the held-out official pairs, the hand-checked sample, and coverage. `vivier ontology mappings --measure` writes
them between the `rmfp-mappings` markers of docs/ontology.md (and the career figures between the `career-moves`
markers), so that no figure is copied by hand."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from ontology.catalogue import Catalogue
from ontology.mappings import (
    CLOSE_MATCH_SCORE,
    CV_SIGNALS,
    LEXICAL_WEIGHTS,
    SIGNALS,
    V1_LEXICAL_WEIGHTS,
    WEIGHTS,
    Candidate,
    Side,
    combine,
    cross_validated_weights,
    derive_rmfp_moves,
    famille_consensus,
    hits,
    official_pairs,
    rmfp_side,
    rome4_side,
    signals,
)
from ontology.rome4 import Rome4
from ontology.sources import SOURCES_DIR, SourceError, read_csv
from vivier.settings import REPO_ROOT

SAMPLE = SOURCES_DIR / "rmfp-mappings" / "hand_checked_sample.csv"
DOC = REPO_ROOT / "docs" / "ontology.md"


@dataclass
class MappingFigures:
    variants: list[tuple[str, dict, dict]]  # (variant, resolved hits, strict hits)
    cv_weights: list[dict[str, float]]
    paired: dict[str, tuple[float, float, float]]  # v2 − v1 on the official pairs: difference, 95 % interval
    samples: dict[str, dict[str, float]]  # per version: success@3, precision@3, closeMatch precision, counts
    coverage: dict[str, int]
    when: str = field(default_factory=lambda: datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"))
    load: float = field(default_factory=lambda: os.getloadavg()[0])


def version_scores(found: dict[str, np.ndarray], source: Side, target: Side) -> dict[str, np.ndarray]:
    """The [emploi, target] scores of version 1 (its famille consensus drawn from its own lexical score) and of
    the current version."""
    v1_lexical = combine(found, V1_LEXICAL_WEIGHTS)
    v1 = 0.8 * v1_lexical + 0.2 * famille_consensus(v1_lexical, source, target)
    return {"v1": v1, "v2": combine(found, WEIGHTS)}


def variants(
    found: dict[str, np.ndarray], source: Side, target: Side, gold: dict, strict: dict
) -> tuple[list[tuple[str, dict, dict]], list[dict[str, float]]]:
    rows = [i for i, code in enumerate(source.codes) if code in gold]
    versions = version_scores(found, source, target)
    out = []
    for name in SIGNALS:
        out.append(
            (
                f"`{name}` alone",
                hits(found[name], source, target, gold, rows),
                hits(found[name], source, target, strict, rows),
            )
        )
    named = {
        "v1 lexical: 0.4 `label_char` + 0.3 `label_word` + 0.3 `text`": combine(found, V1_LEXICAL_WEIGHTS),
        "v1: 0.8 × v1 lexical + 0.2 `famille` (of the v1 lexical)": versions["v1"],
        "v2 lexical: 0.4 `label_char` + 0.3 `label_domain` + 0.3 `text`": combine(found, LEXICAL_WEIGHTS),
        "**chosen** (v2): 0.8 × v2 lexical + 0.2 `famille`": versions["v2"],
        "0.6 × v2 lexical + 0.4 `famille`": combine(
            found, {**{k: v * 0.6 for k, v in LEXICAL_WEIGHTS.items()}, "famille": 0.4}
        ),
    }
    for name, scores in named.items():
        out.append((name, hits(scores, source, target, gold, rows), hits(scores, source, target, strict, rows)))
    cv, chosen = cross_validated_weights(found, source, target, gold)
    cv_strict, _ = cross_validated_weights(found, source, target, strict)
    out.append(("weights learnt by 5-fold cross-validation (grid, step 0.1)", cv, cv_strict))
    return out, chosen


def read_sample(path: Path = SAMPLE) -> dict[tuple[str, str], int]:
    verdicts = {}
    for row in read_csv(path, required=("emploi_code", "rome4_code", "correct")):
        if row["correct"] not in ("0", "1"):
            raise SourceError(path, row["emploi_code"], "correct", f"expected 0 or 1, got {row['correct']!r}")
        verdicts[(row["emploi_code"], row["rome4_code"])] = int(row["correct"])
    return verdicts


def sample_figures(candidates: list[Candidate], verdicts: dict[tuple[str, str], int]) -> dict[str, float]:
    """Precision@3 and success@3 of the current top 3 ROME 4.0 candidates of the sample's emplois, and the
    precision of those proposed as closeMatch."""
    emplois = sorted({e for e, _ in verdicts})
    mine = [c for c in candidates if c.emploi in set(emplois) and c.scheme == "ROME4" and c.rank <= 3]
    top3 = {e: [c.code for c in mine if c.emploi == e] for e in emplois}
    proposed = [(c.emploi, c.code) for c in mine if c.relation == "closeMatch"]
    return top3_figures(top3, proposed, verdicts)


def top3_figures(
    top3: dict[str, list[str]], proposed: list[tuple[str, str]], verdicts: dict[tuple[str, str], int]
) -> dict[str, float]:
    emplois = sorted(top3)
    judged = [verdicts.get((e, code)) for e in emplois for code in top3[e]]
    known = [v for v in judged if v is not None]
    close = [verdicts[pair] for pair in proposed if pair in verdicts]
    # What precision@3 could reach with the fiches judged correct so far (some emplois have fewer than 3).
    correct_known: dict[str, int] = {e: 0 for e in emplois}
    for (e, _), verdict in verdicts.items():
        correct_known[e] += verdict
    return {
        "success@3": sum(any(verdicts.get((e, c)) == 1 for c in top3[e]) for e in emplois) / len(emplois),
        "precision@3": sum(known) / len(known) if known else 0.0,
        "emplois": len(emplois),
        "judged": len(known),
        "unjudged": len(judged) - len(known),
        "closeMatch": len(close),
        "closeMatch precision": sum(close) / len(close) if close else 0.0,
        "ceiling@3": sum(min(n, 3) for n in correct_known.values()) / (3 * len(emplois)),
        "fewer than 3 known": sum(n < 3 for n in correct_known.values()),
    }


def scores_top3(
    scores: np.ndarray, source: Side, target: Side, emplois: list[str]
) -> tuple[dict[str, list[str]], list[tuple[str, str]]]:
    """The top 3 fiches of the given emplois under a score matrix, and the rank-1 ones proposed as closeMatch."""
    row_of = {code: row for row, code in enumerate(source.codes)}
    top3, proposed = {}, []
    for emploi in emplois:
        order = np.argsort(-scores[row_of[emploi]], kind="stable")[:3]
        top3[emploi] = [target.codes[i] for i in order]
        if scores[row_of[emploi], order[0]] >= CLOSE_MATCH_SCORE:
            proposed.append((emploi, target.codes[order[0]]))
    return top3, proposed


def paired_difference(
    new: np.ndarray, old: np.ndarray, source: Side, target: Side, gold: dict, draws: int = 10_000
) -> dict[str, tuple[float, float, float]]:
    """Top-1 and top-3 of `new` minus `old` over the same official pairs, with a 95 % paired bootstrap interval."""
    rows = [i for i, code in enumerate(source.codes) if code in gold]
    per_pair = {
        k: np.array([[hits(m, source, target, gold, [r])[f"top{k}"] for r in rows] for m in (new, old)]) for k in (1, 3)
    }
    rng = np.random.default_rng(18)
    draws_index = rng.integers(0, len(rows), size=(draws, len(rows)))
    out = {}
    for k, (a, b) in per_pair.items():
        differences = (a - b)[draws_index].mean(axis=1)
        low, high = np.percentile(differences, [2.5, 97.5])
        out[f"top-{k}"] = (float((a - b).mean()), float(low), float(high))
    return out


def measure_mappings(catalogue: Catalogue, rome4: Rome4, candidates: list[Candidate]) -> MappingFigures:
    source, target = rmfp_side(catalogue), rome4_side(rome4, catalogue)
    found = signals(source, target)
    gold = official_pairs(catalogue, rome4)
    table, chosen = variants(found, source, target, gold, official_pairs(catalogue, rome4, False))
    versions = version_scores(found, source, target)
    verdicts = read_sample()
    emplois = sorted({e for e, _ in verdicts})
    samples = {"v1": top3_figures(*scores_top3(versions["v1"], source, target, emplois), verdicts)}
    samples["v2 (chosen)"] = sample_figures(candidates, verdicts)
    moves = derive_rmfp_moves(candidates, rome4)
    coverage = {
        "emplois-référence": len(source.codes),
        "with ROME 4.0 candidates": len({c.emploi for c in candidates if c.scheme == "ROME4"}),
        "with ESCO candidates": len({c.emploi for c in candidates if c.scheme == "ESCO"}),
        "candidate mappings stored": len(candidates),
        "proposed as closeMatch (rank 1, score ≥ 0.5)": sum(c.relation == "closeMatch" for c in candidates),
        "with moves derived from ROME 4.0": len({m.source for m in moves}),
        "moves derived from ROME 4.0 (before the ladder's catégorie rule)": len(moves),
    }
    paired = paired_difference(versions["v2"], versions["v1"], source, target, gold)
    return MappingFigures(table, chosen, paired, samples, coverage)


def _pct(value: float) -> str:
    return f"{value:.1%}"


def mappings_markdown(f: MappingFigures) -> str:
    last = list(f.samples.values())[-1]
    lines = [
        f"Written by `vivier ontology mappings --measure` on {f.when} (load average {f.load:.1f}, {os.cpu_count()} "
        "cores). Official pairs: the 59 emplois-référence of the PEP crosswalk, held out from the method (no "
        "weight or threshold is fitted on them, except in the cross-validated row, where each fold is measured on "
        "pairs its weights never saw). *Resolved*: a candidate counts when it is a ROME 4.0 fiche of the official "
        "v3.44 fiche (itself where kept, or a fiche split from it); *strict*: only the v4 fiche that holds the "
        "official appellation today.",
        "",
        "| variant | top-1 resolved | top-3 resolved | top-1 strict | top-3 strict |",
        "|---|---:|---:|---:|---:|",
    ]
    for name, resolved, strict in f.variants:
        lines.append(
            f"| {name} | {_pct(resolved['top1'])} | {_pct(resolved['top3'])} | {_pct(strict['top1'])} | "
            f"{_pct(strict['top3'])} |"
        )
    paired = "; ".join(f"{k} {v[0]:+.1%} [{v[1]:+.1%}, {v[2]:+.1%}]" for k, v in f.paired.items())
    lines += [
        "",
        f"Cross-validation (over {', '.join(f'`{s}`' for s in CV_SIGNALS)}) chose, fold by fold: "
        f"{'; '.join(_weights(w) for w in f.cv_weights)}.",
        "",
        f"v2 − v1 on the official pairs (resolved), paired over the same 59 pairs with a 95 % bootstrap interval: "
        f"{paired}.",
        "",
        "Hand-checked sample (`data/sources/rmfp-mappings/`, 100 emplois-référence outside the crosswalk, top 3 "
        "ROME 4.0 candidates; *success@3*: an emploi with a correct candidate among its 3; *closeMatch*: the rank-1 "
        f"candidates scoring ≥ {CLOSE_MATCH_SCORE}, which the method proposes as skos:closeMatch; *ceiling*: the "
        "precision@3 a method would reach by ranking every fiche judged correct so far first, as some emplois have "
        "fewer than 3 fitting fiches):",
        "",
        "| version | success@3 | precision@3 | judged / not yet | closeMatch proposed | closeMatch precision |",
        "|---|---:|---:|---:|---:|---:|",
        *(
            f"| {name} | {_pct(s['success@3'])} | {_pct(s['precision@3'])} | {int(s['judged'])} / "
            f"{int(s['unjudged'])} | {int(s['closeMatch'])} | {_pct(s['closeMatch precision'])} |"
            for name, s in f.samples.items()
        ),
        "",
        f"Precision@3 ceiling with the fiches judged correct so far: {_pct(last['ceiling@3'])} "
        f"({int(last['fewer than 3 known'])} of the 100 emplois have fewer than 3 fiches judged correct).",
        "",
        "| coverage | count |",
        "|---|---:|",
        *(f"| {name} | {value:,} |" for name, value in f.coverage.items()),
    ]
    return "\n".join(lines) + "\n"


def _weights(w: dict[str, float]) -> str:
    return ", ".join(f"{k} {v:.1f}" for k, v in w.items() if v)


def career_markdown(results: dict[str, dict[str, dict[str, float]]], seconds: float, epochs: int) -> str:
    """The career head on held-out moves of both ROME editions, each method paired against Adamic-Adar."""
    when = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    lines = [
        f"Written by `vivier ontology mappings --measure --career` on {when} (load average {os.getloadavg()[0]:.1f}, "
        f"{os.cpu_count()} cores; {epochs} GNN epochs, {seconds:.0f} s). The career head of docs/evaluation.md "
        "(`gnn/career.py`: gradient-boosted trees over graph facts, content facts and the career GNN's score), "
        "learnt per edition on the whole ontology graph: every occupation of RMFP, ROME v3.44 fiches and "
        "appellations, ROME 4.0 fiches, ESCO; skills; broader, crosswalk, v4 → v3 parent and rank-1 computed "
        "mapping links; the GNN's messages also cross the other edition's *training* moves and the RMFP moves "
        "derived from the *training* ROME 4.0 moves only, and the scorer reads the other edition's training moves "
        "between the fiches' parents (v4) or children (v3). Protocol of docs/evaluation.md: 20 % of each edition's "
        "moves held out (fixed seed), each held-out A → B ranked among all the edition's fiches except A and A's "
        "other known targets; ratio to Adamic-Adar's Hits@10 with its 95 % paired bootstrap interval.",
        "",
        "| edition | method | Hits@10 | MRR | held-out moves | × Adamic-Adar (Hits@10) [95 % CI] |",
        "|---|---|---:|---:|---:|---:|",
    ]
    for edition, rows in results.items():
        for method, m in rows.items():
            ratio = (
                f"{m['vs_aa_ratio']:.2f} [{m['vs_aa_ratio_low']:.2f}, {m['vs_aa_ratio_high']:.2f}]"
                if "vs_aa_ratio" in m
                else "1.00"
            )
            lines.append(f"| {edition} | {method} | {m['hits@10']:.3f} | {m['mrr']:.3f} | {int(m['n']):,} | {ratio} |")
    return "\n".join(lines) + "\n"


def write_block(name: str, block: str, path: Path = DOC) -> bool:
    """Replace what lies between `<!-- {name}:start … -->` and `<!-- {name}:end -->`; True when it changed."""
    markers = re.compile(rf"(<!-- {name}:start\b[^\n]*?-->\n)(.*?)(<!-- {name}:end -->)", re.DOTALL)
    text = path.read_text(encoding="utf-8")
    if len(markers.findall(text)) != 1:
        raise ValueError(f"{path}: expected one '<!-- {name}:start … -->' … '<!-- {name}:end -->' pair")
    new = markers.sub(lambda m: f"{m.group(1)}{block.rstrip()}\n{m.group(3)}", text)
    if new != text:
        path.write_text(new, encoding="utf-8")
    return new != text
