"""Public-service careers as steps between concepts: the statutory ladder and the moves between RMFP jobs.

From the catalogue (NEG grades with their pay scales, RMFP emplois-référence with their skills), never from
anything invented:
- **avancement de grade**: the current grades of each cadre d'emplois / corps ordered by what their NEG labels
  say (« 2e classe » < « 1re classe » < « principal » …, « (2eme grade) »), ties broken by the pay scale (indices
  bruts of the latest grille); a step joins a grade to the next level of the same line (« Aide soignant cl
  normale » → « Aide soignant cl supérieure », not to « Auxiliaire puériculture cl supérieure »);
- **promotion interne** and **concours**: from each cadre of catégorie C to each cadre of catégorie B of the same
  versant and filière, and from B to A;
- **détachement**: between cadres of different versants, same catégorie, same family of filières and comparable
  pay scales (their indices bruts' ranges overlap by at least DETACHEMENT_OVERLAP);
- **job moves** between RMFP emplois-référence: the closest ones by shared skills (TF-IDF cosine over skill
  concepts), same famille and same domaine; and those derived from the ROME 4.0 moves through the computed RMFP →
  ROME 4.0 mappings (ontology/mappings.py `derive_rmfp_moves`), basis `rome4`, which take the place of a move by
  skills, famille or domaine between the same two emplois.

The sources state no condition of any step (no statut particulier is among them): every step says « conditions à
vérifier », and an avancement de grade adds what the origin grade's grille says about the years it takes.
"""

from __future__ import annotations

import itertools
import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from urllib.parse import quote

import numpy as np
from rdflib import RDF, Graph, Literal, URIRef
from sklearn.feature_extraction.text import TfidfTransformer

from ontology import uris
from ontology.catalogue import Catalogue, GradeConcept, OccupationConcept
from ontology.eligibility import CATEGORIES
from ontology.mappings import MOVE_METHOD, CareerMove
from ontology.sources import read_grades
from ontology.text import fold
from ontology.vocab import CAREER_STEP_CLASS, V

METHOD = "ladder-v2"  # bump when a rule below changes: it is part of every step's provenance
PROVENANCE = f"computed:{METHOD}"
TO_CHECK = "conditions à vérifier"
CATEGORIE_ORDER = tuple(reversed(CATEGORIES))  # C, B, A: promotion interne and concours go up this order
JOB_MOVES_PER_EMPLOI = 8
DETACHEMENT_OVERLAP = 0.8
# Grades that are no step of a ladder: temporary scales, Mayotte's own statuses, emplois fonctionnels, contracts.
OFF_LADDER = ("provisoire", "mayotte", "fonctionnel", "sur contrat", "condition reclassement")

# Class cues of a NEG grade label, lowest first, and role cues (a principal grade sits above every class of the
# base grade: « Adjoint administratif de 1ere classe » < « Adjoint administratif principal 2e classe »).
_CLASS_CUES = (
    (1, r"2e(me)? cl|deuxieme cl|cl(asse)? nor"),
    (2, r"1(e|er|re|ere) cl|premiere cl|cl(asse)? sup"),
    (3, r"except"),
    (15, r"hors classe"),  # above a principal grade of the same line (« attaché hors classe » > « principal »)
)
_ROLE_CUES = ((3, r"\bgeneral\b"), (2, r"\bchef\b|\bdirecteur\b"), (1, r"\bprincipal|cadre sup"))
_EXPLICIT_RANK = re.compile(r"\((\d)(?:er|eme|e)? grade\)")
_LINE_STOP = re.compile(
    r"\b(de|des|du|d|la|le|en|cl|classe|normale|nor|superieure?|super|sup|except\w*|hors|principal\w*|chef|"
    r"general|1er|1ere|1re|1e|2e|2eme|premiere|deuxieme)\b"
)

# Filières of the three versants that are one family for a détachement (the NEG spells them differently).
_FILIERE_FAMILIES = (
    ("administrative", ("admin",)),
    ("technique", ("techn",)),
    ("sante-social", ("medico", "soign", "infirm", "aide soignant", "services hospit", "sociale")),
    ("direction", ("direction",)),
    ("animation", ("animation",)),
    ("culturelle", ("cultur",)),
    ("sportive", ("sport",)),
    ("securite", ("police", "pompier")),
)


