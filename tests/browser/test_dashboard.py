"""The dashboard in headless Chromium, on the demo dataset: sign in, filter the
hot accounts, read one, preview a model change, export the CSV.

Screenshots of every page go to `test-artifacts/dashboard/` (or
`$VIGIE_TEST_ARTIFACTS/dashboard/`), to be looked at.
"""

from __future__ import annotations

import csv
import io
import os
import re
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from server.demo.app import create_demo_app
from server.demo.build import build_demo
from server.storage import session_scope, storage
from server.storage.migrate import upgrade
from server.storage.models import Account, Event, Visit
from tests.support.wsgi import served

PASSWORD = "demo-password-1234"
HOSTILE = "<script>alert(1)</script>"
ARTIFACTS = Path(
    os.environ.get("VIGIE_TEST_ARTIFACTS", Path(__file__).parents[2] / "test-artifacts")
)


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    folder = tmp_path_factory.mktemp("demo")
    app = create_demo_app(
        {
            "INSTANCE_PATH": str(folder),
            "DATABASE_URL": f"sqlite:///{folder / 'vigie.db'}",
            "JOBS_START_CRON": False,
        }
    )
    upgrade(storage(app).engine)
    summary = build_demo(app, PASSWORD)
    with app.app_context(), session_scope() as session:
        hottest = session.scalars(select(Account).order_by(Account.score.desc()).limit(1)).one()
        visit = session.scalars(
            select(Visit).where(Visit.account_id == hottest.id).order_by(Visit.started_at.desc())
        ).first()
        session.add(
            Event(
                event_id="hostile-title-event",
                site_id=visit.site_id,
                visit_id=visit.id,
                account_id=hottest.id,
                occurred_at=visit.started_at + timedelta(seconds=1),
                type="pageview",
                path="/blog/hostile",
                title=HOSTILE,
                props={"note": HOSTILE},
                visitor_hash=visit.visitor_hash,
                connection_class="business",
            )
        )
        hottest.name = f"{HOSTILE} Hostile Corp"
    with served(app) as url:
        yield url, summary


@pytest.fixture
def page(context):
    page = context.new_page()
    dialogs = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    page.set_default_timeout(15_000)
    yield page
    assert dialogs == [], f"a script ran from stored text: {dialogs}"


def shot(page, name: str) -> None:
    folder = ARTIFACTS / "dashboard"
    folder.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(folder / f"{name}.png"), full_page=True)


def sign_in(page, url: str, admin: str) -> None:
    page.goto(url + "/accounts")
    assert "/login" in page.url  # pages need a signed-in user
    page.fill("input[name=email]", admin)
    page.fill("input[name=password]", "wrong password")
    page.click("button[type=submit]")
    assert page.locator(".flash-error").is_visible()
    page.fill("input[name=email]", admin)
    page.fill("input[name=password]", PASSWORD)
    shot(page, "01-login")
    page.click("button[type=submit]")
    page.wait_for_url(re.compile(r"/accounts$"))


def test_a_sales_person_finds_a_hot_account_and_exports_the_hot_list(demo, page):
    url, summary = demo
    sign_in(page, url, summary.admin)

    page.goto(url + "/")
    hot = int(page.locator("[data-test=hot-count]").inner_text())
    assert hot == summary.tiers.get("hot", 0) > 0
    shot(page, "02-overview")

    page.goto(url + "/accounts")
    page.click(".chip[data-tier=hot]")
    page.wait_for_url(re.compile(r"tier=hot"))
    tiers = page.locator("#accounts tbody tr").evaluate_all("rows => rows.map(r => r.dataset.tier)")
    assert tiers and set(tiers) == {"hot"}
    assert page.locator("text=Hostile Corp").first.is_visible()  # the name, shown as text
    assert HOSTILE in page.locator("#accounts tbody").inner_text()
    shot(page, "03-accounts-hot")

    with page.expect_download() as download:
        page.click("#export")
    body = Path(download.value.path()).read_text("utf-8")
    assert body.startswith("\ufeff")
    rows = list(csv.DictReader(io.StringIO(body.lstrip("\ufeff"))))
    assert len(rows) == hot
    assert {row["tier"] for row in rows} == {"hot"}
    hostile = next(row for row in rows if "Hostile Corp" in row["name"])
    assert hostile["name"].startswith("<script>")  # text, not a formula: left as is

    page.locator("#accounts tbody tr a").first.click()
    page.wait_for_url(re.compile(r"/accounts/\d+$"))
    breakdown = page.locator("#breakdown li")
    assert breakdown.count() >= 2
    assert page.locator("#timeline .timeline > li").count() >= 1
    assert page.locator("svg.history polyline").count() == 1
    shot(page, "04-account")


