"""The triage test: each method ranks a test offer's *own applicants*, the task a recruiter faces once the
applications are in, beside the main test's ranking of every eligible candidate (gnn/evaluate.py).

Why a second test: in the main test, who applies decides most of Recall@10 (place, career path and skills, which
the pair facts carry), while what a recruitment history can teach (a candidate's merit as other recruiters judged
it, an employer's taste and talent pool, tastes shared by similar employers) decides who is *shortlisted among
the applicants*. `bench/simulation_ablation.py` measures the simulator's own process both ways: knowing the three
history mechanisms adds little to its Recall@10 over the eligible pool and much to its Recall@5 among applicants.

The same scores as the main test are read (no refit): for each test offer with more than TRIAGE_K applicants and
both outcomes among them, the applicants are ranked by each method's score (candidates a method leaves out of its
pool last, ties at random), and the shortlisted-or-later ones are the targets.
"""

from __future__ import annotations

import numpy as np

from gnn.export import GraphExport
from gnn.metrics import bootstrap, markdown_table, query_metrics, ranks

TRIAGE_K = 5
TRIAGE_METRICS = (f"recall@{TRIAGE_K}", "auc")


def triage_metrics(
    export: GraphExport, offers: np.ndarray, scores: np.ndarray, rng: np.random.Generator
) -> list[dict[str, float]]:
    """Recall@TRIAGE_K and AUC of each offer's shortlisted applicants among all its applicants (`scores`: one row
    per offer over every candidate; -inf outside the method's pool). An offer with TRIAGE_K applicants or fewer,
    or with one outcome only, is skipped for every method alike, so their lists cover the same offers in order."""
    apps = export.applications
    out = []
    for i, offer in enumerate(offers.tolist()):
        mine = apps.of_offer(offer)
        applicants = np.unique(apps.candidate[mine])
        shortlisted = np.unique(apps.candidate[mine][apps.positive[mine]])
        if len(applicants) <= TRIAGE_K or not 0 < len(shortlisted) < len(applicants):
            continue
        row = np.nan_to_num(scores[i][applicants].astype(np.float64), nan=-np.inf)
        positive_ranks = ranks(row, np.searchsorted(applicants, shortlisted), rng)
        out.append(
            {
                f"recall@{TRIAGE_K}": float(np.mean(positive_ranks <= TRIAGE_K)),
                "auc": query_metrics(positive_ranks, len(applicants))["auc"],
            }
        )
    return out


def triage_section(
    per_offer: dict[str, dict[str, np.ndarray]], paired: tuple[tuple[str, str], ...], upper: str | None
) -> list[str]:
    """The report's triage section: each method's means with bootstrap intervals, and the paired differences of
    `paired` over the same offers."""
    if not per_offer:
        return []
    count = len(next(iter(per_offer.values()))[TRIAGE_METRICS[0]])
    if not count:
        return [
            "## Triage: ranking an offer's own applicants",
            "",
            f"No test offer has more than {TRIAGE_K} applicants with some shortlisted and some not (gnn/triage.py).",
            "",
        ]
    lines = [
        "## Triage: ranking an offer's own applicants",
        "",
        f"The same scores, read over each test offer's applicants only ({count} test offers with more than "
        f"{TRIAGE_K} applicants, some shortlisted and some not; gnn/triage.py): the recruiter's task once the "
        "applications are in, where a candidate's merit and the employer's taste, which only a history shows, "
        "decide who is shortlisted. Targets: the applicants shortlisted or later. Not a bar of issue 13; "
        "`bench/simulation_ablation.py` shows why it is read.",
        "",
        *markdown_table(
            TRIAGE_METRICS, {name: [bootstrap(values[m]) for m in TRIAGE_METRICS] for name, values in per_offer.items()}
        ),
        "",
    ]
    for method, baseline in paired:
        if method in per_offer and baseline in per_offer:
            a, b = per_offer[method], per_offer[baseline]
            diffs = ", ".join(f"{m} {bootstrap(a[m] - b[m])}" for m in TRIAGE_METRICS)
            lines.append(f"- {method} − {baseline}, paired over the same offers: {diffs}")
    if upper is not None and upper in per_offer:
        lines.append(f"- ({upper}: the simulator's own ordering of the applicants, for scale.)")
    return [*lines, ""]
