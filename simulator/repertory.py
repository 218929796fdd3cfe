"""The catalogue compiled into numpy arrays the simulator samples from.

Occupations are the RMFP emplois-référence and the ROME fiches (ESCO is not used for careers). The career graph
holds only real transitions or the documented exceptions (docs/simulation.md):

* `proche`, `evolution`: ROME → ROME mobilities of ROME v3.44 (`12-rubrique_mobilite`);
* `famille`: RMFP → RMFP within the same RMFP famille (and domaine fonctionnel);
* `rmfp_mobility`: RMFP → RMFP when a ROME mobility links their crosswalked ROME fiches;
* `crosswalk`: ROME → RMFP (entering the public service) and RMFP → ROME (leaving it) along the PEP crosswalk.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

import numpy as np
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import shortest_path

from ontology.catalogue import Catalogue, GradeConcept, OccupationConcept
from ontology.eligibility import CATEGORIES, VERSANTS
from ontology.text import fold_accents

EDGE_KINDS = ("same", "proche", "evolution", "famille", "rmfp_mobility", "crosswalk")
BUCKETS = ("administratif", "technique", "sante", "social", "culture", "sport_animation", "securite")
# First match wins, so the narrow families come before the broad ones.
_BUCKET_KEYWORDS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("securite", ("securite", "police", "pompier", "incendie", "surveillance", "gardiennage", "defense")),
    ("sante", ("soin", "infirm", "medic", "sante", "paramedic", "sage", "pharmac", "reeducat", "radiolog", "dietet")),
    ("social", ("social", "enfance", "famille", "educat", "puericult", "creche", "maternelle", "personne agee")),
    ("culture", ("cultur", "patrimoine", "biblioth", "lecture", "documentat", "archiv", "musee", "spectacle", "art ")),
    ("sport_animation", ("sport", "animation", "jeunesse", "loisir", "activites physiques")),
    (
        "technique",
        (
            "techni",
            "batiment",
            "travaux",
            "entretien",
            "logistique",
            "transport",
            "environnement",
            "amenagement",
            "maintenance",
            "industrie",
            "installation",
            "agricul",
            "espaces verts",
            "construction",
            "numerique",
            "informatique",
            "ingenieur",
            "voirie",
            "restauration",
            "hotellerie",
            "ouvrier",
            "maitrise",
            "salubrite",
        ),
    ),
)
# P(A), P(B), P(C) of a post or an agent in an occupation, from words of its label.
_CATEGORIE_HINTS: tuple[tuple[tuple[float, float, float], tuple[str, ...]], ...] = (
    (
        (0.75, 0.20, 0.05),
        (
            "responsable",
            "directeur",
            "directrice",
            "chef",
            "ingenieur",
            "charge d'etudes",
            "expert",
            "medecin",
            "conseiller",
            "juriste",
            "architecte",
            "cadre",
            "manager",
            "pharmacien",
            "psychologue",
            "conservateur",
            "attache",
            "inspecteur",
            "auditeur",
            "controleur de gestion",
            "administrateur",
            "urbaniste",
            "charge de mission",
            "chargee de mission",
            "consultant",
            "chercheur",
        ),
    ),
    (
        (0.15, 0.65, 0.20),
        (
            "technicien",
            "assistant",
            "gestionnaire",
            "infirmier",
            "educateur",
            "animateur",
            "redacteur",
            "coordinat",
            "secretaire",
            "comptable",
            "charge",
            "moniteur",
            "instructeur",
            "developpeur",
            "analyste",
            "dessinateur",
        ),
    ),
    (
        (0.03, 0.17, 0.80),
        (
            "agent",
            "adjoint",
            "aide",
            "ouvrier",
            "operateur",
            "conducteur",
            "auxiliaire",
            "employe",
            "jardinier",
            "cuisinier",
            "manutention",
            "gardien",
            "chauffeur",
            "magasinier",
            "accueil",
            "hote",
            "caissier",
            "vendeur",
            "mecanicien",
            "electricien",
            "plombier",
            "macon",
            "peintre",
            "menuisier",
            "brancardier",
            "serveur",
        ),
    ),
)
_DEFAULT_CATEGORIE = (0.30, 0.35, 0.35)


def bucket_of(*texts: str) -> int:
    """The broad professional family (index into BUCKETS) named by the first text that matches a keyword."""
    for text in texts:
        folded = " " + fold_accents(text or "").replace("'", " ").replace("-", " ") + " "
        for name, keywords in _BUCKET_KEYWORDS:
            if any(f" {k}" in folded for k in keywords):  # word starts: "sport" must not match "transport"
                return BUCKETS.index(name)
    return 0


def categorie_weights(label: str) -> tuple[float, float, float]:
    folded = " " + fold_accents(label)
    for weights, keywords in _CATEGORIE_HINTS:
        if any(f" {k}" in folded for k in keywords):
            return weights
    return _DEFAULT_CATEGORIE


@dataclass
class Cadre:
    code: str
    label: str
    versant: str
    categorie: str
    filiere: str
    bucket: int
    grades: list[GradeConcept]  # lowest first: the order of avancement de grade

    def echelons(self, grade_rank: int) -> int:
        return len(self.grades[grade_rank].indices) or 10  # grades without a grille: 10 échelons, a typical span


@dataclass
class Repertory:
    """Arrays over the occupations (RMFP then ROME) and the cadres d'emplois, built once per run."""

    occupations: list[OccupationConcept]
    is_rmfp: np.ndarray  # bool per occupation
    bucket: np.ndarray  # int per occupation
    categorie_p: np.ndarray  # (n_occ, 3) P(A, B, C)
    skill_uris: list[str]
    skill_labels: list[str]
    skill_kinds: list[str]  # connaissance, savoir_faire, rome_savoir_faire, … (catalogue SKILL_KINDS)
    occ_skill_ptr: np.ndarray  # CSR of each occupation's essential skills (indices into skill_uris)
    occ_skill_idx: np.ndarray
    skill_occ: list[np.ndarray]  # inverse: occupations having each skill
    graphs: dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]]  # status -> (indptr, targets, edge kind)
    edges: dict[tuple[int, int], int]  # (source, target) -> edge kind, every allowed transition
    distance: np.ndarray  # (n_occ, n_occ) hops in the career graph, capped at 9 (unreachable)
    cadres: list[Cadre]
    cadres_for: dict[tuple[str, str, int], list[int]]  # (versant, catégorie, bucket) -> cadre indices
    appellations: dict[str, list[str]]  # ROME fiche code -> OGR codes
    appellation_labels: dict[str, str]

    @property
    def n_occupations(self) -> int:
        return len(self.occupations)

    def skills_of(self, occ: int) -> np.ndarray:
        return self.occ_skill_idx[self.occ_skill_ptr[occ] : self.occ_skill_ptr[occ + 1]]

    def cadre_choices(self, versant: str, categorie: str, bucket: int) -> list[int]:
        for key in ((versant, categorie, bucket), (versant, categorie, 0), (versant, categorie, -1)):
            if self.cadres_for.get(key):
                return self.cadres_for[key]
        raise ValueError(f"the catalogue has no cadre d'emplois for versant {versant}, catégorie {categorie}")


