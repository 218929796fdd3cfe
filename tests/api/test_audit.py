"""Human oversight over HTTP (issue 17): the audit route (admin and HR keys), the kill switch (global and per
employer, audited, pushed suggestions withdrawn) and the candidate's transparency notice."""

from __future__ import annotations

import time
from typing import Any

import pandas as pd

from api import oversight
from api.routers.notice import FACTS_FR
from audit.attributes import attributes_path
from audit.mitigation import bounded_rerank, population_shares
from graph import queries
from graph.access import create_api_key
from graph.oversight import resume
from tests.support.api import call

OFFER_EH = "off-EH-02"  # employer EH: no other API test uses its suggestions
OFFER_EB = "off-EB-01"


def _write_attributes() -> None:
    path = attributes_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    ids = [f"cand-{i:02d}" for i in range(24)] + ["cand-ea"]
    sexes = ["F", "M"] * 11 + ["X", "X", "F"]  # X: a group of two candidates
    pd.DataFrame({"candidate_id": ids, "sex": sexes}).to_csv(path, index=False)


def test_audit_route_for_admin_and_hr_only(api: dict[str, Any]) -> None:
    _write_attributes()
    assert call(api, "recA", "GET", "/v1/audit").status_code == 403
    response = call(api, "hr", "GET", "/v1/audit", params={"model": "true"})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["model_version"] == api["version"] and body["applications"] > 0
    sex = body["attributes"][0]
    groups = {g["group"]: g for g in sex["selection"]}
    assert sex["attribute"] == "sex" and set(groups) == {"F", "M", "X"}
    # Two candidates: too few to conclude, shown with their counts, and never the reference group.
    assert groups["X"]["verdict"] == "too few to conclude" and groups["X"]["applications"] > 0
    assert max(groups["F"]["ratios"]["shortlisted"]["value"], groups["M"]["ratios"]["shortlisted"]["value"]) == 1.0
    assert {g["group"] for g in sex["model_selection"]} == {"F", "M", "X"}
    assert {e["group"] for e in sex["served_exposure"]} <= {"F", "M", "X"}
    assert call(api, "admin", "GET", "/v1/audit", params={"employer_id": "EA"}).json()["offers"] >= 1
    assert call(api, "hr", "GET", "/v1/audit", params={"until": "0000-00-00"}).status_code == 422  # not a date
    dated = call(api, "hr", "GET", "/v1/audit", params={"since": "2025-06-01", "until": "2025-12-31"})
    assert dated.status_code == 200 and dated.json()["since"] == "2025-06-01"


def test_kill_switch_per_employer_then_global(api: dict[str, Any]) -> None:
    try:
        db = api["database"]
        pushed = queries.store_suggestions(
            db,
            [
                {
                    "kind": "candidate_for_offer",
                    "offer_id": OFFER_EH,
                    "candidate_id": "cand-02",
                    "score": 0.5,
                    "rank": 1,
                    "model_version": api["version"],
                }
            ],
        )
        assert call(api, "recA", "POST", "/v1/admin/suspensions", json={"reason": "audit"}).status_code == 403
        suspended = call(api, "admin", "POST", "/v1/admin/suspensions", json={"employer_id": "EH", "reason": "audit"})
        assert suspended.status_code == 201, suspended.text
        assert suspended.json() == {"scope": "employer:EH", "suspended": True, "withdrawn_suggestions": 1}
        assert (queries.suggestion(db, pushed[0]) or {}).get("status") == "withdrawn"
        refused = call(api, "admin", "GET", f"/v1/offers/{OFFER_EH}/candidates")
        assert refused.status_code == 503 and "recommendations_suspended" in refused.text and "audit" in refused.text
        assert call(api, "recB", "GET", f"/v1/offers/{OFFER_EB}/candidates").status_code == 200  # others unaffected
        everyone = call(api, "admin", "POST", "/v1/admin/suspensions", json={"reason": "incident"})
        assert everyone.status_code == 201
        assert call(api, "recB", "GET", f"/v1/offers/{OFFER_EB}/candidates").status_code == 503
        for params in ({"reason": "fixed"}, {"reason": "fixed", "employer_id": "EH"}):
            assert call(api, "admin", "DELETE", "/v1/admin/suspensions", params=params).status_code == 200
        assert call(api, "admin", "DELETE", "/v1/admin/suspensions", params={"reason": "again"}).status_code == 404
        assert call(api, "admin", "GET", f"/v1/offers/{OFFER_EH}/candidates").status_code == 200
        trail = call(api, "admin", "GET", "/v1/admin/suspensions").json()
        assert trail["active"] == {}
        kinds = [(e["kind"], e["scope"]) for e in trail["events"]][:4]
        assert kinds == [
            ("resumed", "employer:EH"),
            ("resumed", "global"),
            ("suspended", "global"),
            ("suspended", "employer:EH"),
        ]
        assert all(e["actor"].startswith("api-key:") for e in trail["events"][:4])

    finally:  # whatever failed, the other API tests find recommendations on
        for employer_id in (None, "EH"):
            resume(api["database"], employer_id, "test", "cleanup")
        oversight.watch(api["database"]).refresh()


