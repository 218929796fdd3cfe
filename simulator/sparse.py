"""A sparse, mixed-language recruitment history (issue 13): the kind a job platform's log holds, not the public
service's own records. Offers are a title and a place, sometimes a line more, in French or in English (research
bodies and international posts publish in English); profiles are a place only, job titles only, or a title and a
line; most candidates appear for a few weeks and never applied before; applications are the only signal. No
statutory fact is stated, except a catégorie on a few French offers.

The latent process, deliberately simple and documented (docs/any-language.md):
- wish to apply = 2 · same occupation + 1 · same family + 1 · same département + 0.5 · same language, among the
  candidates active on the offer's date (each candidate is active for a few weeks after they arrive);
- utility (who is shortlisted) = 2.5 · same occupation + 1 · same family + 0.8 · same département
  + 0.3 · same language + the candidate's standing (recruiters agree about a candidate across employers)
  + the employer's taste for the candidate's family (an employer keeps hiring the same kind of profile);
- an applicant is shortlisted when utility + noise passes a threshold; the best shortlisted one is hired.

Written in the dataset layout `vivier load dataset` reads (docs/formats.md): employers.csv, offers.json, cvs/
(JSON Resume of the profiles that carry a line of text), candidates.csv (the platform's export of the others: a
place, job titles, or nothing but an id for candidates known only by their applications), applications.csv, and
truth/ (the latent utilities and each record's hidden occupation and language), which the loaders never read.
"""

from __future__ import annotations

import csv
import json
import shutil
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import numpy as np

# family, French title, English title, a French line, an English line
OCCUPATIONS: tuple[tuple[str, str, str, str, str], ...] = (
    (
        "research",
        "Ingénieur de recherche",
        "Research engineer",
        "Appui aux équipes de recherche.",
        "Support research teams with experiments.",
    ),
    (
        "research",
        "Chercheur postdoctoral",
        "Postdoctoral researcher",
        "Projet financé, publications attendues.",
        "Funded project, publications expected.",
    ),
    (
        "research",
        "Technicien de laboratoire",
        "Laboratory technician",
        "Préparation des échantillons.",
        "Sample preparation and lab safety.",
    ),
    ("research", "Biologiste", "Biologist", "Analyses en biologie moléculaire.", "Molecular biology analyses."),
    (
        "data",
        "Data scientist",
        "Data scientist",
        "Modèles d'apprentissage automatique.",
        "Machine learning models on public data.",
    ),
    ("data", "Statisticien", "Statistician", "Enquêtes et traitements statistiques.", "Surveys and statistics."),
    ("data", "Géomaticien", "GIS analyst", "Cartographie et SIG.", "Mapping and geographic information systems."),
    (
        "it",
        "Développeur logiciel",
        "Software developer",
        "Développement d'applications web.",
        "Web application development.",
    ),
    (
        "it",
        "Technicien support informatique",
        "IT support technician",
        "Assistance aux utilisateurs.",
        "User helpdesk and workstations.",
    ),
    (
        "it",
        "Administrateur systèmes et réseaux",
        "Systems administrator",
        "Serveurs et réseaux.",
        "Servers, networks and backups.",
    ),
    ("health", "Infirmier", "Nurse", "Soins en service de médecine.", "Ward nursing care."),
    ("health", "Aide-soignant", "Care assistant", "Soins d'hygiène et de confort.", "Daily patient care."),
    ("health", "Sage-femme", "Midwife", "Suivi de grossesse et accouchements.", "Pregnancy follow-up and births."),
    (
        "admin",
        "Gestionnaire des ressources humaines",
        "HR officer",
        "Carrières et paie des agents.",
        "Staff careers and payroll.",
    ),
    ("admin", "Comptable", "Accountant", "Exécution budgétaire et comptable.", "Budget execution and accounts."),
    (
        "admin",
        "Assistant de direction",
        "Executive assistant",
        "Agenda et courrier de la direction.",
        "Diary and correspondence of the director.",
    ),
    (
        "admin",
        "Acheteur public",
        "Procurement officer",
        "Marchés publics et consultations.",
        "Public procurement and tenders.",
    ),
    (
        "international",
        "Chargé de relations internationales",
        "International relations officer",
        "Partenariats avec des universités étrangères.",
        "Partnerships with universities abroad.",
    ),
    (
        "international",
        "Chef de projet européen",
        "EU project manager",
        "Montage de projets européens.",
        "Horizon Europe project management.",
    ),
    (
        "international",
        "Traducteur",
        "Translator",
        "Traduction de documents officiels.",
        "Translation of official documents.",
    ),
    (
        "technical",
        "Électricien",
        "Electrician",
        "Maintenance des installations électriques.",
        "Electrical installations maintenance.",
    ),
    (
        "technical",
        "Technicien de maintenance",
        "Maintenance technician",
        "Maintenance des bâtiments.",
        "Building maintenance.",
    ),
    ("technical", "Jardinier", "Gardener", "Entretien des espaces verts.", "Parks and green spaces."),
    ("social", "Assistant social", "Social worker", "Accompagnement des familles.", "Support to families."),
    ("social", "Éducateur spécialisé", "Youth worker", "Accompagnement éducatif.", "Educational support for youth."),
    ("social", "Enseignant", "Teacher", "Enseignement en collège.", "Secondary school teaching."),
)
FAMILIES = tuple(dict.fromkeys(o[0] for o in OCCUPATIONS))
ENGLISH_FAMILIES = ("research", "data", "international")  # where English is common on both sides
DEPARTEMENTS = ("75", "69", "13", "31", "33", "35", "44", "59", "67", "34", "38", "06")
CITIES = (
    "Paris",
    "Lyon",
    "Marseille",
    "Toulouse",
    "Bordeaux",
    "Rennes",
    "Nantes",
    "Lille",
    "Strasbourg",
    "Montpellier",
    "Grenoble",
    "Nice",
)
EMPLOYER_STYLES = (  # name pattern, kind, publishes in English (share), favoured families
    ("Institut de recherche {city}", "etat", 0.7, ("research", "data")),
    ("Université de {city}", "etat", 0.5, ("research", "international", "admin")),
    ("Agence internationale {city}", "etat", 0.8, ("international", "data", "it")),
    ("Centre hospitalier de {city}", "hopital", 0.05, ("health", "admin", "technical")),
    ("Mairie de {city}", "commune", 0.0, ("admin", "technical", "social")),
    ("Département {city}", "departement", 0.0, ("social", "admin", "it")),
)
PERIOD_DAYS = 730
START = date(2024, 1, 1)
SHORT_LINES = {
    "fr": ("CDD de 12 mois.", "Poste à pourvoir rapidement.", "Temps complet."),
    "en": ("Fixed-term, 12 months.", "Start as soon as possible.", "Full-time position."),
}
PROFILE_KINDS = ("place_only", "titles_only", "title_line", "summary", "empty")
PROFILE_SHARES = (0.35, 0.25, 0.25, 0.12, 0.03)


