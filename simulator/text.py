"""French text written from the simulated facts: employer names, offer descriptions and JSON Resume CVs.

Every record draws its wording from its own `random.Random` seeded by (seed, kind, index), so that chunks can be
written in any order and the same seed gives the same bytes. Several templates per fact, synonyms and shuffled
order keep the loaders from learning one phrasing.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Any

import numpy as np

from ontology.eligibility import CATEGORIES, STATUSES, VERSANTS
from ontology.text import fold_accents
from simulator import geo, names
from simulator.offers import CONTRACTS_ARRAY, Offers
from simulator.population import EMPLOYER_KINDS, KIND_VERSANT, SNAPSHOT, Candidates, Employers
from simulator.repertory import BUCKETS, Repertory

VERSANT_LABEL = {
    "FPE": "fonction publique de l'État",
    "FPT": "fonction publique territoriale",
    "FPH": "fonction publique hospitalière",
}
DIPLOMA = {3: "CAP", 4: "Baccalauréat", 5: "BTS", 6: "Licence", 7: "Master", 8: "Doctorat"}
DIPLOMA_ALT = {3: "BEP", 4: "Bac professionnel", 5: "DUT", 6: "Licence professionnelle", 7: "Master 2", 8: "Doctorat"}
LEVEL_WORDS = {0: "aucun diplôme exigé", 4: "niveau baccalauréat", 6: "niveau licence (bac+3)"}
AREAS = {
    "administratif": ("Droit public", "Administration publique", "Gestion des entreprises", "Économie", "AES"),
    "technique": ("Génie civil", "Maintenance des équipements", "Informatique", "Aménagement du territoire"),
    "sante": ("Sciences infirmières", "Soins", "Biologie", "Santé publique"),
    "social": ("Carrières sociales", "Éducation spécialisée", "Sanitaire et social", "Petite enfance"),
    "culture": ("Histoire de l'art", "Métiers du livre", "Patrimoine", "Médiation culturelle"),
    "sport_animation": ("STAPS", "Animation socioculturelle", "BPJEPS"),
    "securite": ("Sécurité des biens et des personnes", "Droit pénal", "Prévention des risques"),
}
SERVICES = {
    "administratif": ("la direction des ressources", "le service des affaires générales", "la direction des finances"),
    "technique": ("la direction des services techniques", "le centre technique", "le service patrimoine bâti"),
    "sante": ("le pôle de soins", "le service de médecine", "le pôle médico-technique"),
    "social": ("la direction de la solidarité", "le centre communal d'action sociale", "le pôle enfance-famille"),
    "culture": ("la direction de la culture", "le réseau des médiathèques", "le service du patrimoine"),
    "sport_animation": ("le service des sports", "le service jeunesse", "la direction de l'animation"),
    "securite": ("le service de police municipale", "la direction de la sécurité", "le service prévention"),
}
COMPANY_FORMS = ("SARL", "SAS", "Groupe", "Entreprise", "Société", "Cabinet", "Établissements")
COMPANY_WORDS = ("Services", "Conseil", "Bâtiment", "Industrie", "Logistique", "Distribution", "& Fils", "Solutions")


def town(rng: random.Random) -> str:
    return rng.choice(names.TOWN_STEMS) + rng.choice(names.TOWN_SUFFIXES)


def employer_names(employers: Employers, seed: int) -> tuple[list[str], list[str]]:
    """A name and a commune for each employer, in the style of the real publishers."""
    out, towns = [], []
    for i in range(len(employers)):
        rng = random.Random(f"{seed}:employer:{i}")
        dep = geo.NAMES[int(employers.departement[i])]
        region = geo.DEPARTEMENTS[int(employers.departement[i])][2]
        place = town(rng)
        kind = EMPLOYER_KINDS[int(employers.kind[i])]
        name = {
            "commune": rng.choice((f"Commune de {place}", f"Ville de {place}", f"Mairie de {place}")),
            "epci": rng.choice(
                (f"Communauté de communes du Pays de {place}", f"Communauté d'agglomération de {place}")
            ),
            "departement": rng.choice((f"Conseil départemental de {dep}", f"Département de {dep}")),
            "region": f"Région {region}",
            "etat": rng.choice(
                (
                    f"Direction départementale des territoires de {dep}",
                    f"Préfecture de {dep}",
                    f"Direction départementale des finances publiques de {dep}",
                    f"Direction départementale de l'emploi, du travail et des solidarités de {dep}",
                    f"Rectorat - services académiques de {dep}",
                )
            ),
            "hopital": rng.choice((f"Centre hospitalier de {place}", f"EHPAD public de {place}", f"CHU de {place}")),
        }[kind]
        out.append(name)
        towns.append(place)
    return out, towns


@dataclass
class Writer:
    """What the text of a record needs besides its own facts."""

    rep: Repertory
    employers: Employers
    employer_names: list[str]
    employer_towns: list[str]
    seed: int

    def __post_init__(self) -> None:
        by_versant: dict[str, list[int]] = {v: [] for v in VERSANTS}
        by_place: dict[tuple[str, int], list[int]] = {}
        for i, k in enumerate(self.employers.kind):
            v = KIND_VERSANT[int(k)]
            by_versant[v].append(i)
            by_place.setdefault((v, int(self.employers.departement[i])), []).append(i)
        self._by_versant, self._by_place = by_versant, by_place
        self._know_how: dict[int, list[str]] = {}

    def public_employer(self, rng: random.Random, versant: str, home: int) -> int:
        local = self._by_place.get((versant, home))
        pool = local if local and rng.random() < 0.6 else self._by_versant[versant] or self._by_versant["FPT"]
        return rng.choice(pool)

    def skill_labels(self, skills: np.ndarray, kinds: tuple[str, ...] = ()) -> list[str]:
        return [self.rep.skill_labels[s] for s in skills if not kinds or self.rep.skill_kinds[s] in kinds]

    def position(self, occ: int, rng: random.Random) -> str:
        """A job title for a career step: the emploi-référence, or one of the ROME fiche's real appellations."""
        o = self.rep.occupations[occ]
        ogrs = self.rep.appellations.get(o.code) if o.scheme == "ROME" else None
        return self.rep.appellation_labels.get(rng.choice(ogrs), o.label) if ogrs else o.label

    def know_how(self, occ: int) -> list[str]:
        """The savoir-faire labels of an occupation (cached: every CV step asks for them)."""
        if occ not in self._know_how:
            self._know_how[occ] = self.skill_labels(self.rep.skills_of(occ), ("savoir_faire", "rome_savoir_faire"))
        return self._know_how[occ]


