"""Explanations and career paths, read from the graph: skills shared and missing, routes through the real ROME
mobility transitions, similar past hires, and the skills to acquire along a route.

Occupations come from several repertories (RMFP, ROME fiches and appellations, ESCO); mobility is known between ROME
fiches only, so every occupation is first brought to its ROME fiches (itself, its broader fiche, or through the
crosswalks' EXACT_MATCH / CLOSE_MATCH).
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from typing import Any

from graph.db import Database

Row = dict[str, Any]
MAX_ROUTE_STEPS = 4  # longer chains of transitions stop being a plausible career route

# An occupation of any repertory → the ROME fiches mobility is known between.
_FICHES_OF = (
    "CALL (occ) { "
    "  MATCH (occ) WHERE occ:RomeFiche RETURN occ AS fiche "
    "  UNION MATCH (occ)-[:BROADER]->(fiche:RomeFiche) RETURN fiche "
    "  UNION MATCH (occ)-[:EXACT_MATCH|CLOSE_MATCH]-(x:Concept)-[:BROADER*0..1]->(fiche:RomeFiche) RETURN fiche } "
)


def offer_skills(db: Database, offer_id: str) -> list[Row]:
    """Skills the offer requires; when the offer names none, those of its best-ranked occupation."""
    records, _, _ = db.execute_query(
        "MATCH (o:Offer {offer_id: $offer_id}) "
        "CALL (o) { MATCH (o)-[r:REQUIRES_SKILL]->(s:Skill) "
        "  RETURN s.uri AS uri, s.label AS label, coalesce(r.essential, false) AS essential "
        "  UNION MATCH (o)-[oo:OF_OCCUPATION]->(occ) WHERE NOT EXISTS { (o)-[:REQUIRES_SKILL]->(:Skill) } "
        "  WITH occ ORDER BY oo.rank LIMIT 1 MATCH (occ)-[r:REQUIRES_SKILL]->(s:Skill) "
        "  RETURN s.uri AS uri, s.label AS label, coalesce(r.essential, false) AS essential } "
        "RETURN uri, label, max(essential) AS essential ORDER BY essential DESC, label",
        offer_id=offer_id,
    )
    return [dict(r) for r in records]


def candidate_skill_sets(db: Database, candidate_ids: Sequence[str]) -> dict[str, set]:
    records, _, _ = db.execute_query(
        "UNWIND $ids AS id MATCH (c:Candidate {candidate_id: id}) OPTIONAL MATCH (c)-[:HAS_SKILL]->(s:Skill) "
        "RETURN id, collect(s.uri) AS skills",
        ids=list(candidate_ids),
    )
    return {r["id"]: set(r["skills"]) for r in records}


def skills_gap(required: list[Row], held: set[str]) -> tuple[list[Row], list[Row]]:
    """(shared, missing), essential skills first: the order the recruiter reads them in."""
    shared = [s for s in required if s["uri"] in held]
    missing = [s for s in required if s["uri"] not in held]
    return shared, missing


def latest_occupations(db: Database, candidate_ids: Sequence[str]) -> dict[str, Row]:
    """Each candidate's most recent career step (order 0 is the latest, then the latest start)."""
    records, _, _ = db.execute_query(
        "UNWIND $ids AS id MATCH (c:Candidate {candidate_id: id})-[h:HELD]->(occ) "
        "WITH id, occ, h ORDER BY coalesce(h.order, 0), h.start DESC "
        "WITH id, head(collect({uri: occ.uri, label: occ.label})) AS latest RETURN id, latest",
        ids=list(candidate_ids),
    )
    return {r["id"]: r["latest"] for r in records}


def offer_occupation(db: Database, offer_id: str) -> Row | None:
    records, _, _ = db.execute_query(
        "MATCH (o:Offer {offer_id: $offer_id})-[r:OF_OCCUPATION]->(occ) "
        "RETURN occ.uri AS uri, occ.label AS label ORDER BY r.rank LIMIT 1",
        offer_id=offer_id,
    )
    return dict(records[0]) if records else None


