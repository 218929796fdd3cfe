"""`simulate_dataset`: a whole simulated recruitment history written in the loaders' formats (docs/formats.md).

Memory stays bounded at any scale: the population lives in numpy arrays (a few hundred bytes per candidate), CVs
are written one by one, applications batch by batch; nothing accumulates per application.
"""

from __future__ import annotations

import csv
import json
import random
import shutil
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from ontology.catalogue import Catalogue, load_catalogue
from ontology.eligibility import CATEGORIES, STATUSES, VERSANTS
from simulator import geo
from simulator.offers import Offers, make_offers
from simulator.population import (
    EMPLOYER_KINDS,
    SNAPSHOT,
    STYLE_DIM,
    Candidates,
    Employers,
    make_candidates,
    make_employers,
)
from simulator.process import (
    WEIGHTS,
    Mechanisms,
    World,
    eligible,
    oracle_application_score,
    recruitment_history,
    signals,
    utility,
)
from simulator.repertory import EDGE_KINDS, Repertory, compile_repertory
from simulator.sensitive import ATTRIBUTES, Bias, SensitiveAttributes, make_sensitive
from simulator.text import Writer, candidate_ref, cv_record, employer_id, employer_names, offer_id, offer_record, siret

MATRIX_LIMIT = 10_000_000  # offers × candidates up to which truth/utility_matrix.npy holds every pair


@dataclass(frozen=True)
class Scale:
    candidates: int
    offers: int
    employers: int
    applications_per_offer: float


SCALES = {
    "tiny": Scale(300, 30, 20, 25.0),
    "demo": Scale(5_000, 1_000, 150, 40.0),
    "large": Scale(1_000_000, 100_000, 10_000, 100.0),
}


