"""What each mechanism of the simulated recruitment process adds to the oracle (docs/simulation.md).

The oracle is the simulator's own noise-free process: the wish to apply (with the talent pool's invitation) plus
the latent utility, the score `gnn.truth.simulator_process` gives the evaluation. It is measured as the
evaluation measures every ranker: offers with at least one shortlisted applicant, ordered by publication, the
most recent 15 % as the test; each test offer ranks every statutorily eligible candidate (plus its shortlisted
ones); Recall@10 of the shortlisted, mean over test offers with a 95 % bootstrap interval.

Two readings per mechanism, on the same seed:
- *world without it*: the history is simulated again with the mechanism switched off, and its oracle measured;
- *oracle blind to it*: the full history, ranked by an oracle that does not know the mechanism's term (what a
  ranker that cannot learn it loses; the paired difference with the full oracle is over the same test offers).

A last row is the oracle blind to all three (`history`): it knows every content term exactly (true skills, path,
place, experience, eligibility) and nothing a history could teach (no merit, no employer taste, no talent pool).
Its paired difference with the full oracle bounds what any ranker can gain from the history on this test: a
model that must beat a content-and-counts baseline with an interval above 0 needs a good share of it.

    PYTHONPATH=$PWD .venv/bin/python bench/simulation_ablation.py [--scale demo] [--seed 7]
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from functools import cache

import numpy as np
from rich.console import Console
from rich.table import Table

from gnn.metrics import Estimate, bootstrap
from gnn.triage import TRIAGE_K
from ontology.catalogue import load_catalogue
from simulator.dataset import parse_scale
from simulator.offers import make_offers
from simulator.population import make_candidates, make_employers
from simulator.process import (
    _PREF_SCALE,
    REASONS,
    WEIGHTS,
    Mechanisms,
    World,
    application_score,
    eligible,
    oracle_application_score,
    recruitment_history,
    signals,
    utility,
)
from simulator.repertory import Repertory, compile_repertory

TEST_FRACTION = 0.15
POSITIVE_STAGES = {"shortlisted", "interviewed", "offered", "hired"}
POSITIVE_REASONS = {REASONS[k] for k in ("after_shortlist", "after_interview", "declined", "unfilled")}
MECHANISMS = ("dossier", "employer_memory", "shared_taste")


@dataclass
class History:
    world: World
    positives: dict[int, np.ndarray]  # offer → candidates who reached shortlisted or later
    test: np.ndarray
    applicants: dict[int, np.ndarray]  # offer → every candidate who applied


@cache
def repertory() -> Repertory:
    return compile_repertory(load_catalogue())


def simulate(scale: str, seed: int, mechanisms: Mechanisms) -> History:
    """The history in memory, as `simulate_dataset` makes it (same streams), without writing files."""
    size = parse_scale(scale)
    rep = repertory()
    employers = make_employers(size.employers, np.random.default_rng([seed, 1]))
    candidates = make_candidates(rep, size.candidates, np.random.default_rng([seed, 2]))
    offers = make_offers(rep, employers, size.offers, np.random.default_rng([seed, 3]))
    world = World(rep, employers, candidates, offers, seed, mechanisms=mechanisms)
    positives: dict[int, list[np.ndarray]] = {}
    applicants: dict[int, np.ndarray] = {}
    for batch in recruitment_history(world, size.applications_per_offer):
        order = np.argsort(batch.offer, kind="stable")
        keys, starts = np.unique(batch.offer[order], return_index=True)
        applicants.update(zip(keys.tolist(), np.split(batch.candidate[order], starts[1:]), strict=True))
        # The loaders' furthest stage: a runner-up rejected after the shortlist was shortlisted.
        hit = np.isin(batch.stage, list(POSITIVE_STAGES)) | np.isin(batch.reason, list(POSITIVE_REASONS))
        for o in np.unique(batch.offer[hit]).tolist():
            positives.setdefault(o, []).append(batch.candidate[hit & (batch.offer == o)])
    merged = {o: np.unique(np.concatenate(parts)) for o, parts in positives.items()}
    evaluated = np.array(sorted(merged, key=lambda o: (offers.published[o], o)))
    n_test = max(1, round(len(evaluated) * TEST_FRACTION))
    return History(world, merged, evaluated[-n_test:], applicants)


def oracle_recall(history: History, blind_to: str | None = None, applicants: bool = False) -> np.ndarray:
    """Recall@10 of the oracle on each test offer; `blind_to` drops one mechanism's term from its score, or all
    three (`"history"`). With `applicants`, the triage task instead: the offer's own applicants ranked by the
    utility (the ineligible last), Recall@TRIAGE_K of those shortlisted or further."""
    w = history.world
    everyone = np.arange(len(w.candidates))
    out = []
    for o in history.test.tolist():
        parts = signals(w, o, everyone)
        elig = eligible(w, o, everyone)
        if blind_to in ("dossier", "history"):
            parts["quality"] = np.zeros(len(everyone))
        if blind_to == "history":
            parts["preference"] = np.zeros(len(everyone))
        elif blind_to in ("employer_memory", "shared_taste"):
            employer = w.offers.employer[o]
            known = w._centre[employer] if blind_to == "employer_memory" else w.preference(o) - w._centre[employer]
            parts["preference"] = (w.candidates.style @ known) * _PREF_SCALE
        parts["noise"] = np.zeros(len(everyone))
        positives = history.positives[o]
        if applicants:  # the triage: the offer's own applicants, by the utility alone
            score, k = utility(parts) - 1e3 * ~elig, TRIAGE_K
            pool = np.zeros(len(everyone), dtype=bool)
            pool[history.applicants[o]] = True
        else:
            if blind_to in ("employer_memory", "history"):  # nor which runners-up the employer invites again
                wish = application_score(parts, elig)
            else:
                wish = oracle_application_score(w, o, parts, elig, everyone)
            score, k = wish + utility(parts), 10
            pool = elig.copy()
            pool[positives] = True
        ranked = everyone[pool][np.argsort(-score[pool], kind="stable")][:k]
        out.append(np.isin(positives, ranked).mean())
    return np.array(out)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--scale", default="demo")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    full = simulate(args.scale, args.seed, Mechanisms())
    reference = oracle_recall(full)
    table = Table(title=f"Oracle Recall@10 by mechanism ({args.scale}, seed {args.seed}, {len(full.test)} test offers)")
    for column in ("variant", "world without it", "oracle blind to it", "paired: full − blind"):
        table.add_column(column)
    table.add_row("all mechanisms (the simulator)", str(bootstrap(reference)), "", "")
    for name in MECHANISMS:
        world_without = oracle_recall(simulate(args.scale, args.seed, Mechanisms.without(name)))
        blind = oracle_recall(full, blind_to=name)
        table.add_row(
            f"without {name}", str(bootstrap(world_without)), str(bootstrap(blind)), str(_paired(reference, blind))
        )
    world_without = oracle_recall(simulate(args.scale, args.seed, Mechanisms(False, False, False)))
    blind = oracle_recall(full, blind_to="history")
    table.add_row(
        "without all three (history)",
        str(bootstrap(world_without)),
        str(bootstrap(blind)),
        str(_paired(reference, blind)),
    )
    Console().print(table)
    _triage_table(full, args)
    print(f"weights: {WEIGHTS}")


def _triage_table(full: History, args: argparse.Namespace) -> None:
    """The same oracle readings on the triage task: ranking an offer's applicants, where the utility (and so the
    history's terms) decides who is shortlisted, rather than the wish to apply."""
    reference = oracle_recall(full, applicants=True)
    table = Table(title=f"Oracle Recall@5 among each test offer's applicants ({args.scale}, seed {args.seed})")
    for column in ("oracle", "Recall@5", "paired: full − blind"):
        table.add_column(column)
    table.add_row("knows every mechanism", str(bootstrap(reference)), "")
    for name in (*MECHANISMS, "history"):
        blind = oracle_recall(full, blind_to=name, applicants=True)
        label = "blind to all three (history)" if name == "history" else f"blind to {name}"
        table.add_row(label, str(bootstrap(blind)), str(_paired(reference, blind)))
    Console().print(table)


def _paired(a: np.ndarray, b: np.ndarray) -> Estimate:
    return bootstrap(a - b)


if __name__ == "__main__":
    main()