def career_paths(
    db: Database,
    from_uri: str,
    to_uri: str,
    k: int = 3,
    held_skills: set[str] | None = None,
) -> list[Row]:
    """The k most plausible routes between two occupations through real ROME transitions; between two
    public-service concepts (grades, cadres, RMFP emplois-référence), through job moves and statutory steps
    (`ladder_routes`), the ROME transitions being the fallback.

    Plausibility: fewer steps first, then fewer 'evolution' transitions than 'proche' (close) ones. Each step lists
    the essential skills of the next fiche that the previous one did not require (and the candidate lacks).
    """
    if is_public_service(db, [from_uri, to_uri]):  # grades, cadres, RMFP jobs: job moves and statutory steps
        routes = ladder_routes(db, from_uri, to_uri, k, held_skills)
        if routes:
            return routes
    k = max(1, min(int(k), 10))  # SHORTEST takes a literal, not a parameter: an int we bounded ourselves
    records, _, _ = db.execute_query(
        "MATCH (occ:Concept {uri: $from_uri}) " + _FICHES_OF + "WITH collect(DISTINCT fiche) AS sources "
        "MATCH (occ:Concept {uri: $to_uri}) " + _FICHES_OF + "WITH sources, collect(DISTINCT fiche) AS targets "
        "UNWIND sources AS a UNWIND targets AS b "
        "CALL (a, b) { WITH a, b WHERE a = b RETURN [a] AS fiches, [] AS kinds "
        f"  UNION MATCH p = SHORTEST {k} (a)-[:MOBILITY]->{{1,{MAX_ROUTE_STEPS}}}(b) WHERE a <> b "
        "  RETURN nodes(p) AS fiches, [r IN relationships(p) | r.kind] AS kinds } "
        "WITH fiches, kinds, size(kinds) AS steps, size([x IN kinds WHERE x = 'evolution']) AS evolutions "
        "ORDER BY steps, evolutions LIMIT $k "
        "RETURN [f IN fiches | {uri: f.uri, code: f.code, label: f.label}] AS fiches, kinds",
        from_uri=from_uri,
        to_uri=to_uri,
        k=k,
    )
    pairs = {(r["fiches"][i]["uri"], r["fiches"][i + 1]["uri"]) for r in records for i in range(len(r["kinds"]))}
    new_skills = _skills_to_acquire(db, sorted(pairs), held_skills or set())
    return [_route(r["fiches"], r["kinds"], new_skills) for r in records]


def routes_to(db: Database, from_uris: Sequence[str], to_uri: str) -> dict[str, Row]:
    """For each starting occupation, its single most plausible route to `to_uri` (one query for all of them)."""
    if not from_uris:
        return {}
    records, _, _ = db.execute_query(
        "MATCH (occ:Concept {uri: $to_uri}) " + _FICHES_OF + "WITH collect(DISTINCT fiche) AS targets "
        "UNWIND $from_uris AS from_uri MATCH (occ:Concept {uri: from_uri}) "
        + _FICHES_OF
        + "WITH from_uri, targets, collect(DISTINCT fiche) AS sources "
        "UNWIND sources AS a UNWIND targets AS b "
        "CALL (a, b) { WITH a, b WHERE a = b RETURN [a] AS fiches, [] AS kinds "
        f"  UNION MATCH p = SHORTEST 1 (a)-[:MOBILITY]->{{1,{MAX_ROUTE_STEPS}}}(b) WHERE a <> b "
        "  RETURN nodes(p) AS fiches, [r IN relationships(p) | r.kind] AS kinds } "
        "WITH from_uri, fiches, kinds ORDER BY size(kinds), size([x IN kinds WHERE x = 'evolution']) "
        "WITH from_uri, head(collect({fiches: [f IN fiches | {uri: f.uri, code: f.code, label: f.label}], "
        "  kinds: kinds})) AS best RETURN from_uri, best",
        from_uris=list(from_uris),
        to_uri=to_uri,
    )
    best = {r["from_uri"]: r["best"] for r in records}
    pairs = {(b["fiches"][i]["uri"], b["fiches"][i + 1]["uri"]) for b in best.values() for i in range(len(b["kinds"]))}
    new_skills = _skills_to_acquire(db, sorted(pairs), set())
    routes = {uri: _route(b["fiches"], b["kinds"], new_skills) for uri, b in best.items()}
    return routes | _ladder_routes_to(db, from_uris, to_uri)


