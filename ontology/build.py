"""Build the RDF graph of the knowledge base from the catalogue and the repertories' hierarchies and crosswalks."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from rdflib import DCTERMS, RDF, SKOS, XSD, Graph, Literal, URIRef

from ontology import uris
from ontology.catalogue import VERSANT_LABELS, Catalogue, load_catalogue
from ontology.collect import FPT_FILIERES
from ontology.ladder import add_ladder, rome4_job_moves
from ontology.mappings import (
    METHOD,
    METHOD_VERSION,
    PROVENANCE,
    Candidate,
    compute_mappings,
    derive_rmfp_moves,
)
from ontology.rome4 import PARENT_TEXT, SAME_CODE, Rome4, derive_skills, read_rome4
from ontology.sources import SOURCES_DIR, read_csv, read_esco, read_rome
from ontology.text import slug
from ontology.vocab import V, new_graph

SOURCE = {
    "RMFP": "RMFP (DGAFP) — data/sources/rmfp/metiers.json",
    "ROME": "ROME v3.44 (France Travail, Licence Ouverte 2.0) — data/sources/rome-v3.44/",
    "ESCO": "ESCO v1.1.2 FR (© European Commission) — data/sources/esco-v1.1.2-fr/",
    "NEG": "NEG / NETNEH grades (CNRACL/DGCL, via cbenz/fonction-publique) — data/sources/fp-grades/",
    "FAP": "DARES FAP-2009 crosswalks — data/sources/crosswalks/",
    "PCS": "INSEE PCS — data/sources/rome-v3.44/pcs.csv, data/sources/crosswalks/FAP_PCS.csv",
    "PEP": "Place de l'Emploi Public RMFP→ROME crosswalk — data/sources/crosswalks/rmfp_rome.js",
    "ROME4": "ROME 4.0 v4.60 (France Travail, Licence Ouverte 2.0) — data/sources/rome-v4.60/",
}
SCHEME_LABELS = {
    "RMFP": "Répertoire des métiers de la fonction publique",
    "ROME": "Répertoire opérationnel des métiers et des emplois v3.44",
    "ESCO": "ESCO v1.1.2 (français)",
    "NEG": "Nomenclature des emplois et grades",
    "FAP": "Familles professionnelles (DARES)",
    "PCS": "Professions et catégories socioprofessionnelles (INSEE)",
    "ROME4": "Répertoire opérationnel des métiers et des emplois 4.0 (v4.60)",
}
CATEGORIE_LABELS = {"A": "Catégorie A", "B": "Catégorie B", "C": "Catégorie C", "D": "Catégorie D (supprimée)"}


@dataclass
class Builder:
    """Adds concepts to a graph, one repertory at a time; `skipped` counts source records left out, by reason."""

    graph: Graph = field(default_factory=new_graph)
    skipped: dict[str, int] = field(default_factory=dict)

    def concept(
        self, uri: str, cls: str, scheme: str, label: str, code: str | None = None, alt_labels: Iterable[str] = ()
    ) -> URIRef:
        node = URIRef(uri)
        g = self.graph
        g.add((node, RDF.type, V[cls]))
        g.add((node, RDF.type, SKOS.Concept))  # explicit, so that SHACL needs no RDFS inference
        g.add((node, SKOS.inScheme, URIRef(uris.repertory(scheme))))
        g.add((node, V.scheme, Literal(scheme)))
        g.add((node, SKOS.prefLabel, Literal(label, lang="fr")))
        for alt in dict.fromkeys(a for a in alt_labels if a and a != label):
            g.add((node, SKOS.altLabel, Literal(alt, lang="fr")))
        if code is not None:
            g.add((node, SKOS.notation, Literal(code)))
        g.add((node, DCTERMS.source, Literal(SOURCE[scheme])))
        return node

    def link(self, subject: str, predicate: URIRef, obj: str) -> None:
        self.graph.add((URIRef(subject), predicate, URIRef(obj)))

    def skip(self, reason: str) -> None:
        self.skipped[reason] = self.skipped.get(reason, 0) + 1


def build_graph(catalogue: Catalogue | None = None) -> tuple[Graph, dict[str, int]]:
    """The whole knowledge base as RDF; returns the graph and the counts of source records left out."""
    catalogue = catalogue or load_catalogue()
    builder = Builder()
    add_schemes(builder)
    add_rmfp(builder, catalogue)
    add_rome(builder, catalogue)
    add_esco(builder, catalogue)
    add_skills(builder, catalogue)
    add_grades(builder, catalogue)
    add_fap_pcs(builder)
    rome4 = derive_skills(read_rome4(), catalogue)
    add_rome4(builder, rome4)
    mappings = compute_mappings(catalogue, rome4)
    add_mappings(builder, mappings.candidates)
    # issue 18: career steps between grades, cadres and emplois-référence; the job moves derived from the ROME 4.0
    # moves through the computed mappings join the ladder's as `job_move` steps with basis `rome4`
    add_ladder(builder.graph, catalogue, rome4_job_moves(derive_rmfp_moves(mappings.candidates, rome4), catalogue))
    return builder.graph, builder.skipped


def add_schemes(b: Builder) -> None:
    for code, label in SCHEME_LABELS.items():
        node = URIRef(uris.repertory(code))
        b.graph.add((node, RDF.type, SKOS.ConceptScheme))
        b.graph.add((node, SKOS.prefLabel, Literal(label, lang="fr")))
        b.graph.add((node, SKOS.notation, Literal(code)))


def add_rmfp(b: Builder, catalogue: Catalogue) -> None:
    for o in catalogue.occupations_of("RMFP"):
        domaine = uris.rmfp_domaine(slug(o.domain))
        famille = uris.rmfp_famille(f"{slug(o.domain)}--{slug(o.family)}")
        b.concept(domaine, "DomaineFonctionnel", "RMFP", o.domain)
        b.concept(famille, "FamilleMetiers", "RMFP", o.family)
        b.link(famille, SKOS.broader, domaine)
        b.concept(o.uri, "EmploiReference", "RMFP", o.label, o.code, o.alt_labels)
        b.link(o.uri, SKOS.broader, famille)
        for skill in o.essential_skills:
            b.link(o.uri, V.essentialSkill, skill)
        for fiche in catalogue.rmfp_to_rome.get(o.code, []):
            b.link(o.uri, SKOS.closeMatch, uris.rome_fiche(fiche))


def add_rome(b: Builder, catalogue: Catalogue) -> None:
    for row in read_rome("18", ("code_grand_domaine", "libelle_grand_domaine")):
        b.concept(
            uris.rome_grand_domaine(row["code_grand_domaine"]),
            "RomeGrandDomaine",
            "ROME",
            row["libelle_grand_domaine"],
            row["code_grand_domaine"],
        )
    for row in read_rome("19", ("code_domaine_professionnel", "libelle_domaine_professionnel")):
        code = row["code_domaine_professionnel"]
        b.concept(uris.rome_domaine(code), "RomeDomaine", "ROME", row["libelle_domaine_professionnel"], code)
        b.link(uris.rome_domaine(code), SKOS.broader, uris.rome_grand_domaine(code[:1]))
    for o in catalogue.occupations_of("ROME"):
        b.concept(o.uri, "RomeFiche", "ROME", o.label, o.code)
        b.link(o.uri, SKOS.broader, uris.rome_domaine(o.family_code or o.code[:3]))
        for skill in o.essential_skills:
            b.link(o.uri, V.essentialSkill, skill)
        for skill in o.optional_skills:
            b.link(o.uri, V.optionalSkill, skill)
    for ogr, fiche in catalogue.appellation_to_fiche.items():
        b.concept(uris.rome_appellation(ogr), "RomeAppellation", "ROME", catalogue.appellation_labels[ogr], ogr)
        b.link(uris.rome_appellation(ogr), SKOS.broader, uris.rome_fiche(fiche))
    for m in catalogue.mobilities:
        node = (
            uris.BASE
            + "rome/mobility/"
            + "-".join([m.source_code, m.target_code, m.kind, m.source_appellation or "", m.target_appellation or ""])
        )
        b.graph.add((URIRef(node), RDF.type, V.Mobility))
        b.graph.add((URIRef(node), V.mobilityKind, Literal(m.kind)))
        b.link(node, V.fromFiche, uris.rome_fiche(m.source_code))
        b.link(node, V.toFiche, uris.rome_fiche(m.target_code))
        if m.source_appellation:
            b.link(node, V.fromAppellation, uris.rome_appellation(m.source_appellation))
        if m.target_appellation:
            b.link(node, V.toAppellation, uris.rome_appellation(m.target_appellation))


def add_esco(b: Builder, catalogue: Catalogue) -> None:
    for row in read_esco("classification/ISCOGroups_fr.csv", ("code", "preferredLabel")):
        b.concept(uris.isco_group(row["code"]), "IscoGroup", "ESCO", row["preferredLabel"], row["code"])
        if len(row["code"]) > 1:
            b.link(uris.isco_group(row["code"]), SKOS.broader, uris.isco_group(row["code"][:-1]))
    for o in catalogue.occupations_of("ESCO"):
        b.concept(o.uri, "EscoOccupation", "ESCO", o.label, o.code, o.alt_labels)
        b.link(o.uri, SKOS.broader, uris.isco_group(o.family_code))
        b.graph.add((URIRef(o.uri), SKOS.exactMatch, URIRef(f"{uris.ESCO_PREFIX}occupation/{o.code}")))
        for skill in o.essential_skills:
            b.link(o.uri, V.essentialSkill, skill)
        for skill in o.optional_skills:
            b.link(o.uri, V.optionalSkill, skill)


def add_skills(b: Builder, catalogue: Catalogue) -> None:
    """Skills keep every merged source identifier; ESCO and ROME ones are also skos:exactMatch links."""
    for s in catalogue.skills.values():
        schemes = sorted({_scheme_of_source(source) for source in s.sources})
        node = b.concept(s.uri, "Skill", schemes[0], s.label, None, s.alt_labels)
        b.graph.set((node, V.scheme, Literal("SKILLS")))
        for scheme in schemes[1:]:
            b.graph.add((node, DCTERMS.source, Literal(SOURCE[scheme])))
        b.graph.add((node, V.skillKind, Literal(s.kind)))
        for source in s.sources:
            b.graph.add((node, V.sourceIdentifier, Literal(source)))


def _scheme_of_source(source: str) -> str:
    if source.startswith("RMFP:"):
        return "RMFP"
    return "ESCO" if source.startswith(uris.ESCO_PREFIX) else "ROME"


def add_grades(b: Builder, catalogue: Catalogue) -> None:
    for code, label in VERSANT_LABELS.items():
        b.concept(uris.versant(code), "Versant", "NEG", label, code)
    for letter, label in CATEGORIE_LABELS.items():
        b.concept(uris.categorie(letter), "Categorie", "NEG", label, letter)
    cadres: dict[str, list] = {}
    for g in catalogue.grades.values():
        cadres.setdefault(g.cadre_uri, []).append(g)
        node = b.concept(g.uri, "Grade", "NEG", g.label, g.code)
        b.link(g.uri, V.gradeOf, g.cadre_uri)
        if g.categorie:
            b.link(g.uri, V.categorie, uris.categorie(g.categorie))
        if g.indices:
            b.graph.add((node, V.indices, Literal(",".join(str(i) for i in g.indices))))
        if g.replaced_by and uris.grade(g.replaced_by) in catalogue.grades:
            b.link(g.uri, DCTERMS.isReplacedBy, uris.grade(g.replaced_by))
    for cadre_uri, grades in cadres.items():
        first = grades[0]
        b.concept(cadre_uri, "CadreEmplois", "NEG", first.cadre_label, first.cadre_code)
        b.link(cadre_uri, V.versant, uris.versant(first.versant))
        categories = sorted({g.categorie for g in grades if g.categorie})
        if categories:  # a corps spanning two catégories (e.g. manipulateurs) is filed under the higher one
            b.link(cadre_uri, V.categorie, uris.categorie(categories[0]))
        filieres = [g.filiere for g in grades if g.filiere]
        if filieres:
            filiere = max(set(filieres), key=filieres.count)
            b.concept(uris.filiere(slug(filiere)), "Filiere", "NEG", filiere)
            b.link(cadre_uri, V.filiere, uris.filiere(slug(filiere)))
    assert FPT_FILIERES  # the FPT filière codes are decoded in ontology.collect


def add_fap_pcs(b: Builder) -> None:
    """FAP families (labels from metiers_tension.csv), PCS, and the ROME ↔ FAP ↔ PCS crosswalks (closeMatch)."""
    crosswalks = SOURCES_DIR / "crosswalks"
    fap_labels = {
        r["fap_code"]: r["fap"] for r in read_csv(crosswalks / "metiers_tension.csv", required=("fap_code", "fap"))
    }
    pcs_labels = {r[0].strip('"'): r[1].strip('"') for r in _semicolon_rows(SOURCES_DIR / "rome-v3.44" / "pcs.csv")}
    for row in read_csv(crosswalks / "FAP_PCS.csv", sep=";", encoding="cp1252", required=("Fap", "PCS")):
        pcs_labels.setdefault(row["PCS"], row["intitule_PCS"])
    for code, label in fap_labels.items():
        b.concept(uris.fap(code), "Fap", "FAP", label, code)
    for code, label in pcs_labels.items():
        if label:
            b.concept(uris.pcs(code), "Pcs", "PCS", label, code)
    for row in read_csv(crosswalks / "fap225_rome.csv", sep=";", encoding="cp1252", required=("Fap", "Rome")):
        if row["Rome"] != "NA" and row["Fap"] in fap_labels:
            b.link(uris.rome_fiche(row["Rome"]), SKOS.closeMatch, uris.fap(row["Fap"]))
        elif row["Rome"] != "NA":
            b.skip("FAP ↔ ROME pair whose FAP has no label in any source")
    for row in read_csv(crosswalks / "FAP_PCS.csv", sep=";", encoding="cp1252", required=("Fap", "PCS")):
        if row["Fap"] in fap_labels:
            b.link(uris.fap(row["Fap"]), SKOS.closeMatch, uris.pcs(row["PCS"]))
        else:
            b.skip("FAP ↔ PCS pair whose FAP has no label in any source")
    add_pcs_rome(b, set(pcs_labels))


def _semicolon_rows(path: Path) -> list[list[str]]:
    return [line.split(";") for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def add_pcs_rome(b: Builder, known_pcs: set[str]) -> None:
    """pcs_rome.csv lists a PCS code then its ROME codes on the following lines (blank PCS = same as above)."""
    current = ""
    for cells in _semicolon_rows(SOURCES_DIR / "rome-v3.44" / "pcs_rome.csv"):
        pcs, rome = cells[0].strip(), cells[1].strip() if len(cells) > 1 else ""
        current = pcs or (current if rome else "")
        if current and rome:
            if current in known_pcs:
                b.link(uris.rome_fiche(rome), SKOS.closeMatch, uris.pcs(current))
            else:
                b.skip("PCS ↔ ROME pair whose PCS has no label")


# --- ROME 4.0 and computed RMFP mappings (issue 18) ---------------------------------------------------------------
def add_rome4(b: Builder, rome4: Rome4) -> None:
    """Fiches (texts as skos:definition / v:access, v3 parent, derived skills), appellations, ranked moves."""
    derived = {SAME_CODE: V.derivedSameCode, PARENT_TEXT: V.derivedParentText}
    for f in rome4.fiches.values():
        node = b.concept(uris.rome4_fiche(f.code), "Rome4Fiche", "ROME4", f.label, f.code)
        b.link(node, SKOS.broader, uris.rome_domaine(f.code[:3]))
        b.link(node, V.romeParent, uris.rome_fiche(f.parent))
        if f.definition:
            b.graph.add((node, SKOS.definition, Literal(f.definition, lang="fr")))
        if f.access:
            b.graph.add((node, V.access, Literal(f.access, lang="fr")))
        for skill, _ in f.skills:
            b.link(node, derived[f.skill_method], skill)
        for ogr, label in f.appellations:
            b.concept(uris.rome4_appellation(ogr), "Rome4Appellation", "ROME4", label, ogr)
            b.link(uris.rome4_appellation(ogr), SKOS.broader, node)
    for m in rome4.moves:
        move = URIRef(f"{uris.BASE}rome4/move/{m.source}-{m.target}")
        b.graph.add((move, RDF.type, V.Rome4Move))
        b.link(move, V.moveFrom, uris.rome4_fiche(m.source))
        b.link(move, V.moveTo, uris.rome4_fiche(m.target))
        b.graph.add((move, V.rank, Literal(m.rank)))


def add_mappings(b: Builder, candidates: list[Candidate]) -> None:
    """Ranked candidate mappings, reified (score, evidence and method travel with the SKOS relation)."""
    for c in candidates:
        node = URIRef(c.mapping_uri)
        b.graph.add((node, RDF.type, V.ComputedMapping))
        b.link(node, V.mappingFrom, uris.rmfp_emploi(c.emploi))
        b.link(node, V.mappingTo, c.target_uri)
        for predicate, value in (
            (V.mappingRelation, c.relation),
            (V.rank, c.rank),
            (V.evidence, c.evidence_json()),
            (V.provenance, PROVENANCE),
            (V.method, METHOD),
            (V.methodVersion, METHOD_VERSION),
        ):
            b.graph.add((node, predicate, Literal(value)))
        b.graph.add((node, V.score, Literal(float(c.score), datatype=XSD.double)))
