"""The demo's table of ranked candidates (`api/cli.py`), printed from the same app's graph and model."""

from __future__ import annotations

from typing import Any

from tests.support.api import call


def test_ranked_candidates_print_as_a_table_for_the_demo(api: dict[str, Any]) -> None:
    from rich.console import Console

    from api.cli import print_top_candidates

    out = Console(record=True, width=200)
    print_top_candidates(api["driver"], ["off-EA-00", "no-such-offer"], k=3, out=out)
    text = out.export_text()
    assert "off-EA-00" in text and api["version"] in text and "suggestions only" in text
    assert text.count("cand-") >= 3 and "no-such-offer" in text
    logged = call(api, "admin", "GET", "/v1/logs", params={"offer_id": "off-EA-00"}).json()
    assert any(entry["caller_key_id"] == "cli" for entry in logged)
