"""The identification funnel in headless Chromium: a known mix of beacons sent
through the collector, then the overview and the sites page show each step,
the bots by reason when expanded, and the match rate.

Screenshots go to `test-artifacts/funnel/` (or `$VIGIE_TEST_ARTIFACTS/funnel/`).
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from sqlalchemy import select

from server.storage import session_scope
from server.storage.models import Site
from tests.browser.test_team import sign_in
from tests.server.test_funnel import funnel_mmdb, send_mix
from tests.support.team import ADMIN, PASSWORD, make_team
from tests.support.wsgi import served

ARTIFACTS = Path(
    os.environ.get("VIGIE_TEST_ARTIFACTS", Path(__file__).parents[2] / "test-artifacts")
)


def shot(target, name: str) -> None:
    folder = ARTIFACTS / "funnel"
    folder.mkdir(parents=True, exist_ok=True)
    target.screenshot(path=str(folder / f"{name}.png"))


def full_page(page, name: str) -> None:
    """The whole page, from its top: the sticky navigation stays where it belongs."""
    page.evaluate("window.scrollTo(0, 0)")
    page.screenshot(path=str(ARTIFACTS / "funnel" / f"{name}.png"), full_page=True)


def step_cells(funnel, step: str) -> list[str]:
    return [cell.strip() for cell in funnel.locator(f"tr[data-step={step}] td").all_inner_texts()]


def test_the_funnel_on_the_overview_and_the_sites_page(
    make_app, sqlite_template, tmp_path, context
):
    """20 beacons: 7 bots of five reasons, 4 data centres, 2 homes, 2 phones,
    2 unknown, 3 companies; 3 of 13 human beacons tied to a company."""
    database = tmp_path / "funnel.db"
    database.write_bytes(sqlite_template.read_bytes())
    app = make_app(f"sqlite:///{database}", MMDB=funnel_mmdb(tmp_path), TRUSTED_PROXIES=0)
    team = make_team(app)
    with app.app_context(), session_scope() as session:
        key = session.scalar(select(Site.public_key).where(Site.id == team.site_id))
    send_mix(app, site=key)
    page = context.new_page()
    page.set_default_timeout(15_000)
    refused = []
    page.on(
        "console",
        lambda message: (
            refused.append(message.text) if "Content Security Policy" in message.text else None
        ),
    )
    with served(app) as url:
        sign_in(page, url, ADMIN, PASSWORD)
        page.goto(url + "/")
        funnel = page.locator("#funnel")
        assert step_cells(funnel, "beacons")[:3] == ["Received", "20", "100%"]
        assert step_cells(funnel, "bots")[1:3] == ["7", "35%"]
        assert step_cells(funnel, "companies")[1:3] == ["3", "15%"]
        assert re.search(r"23%\s+of human traffic tied to a company", funnel.inner_text())
        reasons = funnel.locator("tr[data-step=bots] li")
        assert not reasons.first.is_visible()
        shot(funnel, "01-overview-funnel")
        funnel.locator("tr[data-step=bots] summary").click()
        assert reasons.all_inner_texts() == [
            "Crawlers, previews and monitors 2",
            "Scripts and HTTP libraries 2",
            "Headless browsers and test drivers 1",
            "No user agent 1",
            "Not a browser 1",
        ]
        funnel.locator("tr[data-step=data_centres] summary").click()
        providers = funnel.locator("tr[data-step=data_centres] li").all_inner_texts()
        assert providers == ["aws 2", "Other data centres 1", "google 1"]
        shot(funnel, "02-overview-bots-by-reason")
        full_page(page, "03-overview-page")

        page.goto(url + "/sites")
        card = page.locator(f"#site-{team.site_id}")
        site_funnel = card.locator("[data-test=funnel]")
        assert step_cells(site_funnel, "homes")[1:3] == ["2", "10%"]
        site_funnel.locator("tr[data-step=bots] summary").click()
        assert site_funnel.locator("li[data-reason=automation]").is_visible()
        full_page(page, "04-sites-page")
    assert refused == [], "the funnel needs nothing the CSP refuses"