def test_an_employer_suspension_stops_every_ranking_that_serves_its_offers(api: dict[str, Any]) -> None:
    """Suspending EH leaves its offers out of a candidate's offers (the response says so), refuses EH's recruiter
    and EH's pair scores with the 503; a global suspension refuses a candidate's offers too."""
    db = api["database"]
    keys = dict(api["keys"], recH=create_api_key(db, "recruiter", "EH", "recruiter of EH")[1])
    offers = {"params": {"k": 12, "explain": False}}  # the tiny graph's 12 offers, 4 of them EH's
    before = call(api, "admin", "GET", "/v1/candidates/cand-02/offers", **offers).json()
    assert "EH" in {o["employer_id"] for o in before["offers"]} and before["withheld_employers"] == []
    try:
        suspend = {"employer_id": "EH", "reason": "audit"}
        assert call(api, "admin", "POST", "/v1/admin/suspensions", json=suspend).is_success
        during = call(api, "admin", "GET", "/v1/candidates/cand-02/offers", **offers)
        assert during.status_code == 200, during.text
        assert "EH" not in {o["employer_id"] for o in during.json()["offers"]}
        others, _, _ = db.execute_query(  # 8 in the tiny graph, more when an earlier test created offers
            "MATCH (o:Offer)-[:POSTED_BY]->(e:Employer) WHERE e.employer_id <> 'EH' RETURN count(o) AS n"
        )
        expected = min(12, others[0]["n"])
        assert during.json()["withheld_employers"] == ["EH"] and len(during.json()["offers"]) == expected
        logged = call(api, "admin", "GET", "/v1/logs", params={"candidate_id": "cand-02", "limit": 1}).json()[0]
        assert logged["parameters"].endswith("suspended_employers_left_out=EH")
        records, _, _ = db.execute_query(
            "MATCH (c:Candidate)-[:APPLIED]->(:Offer)-[:POSTED_BY]->(:Employer {employer_id: 'EB'}) "
            "RETURN c.candidate_id AS id LIMIT 1"
        )
        for_eb = call(api, "recB", "GET", f"/v1/candidates/{records[0]['id']}/offers", params={"explain": False})
        assert for_eb.status_code == 200 and for_eb.json()["withheld_employers"] == []  # not EB's business
        own = call(dict(api, keys=keys), "recH", "GET", f"/v1/offers/{OFFER_EH}/candidates")
        assert own.status_code == 503 and "recommendations_suspended" in own.text
        pair = call(api, "admin", "GET", f"/v1/offers/{OFFER_EH}/candidates/cand-02")
        assert pair.status_code == 503 and "employer:EH" in pair.text
        assert call(api, "admin", "GET", f"/v1/offers/{OFFER_EB}/candidates/cand-02").status_code == 200
        assert call(api, "admin", "POST", "/v1/admin/suspensions", json={"reason": "incident"}).is_success
        stopped = call(api, "admin", "GET", "/v1/candidates/cand-02/offers", **offers)
        assert stopped.status_code == 503 and "recommendations_suspended" in stopped.text
        assert stopped.headers["content-type"].startswith("application/problem+json")
    finally:
        for employer_id in (None, "EH"):
            resume(db, employer_id, "test", "cleanup")
        oversight.watch(db).refresh()
    after = call(api, "admin", "GET", "/v1/candidates/cand-02/offers", **offers).json()
    assert after["withheld_employers"] == [] and len(after["offers"]) == 12


def test_notice_comes_from_the_ranking_explanation(api: dict[str, Any]) -> None:
    ranked = call(api, "recA", "GET", "/v1/offers/off-EA-00/candidates", params={"k": 3})
    assert ranked.status_code == 200, ranked.text
    first = ranked.json()["candidates"][0]
    path = f"/v1/candidates/{first['candidate_id']}/notice"
    for _ in range(50):  # the log writer stores the served ranking in the background
        response = call(api, "recA", "GET", path, params={"offer_id": "off-EA-00"})
        assert response.status_code == 200, response.text
        notice = response.json()
        if notice["score"] is not None:
            break
        time.sleep(0.1)
    explained = first["explanation"]["score_factors"]
    assert [f["contribution"] for f in notice["facts"]] == [f["contribution"] for f in explained]
    assert [f["fact"] for f in notice["facts"]] == [FACTS_FR[f["fact"]] for f in explained]
    assert notice["score"] == first["score"] and notice["model_version"] == api["version"]
    assert "tribunal administratif" in notice["contest"] and "Données utilisées" in notice["text"]
    page = call(
        api, "recA", "GET", f"/v1/candidates/{first['candidate_id']}/notice.html", params={"offer_id": "off-EA-00"}
    )
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert "<h1>Avis d'information" in page.text and "<li>" in page.text
    other = call(api, "recB", "GET", f"/v1/candidates/{first['candidate_id']}/notice", params={"offer_id": "off-EA-00"})
    assert other.status_code == 403