@dataclass(frozen=True)
class CareerStep:
    """One step of a public-service career, between two concepts of the catalogue (by URI)."""

    source: str
    target: str
    kind: str  # graph.schema.CAREER_STEP_KINDS
    basis: str  # what the step is derived from: grade_order, filiere, grille, famille, domaine, competences
    requirement: str
    weight: float  # 0-1, the step's plausibility among the origin's steps
    years_in_grade: float | None = None  # avancement de grade: average years to the origin grade's top échelon
    provenance: str = PROVENANCE
    via: tuple[str, ...] = ()  # a job move derived from ROME 4.0: the moves « A1234 → B5678 » that carry it

    @property
    def uri(self) -> str:
        ends = "--".join(quote(u.removeprefix(uris.BASE), safe="") for u in (self.source, self.target))
        return f"{uris.BASE}career/{self.kind}/{ends}"


@dataclass
class Ladder:
    steps: list[CareerStep] = field(default_factory=list)
    typical: dict[str, list[str]] = field(default_factory=dict)  # cadre URI -> typical emplois-référence URIs
    ranks: dict[str, int] = field(default_factory=dict)  # grade URI -> rank in its cadre (1 = entry grade)
    current: set[str] = field(default_factory=set)  # grade URIs the NEG does not mark as replaced

    def of_kind(self, kind: str) -> list[CareerStep]:
        return [s for s in self.steps if s.kind == kind]


def build_ladder(catalogue: Catalogue, derived_moves: Sequence[CareerStep] = ()) -> Ladder:
    """Every career step the catalogue supports: statutory steps between grades and cadres, job moves (with the
    `derived_moves`, e.g. those from ROME 4.0, in place of the catalogue's own between the same two emplois)."""
    ladder = Ladder(current={g.uri for g in catalogue.grades.values() if not _replaced(g, catalogue)})
    advancement, ladder.ranks = advancement_steps(catalogue, ladder.current, grille_years())
    moves = merge_job_moves(job_moves(catalogue), derived_moves)
    ladder.steps = advancement + cadre_steps(catalogue, ladder.current) + moves
    ladder.typical = typical_emplois(catalogue, ladder.current)
    return ladder


def add_ladder(graph: Graph, catalogue: Catalogue, derived_moves: Sequence[CareerStep] = ()) -> Ladder:
    """The ladder in RDF: each step a reified `v:CareerStep` (so that it keeps its kind, requirement, weight and
    provenance), each grade its `v:ladderRank` and `v:currentGrade`."""
    ladder = build_ladder(catalogue, derived_moves)
    for grade in catalogue.grades.values():
        graph.add((URIRef(grade.uri), V.currentGrade, Literal(grade.uri in ladder.current)))
    for uri, rank in ladder.ranks.items():
        graph.add((URIRef(uri), V.ladderRank, Literal(rank)))
    for cadre, emplois in ladder.typical.items():
        for emploi in emplois:
            graph.add((URIRef(cadre), V.typicalEmploi, URIRef(emploi)))
    for step in ladder.steps:
        node = URIRef(step.uri)
        graph.add((node, RDF.type, CAREER_STEP_CLASS))
        graph.add((node, V.stepFrom, URIRef(step.source)))
        graph.add((node, V.stepTo, URIRef(step.target)))
        graph.add((node, V.stepKind, Literal(step.kind)))
        graph.add((node, V.stepBasis, Literal(step.basis)))
        graph.add((node, V.requirement, Literal(step.requirement, lang="fr")))
        graph.add((node, V.weight, Literal(float(step.weight))))
        graph.add((node, V.provenance, Literal(step.provenance)))
        for move in step.via:
            graph.add((node, V.via, Literal(move)))
        if step.years_in_grade is not None:
            graph.add((node, V.yearsInGrade, Literal(float(step.years_in_grade))))
    return ladder


def grade_ranks(catalogue: Catalogue) -> dict[str, int]:
    """Each current grade's rank in its cadre (1 = the entry grade), as `build_ladder` gives them, without the rest
    of the ladder (for readers that name a cadre as a grade: « sur le grade d'adjoint technique »)."""
    current = {g.uri for g in catalogue.grades.values() if not _replaced(g, catalogue)}
    return advancement_steps(catalogue, current, {})[1]


