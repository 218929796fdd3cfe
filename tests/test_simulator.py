"""The simulated recruitment history (issue 5): formats, invariants against the real catalogue, documented ranges,
determinism, and the report. Everything runs on the `tiny` scale (and one run of 2,000 candidates)."""

from __future__ import annotations

import csv
import hashlib
import itertools
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from gnn import truth
from ontology.catalogue import Catalogue, load_catalogue
from ontology.eligibility import StatutoryProfile, StatutoryRequirement, check_eligibility
from simulator import geo
from simulator.dataset import SimulationSummary, parse_scale, simulate_dataset
from simulator.offers import make_offers
from simulator.population import make_candidates, make_employers
from simulator.process import World, eligible
from simulator.repertory import CATEGORIES, VERSANTS, compile_repertory
from simulator.report import distributions
from vivier.cli import app

STAGES = {"received", "shortlisted", "interviewed", "offered", "hired", "rejected", "withdrawn"}


@pytest.fixture(scope="module")
def catalogue() -> Catalogue:
    return load_catalogue()


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory, catalogue: Catalogue) -> SimulationSummary:
    return simulate_dataset(tmp_path_factory.mktemp("sim") / "tiny", "tiny", seed=7, catalogue=catalogue, quiet=True)


@pytest.fixture(scope="module")
def medium(tmp_path_factory: pytest.TempPathFactory, catalogue: Catalogue) -> SimulationSummary:
    return simulate_dataset(tmp_path_factory.mktemp("sim") / "2000", 2000, seed=3, catalogue=catalogue, quiet=True)


def rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def offers_of(folder: Path) -> list[dict]:
    return json.loads((folder / "offers.json").read_text(encoding="utf-8"))


def test_files_follow_formats_md(tiny: SimulationSummary) -> None:
    out = tiny.out
    employers = rows(out / "employers.csv")
    assert list(employers[0]) == ["employer_id", "name", "kind", "siret", "departement", "size"]
    assert {e["kind"] for e in employers} <= {"commune", "epci", "departement", "region", "etat", "hopital"}
    assert all(e["departement"] in geo.CODES and len(e["siret"]) == 14 and int(e["size"]) > 0 for e in employers)
    offers = offers_of(out)
    required = {"offer_id", "title", "employer_id", "description", "departement", "published_at", "contract"}
    employer_ids = {e["employer_id"] for e in employers}
    for offer in offers:
        assert required <= offer.keys() and offer["employer_id"] in employer_ids
        assert offer["contract"] in {"titulaire", "contractuel", "titulaire_ou_contractuel"}
        assert offer["published_at"] < offer["closes_at"] and offer["versant"] in VERSANTS
    cvs = sorted((out / "cvs").glob("*.json"))
    assert len(cvs) == tiny.candidates
    for path in cvs[:50]:
        cv = json.loads(path.read_text(encoding="utf-8"))
        assert cv["meta"]["candidate_ref"] == path.stem
        assert cv["basics"]["name"] and "@" in cv["basics"]["email"] and cv["basics"]["phone"]  # for the loaders
        assert cv["work"] and all("position" in w and "startDate" in w for w in cv["work"])
    apps = rows(out / "applications.csv")
    assert list(apps[0]) == [
        "application_id",
        "offer_id",
        "candidate_ref",
        "applied_at",
        "stage",
        "updated_at",
        "reason",
    ]
    refs, offer_ids = {p.stem for p in cvs}, {o["offer_id"]: o for o in offers}
    for a in apps:
        assert a["stage"] in STAGES and a["candidate_ref"] in refs and a["offer_id"] in offer_ids
        assert offer_ids[a["offer_id"]]["published_at"] <= a["applied_at"] <= a["updated_at"] <= "2025-06-30"
    assert len({a["application_id"] for a in apps}) == len(apps) == tiny.applications


def test_every_code_exists_in_the_catalogue(tiny: SimulationSummary, catalogue: Catalogue) -> None:
    cadres = {g.cadre_code for g in catalogue.grades.values()}
    for offer in offers_of(tiny.out):
        if "rmfp_code" in offer:
            catalogue.occupation("RMFP", offer["rmfp_code"])
        if "rome_appellation" in offer:
            assert offer["rome_appellation"] in catalogue.appellation_to_fiche
        if "cadre_emplois" in offer:
            assert offer["cadre_emplois"] in cadres
        if "grade" in offer:
            assert catalogue.grade(offer["grade"]).cadre_code == offer["cadre_emplois"]
    for step in rows(tiny.out / "truth" / "careers.csv"):
        catalogue.occupation(step["scheme"], step["code"])
    for person in rows(tiny.out / "truth" / "candidates.csv"):
        if person["status"] == "titulaire":
            grade = catalogue.grade(person["grade"])
            assert (grade.cadre_code, grade.versant, grade.categorie) == (
                person["cadre_emplois"],
                person["versant"],
                person["categorie"],
            )
            assert 1 <= int(person["echelon"]) <= max(len(grade.indices), 10)
    labels = {s.label for s in catalogue.skills.values()}
    cv = json.loads(next((tiny.out / "cvs").glob("*.json")).read_text(encoding="utf-8"))
    assert set(cv["skills"][0]["keywords"]) <= labels  # real savoir-faire / connaissance labels