def _cadre_phrase(rep: Repertory, cadre: int) -> str:
    """FPT speaks of cadres d'emplois, FPE and FPH of corps (the NEG groups the État corps by ministry)."""
    c = rep.cadres[cadre]
    label = clean(c.label).lower()
    if fold_accents(label).startswith("ministere"):
        return f"corps du {label}"
    return f"cadre d'emplois des {label}" if c.versant == "FPT" else f"corps des {label}"


def clean(label: str) -> str:
    """Grade and cadre labels as the NEG writes them, minus its footnote marks."""
    return " ".join(label.replace("(*)", "").split())


def de(word: str) -> str:
    """'de' with the elision French needs before a vowel or a mute h."""
    return f"d'{word}" if fold_accents(word[:1]) in "aeiouyh" else f"de {word}"


def french(text: str) -> str:
    """Contractions that templates produce when a slot starts with an article."""
    for wrong, right in ((" de le ", " du "), (" à le ", " au "), (" de les ", " des "), ("À le ", "Au ")):
        text = text.replace(wrong, right)
    return text


def offer_title(rep: Repertory, o: int, offers: Offers, rng: random.Random) -> tuple[str, str]:
    """The title and, for ROME-based offers, the OGR appellation code the publisher gave."""
    occ = rep.occupations[int(offers.occupation[o])]
    ogr = ""
    title = occ.label
    if occ.scheme == "ROME" and rep.appellations.get(occ.code):
        ogr = rng.choice(rep.appellations[occ.code])
        title = rep.appellation_labels.get(ogr, occ.label)
    return (title + rng.choice(("", " H/F", " (H/F)", " - F/H"))), ogr