def _replaced(grade: GradeConcept, catalogue: Catalogue) -> bool:
    return grade.replaced_by is not None and uris.grade(grade.replaced_by) in catalogue.grades


# --- Avancement de grade --------------------------------------------------------------------------------------
def grade_level(label: str) -> int:
    """The grade's level within its cadre as its NEG label states it (0: the label says nothing)."""
    folded = fold(label)
    explicit = _EXPLICIT_RANK.search(folded)
    if explicit:
        return 100 * int(explicit.group(1))
    base = re.sub(r"\(.*?\)", " ", folded)
    klass = max((level for level, cue in _CLASS_CUES if re.search(cue, base)), default=0)
    role = max((level for level, cue in _ROLE_CUES if re.search(cue, base)), default=0)
    return 10 * role + klass


def grade_line(label: str) -> str:
    """The grade's line within a cadre that has several (specialities): its label without class and role cues,
    its first word and the start of its second (« masseur kine… » = « masseur kinesitherapeute … »)."""
    words = _LINE_STOP.sub(" ", re.sub(r"\(.*?\)|[^a-z0-9( )]", " ", fold(label))).split()
    return " ".join([*words[:1], *(w[:4] for w in words[1:2])])


def on_ladder(grade: GradeConcept) -> bool:
    """Off the ladder: temporary or special statuses, and the NEG's footnoted (*) grades that have no grille
    (closed grades kept for their last holders)."""
    folded = fold(grade.label)
    return not any(word in folded for word in OFF_LADDER) and not ("*" in folded and not grade.indices)


def _ladder_key(grade: GradeConcept) -> tuple[int, int, int, str]:
    top, start = (max(grade.indices), grade.indices[0]) if grade.indices else (0, 0)
    return grade_level(grade.label), top, start, grade.code


def advancement_steps(
    catalogue: Catalogue, current: set[str], years: dict[str, float]
) -> tuple[list[CareerStep], dict[str, int]]:
    """Steps from each grade to the next level of its line, within a cadre and a catégorie; and each grade's rank."""
    by_cadre: dict[tuple[str, str | None], list[GradeConcept]] = defaultdict(list)
    for g in catalogue.grades.values():
        if g.uri in current and on_ladder(g):
            by_cadre[(g.cadre_uri, g.categorie)].append(g)
    steps, ranks = [], {}
    for grades in by_cadre.values():
        levels = _levels(sorted(grades, key=_ladder_key))
        for rank, level in enumerate(levels, start=1):
            ranks.update({g.uri: rank for g in level})
        for lower, upper in itertools.pairwise(levels):
            for g in lower:
                same_line = [u for u in upper if grade_line(u.label) == grade_line(g.label)]
                for target in same_line or upper:
                    steps.append(_advancement(g, target, years.get(g.code), 1.0 if same_line else 1 / len(upper)))
    return steps, ranks


def _levels(grades: list[GradeConcept]) -> list[list[GradeConcept]]:
    """Grades grouped by level: by their labels' level, then by their top indice where the labels tie and every
    grade of the tie has a grille (a grade without one is as high as its peers, not lower)."""
    by_label: dict[int, list[GradeConcept]] = defaultdict(list)
    for g in grades:
        by_label[grade_level(g.label)].append(g)
    levels: list[list[GradeConcept]] = []
    for _, tie in sorted(by_label.items()):
        if not all(g.indices for g in tie):
            levels.append(tie)
            continue
        by_top: dict[int, list[GradeConcept]] = defaultdict(list)
        for g in tie:
            by_top[max(g.indices)].append(g)
        levels.extend(members for _, members in sorted(by_top.items()))
    return levels


def _advancement(grade: GradeConcept, target: GradeConcept, years: float | None, weight: float) -> CareerStep:
    requirement = TO_CHECK
    if years:
        requirement += f" (la grille du grade d'origine compte en moyenne {years:g} ans jusqu'à son dernier échelon)"
    basis = "grade_order" if grade_level(target.label) != grade_level(grade.label) else "grille"
    return CareerStep(grade.uri, target.uri, "avancement_de_grade", basis, requirement, round(weight, 3), years)