def _allowed(catalogue: Catalogue) -> set[tuple[str, str, str, str]]:
    """Every transition docs/simulation.md allows, computed from the catalogue independently of the simulator."""
    allowed = {("ROME", m.source_code, "ROME", m.target_code) for m in catalogue.mobilities}
    rmfp = catalogue.occupations_of("RMFP")
    for a in rmfp:
        for b in rmfp:
            if (a.domain, a.family) == (b.domain, b.family):
                allowed.add(("RMFP", a.code, "RMFP", b.code))
    rome_moves = {(m.source_code, m.target_code) for m in catalogue.mobilities}
    for r, fiches in catalogue.rmfp_to_rome.items():
        for f in fiches:
            allowed |= {("RMFP", r, "ROME", f), ("ROME", f, "RMFP", r)}
            for r2, fiches2 in catalogue.rmfp_to_rome.items():
                if any((f, f2) in rome_moves for f2 in fiches2):
                    allowed.add(("RMFP", r, "RMFP", r2))
    return allowed


def test_careers_follow_real_transitions(tiny: SimulationSummary, catalogue: Catalogue) -> None:
    allowed = _allowed(catalogue)
    steps = rows(tiny.out / "truth" / "careers.csv")
    moves = 0
    for before, after in itertools.pairwise(steps):
        if before["candidate_ref"] != after["candidate_ref"]:
            assert after["order"] == "0" and after["transition"] == "start"
            continue
        assert before["end"] == after["start"]  # dated, contiguous steps
        if (before["scheme"], before["code"]) != (after["scheme"], after["code"]):
            assert (before["scheme"], before["code"], after["scheme"], after["code"]) in allowed
            moves += 1
    assert moves > 100


def test_every_hire_is_statutorily_eligible(medium: SimulationSummary) -> None:
    people = {p["candidate_ref"]: p for p in rows(medium.out / "truth" / "candidates.csv")}
    offers = {o["offer_id"]: o for o in offers_of(medium.out)}
    hires = [a for a in rows(medium.out / "applications.csv") if a["stage"] == "hired"]
    assert len(hires) == medium.hires > 50
    for hire in hires:
        p, o = people[hire["candidate_ref"]], offers[hire["offer_id"]]
        profile = StatutoryProfile(
            p["status"],  # type: ignore[arg-type]
            int(p["diploma_level"]),
            p["versant"] or None,
            p["categorie"] or None,
            p["cadre_emplois"] or None,
            p["grade"] or None,
        )
        requirement = StatutoryRequirement(
            o["contract"], o["versant"], o["categorie"], o.get("cadre_emplois"), o.get("grade")
        )
        assert check_eligibility(profile, requirement).eligible, (hire, profile, requirement)


def test_vectorised_eligibility_matches_the_rules(catalogue: Catalogue) -> None:
    rep = compile_repertory(catalogue)
    rng = np.random.default_rng(11)
    employers = make_employers(30, rng)
    people = make_candidates(rep, 400, rng)
    offers = make_offers(rep, employers, 60, rng)
    world = World(rep, employers, people, offers, 11)
    everyone = np.arange(len(people))
    checked = 0
    for o in range(len(offers)):
        fast = eligible(world, o, everyone)
        cadre = int(offers.cadre[o])
        requirement = StatutoryRequirement(
            ("titulaire", "contractuel", "titulaire_ou_contractuel")[int(offers.contract[o])],
            employers.versant(int(offers.employer[o])),
            CATEGORIES[int(offers.categorie[o])],
            rep.cadres[cadre].code if cadre >= 0 else None,
            rep.cadres[cadre].grades[int(offers.grade_rank[o])].code
            if cadre >= 0 and offers.grade_rank[o] >= 0
            else None,
        )
        for i in everyone:
            tit = people.status[i] == 0
            cadre_i = rep.cadres[int(people.cadre[i])] if tit else None
            profile = StatutoryProfile(
                ("titulaire", "contractuel", "prive")[int(people.status[i])],
                int(people.diploma[i]),
                VERSANTS[int(people.versant[i])] if tit else None,
                CATEGORIES[int(people.categorie[i])] if tit else None,
                cadre_i.code if cadre_i else None,
                cadre_i.grades[int(people.grade_rank[i])].code if cadre_i else None,
            )
            assert bool(fast[i]) == check_eligibility(profile, requirement).eligible
            checked += 1
    assert checked == 24_000