def _conditions(w: Writer, o: int, offers: Offers, rng: random.Random) -> list[str]:
    rep = w.rep
    contract, cat = str(CONTRACTS_ARRAY[offers.contract[o]]), CATEGORIES[int(offers.categorie[o])]
    cadre = int(offers.cadre[o])
    cadre_text = f" ({_cadre_phrase(rep, cadre)})" if cadre >= 0 else ""
    level = LEVEL_WORDS[{"A": 6, "B": 4, "C": 0}[cat]]
    lines = {
        "titulaire": rng.choice(
            (
                f"Poste ouvert aux fonctionnaires titulaires de catégorie {cat}{cadre_text}, par voie de mutation "
                "ou de détachement.",
                f"Recrutement statutaire : catégorie {cat}{cadre_text}. Mutation, détachement.",
            )
        ),
        "contractuel": rng.choice(
            (
                f"Poste ouvert aux contractuels (CDD de {rng.choice((1, 2, 3))} an(s)), catégorie {cat}, {level}.",
                f"Contrat à durée déterminée, emploi de catégorie {cat} ; {level}.",
            )
        ),
        "titulaire_ou_contractuel": rng.choice(
            (
                f"Poste ouvert aux titulaires de catégorie {cat}{cadre_text} et, à défaut, aux contractuels ({level}).",
                f"Catégorie {cat}{cadre_text} : fonctionnaire (mutation, détachement) ou contractuel, {level}.",
            )
        ),
    }[contract]
    out = [lines]
    if offers.grade_rank[o] >= 0 and cadre >= 0:
        out.append(f"Grade : {clean(rep.cadres[cadre].grades[int(offers.grade_rank[o])].label)}.")
    out.append("Temps complet." if offers.full_time[o] else rng.choice(("Temps partiel (80 %).", "Temps non complet.")))
    out.append(
        rng.choice(("Rémunération statutaire, RIFSEEP, CNAS.", "Rémunération selon grille + régime indemnitaire."))
    )
    return out


def offer_record(w: Writer, o: int, offers: Offers) -> dict[str, Any]:
    """One offer in the offers.json format of docs/formats.md."""
    rng = random.Random(f"{w.seed}:offer:{o}")
    rep, e = w.rep, int(offers.employer[o])
    occ_index = int(offers.occupation[o])
    occ, bucket = rep.occupations[occ_index], BUCKETS[int(rep.bucket[occ_index])]
    title, ogr = offer_title(rep, o, offers, rng)
    skills = offers.skills(o)
    missions = w.skill_labels(skills, ("savoir_faire", "rome_savoir_faire")) or w.skill_labels(skills)
    knowledge = w.skill_labels(skills, ("connaissance", "rome_savoir", "savoir_etre", "esco"))
    employer, service = w.employer_names[e], rng.choice(SERVICES[bucket])
    intro = rng.choice(
        (
            f"{employer} recrute un(e) {title.split(' H/F')[0].lower()} au sein de {service}.",
            f"Au sein de {service}, {employer} ({int(w.employers.size[e])} agents) recherche son/sa futur(e) "
            f"{title.split(' H/F')[0].split(' (H/F)')[0].split(' - F/H')[0].lower()}.",
            f"Rattaché(e) à {service} de {employer}, vous intégrez une équipe de {rng.randint(3, 40)} agents.",
        )
    )
    header = rng.choice(("Vos missions :", "Missions principales :", "Les missions principales sont :"))
    parts = [intro, header + "\n" + "\n".join(f"- {m}" for m in missions)]
    if knowledge:
        parts.append(rng.choice(("Profil recherché :", "Compétences attendues :")) + "\n" + "\n".join(knowledge))
    parts.append("\n".join(_conditions(w, o, offers, rng)))
    contract = str(CONTRACTS_ARRAY[offers.contract[o]])
    cadre = int(offers.cadre[o])
    record: dict[str, Any] = {
        "offer_id": offer_id(o),
        "title": title,
        "employer_id": employer_id(e),
        "description": french("\n\n".join(parts)),
        "departement": geo.CODES[int(w.employers.departement[e])],
        "commune": w.employer_towns[e],
        "published_at": str(offers.published[o]),
        "closes_at": str(offers.closes[o]),
        "versant": KIND_VERSANT[int(w.employers.kind[e])],
        "categorie": CATEGORIES[int(offers.categorie[o])],
        "contract": contract,
        "working_time": "temps_complet" if offers.full_time[o] else "temps_partiel",
    }
    if cadre >= 0:
        if rep.cadres[cadre].filiere:
            record["filiere"] = rep.cadres[cadre].filiere
        record["cadre_emplois"] = rep.cadres[cadre].code
        if offers.grade_rank[o] >= 0:
            record["grade"] = rep.cadres[cadre].grades[int(offers.grade_rank[o])].code
    if ogr:
        record["rome_appellation"] = ogr
    if occ.scheme == "RMFP":
        record["rmfp_code"] = occ.code
    return record