def test_mitigation_runs_on_the_served_model(api: dict[str, Any]) -> None:
    from audit.attributes import read_attributes
    from audit.fairness import decided_applications
    from audit.mitigation import mitigation_on_history
    from graph.oversight import audit_applications

    _write_attributes()
    history = decided_applications(pd.DataFrame(audit_applications(api["database"], None, None, None)))
    model = api["app"].state.vivier.recommender()
    result = mitigation_on_history(api["database"], model, history, read_attributes()["sex"], max_gap=0.0)
    assert result.offers > 0
    assert result.gap_mitigated.value <= result.gap_plain.value + 0.05  # no wider than rounding to whole places
    assert 0.0 <= result.recall_mitigated.value <= 1.0


def test_an_employer_opts_in_to_the_exposure_bound_and_its_served_rankings_follow_it(api: dict[str, Any]) -> None:
    """EA's recruiter gets, once an admin turned the re-ranking on, the bounded re-ranking of the model's deeper
    list (what audit/mitigation.py evaluates), told so in the response and the log, with no one's group in either;
    EB's rankings are untouched; turning it on and off is in the oversight trail."""
    db = api["database"]
    offer, wide = "off-EA-00", {"k": 50, "explain": False}
    deeper = [
        c["candidate_id"]
        for c in call(api, "recA", "GET", f"/v1/offers/{offer}/candidates", params=wide).json()["candidates"]
    ]
    # The model's top ten are all in group M: the bound must bring group F (every other candidate) into the top.
    groups = {c: ("M" if i < 10 else "F") for i, c in enumerate(deeper)}
    path = attributes_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    pd.DataFrame({"candidate_id": list(groups), "sex": list(groups.values())}).to_csv(path, index=False)
    shares = population_shares(pd.Series(groups))
    expected = bounded_rerank(deeper, groups, shares, 10, 0.2)
    assert sum(groups[c] == "F" for c in expected) >= 4 and expected != deeper[:10]
    on = {"attribute": "sex", "max_gap": 0.2, "reason": "audit: women under-exposed"}
    assert call(api, "recA", "PUT", "/v1/admin/mitigations/EA", json=on).status_code == 403
    missing = call(api, "admin", "PUT", "/v1/admin/mitigations/EA", json=dict(on, attribute="age_band"))
    assert missing.status_code == 422 and "age_band" in missing.text
    try:
        turned = call(api, "admin", "PUT", "/v1/admin/mitigations/EA", json=on)
        assert turned.status_code == 200, turned.text
        assert turned.json() == {"employer_id": "EA", "on": True, "attribute": "sex", "max_gap": 0.2}
        served = call(api, "recA", "GET", f"/v1/offers/{offer}/candidates", params={"k": 10, "explain": False})
        assert served.status_code == 200, served.text
        body = served.json()
        assert [c["candidate_id"] for c in body["candidates"]] == expected
        assert body["mitigation"]["applied"] and body["mitigation"]["attribute"] == "sex"
        assert body["mitigation"]["moved"] == sum(a != b for a, b in zip(expected, deeper[:10], strict=True))
        assert '"F"' not in served.text and '"M"' not in served.text  # nobody's group reaches the recruiter
        logged = call(api, "admin", "GET", "/v1/logs", params={"offer_id": offer, "limit": 1}).json()[0]
        assert logged["ranked_ids"] == expected and ";mitigation=sex:0.2:applied;" in logged["parameters"]
        other = call(api, "recB", "GET", f"/v1/offers/{OFFER_EB}/candidates", params={"explain": False}).json()
        assert other["mitigation"] is None
        assert call(api, "admin", "GET", "/v1/admin/mitigations").json()["EA"]["attribute"] == "sex"
    finally:
        off = call(api, "admin", "DELETE", "/v1/admin/mitigations/EA", params={"reason": "test over"})
        oversight.watch(db).refresh()
    assert off.status_code == 200 and off.json()["on"] is False
    plain = call(api, "recA", "GET", f"/v1/offers/{offer}/candidates", params={"k": 10, "explain": False}).json()
    assert [c["candidate_id"] for c in plain["candidates"]] == deeper[:10] and plain["mitigation"] is None
    trail = [(e["kind"], e["scope"]) for e in call(api, "admin", "GET", "/v1/admin/suspensions").json()["events"][:2]]
    assert trail == [("mitigation_off", "employer:EA"), ("mitigation_on", "employer:EA")]
    assert call(api, "admin", "DELETE", "/v1/admin/mitigations/EA", params={"reason": "again"}).status_code == 404