def _skills(occupations: list[OccupationConcept], catalogue: Catalogue) -> tuple[list[str], np.ndarray, np.ndarray]:
    index: dict[str, int] = {}
    ptr, idx = [0], []
    for occ in occupations:
        for uri in occ.essential_skills or occ.optional_skills:
            if uri in catalogue.skills:
                idx.append(index.setdefault(uri, len(index)))
        ptr.append(len(idx))
    return list(index), np.array(ptr, dtype=np.int64), np.array(idx, dtype=np.int32)


def _edges(occupations: list[OccupationConcept], catalogue: Catalogue) -> dict[tuple[int, int], int]:
    pos = {(o.scheme, o.code): i for i, o in enumerate(occupations)}
    edges: dict[tuple[int, int], int] = {}
    for m in catalogue.mobilities:
        s, t = pos.get(("ROME", m.source_code)), pos.get(("ROME", m.target_code))
        if s is not None and t is not None and s != t:
            edges[(s, t)] = EDGE_KINDS.index("evolution" if m.kind == "evolution" else "proche")
    by_family: dict[tuple[str, str], list[int]] = defaultdict(list)
    for i, o in enumerate(occupations):
        if o.scheme == "RMFP":
            by_family[(o.domain, o.family)].append(i)
    for members in by_family.values():
        for s in members:
            for t in members:
                if s != t:
                    edges[(s, t)] = EDGE_KINDS.index("famille")
    rome_of = {
        pos[("RMFP", r)]: [pos[("ROME", f)] for f in fiches if ("ROME", f) in pos]
        for r, fiches in catalogue.rmfp_to_rome.items()
        if ("RMFP", r) in pos
    }
    rmfp_of: dict[int, list[int]] = defaultdict(list)
    for r, fiches in rome_of.items():
        for f in fiches:
            edges[(f, r)] = edges[(r, f)] = EDGE_KINDS.index("crosswalk")
            rmfp_of[f].append(r)
    rome_targets: dict[int, list[int]] = defaultdict(list)
    for (s, t), kind in edges.items():
        if kind in (1, 2):
            rome_targets[s].append(t)
    for r, fiches in rome_of.items():
        for f in fiches:
            for t in rome_targets[f]:
                for target in rmfp_of.get(t, []):
                    if target != r:
                        edges.setdefault((r, target), EDGE_KINDS.index("rmfp_mobility"))
    return edges