def grille_years() -> dict[str, float]:
    """Average years from the first to the last échelon of each grade's latest grille (grilles_clean.csv,
    `moy_mois` of each échelon but the last, which has no duration)."""
    months: dict[str, dict[str, dict[int, int]]] = defaultdict(lambda: defaultdict(dict))
    for row in read_grades("grilles_clean.csv", ("code_grade_NEG", "date_effet_grille", "echelon", "moy_mois")):
        if row["echelon"].isdigit() and row["moy_mois"].lstrip("-").isdigit():
            code = row["code_grade_NEG"].zfill(4)
            months[code][row["date_effet_grille"]][int(row["echelon"])] = int(row["moy_mois"])
    years = {}
    for code, grilles in months.items():
        grille = grilles[max(grilles)]
        durations = [grille[e] for e in sorted(grille)[:-1] if grille[e] > 0]
        if durations:
            years[code] = round(sum(durations) / 12, 1)
    return years


# --- Between cadres: promotion interne, concours, détachement --------------------------------------------------
@dataclass(frozen=True)
class CadreFacts:
    uri: str
    label: str
    versant: str
    categorie: str
    filiere: str | None
    indices: tuple[int, int] | None  # lowest first-échelon and highest top indice of its current grades


def cadres(catalogue: Catalogue, current: set[str]) -> list[CadreFacts]:
    """Cadres with at least one current grade, with the catégorie, filière and pay range of their grades."""
    grouped: dict[str, list[GradeConcept]] = defaultdict(list)
    for g in catalogue.grades.values():
        grouped[g.cadre_uri].append(g)
    facts = []
    for uri, grades in sorted(grouped.items()):
        live = [g for g in grades if g.uri in current]
        categories = sorted({g.categorie for g in live if g.categorie in CATEGORIE_ORDER})
        if not live or not categories:
            continue
        filieres = [g.filiere for g in grades if g.filiere]
        paid = [g.indices for g in live if g.indices]
        pay = (min(i[0] for i in paid), max(max(i) for i in paid)) if paid else None
        filiere = max(set(filieres), key=filieres.count) if filieres else None
        facts.append(CadreFacts(uri, grades[0].cadre_label, grades[0].versant, categories[0], filiere, pay))
    return facts


def cadre_steps(catalogue: Catalogue, current: set[str]) -> list[CareerStep]:
    facts = cadres(catalogue, current)
    return promotion_steps(facts) + detachement_steps(facts)


def promotion_steps(facts: list[CadreFacts]) -> list[CareerStep]:
    """C → B and B → A within a versant and a filière, by promotion interne and by concours (interne)."""
    groups: dict[tuple[str, str], list[CadreFacts]] = defaultdict(list)
    for c in facts:
        if c.filiere:
            groups[(c.versant, fold(c.filiere))].append(c)
    steps = []
    for members in groups.values():
        for lower, upper in itertools.pairwise(CATEGORIE_ORDER):
            sources = [c for c in members if c.categorie == lower]
            targets = [c for c in members if c.categorie == upper]
            for a in sources:
                for b in targets:
                    weight = round(0.5 + 0.5 * _label_overlap(a.label, b.label), 3)
                    steps.append(CareerStep(a.uri, b.uri, "promotion_interne", "filiere", TO_CHECK, weight))
                    concours = f"réussite au concours (interne ou externe) ; {TO_CHECK}"
                    steps.append(CareerStep(a.uri, b.uri, "concours", "filiere", concours, weight))
    return steps


def detachement_steps(facts: list[CadreFacts]) -> list[CareerStep]:
    """Both ways between cadres of two versants with the same catégorie, filière family and pay range."""
    steps = []
    for a in facts:
        for b in facts:
            if a.versant == b.versant or a.categorie != b.categorie or not a.indices or not b.indices:
                continue
            family = filiere_family(a.filiere)
            if family is None or family != filiere_family(b.filiere):
                continue
            overlap = _range_overlap(a.indices, b.indices)
            if overlap >= DETACHEMENT_OVERLAP:
                requirement = f"même catégorie ({a.categorie}) et niveau comparable (grilles) ; {TO_CHECK}"
                steps.append(CareerStep(a.uri, b.uri, "detachement", "grille", requirement, round(overlap, 3)))
    return steps


def filiere_family(filiere: str | None) -> str | None:
    folded = fold(filiere or "")
    return next((family for family, cues in _FILIERE_FAMILIES if folded and any(c in folded for c in cues)), None)


