"""An offer's telework statement and the corps it names, read from its text, reach Neo4j as `Offer.remote_work` and
`Offer.corps` (graph/schema.py), and reloading the same offers leaves the graph as it was."""

from __future__ import annotations

from graph.db import Database
from graph.schema import OFFER_CORPS, OFFER_REMOTE_WORK
from graph.writes import write_offers
from loaders.offers import parse_offer
from tests.support.ingestion import graph_fingerprint

OFFERS = [
    {
        "offer_id": "RW-1",
        "title": "Gestionnaire ressources humaines",
        "employer_id": "E1",
        "published_at": "2024-03-18",
        "contract": "titulaire",
        "departement": "76",
        "description": "Mairie de Rouen. Poste ouvert aux agents titulaires du cadre d'emplois des rédacteurs "
        "territoriaux. Poste télétravaillable deux jours par semaine.",
    },
    {
        "offer_id": "RW-2",
        "title": "Agent d'accueil",
        "employer_id": "E1",
        "published_at": "2024-03-18",
        "contract": "contractuel",
        "departement": "76",
        "description": "Accueil du public au guichet. Contraintes : poste non télétravaillable.",
    },
    {
        "offer_id": "RW-3",
        "title": "Jardinier",
        "employer_id": "E1",
        "published_at": "2024-03-18",
        "contract": "contractuel",
        "departement": "76",
        "description": "Entretien des espaces verts de la commune.",
    },
]


def offer_properties(db: Database) -> dict[str, dict[str, object]]:
    rows = db.execute_query(
        "MATCH (o:Offer) WHERE o.offer_id STARTS WITH 'RW-' RETURN o.offer_id AS id, properties(o) AS props"
    ).records
    return {row["id"]: row["props"] for row in rows}


def test_remote_work_and_corps_reach_neo4j_and_a_reload_changes_nothing(db: Database) -> None:
    records = [parse_offer(offer) for offer in OFFERS]
    write_offers(db, records)
    written = offer_properties(db)
    assert (written["RW-1"][OFFER_REMOTE_WORK], written["RW-1"][OFFER_CORPS]) == (True, "redacteurs territoriaux")
    assert written["RW-2"][OFFER_REMOTE_WORK] is False and OFFER_CORPS not in written["RW-2"]
    assert OFFER_REMOTE_WORK not in written["RW-3"] and OFFER_CORPS not in written["RW-3"]  # silent: absent

    before = graph_fingerprint(db)
    write_offers(db, [parse_offer(offer) for offer in OFFERS])
    assert graph_fingerprint(db) == before