MAX_LADDER_EXPLANATIONS = 20  # one path search each: bounded so that explaining a ranking stays quick


def _ladder_routes_to(db: Database, from_uris: Sequence[str], to_uri: str) -> dict[str, Row]:
    """Between public-service concepts, the best route through job moves and statutory steps, which replaces
    the ROME one (explanations show both kinds of step)."""
    public = public_service_uris(db, [to_uri, *from_uris])  # one query for the target and every start
    if to_uri not in public:
        return {}
    starts = [uri for uri in dict.fromkeys(from_uris) if uri in public][:MAX_LADDER_EXPLANATIONS]
    found = {uri: ladder_routes(db, uri, to_uri, k=1) for uri in starts if uri != to_uri}
    return {uri: routes[0] for uri, routes in found.items() if routes}


def _route(fiches: list[Row], kinds: list[str], new_skills: dict[tuple[str, str], list[Row]]) -> Row:
    steps = [
        {
            "from": fiches[i],
            "to": fiches[i + 1],
            "kind": kinds[i],
            "skills_to_acquire": new_skills.get((fiches[i]["uri"], fiches[i + 1]["uri"]), []),
        }
        for i in range(len(kinds))
    ]
    return {"fiches": fiches, "concepts": fiches, "steps": steps, "length": len(steps)}


def _skills_to_acquire(
    db: Database, pairs: list[tuple[str, str]], held: set[str], per_step: int = 10
) -> dict[tuple[str, str], list[Row]]:
    """For each transition, the next fiche's essential skills that the previous fiche did not already require."""
    if not pairs:
        return {}
    records, _, _ = db.execute_query(
        "UNWIND $pairs AS pair MATCH (a:Concept {uri: pair[0]}), (b:Concept {uri: pair[1]}) "
        "OPTIONAL MATCH (b)-[r:REQUIRES_SKILL]->(s:Skill) "
        "WHERE coalesce(r.essential, true) AND NOT EXISTS { (a)-[:REQUIRES_SKILL]->(s) } AND NOT s.uri IN $held "
        "WITH pair, s ORDER BY s.label "
        "RETURN pair, [x IN collect(s) | {uri: x.uri, label: x.label}][..$n] AS skills",
        pairs=[list(p) for p in pairs],
        held=sorted(held),
        n=per_step,
    )
    return {(r["pair"][0], r["pair"][1]): r["skills"] for r in records}


def next_occupations(db: Database, occupation_uri: str, k: int = 10) -> list[Row]:
    """Occupations one real transition away, 'proche' before 'evolution': the graph's own next steps."""
    records, _, _ = db.execute_query(
        "MATCH (occ:Concept {uri: $uri}) " + _FICHES_OF + "MATCH (fiche)-[m:MOBILITY]->(next:RomeFiche) "
        "WITH next, min(CASE m.kind WHEN 'proche' THEN 0 ELSE 1 END) AS rank "
        "RETURN next.uri AS uri, next.code AS code, next.label AS label, "
        "CASE rank WHEN 0 THEN 'proche' ELSE 'evolution' END AS kind ORDER BY rank, label LIMIT $k",
        uri=occupation_uri,
        k=k,
    )
    return [dict(r) for r in records]


def concept_labels(db: Database, uris: Sequence[str]) -> dict[str, Row]:
    records, _, _ = db.execute_query(
        "UNWIND $uris AS uri MATCH (c:Concept {uri: uri}) RETURN uri, c.label AS label, c.code AS code",
        uris=list(uris),
    )
    return {r["uri"]: {"uri": r["uri"], "label": r["label"], "code": r["code"]} for r in records}