def _range_overlap(a: tuple[int, int], b: tuple[int, int]) -> float:
    inter = min(a[1], b[1]) - max(a[0], b[0])
    union = max(a[1], b[1]) - min(a[0], b[0])
    return max(0.0, inter / union) if union > 0 else 1.0


def _label_overlap(a: str, b: str) -> float:
    words_a, words_b = ({w[:5] for w in fold(x).split() if len(w) > 3} for x in (a, b))
    union = words_a | words_b
    return len(words_a & words_b) / len(union) if union else 0.0


# --- The jobs of a cadre: TYPICAL_EMPLOI -------------------------------------------------------------------
# RMFP domaines fonctionnels where each family of filières works (the RMFP is common to the three versants).
FILIERE_DOMAINES = {
    "administrative": (
        "achat",
        "affaires juridiques",
        "communication",
        "direction et pilotage",
        "finances publiques",
        "gestion budgetaire",
        "organisation, controle",
        "relation a l'usager",
        "ressources humaines",
    ),
    "direction": ("direction et pilotage", "organisation, controle", "ressources humaines", "gestion budgetaire"),
    "technique": ("agriculture", "amenagement", "batiment", "environnement", "interventions techniques", "numerique"),
    "sante-social": ("medical et paramedical", "prevention, conseil et pilotage en sante", "social, enfance"),
    "culturelle": ("culture et patrimoine", "lecture publique", "enseignement et formation"),
    "animation": ("animation, jeunesse",),
    "sportive": ("animation, jeunesse",),
    "securite": ("securite",),
}
# The catégories an emploi-référence's title names, by the start of its first word (« Chargée / Chargé … »,
# « Agente / Agent … »): a cue, not a rule; a title without a cue is typical of no cadre.
_TITLE_CATEGORIES = (
    ("ABC", ("secretaire",)),
    ("AB", ("charge", "conseill", "coordinat", "develop", "analyste", "archiviste", "enseign", "infirmi", "format")),
    ("AB", ("achet", "masseur", "kine", "puericult", "respons")),
    ("A", ("direct", "chef", "ingenieur", "medecin", "psychologue", "attache", "administrat", "conservat")),
    ("A", ("architecte", "urbaniste", "juriste", "expert", "audit", "inspect", "professeur", "bibliothecaire")),
    ("A", ("sage", "pharmacien", "cadre", "veterinaire", "statisticien", "climatolog", "meteorolog", "concept")),
    ("AB", ("coordonnat", "referent", "encadr", "qualiticien", "geomaticien", "geometre", "cartograph")),
    ("B", ("technicien", "redact", "educat", "instruct", "control", "documentaliste")),
    ("BC", ("gestionnaire", "assistant", "animat", "comptable", "dessinat", "regis")),
    ("C", ("agent", "adjoint", "aide", "auxiliaire", "ouvri", "operat", "conduct", "gardien", "jardini", "cuisini")),
    ("C", ("magasini", "mecanicien", "electricien", "plombi", "peintre", "menuisi", "macon", "hote", "chauffeur")),
    ("C", ("brancardier", "employe", "polici", "surveillant", "accueil", "accompagn", "electromecan", "metalli")),
    ("C", ("monteu", "animali", "collect")),
)
TYPICAL_EMPLOIS_PER_CADRE = 25


def title_categories(label: str) -> str:
    words = fold(label).replace("'", " ").split()
    first = words[0] if words else ""
    return next((cats for cats, starts in _TITLE_CATEGORIES if first.startswith(starts)), "")


def typical_emplois(catalogue: Catalogue, current: set[str]) -> dict[str, list[str]]:
    """Cadre URI -> the emplois-référence its members typically hold: in the RMFP domaines of the cadre's
    filière, with a title that names the cadre's catégorie; those whose title shares a word with the cadre's come
    first (« Infirmiers » → « Infirmière / Infirmier en soins généraux »)."""
    emplois = sorted(catalogue.occupations_of("RMFP"), key=lambda o: o.code)
    typical = {}
    for cadre in cadres(catalogue, current):
        domaines = FILIERE_DOMAINES.get(filiere_family(cadre.filiere) or "", ())
        fitting = [
            o for o in emplois if fold(o.domain).startswith(domaines) and cadre.categorie in title_categories(o.label)
        ]
        fitting.sort(key=lambda o: -_label_overlap(o.label, cadre.label))
        if fitting:
            typical[cadre.uri] = [o.uri for o in fitting[:TYPICAL_EMPLOIS_PER_CADRE]]
    return typical