def parse_scale(scale: str | int) -> Scale:
    """A named scale, or a number of candidates with the demo's proportions (applications per offer grow slowly)."""
    if isinstance(scale, str) and scale in SCALES:
        return SCALES[scale]
    try:
        n = int(scale)
    except ValueError:
        raise ValueError(f"unknown scale {scale!r}: expected tiny, demo, large or a number of candidates") from None
    if n < 10:
        raise ValueError(f"scale {n} is too small: at least 10 candidates")
    per_offer = 40.0 + 60.0 * np.clip(np.log10(max(n, 5000) / 5000) / np.log10(200), 0, 1)
    return Scale(n, max(5, n // 10), max(10, n // 100 + 100), float(per_offer))


@dataclass
class SimulationSummary:
    out: Path
    scale: Scale
    seed: int
    employers: int
    candidates: int
    offers: int
    applications: int
    hires: int
    seconds: float


def _progress() -> Progress:
    return Progress(
        TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(), transient=True
    )


@contextmanager
def _csv(path: Path, header: list[str]) -> Iterator[Any]:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(header)
        yield writer


def _write_employers(out: Path, employers: Employers, names: list[str], seed: int) -> None:
    with _csv(out / "employers.csv", ["employer_id", "name", "kind", "siret", "departement", "size"]) as w:
        for i in range(len(employers)):
            key = siret(random.Random(f"{seed}:siret:{i}"))
            dep = geo.CODES[int(employers.departement[i])]
            w.writerow([employer_id(i), names[i], EMPLOYER_KINDS[int(employers.kind[i])], key, dep, employers.size[i]])
    with _csv(
        out / "truth" / "employers.csv", ["employer_id", "cluster"] + [f"pref{k}" for k in range(STYLE_DIM)]
    ) as w:
        for i in range(len(employers)):
            w.writerow([employer_id(i), employers.cluster[i], *(f"{x:.6f}" for x in employers.preference[i])])


def _write_offers(out: Path, writer: Writer, offers: Offers, progress: Progress) -> None:
    rep = writer.rep
    task = progress.add_task("offers", total=len(offers))
    with (
        (out / "offers.json").open("w", encoding="utf-8") as handle,
        _csv(out / "truth" / "offers.csv", ["offer_id", "scheme", "code", "required_skills"]) as truth,
    ):
        handle.write("[\n")
        for o in range(len(offers)):
            handle.write((",\n" if o else "") + json.dumps(offer_record(writer, o, offers), ensure_ascii=False))
            occ = rep.occupations[int(offers.occupation[o])]
            truth.writerow([offer_id(o), occ.scheme, occ.code, " ".join(rep.skill_uris[s] for s in offers.skills(o))])
            progress.advance(task)
        handle.write("\n]\n")


def _candidate_truth(rep: Repertory, c: Candidates, i: int) -> list[Any]:
    titulaire = STATUSES[int(c.status[i])] == "titulaire"
    cadre = rep.cadres[int(c.cadre[i])] if titulaire else None
    previous = rep.cadres[int(c.previous_cadre[i])].code if c.previous_cadre[i] >= 0 else ""
    return [
        candidate_ref(i),
        STATUSES[int(c.status[i])],
        VERSANTS[int(c.versant[i])] if titulaire else "",
        CATEGORIES[int(c.categorie[i])] if titulaire else "",
        cadre.code if cadre else "",
        cadre.grades[int(c.grade_rank[i])].code if cadre else "",
        int(c.echelon[i]) if titulaire else "",
        previous,
        int(c.diploma[i]),
        geo.CODES[int(c.home[i])],
        int(c.employed[i]),
        f"{c.quality[i]:.6f}",
        *(f"{x:.6f}" for x in c.style[i]),
    ]


CANDIDATE_TRUTH = [
    "candidate_ref",
    "status",
    "versant",
    "categorie",
    "cadre_emplois",
    "grade",
    "echelon",
    "previous_cadre_emplois",
    "diploma_level",
    "departement",
    "employed",
    "quality",
    *(f"style{k}" for k in range(STYLE_DIM)),
]


def _write_candidates(out: Path, writer: Writer, c: Candidates, progress: Progress) -> None:
    rep = writer.rep
    task = progress.add_task("CVs", total=len(c))
    careers_header = ["candidate_ref", "order", "scheme", "code", "start", "end", "employer_id", "transition"]
    with (
        _csv(out / "truth" / "candidates.csv", CANDIDATE_TRUTH) as people,
        _csv(out / "truth" / "careers.csv", careers_header) as careers,
        _csv(out / "truth" / "candidate_skills.csv", ["candidate_ref", "skills"]) as skills,
    ):
        for i in range(len(c)):
            cv, steps = cv_record(writer, c, i)
            (out / "cvs" / f"{candidate_ref(i)}.json").write_text(json.dumps(cv, ensure_ascii=False), encoding="utf-8")
            people.writerow(_candidate_truth(rep, c, i))
            for k, step in enumerate(steps):
                careers.writerow([*step, _transition(c, i, k)])
            held = np.unique(np.concatenate([rep.skills_of(int(o)) for o in c.career[i, : c.n_steps[i]]]))
            skills.writerow([candidate_ref(i), " ".join(map(str, held))])
            progress.advance(task)


def _transition(c: Candidates, i: int, k: int) -> str:
    return "start" if k == 0 else EDGE_KINDS[int(c.step_kind[i, k])]


APPLICATIONS = ["application_id", "offer_id", "candidate_ref", "applied_at", "stage", "updated_at", "reason"]
UTILITIES = ["application_id", "offer_id", "candidate_ref", "eligible", "utility", *WEIGHTS]


def _write_applications(out: Path, world: World, mean_apps: float, progress: Progress) -> tuple[int, int]:
    task = progress.add_task("applications", total=len(world.offers))
    count = hires = 0
    with (
        _csv(out / "applications.csv", APPLICATIONS) as apps,
        _csv(out / "truth" / "utilities.csv", UTILITIES) as truth,
    ):
        for batch in recruitment_history(world, mean_apps):
            ids = [f"APP-{count + k + 1:09d}" for k in range(len(batch))]
            offers = [offer_id(int(o)) for o in batch.offer]
            refs = [candidate_ref(int(c)) for c in batch.candidate]
            apps.writerows(
                zip(
                    ids,
                    offers,
                    refs,
                    batch.applied.astype(str),
                    batch.stage,
                    batch.updated.astype(str),
                    batch.reason,
                    strict=True,
                )
            )
            numbers = [np.char.mod("%.6f", batch.utility)] + [np.char.mod("%.6f", batch.parts[k]) for k in WEIGHTS]
            truth.writerows(zip(ids, offers, refs, batch.eligible.astype(int), *numbers, strict=True))
            count += len(batch)
            hires += int((batch.stage == "hired").sum())
            progress.advance(task, len(np.unique(batch.offer)))
    return count, hires


def _write_matrix(out: Path, world: World) -> bool:
    """Every candidate's latent utility for every offer (rows: offers, columns: candidates), when it fits."""
    n_c, n_o = len(world.candidates), len(world.offers)
    if n_c * n_o > MATRIX_LIMIT:
        return False
    everyone = np.arange(n_c)
    utilities, wishes = [], []
    for o in range(n_o):
        parts = signals(world, o, everyone)
        utilities.append(utility(parts).astype(np.float32))
        wishes.append(
            oracle_application_score(world, o, parts, eligible(world, o, everyone), everyone).astype(np.float32)
        )
    np.save(out / "truth" / "utility_matrix.npy", np.vstack(utilities))
    np.save(out / "truth" / "application_matrix.npy", np.vstack(wishes))
    return True


def _write_sensitive(out: Path, sensitive: SensitiveAttributes) -> None:
    """The protected attributes, in truth/ only (docs/simulation.md): the loaders never read them."""
    with _csv(out / "truth" / "sensitive.csv", ["candidate_ref", *ATTRIBUTES]) as w:
        w.writerows([candidate_ref(i), *sensitive.labels(i)] for i in range(len(sensitive)))


def _world(
    rep: Repertory, size: Scale, seed: int, bias: Bias | None, mechanisms: Mechanisms
) -> tuple[World, SensitiveAttributes]:
    """The world before its history, from the seed's streams (`simulate_dataset` and `replay_world` share them)."""
    employers = make_employers(size.employers, np.random.default_rng([seed, 1]))
    candidates = make_candidates(rep, size.candidates, np.random.default_rng([seed, 2]))
    offers = make_offers(rep, employers, size.offers, np.random.default_rng([seed, 3]))
    sensitive = make_sensitive(candidates, np.random.default_rng([seed, 6]))
    penalty = None if bias is None else bias.penalty * sensitive.mask(bias)
    world = World(rep, employers, candidates, offers, seed, shortlist_penalty=penalty, mechanisms=mechanisms)
    return world, sensitive


def replay_world(folder: Path, catalogue: Catalogue | None = None) -> World:
    """The world as a dataset's history left it, rebuilt from `truth/manifest.json` (seed, scale, bias,
    mechanisms) by replaying the same streams without writing anything: `simulator.process.signals` and
    `utility` on it give, for any pair, what `truth/utility_matrix.npy` holds where it is written (up to
    MATRIX_LIMIT pairs). It runs the history again without writing it, so it costs less than `simulate_dataset`."""
    manifest = json.loads((folder / "truth" / "manifest.json").read_text(encoding="utf-8"))
    size = Scale(**manifest["scale"])
    bias = manifest.get("bias")
    world, _ = _world(
        compile_repertory(catalogue or load_catalogue()),
        size,
        int(manifest["seed"]),
        None if bias is None else Bias(bias["attribute"], bias["value"], float(bias["shortlist_penalty"])),
        Mechanisms(**manifest.get("mechanisms", {})),
    )
    for _ in recruitment_history(world, size.applications_per_offer):
        pass
    return world


def simulate_dataset(
    out: Path,
    scale: str | int,
    seed: int,
    catalogue: Catalogue | None = None,
    quiet: bool = False,
    bias: Bias | None = None,
    mechanisms: Mechanisms | None = None,
) -> SimulationSummary:
    """Write a simulated recruitment history under `out` (replaced if it exists) and return its counts. `bias`
    makes recruiters shortlist one group less at equal utility (simulator/sensitive.py); None: no bias."""
    started = time.perf_counter()
    size = parse_scale(scale)
    rep = compile_repertory(catalogue or load_catalogue())
    world, sensitive = _world(rep, size, seed, bias, mechanisms or Mechanisms())
    employers, candidates, offers = world.employers, world.candidates, world.offers
    if out.exists():
        shutil.rmtree(out)
    (out / "cvs").mkdir(parents=True)
    (out / "truth").mkdir()
    names, towns = employer_names(employers, seed)
    writer = Writer(rep, employers, names, towns, seed)
    with _progress() as progress:
        progress.disable = quiet
        _write_employers(out, employers, names, seed)
        _write_offers(out, writer, offers, progress)
        _write_candidates(out, writer, candidates, progress)
        _write_sensitive(out, sensitive)
        applications, hires = _write_applications(out, world, size.applications_per_offer, progress)
    with _csv(out / "truth" / "skills.csv", ["index", "uri", "label"]) as skills:
        skills.writerows((k, uri, rep.skill_labels[k]) for k, uri in enumerate(rep.skill_uris))
    matrix = _write_matrix(out, world)
    summary = SimulationSummary(
        out,
        size,
        seed,
        len(employers),
        len(candidates),
        len(offers),
        applications,
        hires,
        time.perf_counter() - started,
    )
    manifest = {
        "seed": seed,
        "scale": asdict(size),
        "snapshot": str(SNAPSHOT),
        "weights": WEIGHTS,
        "counts": {k: getattr(summary, k) for k in ("employers", "candidates", "offers", "applications", "hires")},
        "utility_matrix": matrix,
    }
    if bias is not None:  # absent without a bias: the default run's manifest stays as it was
        manifest["bias"] = {"attribute": bias.attribute, "value": bias.value, "shortlist_penalty": bias.penalty}
    if mechanisms is not None and mechanisms != Mechanisms():  # likewise: the ablation's switched-off mechanisms
        manifest["mechanisms"] = asdict(mechanisms)
    (out / "truth" / "manifest.json").write_text(json.dumps(manifest, indent=1) + "\n", encoding="utf-8")
    return summary
