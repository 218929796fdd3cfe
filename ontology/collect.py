"""Build the `Catalogue` from the source files: one function per repertory, then skill de-duplication."""

from __future__ import annotations

import re
from collections import Counter, defaultdict

from rich.progress import Progress

from ontology import uris
from ontology.catalogue import (
    VERSANT_OF_CODE_FP,
    Catalogue,
    GradeConcept,
    Mobility,
    OccupationConcept,
    SkillConcept,
)
from ontology.skills import SkillLabel, deduplicate, normalise_casing
from ontology.sources import (
    ESCO_COLLECTIONS,
    lines,
    read_esco,
    read_grades,
    read_rmfp,
    read_rmfp_rome_pairs,
    read_rome,
)
from ontology.text import fold

RMFP_KINDS = {"connaissances": "connaissance", "savoir_faire": "savoir_faire", "savoir_etre": "savoir_etre"}
# ROME rubriques (15-descriptif_rubrique): 6/7 = activités and savoirs *de base* (every holder of the fiche needs
# them: essential), 9/10 = activités and savoirs *spécifiques* (only some appellations: optional).
ROME_RUBRIQUES = {"6": (True, "activite"), "7": (True, "savoir"), "9": (False, "activite"), "10": (False, "savoir")}
FPT_FILIERES = {
    "1": "Administrative",
    "2": "Technique",
    "3": "Sapeurs-pompiers professionnels",
    "4": "Culturelle",
    "5": "Sportive",
    "7": "Médico-sociale",
    "9": "Police municipale",
    "10": "Animation",
    "13": "Mayotte",
}


def rmfp_skill_id(kind: str, label: str) -> str:
    return f"RMFP:{kind}:{fold(label)}"


def collect_rmfp() -> tuple[list[OccupationConcept], dict[str, list[str]], list[SkillLabel]]:
    """RMFP emplois-référence (with canonical domaine / famille casing) and their skill lines."""
    emplois = read_rmfp()
    domaines = normalise_casing(e.domaine for e in emplois)
    familles = normalise_casing(e.famille for e in emplois)
    occupations: list[OccupationConcept] = []
    skill_ids: dict[str, list[str]] = {}
    labels: dict[str, SkillLabel] = {}
    for emploi in emplois:
        ids = []
        for field, kind in RMFP_KINDS.items():
            for line in getattr(emploi, field):
                source_id = rmfp_skill_id(kind, line)
                labels.setdefault(source_id, SkillLabel(source_id, line, kind))
                ids.append(source_id)
        skill_ids[emploi.code] = list(dict.fromkeys(ids))
        occupations.append(
            OccupationConcept(
                uri=uris.rmfp_emploi(emploi.code),
                scheme="RMFP",
                code=emploi.code,
                label=emploi.intitule,
                alt_labels=(),
                family=familles[emploi.famille],
                essential_skills=(),
                optional_skills=(),
                domain=domaines[emploi.domaine],
            )
        )
    return occupations, skill_ids, list(labels.values())