def test_the_timeline_shows_a_hostile_title_as_text(demo, page):
    url, summary = demo
    sign_in(page, url, summary.admin)
    page.goto(url + "/accounts?q=Hostile")
    page.locator("#accounts tbody tr a").first.click()
    page.wait_for_url(re.compile(r"/accounts/\d+$"))
    assert HOSTILE in page.locator("#timeline").inner_text()
    assert page.locator("#timeline script").count() == 0


def test_a_marketer_previews_a_new_hot_threshold_then_saves_it(demo, page):
    url, summary = demo
    sign_in(page, url, summary.admin)
    page.goto(url + "/model")
    text = page.locator("textarea[name=text]").input_value()
    page.fill("textarea[name=text]", "[tiers\nwarm = 'x'\n" + text)
    page.click("button[value=check]")
    errors = page.locator("#model-errors")
    assert errors.is_visible() and "line" in errors.inner_text()
    shot(page, "05-model-error")

    page.fill("textarea[name=text]", re.sub(r"(?m)^hot = \d+", "hot = 40", text, count=1))
    page.click("button[value=check]")
    preview = page.locator("#model-preview")
    assert re.search(r"\d+ accounts? would change tier", preview.inner_text())
    assert "warm → hot" in preview.inner_text()
    shot(page, "06-model-preview")

    page.click("button[value=save]")
    assert "saved" in page.locator(".flash-success").inner_text()
    assert page.locator("textarea[name=text]").input_value().count("hot = 40") == 1
    shot(page, "07-model-saved")


def test_sites_and_settings_pages(demo, page):
    url, summary = demo
    sign_in(page, url, summary.admin)
    page.goto(url + "/sites")
    assert summary.site_key in page.locator("pre.snippet").first.inner_text()
    assert page.locator(".status-ok").first.is_visible()  # the demo site has events
    shot(page, "08-sites")
    page.goto(url + "/settings")
    shot(page, "09-settings")


PAGES = [
    ("overview", "/"),
    ("accounts", "/accounts"),
    ("account", "/accounts/{hottest}"),
    ("sites", "/sites"),
    ("site-edit", "/sites/{site}/edit"),
    ("site-delete", "/sites/{site}/delete"),
    ("model", "/model"),
    ("settings", "/settings"),
    ("not-found", "/no-such-page"),
]
ENGLISH_REASONS = re.compile(r"\b(Visits|Came back on|Pricing page|Demo page|Persona .+ of \d)\b")
FRENCH_DATE = re.compile(r"\b\d{2}/\d{2}/\d{4} \d{2}:\d{2}\b")


@pytest.fixture(params=["en-GB", "fr-FR"])
def wide_page(request, browser):
    """A 1,440 px wide page whose browser asks for English or French."""
    from tests.browser.conftest import DESKTOP_CHROME, _loopback_only

    context = browser.new_context(
        user_agent=DESKTOP_CHROME, locale=request.param, viewport={"width": 1440, "height": 900}
    )
    context.route("**/*", _loopback_only)
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield request.param[:2], page
    context.close()


def test_every_page_in_english_and_french_at_1440_px(demo, wide_page):
    """Screenshots of each page in both languages; French pages read French, as wide as English."""
    url, summary = demo
    language, page = wide_page
    page.goto(url + "/login")
    shot(page, f"{language}-login")
    page.fill("input[name=email]", summary.admin)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(re.compile(r"/$"))
    page.goto(url + "/accounts")
    hottest = page.locator("#accounts tbody tr a").first.get_attribute("href").rsplit("/", 1)[1]
    site = page.evaluate("fetch('/sites').then(r => r.text())")
    site = re.search(r'id="site-(\d+)"', site).group(1)
    for name, path in PAGES:
        page.goto(url + path.format(hottest=hottest, site=site))
        assert page.locator("html").get_attribute("lang") == language
        shot(page, f"{language}-{name}")
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 1440, f"{name} is {width} px wide in {language}"

    page.goto(url + "/accounts")
    first_column = page.locator("#accounts thead th").first.bounding_box()
    assert first_column["width"] >= 200, f"account column squeezed to {first_column['width']} px"

    page.goto(url + f"/accounts/{hottest}")
    reasons = page.locator("#breakdown").inner_text()
    facts = page.locator(".facts").first.inner_text()
    if language == "fr":
        assert not ENGLISH_REASONS.search(reasons), reasons
        assert "Visites" in reasons
        assert FRENCH_DATE.search(facts), facts  # 27/11/2026 16:05, day first, 24-hour clock
    else:
        assert "Visits" in reasons
