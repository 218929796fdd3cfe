"""The transparency notice (issue 17; CRPA art. L311-3-1 and R311-3-1-2): for one candidate and one offer, which of
the candidate's data the algorithm used, the facts behind the score with each one's contribution, the model
version and how to contest. Plain French, as JSON or as a printable HTML page.

It is built from `service.explanations`, the very explanation the ranking returns (the re-ranker's per-fact
terms of the same model version), not from a second computation; the score is the one last served for the pair
when the recommendation log holds it."""

from __future__ import annotations

import html

from fastapi import APIRouter, HTTPException
from fastapi.responses import HTMLResponse

from api import service
from api.deps import ERRORS, Model, RecruiterOrAdmin, State, check_candidate_access, check_offer_access
from api.schemas import Explanation, Notice, NoticeFact
from graph import queries

router = APIRouter(prefix="/v1/candidates", tags=["transparency"], responses=ERRORS)

# The re-ranker's facts (gnn.rerank.FEATURES) in plain French.
FACTS_FR = {
    "gnn_cosine": "proximité de votre parcours avec le poste, apprise sur l'historique des recrutements",
    "skill_coverage": "part des compétences demandées que votre CV mentionne",
    "skill_coverage_idf": "part des compétences demandées que vous avez, les plus rares comptant davantage",
    "career_skill_coverage": "part des compétences demandées que requièrent les métiers que vous avez exercés",
    "career_hops": "distance entre les métiers que vous avez exercés et celui du poste (mobilités du ROME)",
    "current_hops": "distance entre votre métier actuel et celui du poste",
    "same_departement": "vous résidez dans le département du poste",
    "same_region": "vous résidez dans la région du poste",
    "years_experience": "vos années d'expérience professionnelle",
    "past_applications": "vos candidatures antérieures",
    "past_selections": "vos présélections antérieures",
    "employer_past_applications": "vos candidatures antérieures auprès de cet employeur",
    "employer_past_selections": "vos présélections antérieures auprès de cet employeur",
    "employer_affinity": "ressemblance de votre profil avec les personnes que cet employeur a retenues",
    "employer_same_education": "part des personnes retenues par cet employeur ayant votre niveau de diplôme",
    "text_similarity": "ressemblance entre le texte de votre CV et celui de l'offre (mots et fragments de mots)",
    "recent_text_match": "ressemblance entre votre CV et l'offre, comptée davantage si vous avez candidaté récemment",
    "recent_similar_selection": "ressemblance de l'offre avec celles où votre candidature a été retenue récemment",
}


def data_used(profile: dict) -> list[str]:
    """The candidate's data the ranking read, as the graph holds them (docs/schema.md), in plain French."""
    grades = ", ".join(g.get("label") or g["uri"] for g in profile.get("grades") or [])
    return [
        f"{len(profile.get('skills') or [])} compétences extraites de votre CV ou déclarées",
        f"votre parcours professionnel : {len(profile.get('career') or [])} étapes (métiers exercés et dates)",
        "votre situation statutaire (titulaire ou non, versant, catégorie"
        + (f", grade : {grades}" if grades else "")
        + ") et votre niveau de diplôme",
        f"votre département de résidence : {profile.get('departement') or 'non renseigné'}",
        "vos candidatures antérieures et leur issue",
    ]


CONTEST = (
    "Cette suggestion est une aide : la décision appartient à un agent de l'employeur, qui peut l'écarter. Vous "
    "pouvez demander à l'employeur des explications complémentaires, la communication des règles de traitement "
    "(article L311-3-1 du code des relations entre le public et l'administration), la rectification de vos "
    "données, et contester la décision prise auprès de son auteur (recours gracieux), puis devant le tribunal "
    "administratif dans un délai de deux mois. Pour vos données personnelles : le délégué à la protection des "
    "données de l'employeur, puis la CNIL."
)