def collect_rome() -> tuple[list[OccupationConcept], dict[str, tuple[list[str], list[str]]], list[SkillLabel], dict]:
    """ROME fiches with their appellations, domaines and base / specific items."""
    fiches = read_rome("3", ("code_rome", "libelle_rome"))
    tree = {r["code_rome"]: r for r in read_rome("20", ("code_rome", "code_domaine_professionel"))}
    appellations = read_rome("9", ("code_ogr", "libelle_appellation_long", "code_rome"))
    by_fiche: dict[str, list[str]] = defaultdict(list)
    for row in appellations:
        by_fiche[row["code_rome"]].append(row["libelle_appellation_long"])
    labels = {}
    for row in read_rome("6", ("code_ogr", "libelle_competence")):
        labels[row["code_ogr"]] = SkillLabel(uris.rome_item(row["code_ogr"]), row["libelle_competence"], "rome_savoir")
    for row in read_rome("7", ("code_ogr", "libelle_activite")):
        source_id = uris.rome_item(row["code_ogr"])
        labels[row["code_ogr"]] = SkillLabel(source_id, row["libelle_activite"], "rome_savoir_faire")
    links: dict[str, tuple[list[str], list[str]]] = defaultdict(lambda: ([], []))
    for row in read_rome("4", ("code_rome", "code_ogr", "code_ref_rubrique")):
        rubrique = ROME_RUBRIQUES.get(row["code_ref_rubrique"])
        if rubrique and row["code_ogr"] in labels:
            links[row["code_rome"]][0 if rubrique[0] else 1].append(uris.rome_item(row["code_ogr"]))
    occupations = []
    for fiche in fiches:
        code, node = fiche["code_rome"], tree.get(fiche["code_rome"], {})
        occupations.append(
            OccupationConcept(
                uri=uris.rome_fiche(code),
                scheme="ROME",
                code=code,
                label=fiche["libelle_rome"],
                alt_labels=tuple(by_fiche.get(code, ())),
                family=node.get("libelle_domaine_professionel", ""),
                essential_skills=(),
                optional_skills=(),
                domain=node.get("libelle_grand_domaine", ""),
                family_code=node.get("code_domaine_professionel", ""),
            )
        )
    extra = {
        "appellation_to_fiche": {r["code_ogr"]: r["code_rome"] for r in appellations},
        "appellation_labels": {r["code_ogr"]: r["libelle_appellation_long"] for r in appellations},
    }
    return occupations, dict(links), list(labels.values()), extra


def collect_mobilities() -> list[Mobility]:
    rows = read_rome("12", ("code_rome", "code_rome_cible", "libelle_type_mobilite"))
    kinds = {"proche": "proche", "evolution": "evolution"}
    return [
        Mobility(
            source_code=r["code_rome"],
            target_code=r["code_rome_cible"],
            kind=kinds[fold(r["libelle_type_mobilite"])],
            source_appellation=r.get("code_appellation_source") or None,
            target_appellation=r.get("code_appellation_cible") or None,
        )
        for r in rows
    ]


def esco_skill_labels() -> list[SkillLabel]:
    """ESCO skills available here: the 1,000 of the sample plus the thematic collections."""
    found: dict[str, SkillLabel] = {}
    for row in read_esco("sample/skills.csv", ("ORIGINURI", "PREFERREDLABEL")):
        found[row["ORIGINURI"]] = SkillLabel(
            row["ORIGINURI"], row["PREFERREDLABEL"], "esco", tuple(lines(row["ALTLABELS"]))
        )
    for name in ESCO_COLLECTIONS:
        for row in read_esco(f"classification/{name}SkillsCollection_fr.csv", ("conceptUri", "preferredLabel")):
            alt = tuple(lines(row.get("altLabels")))
            found.setdefault(row["conceptUri"], SkillLabel(row["conceptUri"], row["preferredLabel"], "esco", alt))
    return list(found.values())


def collect_esco() -> tuple[list[OccupationConcept], dict[str, tuple[list[str], list[str]]], list[SkillLabel]]:
    isco = {r["code"]: r["preferredLabel"] for r in read_esco("classification/ISCOGroups_fr.csv", ("code",))}
    rows = read_esco("classification/occupations_fr.csv", ("conceptUri", "iscoGroup", "preferredLabel", "code"))
    sample_uri = {r["ID"]: r["ORIGINURI"] for r in read_esco("sample/occupations.csv", ("ID", "ORIGINURI"))}
    skill_uri = {r["ID"]: r["ORIGINURI"] for r in read_esco("sample/skills.csv", ("ID", "ORIGINURI"))}
    links: dict[str, tuple[list[str], list[str]]] = defaultdict(lambda: ([], []))
    for r in read_esco("sample/occupation_skill_relations.csv", ("OCCUPATIONID", "RELATIONTYPE", "SKILLID")):
        occupation, skill = sample_uri.get(r["OCCUPATIONID"]), skill_uri.get(r["SKILLID"])
        if occupation and skill:
            links[occupation][0 if r["RELATIONTYPE"] == "essential" else 1].append(skill)
    occupations = [
        OccupationConcept(
            uri=uris.esco_occupation(r["conceptUri"]),
            scheme="ESCO",
            code=r["conceptUri"].rsplit("/", 1)[-1],
            label=r["preferredLabel"],
            alt_labels=tuple(lines(r["altLabels"])),
            family=isco.get(r["iscoGroup"], ""),
            essential_skills=(),
            optional_skills=(),
            domain=isco.get(r["iscoGroup"][:1], ""),
            family_code=r["iscoGroup"],
        )
        for r in rows
    ]
    by_uri = {o.uri: o.code for o in occupations}
    return occupations, {by_uri[uris.esco_occupation(k)]: v for k, v in links.items()}, esco_skill_labels()


