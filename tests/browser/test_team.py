"""The team page in headless Chromium: an admin adds a member and changes a
site, the member signs in with the one-time password, chooses their own, and
meets 403 on every admin page and form; the admin's changes are in the audit log.

Screenshots go to `test-artifacts/team/` (or `$VIGIE_TEST_ARTIFACTS/team/`).
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from tests.support.navigation import click_nav
from tests.support.team import ADMIN, PASSWORD, make_team
from tests.support.wsgi import served

ARTIFACTS = Path(
    os.environ.get("VIGIE_TEST_ARTIFACTS", Path(__file__).parents[2] / "test-artifacts")
)
NEWCOMER = "newcomer@acme.example"
NEW_PASSWORD = "quartz lantern orbit 47"


def shot(page, name: str) -> None:
    folder = ARTIFACTS / "team"
    folder.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(folder / f"{name}.png"), full_page=True)


def sign_in(page, url: str, email: str, password: str) -> None:
    page.goto(url + "/login")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
    page.wait_for_url(lambda address: "/login" not in address)


def sign_out(page) -> None:
    page.click("form.whoami button[type=submit]")
    page.wait_for_url(re.compile(r"/login"))


def test_an_admin_adds_a_member_who_cannot_use_admin_pages(sqlite_app, context):
    """Admin adds a member; the member gets 403 on every admin page and form;
    the audit log shows what the admin did."""
    team = make_team(sqlite_app)
    page = context.new_page()
    page.set_default_timeout(15_000)
    with served(sqlite_app) as url:
        sign_in(page, url, ADMIN, PASSWORD)
        click_nav(page, "Team")
        page.fill("#add-user input[name=email]", NEWCOMER)
        page.select_option("#add-user select[name=role]", "member")
        page.click("#add-user button[type=submit]")
        one_time = page.locator("#one-time-secret").inner_text().strip()
        assert len(one_time) >= 10
        shot(page, "01-one-time-password")
        page.reload()  # the password is shown once
        assert page.locator("#one-time-secret").count() == 0
        assert page.locator(f"tr[data-email='{NEWCOMER}']").is_visible()

        page.goto(url + "/sites")
        page.fill("input[name=name]", "Blog")
        page.fill("input[name=domains]", "blog.example")
        page.click("text=Add site")
        page.wait_for_url(re.compile(r"/sites"))
        sign_out(page)

        sign_in(page, url, NEWCOMER, one_time)
        assert page.url.endswith("/password")
        page.fill("input[name=current]", one_time)
        page.fill("input[name=new]", NEW_PASSWORD)
        page.fill("input[name=again]", NEW_PASSWORD)
        page.click("#password button[type=submit]")
        page.wait_for_url(lambda address: not address.endswith("/password"))
        nav = page.locator("nav").inner_text()
        assert "Team" not in nav and "Audit log" not in nav and "Scoring model" not in nav
        shot(page, "02-member-overview")

        for path in (
            "/model",
            "/team",
            "/tokens",
            "/audit",
            f"/sites/{team.site_id}/edit",
            f"/sites/{team.site_id}/delete",
        ):
            assert page.goto(url + path).status == 403, path
        shot(page, "03-member-forbidden")
        page.goto(url + "/settings")
        token = page.locator("meta[name=csrf-token]").get_attribute("content")
        for path, form in (
            ("/sites", {"name": "Mine", "domains": "mine.example"}),
            (f"/sites/{team.site_id}/edit", {"name": "Mine", "domains": "mine.example"}),
            (f"/sites/{team.site_id}/delete", {"confirm_name": "Shop"}),
            ("/model", {"text": "[tiers]\nwarm = 1\nhot = 2\n", "action": "save"}),
            ("/settings", {"action": "save-webhook", "webhook-url": "https://x.example/"}),
            ("/team", {"email": "friend@acme.example", "role": "admin"}),
            (f"/team/{team.member_id}/role", {"role": "admin"}),
            (f"/team/{team.admin_id}/disable", {}),
            (f"/team/{team.member_id}/password", {}),
            ("/tokens", {"name": "mine"}),
            (f"/tokens/{team.token_id}/revoke", {}),
        ):
            fields = {**form, "csrf_token": token, "webhook-csrf_token": token}
            answer = page.request.post(url + path, form=fields, max_redirects=0)
            assert answer.status == 403, path
        sign_out(page)

        sign_in(page, url, ADMIN, PASSWORD)
        click_nav(page, "Audit log")
        rows = page.locator("#audit tbody").inner_text()
        assert "User added" in rows and NEWCOMER in rows
        assert "Site added" in rows and "Blog" in rows and ADMIN in rows
        assert rows.index("Site added") < rows.index("User added")  # newest first
        shot(page, "04-audit-log")