def past_hires(db: Database, offer_id: str, limit: int = 200) -> list[Row]:
    """Hires on offers of the same occupation: by this employer, or by a similar one (same kind of employer).

    Each hire comes with the hired candidate's skills, so that the caller can pick those closest to a candidate.
    """
    records, _, _ = db.execute_query(
        "MATCH (o:Offer {offer_id: $offer_id})-[:POSTED_BY]->(e:Employer) "
        "MATCH (o)-[:OF_OCCUPATION]->(occ)<-[:OF_OCCUPATION]-(past:Offer)<-[a:APPLIED {stage: 'hired'}]-(h:Candidate) "
        "WHERE past <> o MATCH (past)-[:POSTED_BY]->(pe:Employer) "
        "WITH DISTINCT e, past, pe, a, h WHERE pe = e OR pe.kind = e.kind "
        "WITH e, past, pe, a, h ORDER BY (pe = e) DESC, a.updated_at DESC LIMIT $limit "
        "OPTIONAL MATCH (h)-[:HAS_SKILL]->(s:Skill) "
        "RETURN h.candidate_id AS candidate_id, past.offer_id AS offer_id, past.title AS title, "
        "pe.employer_id AS employer_id, pe = e AS same_employer, toString(a.updated_at) AS hired_at, "
        "collect(s.uri) AS skills",
        offer_id=offer_id,
        limit=limit,
    )
    return [dict(r) for r in records]


def similar_hires(hires: list[Row], skills: set[str], candidate_id: str, per_group: int = 3) -> dict[str, list[Row]]:
    """The past hires closest to a candidate (Jaccard on skills), by this employer and by similar employers."""
    groups: dict[str, list[Row]] = {"same_employer": [], "similar_employers": []}
    for hire in hires:
        if hire["candidate_id"] == candidate_id:
            continue
        theirs = set(hire["skills"])
        union = theirs | skills
        similarity = len(theirs & skills) / len(union) if union else 0.0
        entry = {k: hire[k] for k in ("candidate_id", "offer_id", "title", "employer_id", "hired_at")}
        entry["skill_similarity"] = round(similarity, 3)
        groups["same_employer" if hire["same_employer"] else "similar_employers"].append(entry)
    return {g: sorted(rows, key=lambda r: -r["skill_similarity"])[:per_group] for g, rows in groups.items()}


# --- Public-service careers (issue 18): job moves and statutory steps, CAREER_STEP ---------------------------
PUBLIC_SERVICE_LABELS = ("EmploiReference", "Grade", "CadreEmplois")
MAX_LADDER_HOPS = 6  # a route from a grade to a job of a cadre two catégories up takes five or six hops
STEP_PREFERENCE = ("job_move", "avancement_de_grade", "promotion_interne", "concours", "detachement")
# Shortest paths fetched per route asked for, before the heaviest are kept: a promotion interne and a concours
# between the same two cadres are two paths, and the job moves (by skills, famille, domaine, ROME 4.0) tie many
# routes at the same length, which SHORTEST returns in no particular order.
ROUTE_CANDIDATES = 10
# Hops that are memberships, not moves: a grade in its cadre (and a cadre's entry grade), a job of a cadre.
BRIDGE_KINDS = {"GRADE_OF": "cadre", "TYPICAL_EMPLOI": "emploi"}

# One hop of a route: a CAREER_STEP forwards; GRADE_OF up to the cadre, or down to its entry grade only;
# TYPICAL_EMPLOI both ways (a cadre's member holds its jobs; a job's holder may belong to its cadres).
_LADDER_HOP = (
    "((x)-[r:CAREER_STEP|GRADE_OF|TYPICAL_EMPLOI]-(y) WHERE type(r) = 'TYPICAL_EMPLOI' OR startNode(r) = x "
    "OR (type(r) = 'GRADE_OF' AND y.ladder_rank = 1))"
)


# A job's holder belongs to the cadres the job is typical of: that hop (emploi → cadre) starts a route, never
# continues one, else two cadres would be joined through a job they share, bypassing the statutory steps.
_JOB_TO_CADRE_FIRST_ONLY = (
    "all(i IN range(1, size(r) - 1) WHERE NOT (type(r[i]) = 'TYPICAL_EMPLOI' AND startNode(r[i]) = y[i]))"
)