def build_notice(
    candidate_id: str, offer_id: str, explanation: Explanation, served: dict | None, profile: dict
) -> Notice:
    facts = [
        NoticeFact(
            fact=FACTS_FR.get(f.fact, f.fact),
            value=f.value,
            contribution=f.contribution,
            direction="en votre faveur" if f.contribution >= 0 else "en votre défaveur",
        )
        for f in explanation.score_factors
    ]
    shared = [s.label or s.uri for s in explanation.skills_shared]
    missing = [s.label or s.uri for s in explanation.skills_missing]
    used = data_used(profile)
    lines = [
        f"Avis d'information sur le traitement algorithmique — offre {offer_id}",
        f"Un algorithme (Vivier, version du modèle {explanation.model_version}) a classé votre candidature "
        f"parmi d'autres pour cette offre. Il n'a rejeté personne : il propose, un agent décide.",
        "Données utilisées : " + " ; ".join(used) + ". Aucune donnée sur votre sexe, âge, handicap, nationalité "
        "ou adresse n'est utilisée.",
    ]
    if served is not None:
        lines.append(f"Score servi le {served['served_at']} : {served['score']:.3f} (de 0 à 1).")
    if facts:
        lines.append("Ce qui a pesé, du plus au moins important :")
        lines += [f"- {f.fact} : {f.contribution:+.2f} ({f.direction})" for f in facts]
    else:
        lines.append("Cette version du modèle ne décompose pas son score en faits.")
    lines.append(f"Compétences demandées que vous avez : {', '.join(shared) or 'aucune relevée'}.")
    lines.append(f"Compétences demandées non relevées dans votre dossier : {', '.join(missing) or 'aucune'}.")
    lines.append(CONTEST)
    return Notice(
        candidate_id=candidate_id,
        offer_id=offer_id,
        model_version=explanation.model_version,
        score=served["score"] if served else None,
        served_at=served["served_at"] if served else None,
        data_used=used,
        facts=facts,
        skills_shared=shared,
        skills_missing=missing,
        text="\n".join(lines),
        contest=CONTEST,
    )


def _last_served(state: State, candidate_id: str, offer_id: str) -> dict | None:
    for log in queries.recommendation_logs(state.db, offer_id=offer_id, candidate_id=candidate_id, limit=20):
        ranked = list(log.get("ranked_ids") or [])
        if candidate_id in ranked:
            return {"served_at": log["served_at"], "score": float(log["scores"][ranked.index(candidate_id)])}
    return None


def notice_for(state: State, caller: RecruiterOrAdmin, model: Model, candidate_id: str, offer_id: str) -> Notice:
    check_offer_access(state, caller, offer_id)
    served = _last_served(state, candidate_id, offer_id)
    if served is None:  # a candidate ranked for the offer is the offer's recruiter's to explain; others as usual
        check_candidate_access(state, caller, candidate_id)
    profile = queries.candidate(state.db, candidate_id)
    if profile is None:
        raise HTTPException(404, f"candidate {candidate_id!r} not found")
    explanation = service.explanations(state, offer_id, [candidate_id], model.version, model)[candidate_id]
    return build_notice(candidate_id, offer_id, explanation, served, profile)


@router.get("/{candidate_id}/notice", response_model=Notice, summary="Transparency notice for one offer (JSON)")
def notice(candidate_id: str, offer_id: str, state: State, caller: RecruiterOrAdmin, model: Model) -> Notice:
    """What the algorithm used and how each fact weighed in this candidate's score for `offer_id`, in French."""
    return notice_for(state, caller, model, candidate_id, offer_id)


def _text(value: str) -> str:
    return html.escape(value, quote=False)  # text content: apostrophes stay readable in the source


@router.get("/{candidate_id}/notice.html", response_class=HTMLResponse, summary="Transparency notice, printable")
def notice_html(candidate_id: str, offer_id: str, state: State, caller: RecruiterOrAdmin, model: Model) -> str:
    found = notice_for(state, caller, model, candidate_id, offer_id)
    title, *paragraphs = found.text.split("\n")
    body = []
    items: list[str] = []
    for line in paragraphs:
        if line.startswith("- "):
            items.append(f"<li>{_text(line[2:])}</li>")
            continue
        if items:
            body.append("<ul>" + "".join(items) + "</ul>")
            items = []
        body.append(f"<p>{_text(line)}</p>")
    if items:
        body.append("<ul>" + "".join(items) + "</ul>")
    return (
        '<!doctype html><html lang="fr"><head><meta charset="utf-8">'
        f"<title>{_text(title)}</title>"
        "<style>body{font-family:serif;max-width:42em;margin:2em auto;line-height:1.4}"
        "@media print{body{margin:0}}</style></head>"
        f"<body><h1>{_text(title)}</h1>{''.join(body)}"
        f"<p><small>Candidat {_text(candidate_id)}</small></p></body></html>"
    )