def offer_id(o: int) -> str:
    return f"OFF-{o + 1:07d}"


def employer_id(e: int) -> str:
    return f"EMP-{e + 1:05d}"


def candidate_ref(c: int) -> str:
    return f"CAND-{c + 1:07d}"


def siret(rng: random.Random) -> str:
    """14 digits with a valid Luhn key, like a real SIRET."""
    digits = [rng.randint(0, 9) for _ in range(13)]
    total = 0
    for i, d in enumerate(reversed(digits)):  # the key will be appended, so the rightmost digit here is doubled
        doubled = d * 2 if i % 2 == 0 else d
        total += doubled - 9 if doubled > 9 else doubled
    return "".join(map(str, digits)) + str((10 - total % 10) % 10)


def _status_sentence(w: Writer, c: Candidates, i: int, rng: random.Random) -> str:
    rep, status = w.rep, STATUSES[int(c.status[i])]
    if status == "titulaire":
        cadre = rep.cadres[int(c.cadre[i])]
        grade, versant = clean(cadre.grades[int(c.grade_rank[i])].label), VERSANT_LABEL[VERSANTS[int(c.versant[i])]]
        cat, ech = CATEGORIES[int(c.categorie[i])], int(c.echelon[i])
        return rng.choice(
            (
                f"Fonctionnaire titulaire de la {versant}, catégorie {cat}, {_cadre_phrase(rep, int(c.cadre[i]))}, "
                f"grade {de(grade.lower())}, {ech}e échelon.",
                f"Titulaire du grade {de(grade)} ({clean(cadre.label)}), {ech}e échelon — catégorie {cat}, {versant}.",
                f"Agent titulaire ({VERSANTS[int(c.versant[i])]}) : {grade}, échelon {ech}, catégorie {cat}.",
            )
        )
    if status == "contractuel":
        return rng.choice(
            (
                "Agent contractuel de la fonction publique.",
                "Actuellement en contrat (CDD) dans le secteur public.",
                "Contractuel de droit public, non titulaire.",
            )
        )
    return rng.choice(
        ("Salarié(e) du secteur privé.", "Parcours dans le secteur privé, en CDI.", "Expérience en entreprise privée.")
    )


def _identity(c: Candidates, i: int, rng: random.Random) -> tuple[dict[str, Any], str]:
    female = rng.random() < 0.55
    first = rng.choice(names.FIRST_NAMES_F if female else names.FIRST_NAMES_M)
    last = rng.choice(names.SURNAMES)
    dep = int(c.home[i])
    code = geo.CODES[dep]
    postal = ("20" if code in ("2A", "2B") else code[:2] if len(code) == 2 else code) + f"{rng.randint(0, 99):03d}"
    login = fold_accents(f"{first}.{last}").replace(" ", "-")
    basics = {
        "name": f"{first} {last}",
        "email": f"{login}{rng.choice(('', str(rng.randint(1, 99))))}@{rng.choice(names.EMAIL_DOMAINS)}",
        "phone": f"0{rng.choice((6, 7))} " + " ".join(f"{rng.randint(0, 99):02d}" for _ in range(4)),
        "location": {
            "address": f"{rng.randint(1, 120)} {rng.choice(names.STREET_TYPES)} {rng.choice(names.STREET_NAMES)}",
            "postalCode": postal[:5],
            "city": town(rng),
            "region": geo.DEPARTEMENTS[dep][2],
        },
    }
    birth = str(c.birth[i])
    born = rng.choice(("Née le" if female else "Né le", "Date de naissance :"))
    return basics, f"{born} {birth[8:10]}/{birth[5:7]}/{birth[:4]}."


