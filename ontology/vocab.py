"""Vivier's RDF vocabulary (SKOS-based) and the mapping of its classes and properties to Neo4j.

Every concept is a `skos:Concept` of one of the classes below, in the concept scheme of its repertory, with a
`skos:prefLabel`, optional `skos:altLabel`s, a `skos:notation` where the repertory gives a code and its provenance
in `dct:source`. The vocabulary itself is in `vocab.ttl`; the SHACL shapes in `shapes.ttl`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from rdflib import DCTERMS, OWL, SKOS, Graph, Namespace, URIRef

from ontology.uris import BASE
from ontology.uris import VOCAB as VOCAB_IRI

V = Namespace(VOCAB_IRI)
VID = Namespace(BASE)
HERE = Path(__file__).parent
VOCAB_FILE = HERE / "vocab.ttl"
SHAPES_FILE = HERE / "shapes.ttl"

# RDF class (local name) -> Neo4j labels, the first being the class's own (graph/schema.py).
CLASSES: dict[str, tuple[str, ...]] = {
    "DomaineFonctionnel": ("DomaineFonctionnel",),
    "FamilleMetiers": ("FamilleMetiers",),
    "EmploiReference": ("EmploiReference", "Occupation"),
    "RomeGrandDomaine": ("RomeGrandDomaine",),
    "RomeDomaine": ("RomeDomaine",),
    "RomeFiche": ("RomeFiche", "Occupation"),
    "RomeAppellation": ("RomeAppellation", "Occupation"),
    "EscoOccupation": ("EscoOccupation", "Occupation"),
    "IscoGroup": ("IscoGroup",),
    "Skill": ("Skill",),
    "Versant": ("Versant",),
    "Categorie": ("Categorie",),
    "Filiere": ("Filiere",),
    "CadreEmplois": ("CadreEmplois",),
    "Grade": ("Grade",),
    "Fap": ("Fap",),
    "Pcs": ("Pcs",),
    # ROME 4.0 (issue 18)
    "Rome4Fiche": ("Rome4Fiche", "Occupation"),
    "Rome4Appellation": ("Rome4Appellation",),
}

# RDF object property -> (Neo4j relationship type, fixed relationship properties).
RELATIONS: dict[str, tuple[str, dict[str, object]]] = {
    str(SKOS.broader): ("BROADER", {}),
    str(SKOS.related): ("RELATED", {}),
    str(SKOS.exactMatch): ("EXACT_MATCH", {}),
    str(SKOS.closeMatch): ("CLOSE_MATCH", {}),
    str(DCTERMS.isReplacedBy): ("REPLACED_BY", {}),
    str(V.essentialSkill): ("REQUIRES_SKILL", {"essential": True}),
    str(V.optionalSkill): ("REQUIRES_SKILL", {"essential": False}),
    str(V.gradeOf): ("GRADE_OF", {}),
    str(V.filiere): ("IN_FILIERE", {}),
    str(V.categorie): ("IN_CATEGORIE", {}),
    str(V.versant): ("IN_VERSANT", {}),
    str(V.typicalEmploi): ("TYPICAL_EMPLOI", {}),  # issue 18 (ontology/ladder.py)
    # ROME 4.0 (issue 18): the v3 parent; skills derived because the source has no fiche ↔ compétence links
    str(V.romeParent): ("ROME_PARENT", {}),
    str(V.derivedSameCode): ("REQUIRES_SKILL", {"essential": False, "derived": True, "method": "same-code"}),
    str(V.derivedParentText): ("REQUIRES_SKILL", {"essential": False, "derived": True, "method": "parent+text"}),
}

# RDF datatype property -> Neo4j node property; `multi` ones become lists.
PROPERTIES: dict[str, str] = {
    str(SKOS.prefLabel): "label",
    str(SKOS.altLabel): "alt_labels",
    str(SKOS.notation): "code",
    str(SKOS.definition): "definition",
    str(DCTERMS.source): "source",
    str(V.skillKind): "kind",
    str(V.sourceIdentifier): "source_ids",
    str(V.indices): "indices",
    str(OWL.deprecated): "deprecated",
    str(V.scheme): "scheme",
    # issue 18: the statutory ladder (ontology/ladder.py)
    str(V.ladderRank): "ladder_rank",
    str(V.currentGrade): "current",
    str(V.access): "access",
}
MULTI_VALUED = {"alt_labels", "source_ids", "source"}

# Mobility transitions are reified (vivier:Mobility) because one ROME pair may come with appellation detail.
MOBILITY_CLASS = V.Mobility
# Career steps (issue 18, ontology/ladder.py) are reified too: each keeps its kind, requirement, weight, provenance.
CAREER_STEP_CLASS = V.CareerStep
CAREER_STEP_KINDS = ("job_move", "avancement_de_grade", "promotion_interne", "concours", "detachement")


@dataclass(frozen=True)
class Reified:
    """A reified resource that Neo4j holds as one relationship: its type, the property keying it (the resource's
    URI), the predicates to its two ends and its literal predicates → relationship properties."""

    rel_type: str
    key: str
    start: URIRef
    end: URIRef
    literals: dict[str, str]


# Classes of reified resources other than v:Mobility (issue 18), by class IRI.
REIFIED: dict[str, Reified] = {
    str(V.Rome4Move): Reified("ROME4_MOVE", "move_id", V.moveFrom, V.moveTo, {str(V.rank): "rank"}),
    str(V.ComputedMapping): Reified(
        "COMPUTED_MATCH",
        "mapping_id",
        V.mappingFrom,
        V.mappingTo,
        {
            str(V.mappingRelation): "relation",
            str(V.rank): "rank",
            str(V.score): "score",
            str(V.evidence): "evidence",
            str(V.provenance): "provenance",
            str(V.method): "method",
            str(V.methodVersion): "method_version",
        },
    ),
}
# An HR expert's decision on a computed mapping (curation): the mapping's `status` in Neo4j.
MAPPING_DECISIONS = {str(V.confirmedMatch): "confirmed", str(V.rejectedMatch): "rejected"}

SKILL_KINDS = ("connaissance", "savoir_faire", "savoir_etre", "rome_savoir", "rome_savoir_faire", "esco")


def new_graph() -> Graph:
    graph = Graph()
    graph.bind("v", V)
    graph.bind("skos", SKOS)
    graph.bind("dct", DCTERMS)
    graph.bind("owl", OWL)
    return graph


def vocabulary() -> Graph:
    graph = new_graph()
    graph.parse(VOCAB_FILE, format="turtle")
    return graph


def shapes() -> Graph:
    graph = Graph()
    graph.parse(SHAPES_FILE, format="turtle")
    return graph


def class_of(local_name: str) -> object:
    if local_name not in CLASSES:
        raise KeyError(f"unknown ontology class {local_name!r}")
    return V[local_name]
