"""Lead lists in headless Chromium, in English and in French: upload a
Windows-1252 file with `;`, choose its columns, read the Leads page (filters,
explanations, the company's web score beside each lead) and export it.

Screenshots go to `test-artifacts/leads/` (or `$VIGIE_TEST_ARTIFACTS/leads/`).
"""

from __future__ import annotations

import csv
import io
import os
import re
from pathlib import Path

import pytest

from server.storage import session_scope
from tests.support.accounts import make_account
from tests.support.team import ADMIN, PASSWORD, make_team
from tests.support.wsgi import served

ARTIFACTS = Path(
    os.environ.get("VIGIE_TEST_ARTIFACTS", Path(__file__).parents[2] / "test-artifacts")
)

LEADS = (
    "Nom;Prénom;Courriel;Téléphone;Société;Fonction\r\n"
    "Dupont;Hélène;h.dupont@hotcorp.fr;06 12 34 56 78;Hot Corp;Directrice générale\r\n"
    "Lefèvre;Jérôme;jerome@orange.fr;;;Indépendant\r\n"
    "Accueil;;contact@acme.fr;01 23 45 67 89;Acme;\r\n"
    "Yop;;x@yopmail.fr;;;\r\n"
    "Bad;;bad@@x;;;\r\n"
    "Peeters;Anaïs;anais.peeters@brusselsoft.be;+32 470 12 34 56;BrusselSoft;CTO\r\n"
    "Alaoui;Karim;k.alaoui@casatech.ma;+212 6 12 34 56 78;CasaTech;Achats\r\n"
)
"""A trade-show export as Excel saves it on a French Windows."""


def shot(page, name: str) -> None:
    folder = ARTIFACTS / "leads"
    folder.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(folder / f"{name}.png"), full_page=True)


@pytest.fixture(params=["en-GB", "fr-FR"])
def wide_page(request, browser):
    """A 1,440 px wide page whose browser asks for English or French."""
    from tests.browser.conftest import DESKTOP_CHROME, _loopback_only

    context = browser.new_context(
        user_agent=DESKTOP_CHROME,
        locale=request.param,
        viewport={"width": 1440, "height": 900},
        accept_downloads=True,
    )
    context.route("**/*", _loopback_only)
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield request.param[:2], page
    context.close()


def test_upload_map_read_and_export_a_lead_list(sqlite_app, wide_page, tmp_path):
    """The whole round trip a marketer makes, with screenshots in both languages."""
    language, page = wide_page
    team = make_team(sqlite_app)
    with sqlite_app.app_context(), session_scope() as session:
        hot_id = make_account(
            session, team.org_id, "Hot Corp", domain="hotcorp.fr", score=88, tier="hot"
        ).id
    upload = tmp_path / "Salon Lyon.csv"
    upload.write_bytes(LEADS.encode("cp1252"))
    with served(sqlite_app) as url:
        page.goto(url + "/login")
        page.fill("input[name=email]", ADMIN)
        page.fill("input[name=password]", PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_url(lambda address: "/login" not in address)

        page.goto(url + "/leads")
        assert page.locator("html").get_attribute("lang") == language
        shot(page, f"{language}-01-empty")
        page.set_input_files("#lead-upload input[type=file]", str(upload))
        page.click("#lead-upload button[type=submit]")
        page.wait_for_url(re.compile(r"/leads/import/"))
        assert page.locator("input[name=list]").input_value() == "Salon Lyon"
        assert "cp1252" in page.locator("#lead-mapping").inner_text()
        page.select_option("#email-column", "Courriel")
        page.select_option("#phone-column", "Téléphone")
        page.fill("input[name=region]", "FR")
        shot(page, f"{language}-02-mapping")
        page.click("#lead-mapping button[type=submit]")
        page.wait_for_url(re.compile(r"/leads\?list="))
        assert "7" in page.locator(".flash, .flashes, [role=status], main").first.inner_text()
        shot(page, f"{language}-03-leads")
        table = page.evaluate(
            "[...document.querySelectorAll('main .card')].map(c => c.scrollWidth - c.clientWidth)"
        )
        assert max(table) <= 0, "a card of the Leads page overflows at 1,440 px"

        rows = page.locator("#leads tbody tr")
        assert rows.count() == 7
        first = rows.first  # the lead whose company is hot on the web comes first
        assert first.get_attribute("data-email") == "h.dupont@hotcorp.fr"
        web_score = first.locator("[data-test=web-score]").inner_text()
        assert "88" in web_score
        assert first.locator("td a").get_attribute("href").endswith(f"/accounts/{hot_id}")
        why = first.locator("td.why").inner_text()
        assert "+30" in why
        if language == "fr":  # explanations are worded in the reader's language
            assert "E-mail professionnel" in why and "Professional" not in why, why
        else:
            assert "Professional e-mail" in why, why
        yop = page.locator("#leads tr[data-email='x@yopmail.fr'] td.why").inner_text()
        assert "−100" in yop or "-100" in yop
        moroccan = page.locator("#leads tr[data-email='k.alaoui@casatech.ma'] td.why").inner_text()
        assert "MA" in moroccan and "1000" in moroccan.replace("\u202f", "").replace(" ", "")

        page.select_option("#lead-filters select[name=email_class]", "professional")
        page.click("#lead-filters button[type=submit]")
        page.wait_for_url(re.compile(r"email_class=professional"))
        emails = page.locator("#leads tbody tr").evaluate_all(
            "rows => rows.map(row => row.dataset.email)"
        )
        assert sorted(emails) == [
            "anais.peeters@brusselsoft.be",
            "h.dupont@hotcorp.fr",
            "k.alaoui@casatech.ma",
        ]
        shot(page, f"{language}-04-professional")

        with page.expect_download() as download:
            page.click("#leads-export")
        text = Path(download.value.path()).read_text("utf-8-sig")
        exported = list(csv.DictReader(io.StringIO(text)))
        assert [row["email"] for row in exported] == emails
        hot = next(row for row in exported if row["email"] == "h.dupont@hotcorp.fr")
        assert hot["account_tier"] == "hot" and hot["account_score"] == "88"
        assert hot["email_class"] == "professional" and hot["why"]

        page.goto(url + f"/accounts/{hot_id}")
        assert "h.dupont@hotcorp.fr" in page.locator("#account-leads").inner_text()
        shot(page, f"{language}-05-account")
