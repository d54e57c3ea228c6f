"""The Alerts and Webhooks pages in headless Chromium: an admin adds a Slack
rule and tests it, subscribes a receiver (its secret shown once), and
redelivers a dead delivery from the deliveries list.

Screenshots go to `test-artifacts/alerts/` (or `$VIGIE_TEST_ARTIFACTS/alerts/`).
"""

from __future__ import annotations

import os
import shutil
from datetime import timedelta
from pathlib import Path

from server.jobs import drain
from server.storage import session_scope
from server.storage.types import utcnow
from server.webhooks.delivery import attempt
from server.webhooks.outbox import emit
from tests.browser.test_team import sign_in
from tests.support.httpserver import Answer, ScriptedServer
from tests.support.navigation import click_nav
from tests.support.team import ADMIN, PASSWORD, make_team
from tests.support.wsgi import served

ARTIFACTS = Path(
    os.environ.get("VIGIE_TEST_ARTIFACTS", Path(__file__).parents[2] / "test-artifacts")
)


def shot(page, name: str) -> None:
    folder = ARTIFACTS / "alerts"
    folder.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(folder / f"{name}.png"), full_page=True)


def test_alerts_and_webhook_deliveries_pages(make_app, tmp_path, sqlite_template, context):
    """A Slack rule's test says delivered; a dead delivery is listed with its
    code and attempts, and the Redeliver button delivers it."""
    path = tmp_path / "browser.db"
    shutil.copy(sqlite_template, path)
    app = make_app(f"sqlite:///{path}", OUTBOUND_ALLOW="127.0.0.1", WEBHOOK_RETRY_BASE_SECONDS=0)
    team = make_team(app)
    page = context.new_page()
    page.set_default_timeout(15_000)
    with ScriptedServer() as hooks, served(app) as url:
        hooks.on("/slack", Answer(200, "ok"))
        hooks.on("/events", Answer(500), Answer(500), Answer(200, {"ok": True}))
        sign_in(page, url, ADMIN, PASSWORD)
        click_nav(page, "Alerts")
        form = "#add-rule"
        page.select_option(f"{form} select[name=channel]", "slack")
        page.fill(f"{form} input[name=target]", f"{hooks.url}/slack")
        page.fill(f"{form} input[name=quiet_start]", "20:00")
        page.fill(f"{form} input[name=quiet_end]", "08:00")
        page.click(f"{form} button[type=submit]")
        page.select_option(f"{form} select[name=trigger]", "score_rose")
        page.fill(f"{form} input[name=threshold]", "many")
        page.click(f"{form} button[type=submit]")
        assert "threshold: a whole number" in page.locator("#add-rule .errors").inner_text()
        page.select_option(f"{form} select[name=trigger]", "digest_weekly")
        page.click(f"{form} button[type=submit]")
        page.click("tr[data-rule] >> nth=0 >> text=Send a test")
        assert "Test alert delivered (HTTP 200)." in page.content()
        assert hooks.hits("/slack") == 1
        shot(page, "01-alerts-page")

        click_nav(page, "Webhooks")
        page.fill("#add-subscription input[name=url]", f"{hooks.url}/events")
        page.check("#add-subscription input[value='account.tier_changed']")
        page.click("#add-subscription button[type=submit]")
        assert page.locator("#webhook-secret").inner_text().startswith("whsec_")
        shot(page, "02-webhook-secret-shown-once")
        with app.app_context():
            (delivery_id,) = emit(team.org_id, "account.became_hot", {"account": {"id": 1}})
            assert drain(app, timeout=10)
            with session_scope() as session:
                assert attempt(session, delivery_id, utcnow() + timedelta(hours=25)) == "dead"
        page.goto(f"{url}/webhooks")
        row = page.locator(f"tr[data-delivery='{delivery_id}']")
        assert row.get_attribute("data-status") == "dead" and "500" in row.inner_text()
        shot(page, "03-deliveries-dead")
        row.locator("text=Redeliver").click()
        assert f"Delivery {delivery_id} sent again." in page.content()
        with app.app_context():
            assert drain(app, timeout=10)
        page.goto(f"{url}/webhooks")
        assert page.locator(f"tr[data-delivery='{delivery_id}']").get_attribute("data-status") == (
            "delivered"
        )
        shot(page, "04-deliveries-redelivered")
