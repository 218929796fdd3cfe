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
    LEXICAL_WEIGHTS,
    SIGNALS,
    WEIGHTS,
    Candidate,
    Side,
    combine,
    cross_validated_weights,
    derive_rmfp_moves,
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
    sample: dict[str, float]  # success@3, precision@3, emplois, judged, unjudged
    coverage: dict[str, int]
    when: str = field(default_factory=lambda: datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"))
    load: float = field(default_factory=lambda: os.getloadavg()[0])


def variants(
    found: dict[str, np.ndarray], source: Side, target: Side, gold: dict, strict: dict
) -> tuple[list[tuple[str, dict, dict]], list[dict[str, float]]]:
    rows = [i for i, code in enumerate(source.codes) if code in gold]
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
        "lexical: 0.4 `label_char` + 0.3 `label_word` + 0.3 `text`": LEXICAL_WEIGHTS,
        "**chosen** (v1): 0.8 × lexical + 0.2 `famille`": WEIGHTS,
        "0.6 × lexical + 0.4 `famille`": {**{k: v * 0.6 for k, v in LEXICAL_WEIGHTS.items()}, "famille": 0.4},
    }
    for name, weights in named.items():
        scores = combine(found, weights)
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
    """Precision@3 and success@3 of the current top 3 ROME 4.0 candidates of the sample's emplois."""
    emplois = sorted({e for e, _ in verdicts})
    top3 = {e: [c.code for c in candidates if c.emploi == e and c.scheme == "ROME4" and c.rank <= 3] for e in emplois}
    judged = [verdicts.get((e, code)) for e in emplois for code in top3[e]]
    known = [v for v in judged if v is not None]
    return {
        "success@3": sum(any(verdicts.get((e, c)) == 1 for c in top3[e]) for e in emplois) / len(emplois),
        "precision@3": sum(known) / len(known) if known else 0.0,
        "emplois": len(emplois),
        "judged": len(known),
        "unjudged": len(judged) - len(known),
    }


def measure_mappings(catalogue: Catalogue, rome4: Rome4, candidates: list[Candidate]) -> MappingFigures:
    source, target = rmfp_side(catalogue), rome4_side(rome4, catalogue)
    found = signals(source, target)
    table, chosen = variants(
        found, source, target, official_pairs(catalogue, rome4), official_pairs(catalogue, rome4, False)
    )
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
    return MappingFigures(table, chosen, sample_figures(candidates, read_sample()), coverage)


def _pct(value: float) -> str:
    return f"{value:.1%}"


def mappings_markdown(f: MappingFigures) -> str:
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
    s = f.sample
    lines += [
        "",
        f"Cross-validation chose, fold by fold: {'; '.join(_weights(w) for w in f.cv_weights)}.",
        "",
        f"Hand-checked sample (`data/sources/rmfp-mappings/`, {int(s['emplois'])} emplois-référence outside the "
        f"crosswalk, top 3 ROME 4.0 candidates): **success@3 {_pct(s['success@3'])}** (an emploi with a correct "
        f"candidate among its 3), **precision@3 {_pct(s['precision@3'])}** ({int(s['judged'])} candidates judged, "
        f"{int(s['unjudged'])} not yet).",
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
