"""The career-path explorer: search an occupation, draw it and expand its neighbours (JSON for Cytoscape.js, the
same rows as a list for the text alternative), open a node's details, routes between two occupations."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response

from api.routers import careers
from api.web.common import PageError, User, api_errors, render, state_of
from graph import queries
from ontology.text import fold

router = APIRouter()
NEIGHBOURS = 60  # per kind of neighbour, per expansion

# Kind of node → (French name for the legend, colour). Colours pass 4.5:1 against the white label halo.
KINDS = {
    "RomeFiche": ("Fiche ROME", "#1f5fa8"),
    "RomeAppellation": ("Appellation ROME", "#4a7fc1"),
    "EmploiReference": ("Emploi-référence RMFP", "#8a3b12"),
    "EscoOccupation": ("Métier ESCO", "#5b3a8c"),
    "Skill": ("Compétence", "#2d6a2d"),
    "Occupation": ("Autre métier", "#555555"),
}
EDGE_NAMES = {
    "proche": "mobilité proche",
    "evolution": "mobilité évolution",
    "requires": "compétence requise",
    "close_match": "correspondance proche",
    "exact_match": "correspondance exacte",
    "broader": "a pour métier plus générique",
}


def node_kind(labels: list[str]) -> str:
    return next((k for k in KINDS if k in labels), "Occupation")


def _node(row: dict[str, Any]) -> dict[str, Any]:
    kind = node_kind(row.get("labels") or [])
    return {"id": row["uri"], "label": row.get("label") or row["uri"], "code": row.get("code"), "kind": kind}


def neighbourhood_elements(found: dict[str, Any]) -> dict[str, Any]:
    """Nodes and edges for Cytoscape.js: mobility transitions, required skills, linked occupations."""
    centre = found["uri"]
    nodes = [_node(found)]
    edges = []
    for row in found["mobility"]:
        nodes.append(_node(row))
        source, target = (centre, row["uri"]) if row["outgoing"] else (row["uri"], centre)
        edges.append({"source": source, "target": target, "kind": row["kind"] or "proche"})
    for row in found["skills"]:
        nodes.append(_node(row))
        edges.append({"source": centre, "target": row["uri"], "kind": "requires", "essential": row["essential"]})
    for row in found["linked"]:
        nodes.append(_node(row))
        source, target = (centre, row["uri"]) if row["outgoing"] else (row["uri"], centre)  # broader: narrow → broad
        edges.append({"source": source, "target": target, "kind": row["kind"]})
    for edge in edges:
        edge["id"] = f"{edge['source']}|{edge['kind']}|{edge['target']}"
        edge["name"] = EDGE_NAMES.get(edge["kind"], edge["kind"])
    return {"centre": centre, "nodes": nodes, "edges": edges}


@router.get("/carrieres", response_class=HTMLResponse)
def explorer_page(request: Request, user: User, q: str = "", uri: str = "", de: str = "", vers: str = "") -> Response:
    state = state_of(request)
    results = queries.search_occupations(state.db, fold(q), limit=20) if len(fold(q)) >= 2 else []
    routes = _routes(request, user, de, vers) if de and vers else None
    return render(request, "explorer.html", user, q=q, results=results, uri=uri, kinds=KINDS, routes=routes,
                  de=de, vers=vers)  # fmt: skip


@router.get("/carrieres/voisins")
def expand(request: Request, user: User, uri: Annotated[str, Query(min_length=1)]) -> JSONResponse:
    """One expansion: the node and its neighbours (no model, a few keyed reads: ≤ 100 ms at demo scale)."""
    found = queries.occupation_neighbourhood(state_of(request).db, uri, limit=NEIGHBOURS)
    if found is None:
        return JSONResponse({"detail": f"aucun concept {uri!r}"}, status_code=404)
    return JSONResponse(neighbourhood_elements(found))


@router.get("/carrieres/noeud", response_class=HTMLResponse)
def node_details(request: Request, user: User, uri: str) -> Response:
    details = queries.concept_details(state_of(request).db, uri)
    if details is None:
        raise PageError(404, f"aucun concept {uri!r}")
    kind = node_kind(details["labels"])
    return render(request, "_node.html", user, details=details, kind=KINDS[kind][0])


def _resolve(request: Request, text: str) -> dict[str, Any] | None:
    """An occupation named by URI, code or label (the best match of the search)."""
    if text.startswith("http"):
        details = queries.concept_details(state_of(request).db, text)
        return {"uri": text, "label": details["properties"].get("label")} if details else None
    found = queries.search_occupations(state_of(request).db, fold(text), limit=1)
    return found[0] if found else None


def _routes(request: Request, user: User, de: str, vers: str) -> dict[str, Any]:
    """GET /v1/careers/paths's own function, from two occupations named by URI, code or label."""
    start, end = _resolve(request, de), _resolve(request, vers)
    if start is None or end is None:
        missing = de if start is None else vers
        return {"error": f"aucun métier ne correspond à « {missing} »", "routes": []}
    with api_errors():
        paths = careers.career_paths(state_of(request), user.caller, start["uri"], end["uri"], k=3)
    routes = [r.model_dump(by_alias=True) for r in paths.routes]
    return {"from": start, "to": end, "routes": routes, "elements": _route_elements(routes), "error": None}


def _route_elements(routes: list[dict[str, Any]]) -> dict[str, Any]:
    nodes: dict[str, dict[str, Any]] = {}
    edges: dict[str, dict[str, Any]] = {}
    for route in routes:
        for fiche in route["fiches"]:
            nodes[fiche["uri"]] = {"id": fiche["uri"], "label": fiche.get("label") or fiche["uri"],
                                   "code": fiche.get("code"), "kind": "RomeFiche"}  # fmt: skip
        for step in route["steps"]:
            key = f"{step['from']['uri']}|{step['kind']}|{step['to']['uri']}"
            skills = ", ".join(str(s.get("label")) for s in step["skills_to_acquire"][:3])
            edges[key] = {"id": key, "source": step["from"]["uri"], "target": step["to"]["uri"],
                          "kind": step["kind"] or "proche", "name": skills}  # fmt: skip
    return {"nodes": list(nodes.values()), "edges": list(edges.values())}


@router.get("/carrieres/routes")
def routes_json(request: Request, user: User, de: str, vers: str) -> JSONResponse:
    return JSONResponse(_routes(request, user, de, vers))