def cv_record(w: Writer, c: Candidates, i: int) -> tuple[dict[str, Any], list[tuple]]:
    """A JSON Resume for candidate i, and its true career rows (truth/careers.csv)."""
    rep, rng = w.rep, random.Random(f"{w.seed}:cv:{i}")
    basics, born = _identity(c, i, rng)
    status = STATUSES[int(c.status[i])]
    n = int(c.n_steps[i])
    versant = VERSANTS[int(c.versant[i])] if status == "titulaire" else None
    work, truth, skills = [], [], set()
    for k in range(n):
        occ_index = int(c.career[i, k])
        occ = rep.occupations[occ_index]
        skills.update(rep.skills_of(occ_index).tolist())
        start, end = str(c.step_start[i, k]), str(c.step_start[i, k + 1])
        public = bool(rep.is_rmfp[occ_index])
        if public:
            e = w.public_employer(rng, versant or rng.choice(VERSANTS), int(c.home[i]))
            employer, employer_key = w.employer_names[e], employer_id(e)
        else:
            employer = f"{rng.choice(COMPANY_FORMS)} {rng.choice(names.SURNAMES)} {rng.choice(COMPANY_WORDS)}"
            employer_key = ""
        entry: dict[str, Any] = {"name": employer, "position": w.position(occ_index, rng), "startDate": start}
        current = k == n - 1 and bool(c.employed[i])
        if not current:
            entry["endDate"] = end
        own = w.know_how(occ_index)
        entry["highlights"] = rng.sample(own, min(len(own), rng.randint(2, 4)))
        if status == "titulaire" and public and k == int(c.promotion_step[i]) and c.previous_cadre[i] >= 0:
            entry["summary"] = f"Promotion interne : {_cadre_phrase(rep, int(c.cadre[i]))}."
        elif current and status == "titulaire":
            entry["summary"] = _status_sentence(w, c, i, rng)
        work.append(entry)
        truth.append((candidate_ref(i), k, occ.scheme, occ.code, start, "" if current else end, employer_key))
    years = int((SNAPSHOT - c.step_start[i, 0]).astype(int) / 365.25)
    last = work[-1]["position"].lower()
    span = f"{years} ans" if years > 1 else "moins de deux ans"
    sentences = [
        _status_sentence(w, c, i, rng),
        rng.choice((f"{span} d'expérience, dernièrement comme {last}.", f"Expérience de {span} ({last}).")),
        born,
    ]
    rng.shuffle(sentences)
    basics["summary"] = " ".join(sentences)
    level = int(c.diploma[i])
    education = []
    if level:
        area = rng.choice(AREAS[BUCKETS[int(rep.bucket[int(c.career[i, 0])])]])
        education.append(
            {
                "institution": rng.choice(("Université de ", "IUT de ", "Lycée de ", "Institut de formation de "))
                + town(rng),
                "area": area,
                "studyType": rng.choice((DIPLOMA[level], DIPLOMA_ALT[level])),
                "endDate": str(c.step_start[i, 0])[:4] + "-06-30",
            }
        )
    labels = sorted(w.skill_labels(np.array(sorted(skills)), ("savoir_faire", "rome_savoir_faire", "connaissance")))
    shown = rng.sample(labels, min(len(labels), 15))
    cv = {
        "basics": basics,
        "work": list(reversed(work)),
        "education": education,
        "skills": [{"name": rng.choice(("Compétences", "Savoir-faire", "Compétences clés")), "keywords": shown}],
        "meta": {"candidate_ref": candidate_ref(i)},
    }
    return cv, truth
