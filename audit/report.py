"""The audit report: Markdown that says what each figure means and what it cannot show, with PNG plots."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import matplotlib
import numpy as np

from audit.fairness import FOUR_FIFTHS, MIN_APPLICATIONS, MIN_CANDIDATES, TOO_FEW, GroupRow
from audit.run import AttributeAudit, Audit

matplotlib.use("Agg")
import matplotlib.pyplot as plt

MEANING = f"""## How to read this report
- **Selection rate**: among the decided applications of the group (offers with a decision, withdrawals left out),
  the share that reached the shortlist (`shortlisted`: shortlisted, interviewed, offered or hired) or the hire.
  **Ratio**: the group's rate over the best-treated group's. The *four-fifths rule* flags a ratio under
  {FOUR_FIFTHS}; the verdict says "below four-fifths" only when the whole 95 % interval is under it.
- **Intervals**: 95 % percentile bootstrap over offers (1,000 resamples): the applications of one offer are
  decided together, so offers are resampled, not applications.
- **Small groups**: fewer than {MIN_APPLICATIONS} applications or {MIN_CANDIDATES} distinct candidates → "{TOO_FEW}".
  They are shown with their counts, never hidden, and never taken as the reference group.
- **Exposure**: each group's share of the top-k places of the candidate rankings served (the recommendation log),
  against its share of the eligible pool (distinct applicants of the audited offers not rejected on statutory
  grounds). A ratio above 1 means more visibility than the group's weight in the pool.
- **Model**: the same applications scored by the model version named above. *Like-for-like shortlist*: for each
  offer, the model shortlists as many eligible applicants as the recruiters did, best scores first; its rates and
  ratios sit beside the recruiters' so that one sees how far the model reproduces the history's gaps.
  *Calibration*: the score turned into a chance of being shortlisted by one logistic fit over all groups; per
  group, the observed rate minus the mean predicted chance (0: calibrated; negative: the model promises more than
  the recruiters gave).

## What this report cannot show
- Correlation, not cause: a gap between groups may come from differences in qualifications, statutory
  eligibility, place or career that the audit does not hold constant; a gap calls for a look at the files, it does
  not prove discrimination, and the absence of a gap does not prove its absence (e.g. in who applies at all).
- Only candidates present in the sensitive-attributes file are counted; the others are counted apart.
- Attributes are taken as declared; the file's quality (missing, self-declared, outdated values) bounds the audit.
- Several attributes and groups are tested at once: some intervals will miss by chance (1 in 20 at 95 %).
"""


def write_report(audit: Audit, folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    lines = [f"# Bias audit — {audit.employer_id or 'all employers'}", "", *_summary(audit), "", MEANING]
    for result in audit.attributes:
        lines += _attribute_section(result, folder)
    path = folder / "audit.md"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    (folder / "audit.json").write_text(json.dumps(summary(audit), indent=1, ensure_ascii=False), encoding="utf-8")
    return path


def summary(audit: Audit) -> dict[str, Any]:
    """What the model card quotes: per attribute and group, the shortlist ratio in the history and the model's."""
    rows = []
    for a in audit.attributes:
        model = {r.group: r for r in a.model_selection}
        for r in a.selection:
            rows.append(
                {
                    "attribute": a.attribute,
                    "group": r.group,
                    "history": str(r.ratios["shortlisted"]),
                    "model": str(model[r.group].ratios["model_shortlisted"]) if r.group in model else "—",
                    "verdict": r.verdict,
                }
            )
    return {
        "employer_id": audit.employer_id,
        "since": audit.since,
        "until": audit.until,
        "applications": audit.applications,
        "model_version": audit.model_version,
        "rows": rows,
    }


def _summary(audit: Audit) -> list[str]:
    return [
        f"- Period: offers published {audit.since or 'from the start'} → {audit.until or 'today'}",
        f"- Decided applications: {audit.applications:,} over {audit.offers:,} offers; without attributes (left "
        f"out): {audit.without_attributes:,}",
        f"- Candidate rankings served in the period (recommendation log): {audit.served_rankings:,}",
        f"- Model version: {audit.model_version or 'none (history only)'}",
        *[f"- Note: {n}" for n in audit.notes],
    ]


def _selection_table(rows: list[GroupRow], outcomes: tuple[str, ...], titles: tuple[str, ...]) -> list[str]:
    head = (
        "| group | applications | candidates | " + " | ".join(f"{t} rate | {t} ratio" for t in titles) + " | verdict |"
    )
    lines = [head, "|" + "---|" * (4 + 2 * len(titles))]
    for r in rows:
        cells = " | ".join(f"{r.rates[o]} | {r.ratios[o]}" for o in outcomes)
        lines.append(f"| {r.group} | {r.applications:,} | {r.candidates:,} | {cells} | {r.verdict} |")
    return lines


def _attribute_section(result: AttributeAudit, folder: Path) -> list[str]:
    name = result.attribute
    lines = ["", f"## {name}", "", "### History: recruiters' decisions", ""]
    lines += _selection_table(result.selection, ("shortlisted", "hired"), ("shortlist", "hire"))
    plot = _plot_rates(result, folder / f"{name}_selection.png")
    lines += ["", f"![selection rates by {name}]({plot.name})", "", "### Exposure in the top-k served", ""]
    lines += _exposure_table(result.served_exposure) if result.served_exposure else ["No ranking served in the period."]
    if result.model_selection:
        lines += ["", "### The model against the history (like-for-like shortlist)", ""]
        lines += _selection_table(result.model_selection, ("shortlisted", "model_shortlisted"), ("recruiters", "model"))
        lines += ["", "### Exposure in the model's top-k (eligible only, as served)", ""]
        lines += _exposure_table(result.model_exposure)
        lines += ["", "### Calibration", "", "| group | applications | predicted | observed | observed − predicted |"]
        lines += ["|---|---|---|---|---|"]
        for c in result.calibration:
            flag = "" if c.enough else f" ({TOO_FEW})"
            lines.append(f"| {c.group}{flag} | {c.applications:,} | {c.predicted:.3f} | {c.observed} | {c.gap} |")
    return lines


def _exposure_table(rows: list) -> list[str]:
    lines = [
        "| group | places served | share served | eligible pool | pool share | exposure ratio |",
        "|---|---|---|---|---|---|",
    ]
    for e in rows:
        lines.append(
            f"| {e.group} | {e.served:,} | {e.served_share} | {e.pool:,} | {e.pool_share:.3f} | {e.ratio:.2f} |"
        )
    return lines


def _plot_rates(result: AttributeAudit, path: Path) -> Path:
    rows = result.selection
    fig, ax = plt.subplots(figsize=(7, 0.5 + 0.45 * len(rows) * 2))
    y = np.arange(len(rows))
    series = [("shortlisted", "shortlist", result.selection)]
    if result.model_selection:
        series.append(("model_shortlisted", "model's like-for-like shortlist", result.model_selection))
    series.append(("hired", "hire", result.selection))
    for k, (outcome, label, source) in enumerate(series):
        values = np.array([r.rates[outcome].value for r in source])
        low = np.array([r.rates[outcome].low for r in source])
        high = np.array([r.rates[outcome].high for r in source])
        offset = (k - (len(series) - 1) / 2) * 0.25
        ax.errorbar(values, y + offset, xerr=[values - low, high - values], fmt="o", capsize=3, label=label)
    ax.set_yticks(y, [r.group + ("" if r.enough else f"\n({TOO_FEW})") for r in rows])
    ax.set_xlabel("selection rate among decided applications (95 % bootstrap over offers)")
    ax.set_title(f"Selection rates by {result.attribute}")
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path