def test_distributions_within_documented_ranges(medium: SimulationSummary) -> None:
    """The ranges docs/simulation.md states for a run of a few thousand candidates."""
    figures = distributions(medium.out)
    statuses = dict(s.split(" ") for s in str(figures["candidate status"]).split(", "))
    assert 0.45 <= float(statuses["titulaire"].rstrip("%")) / 100 <= 0.55
    assert 30 <= float(figures["applications per offer (mean)"]) <= 50
    assert 0.80 <= float(figures["share of closed offers with a hire"]) <= 0.97
    assert 0.45 <= float(figures["eligible share of applicants"]) <= 0.80
    assert 2.5 <= float(figures["career steps per candidate"]) <= 5.0


def test_history_matters_employers_hire_alike(medium: SimulationSummary) -> None:
    """An employer's past hires predict its next: they resemble each other more than the offer's other applicants."""
    people = rows(medium.out / "truth" / "candidates.csv")
    style = {p["candidate_ref"]: np.array([float(p[f"style{k}"]) for k in range(6)]) for p in people}
    offers = {o["offer_id"]: o["employer_id"] for o in offers_of(medium.out)}
    apps = rows(medium.out / "applications.csv")
    past: dict[str, list[np.ndarray]] = {}
    hired_sim, others_sim = [], []
    for offer_id in sorted({a["offer_id"] for a in apps}):
        employer = offers[offer_id]
        applicants = [a for a in apps if a["offer_id"] == offer_id]
        hired = [a["candidate_ref"] for a in applicants if a["stage"] == "hired"]
        if past.get(employer) and hired:
            centre = np.mean(past[employer], axis=0)
            hired_sim.append(float(style[hired[0]] @ centre))
            others_sim += [float(style[a["candidate_ref"]] @ centre) for a in applicants if a["stage"] != "hired"]
        past.setdefault(employer, []).extend(style[h] for h in hired)
    assert len(hired_sim) > 30
    assert np.mean(hired_sim) > np.mean(others_sim) + 0.3


def digest(folder: Path) -> str:
    h = hashlib.sha256()
    for path in sorted(p for p in folder.rglob("*") if p.is_file() and "report" not in p.parts):
        h.update(path.relative_to(folder).as_posix().encode())
        h.update(path.read_bytes())
    return h.hexdigest()


@pytest.mark.slow
def test_same_seed_same_bytes_in_another_process(tmp_path: Path, tiny: SimulationSummary) -> None:
    """No dependence on Python's per-process string hashing (set order) or on anything else of the process."""
    env = {**os.environ, "PYTHONHASHSEED": "123"}
    command = [sys.executable, "-m", "vivier.cli", "simulate", "--scale", "tiny", "--seed", "7", "--out"]
    subprocess.run([*command, str(tmp_path / "p")], check=True, env=env, capture_output=True)
    assert digest(tmp_path / "p") == digest(tiny.out)


def test_same_seed_same_bytes(tmp_path: Path, tiny: SimulationSummary, catalogue: Catalogue) -> None:
    again = simulate_dataset(tmp_path / "again", "tiny", seed=7, catalogue=catalogue, quiet=True)
    other = simulate_dataset(tmp_path / "other", "tiny", seed=8, catalogue=catalogue, quiet=True)
    assert digest(again.out) == digest(tiny.out)
    assert digest(other.out) != digest(tiny.out)


def test_truth_utilities_cover_every_application_and_the_full_matrix(tiny: SimulationSummary) -> None:
    utilities = rows(tiny.out / "truth" / "utilities.csv")
    apps = rows(tiny.out / "applications.csv")
    assert [u["application_id"] for u in utilities] == [a["application_id"] for a in apps]
    matrix = np.load(tiny.out / "truth" / "utility_matrix.npy")
    assert matrix.shape == (tiny.offers, tiny.candidates)
    for u in utilities[:200]:  # the matrix holds the same latent utility as the per-application file
        o, c = int(u["offer_id"].split("-")[1]) - 1, int(u["candidate_ref"].split("-")[1]) - 1
        assert matrix[o, c] == pytest.approx(float(u["utility"]), abs=1e-4)