def is_public_service(db: Database, uris: Sequence[str]) -> bool:
    """Whether every concept is a grade, a cadre d'emplois or an RMFP emploi-référence."""
    records, _, _ = db.execute_query(
        "UNWIND $uris AS uri OPTIONAL MATCH (c:Concept {uri: uri}) "
        "RETURN all(x IN collect(c) WHERE any(l IN labels(x) WHERE l IN $labels)) AND count(c) = size($uris) AS ok",
        uris=list(uris),
        labels=list(PUBLIC_SERVICE_LABELS),
    )
    return bool(records and records[0]["ok"])


def public_service_uris(db: Database, uris: Sequence[str]) -> set[str]:
    """Those of `uris` that are grades, cadres d'emplois or RMFP emplois-référence."""
    records, _, _ = db.execute_query(
        "UNWIND $uris AS uri MATCH (c:Concept {uri: uri}) WHERE any(l IN labels(c) WHERE l IN $labels) "
        "RETURN collect(DISTINCT uri) AS found",
        uris=list(uris),
        labels=list(PUBLIC_SERVICE_LABELS),
    )
    return set(records[0]["found"]) if records else set()


def career_steps_from(db: Database, uri: str, k: int = 10) -> list[Row]:
    """The steps out of a grade, a cadre or an emploi-référence, most plausible first. A grade's holder may also
    take the steps of its cadre (promotion interne, concours, détachement)."""
    records, _, _ = db.execute_query(
        "MATCH (n:Concept {uri: $uri}) "
        "CALL (n) { MATCH (n)-[:GRADE_OF]->{0,1}(x)-[s:CAREER_STEP]->(m:Concept) RETURN s, m } "
        "RETURN m.uri AS uri, m.label AS label, m.code AS code, s.kind AS kind, s.basis AS basis, "
        "s.requirement AS requirement, s.weight AS weight, s.provenance AS provenance, "
        "s.years_in_grade AS years_in_grade "
        "ORDER BY s.weight DESC, $preference[s.kind], m.label LIMIT $k",
        uri=uri,
        k=k,
        preference={kind: rank for rank, kind in enumerate(STEP_PREFERENCE)},
    )
    return [dict(r) for r in records]


def candidate_grades(db: Database, candidate_id: str) -> list[str]:
    """The grades a candidate holds, or the cadre d'emplois when the CV names no grade of it (their statutory steps
    are the candidate's next steps too)."""
    records, _, _ = db.execute_query(
        "MATCH (:Candidate {candidate_id: $id})-[:HOLDS_GRADE]->(g) WHERE g:Grade OR g:CadreEmplois "
        "RETURN g.uri AS uri ORDER BY uri",
        id=candidate_id,
    )
    return [r["uri"] for r in records]


def ladder_routes(
    db: Database, from_uri: str, to_uri: str, k: int = 3, held_skills: set[str] | None = None
) -> list[Row]:
    """The k most plausible routes between two public-service concepts through job moves, statutory steps and the
    memberships between them: fewest hops, then the heaviest steps. Each step has its kind and requirement, the
    other kinds of step between the same two concepts (`alternatives`: a promotion interne may also be a
    concours), and the skills to acquire."""
    k = max(1, min(int(k), 10))
    records, _, _ = db.execute_query(
        "MATCH (a:Concept {uri: $from_uri}), (b:Concept {uri: $to_uri}) "
        f"MATCH p = SHORTEST {ROUTE_CANDIDATES * k} ((a){_LADDER_HOP}{{1,{MAX_LADDER_HOPS}}}(b) "
        f"WHERE {_JOB_TO_CADRE_FIRST_ONLY}) "
        "WITH nodes(p) AS route, relationships(p) AS hops "
        "WITH route, hops, reduce(w = 0.0, h IN hops | w + coalesce(h.weight, 1.0)) AS weight "
        "ORDER BY size(hops), weight DESC "
        "RETURN [n IN route | {uri: n.uri, code: n.code, label: n.label}] AS nodes",
        from_uri=from_uri,
        to_uri=to_uri,
    )
    routes = list({tuple(n["uri"] for n in r["nodes"]): r["nodes"] for r in records}.values())[:k]
    pairs = sorted({(r[i]["uri"], r[i + 1]["uri"]) for r in routes for i in range(len(r) - 1)})
    hops = _hops(db, pairs)
    new_skills = skills_to_acquire_between(db, pairs, held_skills or set())
    return [_ladder_route(nodes, hops, new_skills) for nodes in routes]