@dataclass(frozen=True)
class SparseScale:
    candidates: int
    offers: int
    employers: int
    applicants_per_offer: float = 12.0


SPARSE_SCALES = {"tiny": SparseScale(400, 80, 16), "demo": SparseScale(1_500, 300, 40)}


def parse_sparse_scale(scale: str | int) -> SparseScale:
    if isinstance(scale, str) and scale in SPARSE_SCALES:
        return SPARSE_SCALES[scale]
    try:
        n = int(scale)
    except ValueError:
        raise ValueError(f"unknown scale {scale!r}: expected tiny, demo or a number of candidates") from None
    if n < 50:
        raise ValueError(f"scale {n} is too small for the sparse history: at least 50 candidates")
    return SparseScale(n, max(20, n // 5), max(8, n // 38))


@dataclass
class SparseWorld:
    """The hidden state: every array is indexed by candidate, offer or employer number."""

    occupation: np.ndarray  # candidate → occupation
    previous: np.ndarray  # candidate → an earlier occupation (-1: none)
    home: np.ndarray  # candidate → département index
    english: np.ndarray  # candidate writes in English
    standing: np.ndarray  # candidate's standing, shared by all recruiters
    arrival: np.ndarray  # day the candidate starts looking
    active: np.ndarray  # days they keep looking
    profile: np.ndarray  # index into PROFILE_KINDS
    employer_style: np.ndarray
    employer_dep: np.ndarray
    employer_taste: np.ndarray  # employer × family
    offer_employer: np.ndarray
    offer_occupation: np.ndarray
    offer_english: np.ndarray
    offer_day: np.ndarray
    offer_short: np.ndarray  # the description is a generic line (title and place only)

    def family(self, occupations: np.ndarray) -> np.ndarray:
        return np.array([FAMILIES.index(OCCUPATIONS[o][0]) for o in occupations.tolist()], dtype=int)


def make_world(size: SparseScale, seed: int) -> SparseWorld:
    rng = np.random.default_rng([seed, 13])
    n_c, n_o, n_e = size.candidates, size.offers, size.employers
    dep_weights = np.linspace(2.0, 0.6, len(DEPARTEMENTS))
    dep_weights /= dep_weights.sum()
    occupation = rng.integers(0, len(OCCUPATIONS), n_c)
    same_family = [[j for j, o in enumerate(OCCUPATIONS) if o[0] == OCCUPATIONS[i][0]] for i in range(len(OCCUPATIONS))]
    previous = np.array([rng.choice(same_family[o]) if rng.random() < 0.6 else -1 for o in occupation.tolist()])
    in_english_family = np.isin([OCCUPATIONS[o][0] for o in occupation.tolist()], ENGLISH_FAMILIES)
    style = rng.integers(0, len(EMPLOYER_STYLES), n_e)
    taste = rng.normal(0.0, 0.6, (n_e, len(FAMILIES)))
    offer_employer = rng.integers(0, n_e, n_o)
    offer_occupation = np.empty(n_o, dtype=int)
    for o, e in enumerate(offer_employer.tolist()):
        favoured = EMPLOYER_STYLES[style[e]][3]
        pool = [j for j, occ in enumerate(OCCUPATIONS) if occ[0] in favoured] if rng.random() < 0.8 else []
        offer_occupation[o] = rng.choice(pool) if pool else rng.integers(0, len(OCCUPATIONS))
    english_share = np.array([EMPLOYER_STYLES[s][2] for s in style])[offer_employer]
    return SparseWorld(
        occupation=occupation,
        previous=previous,
        home=rng.choice(len(DEPARTEMENTS), n_c, p=dep_weights),
        english=rng.random(n_c) < np.where(in_english_family, 0.5, 0.15),
        standing=rng.normal(0.0, 0.6, n_c),
        arrival=rng.uniform(-60, PERIOD_DAYS, n_c),
        active=10 + rng.exponential(70, n_c),
        profile=rng.choice(len(PROFILE_KINDS), n_c, p=PROFILE_SHARES),
        employer_style=style,
        employer_dep=rng.choice(len(DEPARTEMENTS), n_e, p=dep_weights),
        employer_taste=taste,
        offer_employer=offer_employer,
        offer_occupation=offer_occupation,
        offer_english=rng.random(n_o) < english_share,
        offer_day=np.sort(rng.uniform(0, PERIOD_DAYS, n_o)),
        offer_short=rng.random(n_o) < 0.45,
    )


def signals(w: SparseWorld, o: int) -> tuple[np.ndarray, np.ndarray]:
    """(wish to apply, utility) of every candidate for offer `o`, noise-free."""
    occ = int(w.offer_occupation[o])
    c_family = w.family(w.occupation)
    o_family = FAMILIES.index(OCCUPATIONS[occ][0])
    same_occ = (w.occupation == occ).astype(float)
    same_family = (c_family == o_family).astype(float)
    same_dep = (w.home == w.employer_dep[w.offer_employer[o]]).astype(float)
    same_lang = (w.english == w.offer_english[o]).astype(float)
    wish = 2.0 * same_occ + 1.0 * same_family + 1.0 * same_dep + 0.5 * same_lang
    utility = (
        2.5 * same_occ
        + 1.0 * same_family
        + 0.8 * same_dep
        + 0.3 * same_lang
        + w.standing
        + w.employer_taste[w.offer_employer[o], c_family]
    )
    return wish, utility


def history(w: SparseWorld, size: SparseScale, seed: int) -> list[tuple[int, int, int, str]]:
    """(offer, candidate, day applied, stage) of every application."""
    rng = np.random.default_rng([seed, 14])
    rows: list[tuple[int, int, int, str]] = []
    for o, day in enumerate(w.offer_day.tolist()):
        active = np.flatnonzero((w.arrival <= day) & (day <= w.arrival + w.active))
        if len(active) == 0:
            continue
        wish, utility = signals(w, o)
        weights = np.exp(wish[active])
        n = min(len(active), 3 + rng.poisson(size.applicants_per_offer - 3))
        applicants = rng.choice(active, n, replace=False, p=weights / weights.sum())
        judged = utility[applicants] + rng.normal(0.0, 0.7, n)
        shortlisted = judged > 2.4
        best = applicants[np.argmax(np.where(shortlisted, judged, -np.inf))] if shortlisted.any() else -1
        for c, short in zip(applicants.tolist(), shortlisted.tolist(), strict=True):
            stage = "hired" if c == best else ("interviewed" if short and rng.random() < 0.5 else "shortlisted")
            if not short:
                stage = "rejected" if rng.random() < 0.7 else "received"
            rows.append((o, c, int(day + rng.integers(0, 20)), stage))
    return rows


def _day(d: int) -> str:
    return (START + timedelta(days=max(0, d))).isoformat()


def offer_ref(o: int) -> str:
    return f"SPO-{o + 1:05d}"


def candidate_ref(c: int) -> str:
    return f"SPC-{c + 1:06d}"


def employer_ref(e: int) -> str:
    return f"SPE-{e + 1:04d}"


def _title(occupation: int, english: bool) -> str:
    return OCCUPATIONS[occupation][2 if english else 1]


def _line(occupation: int, english: bool) -> str:
    return OCCUPATIONS[occupation][4 if english else 3]


def _write_csv(path: Path, header: list[str], rows: list[list[Any]]) -> None:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)


def _offers(w: SparseWorld) -> list[dict[str, Any]]:
    offers = []
    for o in range(len(w.offer_occupation)):
        occ, english, e = int(w.offer_occupation[o]), bool(w.offer_english[o]), int(w.offer_employer[o])
        lang = "en" if english else "fr"
        short = SHORT_LINES[lang][o % len(SHORT_LINES[lang])]
        record: dict[str, Any] = {
            "offer_id": offer_ref(o),
            "title": _title(occ, english),
            "employer_id": employer_ref(e),
            "description": short if w.offer_short[o] else f"{_line(occ, english)} {short}",
            "departement": DEPARTEMENTS[w.employer_dep[e]],
            "published_at": _day(int(w.offer_day[o])),
            "contract": "contractuel" if english else "titulaire_ou_contractuel",
        }
        if not english and o % 5 == 0:
            record["categorie"] = "A" if OCCUPATIONS[occ][0] in ENGLISH_FAMILIES else "B"
        offers.append(record)
    return offers


def _resume(w: SparseWorld, c: int) -> dict[str, Any]:
    english, occ, kind = bool(w.english[c]), int(w.occupation[c]), PROFILE_KINDS[w.profile[c]]
    work = [{"position": _title(occ, english)}]
    if w.previous[c] >= 0:
        work.append({"position": _title(int(w.previous[c]), english)})
    basics: dict[str, Any] = {"label": _title(occ, english), "location": {"city": CITIES[w.home[c]]}}
    basics["location"]["region"] = DEPARTEMENTS[w.home[c]]
    if kind == "summary":  # a line in each language: the mixed CVs of international profiles
        basics["summary"] = f"{_line(occ, english)} {_line(occ, not english)}"
    else:
        basics["summary"] = _line(occ, english)
    return {"basics": basics, "work": work, "meta": {"candidate_ref": candidate_ref(c)}}


def _export_row(w: SparseWorld, c: int) -> list[str]:
    """candidate_ref, titre, postes, departement, ville: the platform's export of a sparse profile."""
    kind, english = PROFILE_KINDS[w.profile[c]], bool(w.english[c])
    if kind == "empty":
        return [candidate_ref(c), "", "", "", ""]
    if kind == "place_only":
        return [candidate_ref(c), "", "", DEPARTEMENTS[w.home[c]], CITIES[w.home[c]]]
    titles = [_title(int(w.occupation[c]), english)]
    if w.previous[c] >= 0:
        titles.append(_title(int(w.previous[c]), english))
    return [candidate_ref(c), "", "; ".join(titles), DEPARTEMENTS[w.home[c]], ""]


def simulate_sparse(out: Path, scale: str | int = "demo", seed: int = 0) -> dict[str, Any]:
    """Write the sparse multilingual history under `out` (replaced if it exists); returns the manifest."""
    size = parse_sparse_scale(scale)
    w = make_world(size, seed)
    applications = history(w, size, seed)
    applied = {c for _, c, _, _ in applications}
    # An empty profile is only exported for someone who applied: with no history, nothing at all is known.
    w.profile[[c for c in range(size.candidates) if PROFILE_KINDS[w.profile[c]] == "empty" and c not in applied]] = 0
    if out.exists():
        shutil.rmtree(out)
    (out / "cvs").mkdir(parents=True)
    (out / "truth").mkdir()
    _write_csv(
        out / "employers.csv",
        ["employer_id", "name", "kind", "siret", "departement", "size"],
        [
            [
                employer_ref(e),
                EMPLOYER_STYLES[s][0].format(city=CITIES[w.employer_dep[e]]) + f" ({e + 1})",
                EMPLOYER_STYLES[s][1],
                "",
                DEPARTEMENTS[w.employer_dep[e]],
                100 + 37 * e,
            ]
            for e, s in enumerate(w.employer_style.tolist())
        ],
    )
    (out / "offers.json").write_text(json.dumps(_offers(w), ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    exported = []
    for c in range(size.candidates):
        if PROFILE_KINDS[w.profile[c]] in ("title_line", "summary"):
            resume = json.dumps(_resume(w, c), ensure_ascii=False, indent=1)
            (out / "cvs" / f"{candidate_ref(c)}.json").write_text(resume + "\n", encoding="utf-8")
        else:
            exported.append(_export_row(w, c))
    _write_csv(out / "candidates.csv", ["candidate_ref", "titre", "postes", "departement", "ville"], exported)
    _write_csv(
        out / "applications.csv",
        ["application_id", "offer_id", "candidate_ref", "applied_at", "stage", "updated_at", "reason"],
        [
            [f"SPA-{k + 1:07d}", offer_ref(o), candidate_ref(c), _day(d), stage, _day(d + 15), ""]
            for k, (o, c, d, stage) in enumerate(applications)
        ],
    )
    return _write_truth(out, w, size, seed, applications)


def _write_truth(
    out: Path, w: SparseWorld, size: SparseScale, seed: int, applications: list[tuple[int, int, int, str]]
) -> dict[str, Any]:
    wishes, utilities = zip(*(signals(w, o) for o in range(size.offers)), strict=True)
    np.save(out / "truth" / "utility_matrix.npy", np.vstack(utilities).astype(np.float32))
    np.save(out / "truth" / "application_matrix.npy", np.vstack(wishes).astype(np.float32))
    _write_csv(
        out / "truth" / "offers.csv",
        ["offer_id", "occupation", "family", "language", "employer_id"],
        [
            [
                offer_ref(o),
                OCCUPATIONS[occ][2],
                OCCUPATIONS[occ][0],
                "en" if w.offer_english[o] else "fr",
                employer_ref(int(w.offer_employer[o])),
            ]
            for o, occ in enumerate(w.offer_occupation.tolist())
        ],
    )
    _write_csv(
        out / "truth" / "candidates.csv",
        ["candidate_ref", "occupation", "family", "language", "profile", "departement"],
        [
            [
                candidate_ref(c),
                OCCUPATIONS[occ][2],
                OCCUPATIONS[occ][0],
                "en" if w.english[c] else "fr",
                PROFILE_KINDS[w.profile[c]],
                DEPARTEMENTS[w.home[c]],
            ]
            for c, occ in enumerate(w.occupation.tolist())
        ],
    )
    manifest = {
        "profile": "sparse-multilingual",
        "seed": seed,
        "scale": vars(size),
        "counts": {
            "employers": size.employers,
            "candidates": size.candidates,
            "offers": size.offers,
            "applications": len(applications),
            "hires": sum(1 for *_, stage in applications if stage == "hired"),
        },
        "cold_share_of_late_targets": cold_share(w, applications),
        "profiles": {k: int((w.profile == i).sum()) for i, k in enumerate(PROFILE_KINDS)},
        "english_offers": int(w.offer_english.sum()),
    }
    (out / "truth" / "manifest.json").write_text(json.dumps(manifest, indent=1) + "\n", encoding="utf-8")
    return manifest


def cold_share(w: SparseWorld, applications: list[tuple[int, int, int, str]], late: float = 0.15) -> float:
    """Among the selected applicants of the latest `late` share of offers, those who never applied before them:
    roughly the share of cold targets in the temporal test of `vivier evaluate`."""
    cutoff = float(np.quantile(w.offer_day, 1 - late))
    earlier = {c for o, c, _, _ in applications if w.offer_day[o] < cutoff}
    targets = [
        c for o, c, _, stage in applications if w.offer_day[o] >= cutoff and stage not in ("rejected", "received")
    ]
    return round(sum(c not in earlier for c in targets) / max(len(targets), 1), 3)