# --- Job moves between RMFP emplois-référence -----------------------------------------------------------------
def job_moves(catalogue: Catalogue, per_emploi: int = JOB_MOVES_PER_EMPLOI) -> list[CareerStep]:
    """Each emploi-référence's closest others: skill similarity (TF-IDF cosine over skill concepts, so that a
    skill every emploi lists weighs little), plus a bonus for the same famille and the same domaine; never to a
    job whose title names only catégories above those the origin's title names (« Agent » → « Directeur »)."""
    emplois = sorted(catalogue.occupations_of("RMFP"), key=lambda o: o.code)
    similarity = skill_similarity(emplois)
    famille = np.array([[a.family == b.family and a.domain == b.domain for b in emplois] for a in emplois])
    domaine = np.array([[a.domain == b.domain for b in emplois] for a in emplois])
    weight = 0.6 * similarity + 0.25 * famille + 0.15 * domaine
    np.fill_diagonal(weight, -1.0)
    climbs = np.array([[climbs_categorie(a.label, b.label) for b in emplois] for a in emplois])
    weight[climbs] = -1.0  # a job of a higher catégorie is reached through a statutory step, not a job move
    steps = []
    for i, a in enumerate(emplois):
        for j in np.argsort(-weight[i], kind="stable")[:per_emploi]:
            if weight[i, j] <= 0:
                break
            basis = "famille" if famille[i, j] else "domaine" if domaine[i, j] else "competences"
            steps.append(CareerStep(a.uri, emplois[j].uri, "job_move", basis, TO_CHECK, round(float(weight[i, j]), 3)))
    return steps


def climbs_categorie(source: str, target: str) -> bool:
    """Whether the target title names only catégories above every one the source title names (C < B < A)."""
    low, high = title_categories(source), title_categories(target)
    if not low or not high:
        return False
    return max(CATEGORIE_ORDER.index(c) for c in low) < min(CATEGORIE_ORDER.index(c) for c in high)


def skill_similarity(emplois: list[OccupationConcept]) -> np.ndarray:
    vocabulary = {s: n for n, s in enumerate(sorted({s for o in emplois for s in _skills(o)}))}
    counts = np.zeros((len(emplois), len(vocabulary)))
    for i, o in enumerate(emplois):
        counts[i, [vocabulary[s] for s in _skills(o)]] = 1.0
    vectors = TfidfTransformer().fit_transform(counts)  # rows are L2-normalised: the product is the cosine
    return np.asarray((vectors @ vectors.T).todense())


def _skills(o: OccupationConcept) -> Iterable[str]:
    return dict.fromkeys((*o.essential_skills, *o.optional_skills))


# --- Job moves derived from the ROME 4.0 moves (ontology/mappings.py) -------------------------------------------
ROME4_BASIS = "rome4"


def rome4_job_moves(moves: Iterable[CareerMove], catalogue: Catalogue) -> list[CareerStep]:
    """The RMFP → RMFP moves derived from ROME 4.0 as job-move steps (basis `rome4`), kept to the rule of the
    other job moves: never to a job whose title names only catégories above the origin's."""
    label = {o.code: o.label for o in catalogue.occupations_of("RMFP")}
    return [
        CareerStep(
            uris.rmfp_emploi(m.source),
            uris.rmfp_emploi(m.target),
            "job_move",
            ROME4_BASIS,
            TO_CHECK,
            m.weight,
            provenance=f"computed:{MOVE_METHOD}",
            via=tuple(f"{a} → {b}" for a, b in m.via),
        )
        for m in moves
        if m.weight > 0 and not climbs_categorie(label[m.source], label[m.target])
    ]


def merge_job_moves(own: list[CareerStep], derived: Sequence[CareerStep]) -> list[CareerStep]:
    """One job move per pair of emplois: a derived one (observed ROME moves) replaces the catalogue's own between
    the same two, keeping the heavier weight."""
    by_pair = {(s.source, s.target): s for s in own}
    for step in derived:
        mine = by_pair.get((step.source, step.target))
        by_pair[(step.source, step.target)] = replace(step, weight=max(step.weight, mine.weight if mine else 0.0))
    return list(by_pair.values())