def _latest_indices() -> dict[str, tuple[int, ...]]:
    """Indice by échelon from the latest grille of each NEG grade (grilles_clean.csv)."""
    steps: dict[str, dict[str, dict[int, int]]] = defaultdict(lambda: defaultdict(dict))
    for row in read_grades("grilles_clean.csv", ("code_grade_NEG", "date_effet_grille", "echelon", "ib")):
        if row["echelon"].isdigit() and row["ib"].isdigit():
            code = row["code_grade_NEG"].zfill(4)
            steps[code][row["date_effet_grille"]][int(row["echelon"])] = int(row["ib"])
    latest = {}
    for code, grilles in steps.items():
        grille = grilles[max(grilles)]
        latest[code] = tuple(grille[e] for e in sorted(grille))
    return latest


def collect_grades() -> tuple[list[GradeConcept], dict[str, int]]:
    """NEG grades that belong to a cadre d'emplois / corps, with versant, catégorie, filière and indices."""
    required = ("code_grade_NEG", "libelle_grade_NEG", "categh", "code_FP", "code_cadre_corps", "libelle_cadre_corps")
    rows = read_grades("neg_cadre_corps.csv", (*required, "code_filiere"))
    netneh = {r["CodeEmploiGrade_neg"]: r for r in read_grades("corresp_neg_netneh.csv", ("CodeEmploiGrade_neg",))}
    replaced = {r["code_grade_NEG"]: r["code_grade_NEG_rempl"] for r in read_grades("neg_grades_supp.csv")}
    indices = _latest_indices()
    in_cadre = [r for r in rows if r["code_cadre_corps"] and r["code_FP"] in VERSANT_OF_CODE_FP]
    cadre_categorie = _cadre_categories(in_cadre)
    grades, skipped = [], Counter[str]()
    for row in in_cadre:
        code, other = row["code_grade_NEG"], netneh.get(row["code_grade_NEG"], {})
        label = row["libelle_grade_NEG"] or other.get("LibelleEmploiNEG", "")
        if not label:
            skipped["grade without a label in any NEG file"] += 1
            continue
        filiere = FPT_FILIERES.get(row["code_filiere"]) or _filiere_label(other.get("FiliereNEG", ""))
        categorie = row["categh"] or cadre_categorie.get(row["code_cadre_corps"])
        grades.append(
            GradeConcept(
                uri=uris.grade(code),
                code=code,
                label=_title(label),
                cadre_uri=uris.cadre_emplois(row["code_cadre_corps"]),
                cadre_code=row["code_cadre_corps"],
                cadre_label=_title(row["libelle_cadre_corps"]),
                categorie=categorie or None,
                versant=VERSANT_OF_CODE_FP[row["code_FP"]],
                filiere=filiere,
                indices=indices.get(code, ()),
                replaced_by=replaced.get(code) or None,
            )
        )
    return grades, dict(skipped)


def _cadre_categories(rows: list[dict]) -> dict[str, str]:
    """A cadre's catégorie is its grades' most frequent one (a few old grades of a cadre lack it)."""
    counts: dict[str, Counter[str]] = defaultdict(Counter)
    for row in rows:
        if row["categh"]:
            counts[row["code_cadre_corps"]][row["categh"]] += 1
    return {cadre: c.most_common(1)[0][0] for cadre, c in counts.items()}


def _filiere_label(neg: str) -> str | None:
    return _title(neg.replace("PERS ", "Personnel ")) if neg else None


def _title(text: str) -> str:
    """NEG labels are upper case: 'ADJOINTS ADMINISTRATIFS TERRITORIAUX' -> 'Adjoints administratifs territoriaux'."""
    text = re.sub(r"\s+", " ", text.strip())
    return text[:1].upper() + text[1:].lower() if text.isupper() else text