def _hops(db: Database, pairs: list[tuple[str, str]]) -> dict[tuple[str, str], list[Row]]:
    """Every step or membership between each pair, in either direction for memberships, preferred kind first."""
    if not pairs:
        return {}
    records, _, _ = db.execute_query(
        "UNWIND $pairs AS pair MATCH (a:Concept {uri: pair[0]}), (b:Concept {uri: pair[1]}) "
        "OPTIONAL MATCH (a)-[s:CAREER_STEP]->(b) "
        "WITH pair, a, b, s ORDER BY s.weight DESC, $preference[s.kind] "
        "WITH pair, a, b, [x IN collect(s) | x {.kind, .basis, .requirement, .weight, .provenance, "
        "  .years_in_grade}] AS steps "
        "OPTIONAL MATCH (a)-[m:GRADE_OF|TYPICAL_EMPLOI]-(b) "
        "RETURN pair, steps, collect(DISTINCT type(m)) AS memberships",
        pairs=[list(p) for p in pairs],
        preference={kind: rank for rank, kind in enumerate(STEP_PREFERENCE)},
    )
    hops: dict[tuple[str, str], list[Row]] = {}
    for r in records:
        bridges = [{"kind": BRIDGE_KINDS[t], "requirement": None} for t in r["memberships"]]
        hops[(r["pair"][0], r["pair"][1])] = r["steps"] + bridges
    return hops


def _ladder_route(
    nodes: list[Row], hops: dict[tuple[str, str], list[Row]], new_skills: dict[tuple[str, str], list[Row]]
) -> Row:
    steps = []
    for a, b in itertools.pairwise(nodes):
        options = hops.get((a["uri"], b["uri"])) or [{"kind": None}]
        best = options[0]
        skills = [] if best["kind"] in ("cadre", "avancement_de_grade") else new_skills.get((a["uri"], b["uri"]), [])
        steps.append(
            {
                "from": a,
                "to": b,
                **{key: best.get(key) for key in ("kind", "basis", "requirement", "weight", "provenance")},
                "years_in_grade": best.get("years_in_grade"),
                "alternatives": [o["kind"] for o in options[1:] if o["kind"] != best["kind"]],
                "skills_to_acquire": skills,
            }
        )
    return {"fiches": nodes, "concepts": nodes, "steps": steps, "length": len(steps)}


def skills_to_acquire_between(
    db: Database, pairs: list[tuple[str, str]], held: set[str], per_step: int = 10
) -> dict[tuple[str, str], list[Row]]:
    """For each step, the essential skills of where it leads that where it starts does not require, the most
    common first. An emploi's skills are its own; a cadre's those of its typical emplois; a grade's its cadre's."""
    if not pairs:
        return {}
    records, _, _ = db.execute_query(
        "UNWIND $pairs AS pair MATCH (a:Concept {uri: pair[0]}), (b:Concept {uri: pair[1]}) "
        "CALL (b) { MATCH (b)-[:GRADE_OF]->{0,1}()-[:TYPICAL_EMPLOI]->{0,1}(e)-[r:REQUIRES_SKILL]->(s:Skill) "
        "  WHERE coalesce(r.essential, true) RETURN s, count(DISTINCT e) AS n } "
        "WITH pair, a, s, n WHERE NOT s.uri IN $held AND NOT EXISTS { "
        "  (a)-[:GRADE_OF]->{0,1}()-[:TYPICAL_EMPLOI]->{0,1}()-[:REQUIRES_SKILL]->(s) } "
        "WITH pair, s, n ORDER BY n DESC, s.label "
        "RETURN pair, [x IN collect(s) | {uri: x.uri, label: x.label}][..$n] AS skills",
        pairs=[list(p) for p in pairs],
        held=sorted(held),
        n=per_step,
    )
    return {(r["pair"][0], r["pair"][1]): r["skills"] for r in records}
