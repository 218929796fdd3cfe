"""Helpers of the browser tests: sign in, visit a page and run axe-core on it (no serious or critical violation),
and screenshots for docs/ui when VIVIER_UI_SCREENSHOTS is set."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from playwright.sync_api import Page

SCREENSHOTS = Path(__file__).parents[2] / "docs" / "ui"
BLOCKING = {"serious", "critical"}


def sign_in(page: Page, live: dict[str, Any], who: str) -> None:
    page.goto(live["url"] + "/ui/connexion")
    check_accessibility(page)
    page.get_by_label("Clé d'API").fill(live["keys"][who])
    page.get_by_role("button", name="Se connecter").click()
    page.wait_for_load_state()


def check_accessibility(page: Page) -> None:
    """axe-core (vendored) on the page as it is now: no serious or critical violation. It is loaded from the app's
    own static folder, as a script of the page's origin: the pages' CSP refuses inline scripts, which is checked
    this way too."""
    page.add_script_tag(url="/ui/static/vendor/axe.min.js")
    violations = page.evaluate(
        "async () => (await axe.run(document, {resultTypes: ['violations']})).violations"
        ".map(v => ({id: v.id, impact: v.impact, help: v.help, targets: v.nodes.map(n => n.target.join(' '))}))"
    )
    blocking = [v for v in violations if v["impact"] in BLOCKING]
    assert not blocking, f"{page.url}: {blocking}"


def visit(page: Page, live: dict[str, Any], path: str) -> int:
    """Open a page, check it with axe-core, return its HTTP status."""
    response = page.goto(live["url"] + path)
    assert response is not None
    page.wait_for_load_state("networkidle")
    check_accessibility(page)
    return response.status


def screenshot(page: Page, name: str) -> None:
    if os.environ.get("VIVIER_UI_SCREENSHOTS"):
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)
