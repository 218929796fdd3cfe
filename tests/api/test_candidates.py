"""Candidates: offers for a candidate, and a CV uploaded, pseudonymised and recorded with its application."""

from __future__ import annotations

import json
from typing import Any

from tests.support.api import call


def test_offers_for_a_candidate(api: dict[str, Any]) -> None:
    response = call(api, "admin", "GET", "/v1/candidates/cand-01/offers", params={"k": 4})
    assert response.status_code == 200, response.text
    offers = response.json()["offers"]
    assert len(offers) == 4 and all(o["explanation"] is not None for o in offers)
    # a recruiter sees only its own employer's offers, and only for candidates linked to them
    mine = call(api, "recA", "GET", "/v1/candidates/cand-ea/offers", params={"k": 10, "explain": False})
    assert mine.status_code == 200, mine.text
    assert mine.json()["offers"] and {o["employer_id"] for o in mine.json()["offers"]} == {"EA"}


def test_uploading_a_cv_pseudonymises_it_and_records_the_application(api: dict[str, Any]) -> None:
    resume = {
        "basics": {
            "name": "Camille Durand",
            "email": "camille.durand@example.org",
            "phone": "06 12 34 56 78",
            "summary": "Gestionnaire paie et carrière, fonctionnaire territoriale de catégorie B.",
        },
        "work": [
            {
                "name": "Mairie de Lyon",
                "position": "Gestionnaire des ressources humaines",
                "startDate": "2019-01-01",
                "summary": "Paie, carrières, absences des agents.",
            }
        ],
        "skills": [{"name": "Gestion de la paie"}],
        "meta": {"candidate_ref": "upload-camille"},
    }
    files = {"file": ("camille.json", json.dumps(resume).encode(), "application/json")}
    refused = call(api, "recA", "POST", "/v1/candidates", files=files)
    assert refused.status_code == 422 and "offer_id" in refused.json()["detail"]
    uploaded = call(api, "recA", "POST", "/v1/candidates", files=files, data={"offer_id": "off-EA-00"})
    assert uploaded.status_code == 201, uploaded.text
    candidate_id = uploaded.json()["candidate_id"]
    assert uploaded.json()["application_id"] and uploaded.json()["suggestions"] == []
    stored = json.dumps(call(api, "admin", "GET", f"/v1/gdpr/candidates/{candidate_id}").json(), ensure_ascii=False)
    assert "Camille" not in stored and "camille.durand" not in stored and "06 12 34" not in stored
    profile = call(api, "recA", "GET", f"/v1/candidates/{candidate_id}")
    assert profile.status_code == 200, profile.text
    ranked = call(api, "recA", "GET", "/v1/offers/off-EA-00/candidates/" + candidate_id)
    assert ranked.status_code == 200, ranked.text
    board = call(api, "admin", "POST", "/v1/candidates", files={"file": ("cv.exe", b"MZ", "application/octet-stream")})
    assert board.status_code == 422 and "cv.exe" in board.json()["detail"]
