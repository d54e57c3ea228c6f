"""Corrections in headless Chromium: an account's provenance, an admin marking
an ASN as an ISP for the visits already stored and a network as another
company, the Corrections page, the low-confidence filter, and an undo.

Screenshots go to `test-artifacts/corrections/` (or `$VIGIE_TEST_ARTIFACTS/corrections/`).
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from sqlalchemy import select

from server.storage import session_scope
from server.storage.models import Account, Site
from tests.browser.test_team import sign_in
from tests.support.collector import send
from tests.support.networks import (
    ACME_IP,
    GLOBEX_IP,
    INITECH_IP,
    UMBRELLA_IP,
    write_network_dbs,
)
from tests.support.team import ADMIN, PASSWORD, make_team
from tests.support.wsgi import served

ARTIFACTS = Path(
    os.environ.get("VIGIE_TEST_ARTIFACTS", Path(__file__).parents[2] / "test-artifacts")
)


def shot(page, name: str) -> None:
    folder = ARTIFACTS / "corrections"
    folder.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(folder / f"{name}.png"), full_page=True)


def account_id(app, name: str) -> int:
    with app.app_context(), session_scope() as session:
        return session.scalar(select(Account.id).where(Account.name == name))


def test_an_admin_corrects_networks_and_undoes_a_correction(
    make_app, sqlite_template, tmp_path, context
):
    """Provenance on the account page; an ISP correction removes Globex; a
    company correction is listed; undo removes it from the page."""
    database = tmp_path / "vigie.db"
    shutil.copy(sqlite_template, database)
    app = make_app(f"sqlite:///{database}", MMDB=write_network_dbs(tmp_path))
    make_team(app)
    with app.app_context(), session_scope() as session:
        key = session.scalar(select(Site.public_key))
    for ip, path in ((ACME_IP, "/pricing"), (UMBRELLA_IP, "/docs"), (GLOBEX_IP, "/pricing")):
        body = {"site": key, "type": "pageview", "url": f"https://shop.example{path}"}
        send(app, body, ip=ip)
    send(app, {"site": key, "type": "pageview", "url": "https://shop.example/"}, ip=INITECH_IP)
    page = context.new_page()
    page.set_default_timeout(15_000)
    with served(app) as url:
        sign_in(page, url, ADMIN, PASSWORD)
        page.goto(f"{url}/accounts/{account_id(app, 'Umbrella Corp')}")
        card = page.locator("#provenance")
        assert "MaxMind organisation" in card.inner_text()
        assert card.locator("[data-test=confidence]").inner_text().strip() == "medium"
        shot(page, "01-account-provenance")

        page.goto(f"{url}/accounts?confidence=low")
        names = page.locator("#accounts tbody tr td:first-child a").all_inner_texts()
        assert sorted(names) == ["Globex Corporation", "Initech Holdings"]
        shot(page, "02-low-confidence")

        page.goto(f"{url}/accounts/{account_id(app, 'Globex Corporation')}")
        page.select_option("#correct select[name=correct-effect]", "isp")
        page.select_option("#correct select[name=correct-scope]", "asn")
        page.check("#correct input[name=correct-retroactive]")
        page.click("#correct button[type=submit]")
        page.wait_for_url(f"{url}/corrections")
        assert "AS64501" in page.locator("#corrections").inner_text()
        assert account_id(app, "Globex Corporation") is None

        page.goto(f"{url}/accounts/{account_id(app, 'Initech Holdings')}")
        page.select_option("#correct select[name=correct-effect]", "company")
        page.select_option("#correct select[name=correct-scope]", "network")
        page.fill("#correct input[name=correct-name]", "Initrode")
        page.fill("#correct input[name=correct-domain]", "initrode.fr")
        page.click("#correct button[type=submit]")
        page.wait_for_url(f"{url}/corrections")
        rows = page.locator("#corrections tbody tr")
        assert rows.count() == 2
        assert "Initrode" in rows.nth(0).inner_text() and "6.6.6.0/24" in rows.nth(0).inner_text()
        shot(page, "03-corrections")

        rows.nth(0).locator("button[type=submit]").click()
        page.wait_for_url(f"{url}/corrections")
        assert page.locator("#corrections tbody tr").count() == 1
        assert "Initrode" not in page.locator("#corrections").inner_text()