def _graph(edges: dict[tuple[int, int], int], n: int, allowed: set[tuple[bool, bool]], is_rmfp: np.ndarray) -> tuple:
    """CSR adjacency of the edges whose (source is RMFP, target is RMFP) pair is allowed for a population."""
    rows = sorted((s, t, k) for (s, t), k in edges.items() if (bool(is_rmfp[s]), bool(is_rmfp[t])) in allowed)
    src = np.array([r[0] for r in rows], dtype=np.int64)
    indptr = np.searchsorted(src, np.arange(n + 1)).astype(np.int64)
    return indptr, np.array([r[1] for r in rows], dtype=np.int32), np.array([r[2] for r in rows], dtype=np.int8)


def _grade_order(grade: GradeConcept) -> tuple[float, str]:
    folded = fold_accents(grade.label)
    score = 0.0
    for word, value in (("exception", 4), ("hors classe", 3), ("1re classe", 2), ("premiere classe", 2)):
        if word in folded:
            score = max(score, value)
    if "principal" in folded:
        score += 1
    return (score * 1000 + (max(grade.indices) if grade.indices else 0), grade.code)


def _cadres(catalogue: Catalogue) -> list[Cadre]:
    grouped: dict[str, list[GradeConcept]] = defaultdict(list)
    for g in catalogue.grades.values():
        # Mayotte's transitional grades are left out: they only exist for agents already there.
        usable = g.categorie in CATEGORIES and g.versant in VERSANTS and g.cadre_code and not g.replaced_by
        if usable and "mayotte" not in fold_accents(g.label):
            grouped[g.cadre_code].append(g)
    cadres = []
    for code, grades in sorted(grouped.items()):
        first = grades[0]
        majority = max(CATEGORIES, key=lambda c: sum(g.categorie == c for g in grades))
        grades = sorted((g for g in grades if g.categorie == majority), key=_grade_order)
        bucket = bucket_of(first.filiere or "", first.cadre_label)
        cadres.append(Cadre(code, first.cadre_label, first.versant, majority, first.filiere or "", bucket, grades))
    return cadres


def compile_repertory(catalogue: Catalogue) -> Repertory:
    """Arrays for sampling, from the catalogue (the only view of the repertories the simulator has)."""
    occupations = sorted(catalogue.occupations_of("RMFP"), key=lambda o: o.code)
    occupations += sorted(catalogue.occupations_of("ROME"), key=lambda o: o.code)
    n = len(occupations)
    is_rmfp = np.array([o.scheme == "RMFP" for o in occupations])
    skill_uris, ptr, idx = _skills(occupations, catalogue)
    skill_occ_lists: list[list[int]] = [[] for _ in skill_uris]
    for occ in range(n):
        for s in idx[ptr[occ] : ptr[occ + 1]]:
            skill_occ_lists[s].append(occ)
    edges = _edges(occupations, catalogue)
    public, private = {(True, True), (False, True)}, {(False, False)}
    graphs = {
        "titulaire": _graph(edges, n, public, is_rmfp),
        "contractuel": _graph(edges, n, public | private, is_rmfp),
        "prive": _graph(edges, n, private, is_rmfp),
    }
    src, dst = zip(*edges, strict=True) if edges else ((), ())
    adjacency = csr_matrix((np.ones(len(src)), (np.array(src), np.array(dst))), shape=(n, n))
    hops = shortest_path(adjacency, unweighted=True, directed=True)
    cadres = _cadres(catalogue)
    cadres_for: dict[tuple[str, str, int], list[int]] = defaultdict(list)
    for i, c in enumerate(cadres):
        cadres_for[(c.versant, c.categorie, c.bucket)].append(i)
        cadres_for[(c.versant, c.categorie, -1)].append(i)
    appellations: dict[str, list[str]] = defaultdict(list)
    for ogr, fiche in sorted(catalogue.appellation_to_fiche.items()):
        appellations[fiche].append(ogr)
    return Repertory(
        occupations=occupations,
        is_rmfp=is_rmfp,
        bucket=np.array([bucket_of(o.family, o.domain, o.label) for o in occupations], dtype=np.int8),
        categorie_p=np.array([categorie_weights(o.label) for o in occupations]),
        skill_uris=skill_uris,
        skill_labels=[catalogue.skills[u].label for u in skill_uris],
        skill_kinds=[catalogue.skills[u].kind for u in skill_uris],
        occ_skill_ptr=ptr,
        occ_skill_idx=idx,
        skill_occ=[np.array(x, dtype=np.int32) for x in skill_occ_lists],
        graphs=graphs,
        edges=edges,
        distance=np.minimum(np.nan_to_num(hops, posinf=9), 9).astype(np.int8),
        cadres=cadres,
        cadres_for=dict(cadres_for),
        appellations=dict(appellations),
        appellation_labels=dict(catalogue.appellation_labels),
    )
