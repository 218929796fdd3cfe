"""A small synthetic recruitment graph written into Neo4j by the schema's rules, for tests and benches.

Candidates fit offers through shared skills, the occupation they held and where they live; each offer's
applicants are its best-fitting candidates (with noise) and the best of those are shortlisted. Small by
design: a few hundred nodes train in seconds.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from graph.db import Database

FIRST_DAY = np.datetime64("2023-01-01")


def _write(db: Database, query: str, rows: list[dict[str, Any]]) -> None:
    rows = [{k: v for k, v in row.items() if not k.startswith("_")} for row in rows]  # "_…": generator-only facts
    for lo in range(0, len(rows), 2000):
        db.execute_query(query, rows=rows[lo : lo + 2000])


def write_synthetic_graph(db: Database, candidates: int = 200, offers: int = 80, seed: int = 0) -> None:
    rng = np.random.default_rng(seed)
    n_fiches, n_skills, n_depts = 12, 48, 6
    fiche_skills = [list(range(4 * f, 4 * f + 4)) for f in range(n_fiches)]
    _write(
        db,
        "UNWIND $rows AS r MERGE (s:Concept:Skill {uri: r.uri}) SET s.label = r.label, s.kind = 'savoir'",
        [{"uri": f"urn:skill:{i}", "label": f"compétence numéro {i} domaine {i // 4}"} for i in range(n_skills)],
    )
    _write(
        db,
        "UNWIND $rows AS r MERGE (f:Concept:Occupation:RomeFiche {uri: r.uri}) SET f.label = r.label, "
        "f.code = r.code WITH f, r UNWIND r.skills AS s MATCH (k:Skill {uri: s}) MERGE (f)-[:REQUIRES_SKILL]->(k)",
        [
            {
                "uri": f"urn:rome:F{f:03d}",
                "code": f"F{f:03d}",
                "label": f"métier {f}",
                "skills": [f"urn:skill:{s}" for s in fiche_skills[f]],
            }
            for f in range(n_fiches)
        ],
    )
    moves = [(f, (f + d) % n_fiches) for f in range(n_fiches) for d in (1, 2, 3)]
    _write(
        db,
        "UNWIND $rows AS r MATCH (a:RomeFiche {uri: r.a}), (b:RomeFiche {uri: r.b}) "
        "MERGE (a)-[:MOBILITY {kind: 'proche'}]->(b)",
        [{"a": f"urn:rome:F{a:03d}", "b": f"urn:rome:F{b:03d}"} for a, b in moves],
    )
    _write(
        db,
        "UNWIND $rows AS r MERGE (:Departement {code: r.code})",
        [{"code": f"{d + 1:02d}"} for d in range(n_depts)],
    )
    _write(
        db,
        "UNWIND $rows AS r MERGE (e:Employer {employer_id: r.id}) SET e.kind = 'commune', e.size = 100 "
        "WITH e, r MATCH (d:Departement {code: r.dept}) MERGE (e)-[:LOCATED_IN]->(d)",
        [{"id": f"E{e}", "dept": f"{e % n_depts + 1:02d}"} for e in range(n_depts * 2)],
    )
    cand = _candidates(rng, candidates, n_fiches, n_depts, fiche_skills)
    offer = _offers(rng, offers, n_fiches, n_depts, fiche_skills)
    _write(
        db,
        "UNWIND $rows AS r MERGE (c:Candidate {candidate_id: r.id}) SET c.cv_text = r.text, "
        "c.versant = 'FPT', c.categorie = 'C', c.titulaire = false, c.education_level = 0, "
        "c.years_experience = r.years WITH c, r MATCH (d:Departement {code: r.dept}) MERGE (c)-[:LIVES_IN]->(d) "
        "WITH c, r MATCH (f:RomeFiche {uri: r.fiche}) MERGE (c)-[:HELD {order: 0}]->(f) "
        "WITH c, r UNWIND r.skills AS s MATCH (k:Skill {uri: s}) MERGE (c)-[:HAS_SKILL]->(k)",
        cand,
    )
    _write(
        db,
        "UNWIND $rows AS r MERGE (o:Offer {offer_id: r.id}) SET o.title = r.title, o.description = r.text, "
        "o.published_at = date(r.published), o.versant = 'FPT', o.categorie = 'C', o.contract = 'contractuel' "
        "WITH o, r MATCH (e:Employer {employer_id: r.employer}) MERGE (o)-[:POSTED_BY]->(e) "
        "WITH o, r MATCH (d:Departement {code: r.dept}) MERGE (o)-[:LOCATED_IN]->(d) "
        "WITH o, r MATCH (f:RomeFiche {uri: r.fiche}) MERGE (o)-[:OF_OCCUPATION {rank: 1, score: 1.0}]->(f) "
        "WITH o, r UNWIND r.skills AS s MATCH (k:Skill {uri: s}) MERGE (o)-[:REQUIRES_SKILL]->(k)",
        offer,
    )
    _write(
        db,
        "UNWIND $rows AS r MATCH (c:Candidate {candidate_id: r.c}), (o:Offer {offer_id: r.o}) "
        "MERGE (c)-[a:APPLIED {application_id: r.id}]->(o) SET a.stage = r.stage, a.applied_at = date(r.at)",
        _applications(rng, cand, offer),
    )


def _candidates(
    rng: np.random.Generator, n: int, n_fiches: int, n_depts: int, fiche_skills: list[list[int]]
) -> list[dict[str, Any]]:
    rows = []
    for i in range(n):
        fiche = int(rng.integers(n_fiches))
        near = fiche_skills[fiche] + fiche_skills[(fiche + 1) % n_fiches]
        skills = sorted({int(s) for s in rng.choice(near, size=4, replace=False)})
        rows.append(
            {
                "id": f"C{i:05d}",
                "fiche": f"urn:rome:F{fiche:03d}",
                "dept": f"{int(rng.integers(n_depts)) + 1:02d}",
                "skills": [f"urn:skill:{s}" for s in skills],
                "years": int(rng.integers(0, 20)),
                "text": f"Expérience de métier {fiche}, compétences {' '.join(map(str, skills))}",
                "_fiche": fiche,
                "_skills": set(skills),
            }
        )
    return rows


def _offers(
    rng: np.random.Generator, n: int, n_fiches: int, n_depts: int, fiche_skills: list[list[int]]
) -> list[dict[str, Any]]:
    rows = []
    for i in range(n):
        fiche = int(rng.integers(n_fiches))
        employer = int(rng.integers(n_depts * 2))
        skills = sorted(int(s) for s in rng.choice(fiche_skills[fiche], size=3, replace=False))
        rows.append(
            {
                "id": f"O{i:05d}",
                "fiche": f"urn:rome:F{fiche:03d}",
                "employer": f"E{employer}",
                "dept": f"{employer % n_depts + 1:02d}",
                "skills": [f"urn:skill:{s}" for s in skills],
                "published": str(FIRST_DAY + i * 3),
                "title": f"Poste de métier {fiche}",
                "text": f"Nous recherchons un agent pour le métier {fiche}.",
                "_fiche": fiche,
                "_skills": set(skills),
            }
        )
    return rows


def _applications(
    rng: np.random.Generator, cand: list[dict[str, Any]], offer: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    rows = []
    for o in offer:
        utility = np.array(
            [
                len(c["_skills"] & o["_skills"]) + 2.0 * (c["_fiche"] == o["_fiche"]) + 1.0 * (c["dept"] == o["dept"])
                for c in cand
            ]
        )
        applicants = np.argsort(-(utility + rng.normal(0, 1.0, len(cand))))[:10]
        best = set(applicants[np.argsort(-utility[applicants])[:3]].tolist())
        for j in applicants.tolist():
            rows.append(
                {
                    "id": f"A-{o['id']}-{cand[j]['id']}",
                    "c": cand[j]["id"],
                    "o": o["id"],
                    "at": o["published"],
                    "stage": "shortlisted" if j in best else "rejected",
                }
            )
    return rows