def test_scales() -> None:
    assert parse_scale("demo").candidates == 5000 and parse_scale("large").offers == 100_000
    assert parse_scale("12000").offers == 1200
    with pytest.raises(ValueError, match="unknown scale"):
        parse_scale("huge")


def test_cli_report_writes_table_and_plots(tiny: SimulationSummary) -> None:
    result = CliRunner().invoke(app, ["simulate", "--report", str(tiny.out)])
    assert result.exit_code == 0, result.output
    assert "applications per offer" in result.output
    assert (tiny.out / "report" / "distributions.png").stat().st_size > 10_000
    assert (tiny.out / "report" / "utility.png").exists()
    missing = CliRunner().invoke(app, ["simulate", "--report", str(tiny.out / "nowhere")])
    assert missing.exit_code == 1 and "missing" in missing.output


def test_cli_simulate_writes_a_dataset(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["simulate", "--scale", "40", "--seed", "2", "--out", str(tmp_path / "d")])
    assert result.exit_code == 0, result.output
    assert "applications" in result.output
    assert (tmp_path / "d" / "applications.csv").exists() and len(list((tmp_path / "d" / "cvs").iterdir())) == 40
    bad = CliRunner().invoke(app, ["simulate", "--scale", "huge", "--out", str(tmp_path / "x")])
    assert bad.exit_code == 2 and "unknown scale" in bad.output


def test_talent_pool_and_mechanism_switches(catalogue: Catalogue) -> None:
    """Runners-up are re-contacted by their employer (mechanism b) and the switches turn each mechanism off."""
    from simulator.process import Mechanisms, recruitment_history, signals

    rep = compile_repertory(catalogue)
    employers = make_employers(20, np.random.default_rng([3, 1]))
    people = make_candidates(rep, 1500, np.random.default_rng([3, 2]))
    offers = make_offers(rep, employers, 300, np.random.default_rng([3, 3]))
    full = World(rep, employers, people, offers, 3)
    applicants: dict[int, set[int]] = {int(o): set() for o in range(len(offers))}
    for batch in recruitment_history(full, 25.0):
        for o, c in zip(batch.offer.tolist(), batch.candidate.tolist(), strict=True):
            applicants[o].add(c)
    invited = [(o, set(full.recontactable[o].tolist())) for o in range(len(offers)) if len(full.recontactable[o])]
    assert invited, "no offer found a runner-up to re-contact"
    came = sum(len(pool & applicants[o]) for o, pool in invited) / sum(len(pool) for _, pool in invited)
    assert 0.2 <= came <= 0.6  # RECONTACT_RATE 0.25, plus those who would have applied anyway
    off = World(rep, employers, people, offers, 3, mechanisms=Mechanisms.without("employer_memory"))
    for _ in recruitment_history(off, 25.0):
        pass
    assert not any(len(v) for v in off.recontactable.values())
    assert not np.allclose(off.preference(0), full.preference(0))
    everyone = np.arange(len(people))
    assert not signals(World(rep, employers, people, offers, 3, mechanisms=Mechanisms.without("dossier")), 0, everyone)[
        "quality"
    ].any()
    shared = World(rep, employers, people, offers, 3, mechanisms=Mechanisms.without("shared_taste"))
    same_cluster = np.flatnonzero(employers.cluster == employers.cluster[0])[:2]
    if len(same_cluster) == 2:
        assert not np.allclose(shared._centre[same_cluster[0]], shared._centre[same_cluster[1]])


def test_truth_rows_past_the_matrix_limit_are_the_matrix_rows(tmp_path: Path, tiny: SimulationSummary) -> None:
    """Where the matrices are too large to write (`utility_matrix: false`), `vivier evaluate --truth` computes the
    rows it needs from the replayed world: the same numbers the matrices hold where they fit."""

    folder = tmp_path / tiny.out.name
    shutil.copytree(tiny.out / "truth", folder / "truth", ignore=shutil.ignore_patterns("*.npy"))
    manifest = json.loads((folder / "truth" / "manifest.json").read_text())
    (folder / "truth" / "manifest.json").write_text(json.dumps(manifest | {"utility_matrix": False}))
    assert truth.has_process(folder) and truth.has_process(tiny.out)  # the report's oracle row, replayed too
    for process in (False, True):
        written, replayed = truth._rows(tiny.out, process), truth._rows(folder, process)
        for offer in range(tiny.offers):
            np.testing.assert_array_equal(replayed(offer), written(offer))
    (folder / "truth" / "manifest.json").write_text(json.dumps(manifest))  # the matrix should be there: say so
    with pytest.raises(FileNotFoundError, match=r"utility_matrix\.npy not found"):
        truth._rows(folder, False)
    assert not truth.has_process(folder)