def match_rmfp_labels(
    pairs: list[tuple[str, str]], rmfp: list[OccupationConcept], appellation_to_fiche: dict[str, str]
) -> tuple[dict[str, list[str]], list[str]]:
    """Map the crosswalk's RMFP métier labels to RMFP codes (accent-, case-, slash- and gender-insensitive) and
    their OGR codes to ROME fiches; returns the mapping and the labels that match no emploi-référence."""

    def key(label: str) -> str:
        return " ".join(sorted(set(re.findall(r"[a-z0-9]+", fold(label))) - {"de", "du", "des", "la", "le", "l", "d"}))

    by_key: dict[str, str] = {key(o.label): o.code for o in rmfp}
    mapping: dict[str, list[str]] = defaultdict(list)
    unmatched = []
    for label, ogr in pairs:
        code, fiche = by_key.get(key(label)), appellation_to_fiche.get(ogr)
        if code is None or fiche is None:
            unmatched.append(label)
        elif fiche not in mapping[code]:
            mapping[code].append(fiche)
    return dict(mapping), unmatched


def build_catalogue() -> Catalogue:
    """Read every repertory, de-duplicate the skills and assemble the catalogue (about a minute)."""
    from dataclasses import replace

    with Progress(transient=True) as progress:
        task = progress.add_task("Reading the repertories", total=6)
        rmfp, rmfp_skills, rmfp_labels = collect_rmfp()
        progress.advance(task)
        rome, rome_links, rome_labels, rome_extra = collect_rome()
        progress.advance(task)
        esco, esco_links, esco_labels = collect_esco()
        progress.advance(task)
        grades, skipped = collect_grades()
        progress.advance(task)
        progress.update(task, description="De-duplicating skills (spaCy lemmas)")
        labels = rmfp_labels + rome_labels + esco_labels
        clusters = deduplicate(labels)
        progress.advance(task)
        skill_of = {source: c.uri for c in clusters for source in c.sources}

        def resolve(ids: list[str]) -> tuple[str, ...]:
            return tuple(dict.fromkeys(skill_of[i] for i in ids if i in skill_of))

        occupations = [replace(o, essential_skills=resolve(rmfp_skills.get(o.code, []))) for o in rmfp]
        for o in rome + esco:
            essential, optional = (rome_links if o.scheme == "ROME" else esco_links).get(o.code, ([], []))
            must = resolve(essential)
            occupations.append(
                replace(o, essential_skills=must, optional_skills=tuple(u for u in resolve(optional) if u not in must))
            )
        crosswalk, unmatched = match_rmfp_labels(read_rmfp_rome_pairs(), rmfp, rome_extra["appellation_to_fiche"])
        progress.advance(task)
    skills = {c.uri: SkillConcept(c.uri, c.label, c.alt_labels, c.kind, c.sources) for c in clusters}
    mobilities = collect_mobilities()
    stats = {
        "rmfp_emplois": len(rmfp),
        "rome_fiches": len(rome),
        "rome_appellations": len(rome_extra["appellation_to_fiche"]),
        "mobilities": len(mobilities),
        "esco_occupations": len(esco),
        "grades": len(grades),
        "cadres": len({g.cadre_code for g in grades}),
        "skill_labels": len(labels),
        "skill_labels_rmfp": len(rmfp_labels),
        "skill_labels_rome": len(rome_labels),
        "skill_labels_esco": len(esco_labels),
        "skills": len(skills),
        "crosswalk_pairs": len(read_rmfp_rome_pairs()),
        "crosswalk_unmatched": len(unmatched),
        "grades_skipped": sum(skipped.values()),
    }
    return Catalogue(
        skills=skills,
        occupations={o.uri: o for o in occupations},
        grades={g.uri: g for g in grades},
        mobilities=mobilities,
        rmfp_to_rome=crosswalk,
        appellation_to_fiche=rome_extra["appellation_to_fiche"],
        appellation_labels=rome_extra["appellation_labels"],
        skill_by_source=skill_of,
        stats=stats,
    )
