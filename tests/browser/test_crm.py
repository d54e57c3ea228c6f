"""The Integrations page and an account's CRM sync log in headless Chromium:
an admin connects HubSpot (a loopback fake) with a wrong token, sees "token
refused", fixes it, pushes a hot account from its page and reads the outcome.

Screenshots go to `test-artifacts/crm/` (or `$VIGIE_TEST_ARTIFACTS/crm/`).
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from server.jobs import drain
from server.storage import session_scope
from server.storage.models import Account, Visit
from server.storage.types import utcnow
from tests.support.crm_fakes import FakeHubSpot
from tests.support.navigation import click_nav
from tests.support.team import ADMIN, PASSWORD, make_team
from tests.support.wsgi import served

ARTIFACTS = Path(
    os.environ.get("VIGIE_TEST_ARTIFACTS", Path(__file__).parents[2] / "test-artifacts")
)


@pytest.fixture
def app(make_app, tmp_path, sqlite_template):
    """A migrated SQLite app allowed to call the fake CRM on loopback."""
    path = tmp_path / "crm.db"
    shutil.copy(sqlite_template, path)
    return make_app(f"sqlite:///{path}", OUTBOUND_ALLOW="127.0.0.1")


def shot(page, name: str) -> None:
    folder = ARTIFACTS / "crm"
    folder.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(folder / f"{name}.png"), full_page=True)


def test_an_admin_connects_hubspot_and_pushes_a_hot_account(app, context):
    """Wrong token: "token refused"; right token: "connected"; the push lands in
    the fake once and shows on the account page and the sync log."""
    team = make_team(app)
    with app.app_context(), session_scope() as session:
        account = session.get(Account, team.account_id)
        account.score, account.tier, account.last_seen = 72, "hot", utcnow()
        account.explanation = [{"label": "Pricing page", "points": 30}]
        account.top_pages = ["/pricing", "/demo"]
        isp = Account(org_id=team.org_id, key="isp.example", name="Telco Ltd", domain="isp.example")
        session.add(isp)
        session.flush()
        session.add(
            Visit(site_id=team.site_id, account_id=isp.id, visitor_hash="0" * 32,
                  started_at=utcnow(), last_event_at=utcnow(), connection_class="isp")
        )  # fmt: skip
        isp_id = isp.id
    page = context.new_page()
    page.set_default_timeout(20_000)
    with FakeHubSpot() as fake, served(app) as url:
        page.goto(url + "/login")
        page.fill("input[name=email]", ADMIN)
        page.fill("input[name=password]", PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_url(lambda address: "/login" not in address)
        click_nav(page, "Integrations")
        card = page.locator("#crm-hubspot")
        card.locator("input[name=hubspot-base_url]").fill(fake.url)
        card.locator("input[name=hubspot-token]").fill("pat-eu1-wrong-token-7777")
        card.locator("button[value=test]").click()
        page.wait_for_selector("#crm-hubspot-problem")
        assert "token refused" in page.locator("#crm-hubspot-problem").inner_text()
        assert "7777" in card.locator("input[name=hubspot-token]").get_attribute("placeholder")
        shot(page, "01-integrations-token-refused")
        card = page.locator("#crm-hubspot")
        card.locator("input[name=hubspot-token]").fill(fake.token)
        card.locator("button[value=test]").click()
        page.wait_for_selector("#crm-hubspot .badge.state-ok")
        shot(page, "02-integrations-connected")
        for account_id in (team.account_id, isp_id):
            page.goto(f"{url}/accounts/{account_id}")
            page.click("#crm button[type=submit]")
            assert drain(app, timeout=30)  # the push job
        page.goto(f"{url}/accounts/{team.account_id}")
        page.wait_for_selector("#crm tr[data-outcome=pushed]")
        shot(page, "03-account-sync-log")
        page.goto(url + "/integrations/log")
        shot(page, "04-sync-log")
        assert page.locator("tr[data-outcome=refused]").count() == 1
    assert list(fake.companies) == ["hot.example"] and fake.writes == 1
