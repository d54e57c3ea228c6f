"""The dashboard under a security review, in headless Chromium: values from
outside sources (providers, contacts, beacons) never become script links or
markup, the pages refuse to be framed by another site, and no page of normal
use trips its own Content-Security-Policy."""

from __future__ import annotations

import re
import shutil
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from server import create_app
from server.storage import session_scope, storage
from server.storage.models import Account, Contact, Event, User
from tests.support.accounts import PASSWORD, add_visit, make_account, seed_accounts
from tests.support.httpserver import Answer, ScriptedServer
from tests.support.wsgi import served

SCRIPT_URL = "javascript:alert(1)"
MARKUP = "<img src=x class=injected onerror=alert(1)>"
ESCAPING_URL = f'{SCRIPT_URL}//"><img src=x class=injected onerror=alert(1)>'
"""A script URL that also tries to close the `href` attribute it lands in."""

HOSTILE_FIELDS = {
    "linkedin_url": ESCAPING_URL,
    "profile_url": SCRIPT_URL,
    "company_name": f"{MARKUP} Hostile name",
    "page_title": f"{MARKUP} Hostile title",
    "referrer": f"{MARKUP}.example",
    "utm_value": SCRIPT_URL,
    "event_prop": SCRIPT_URL,
}
"""Each outside value the dashboard shows, with what an attacker would put there."""

CSP_LISTENER = """
window.__cspViolations = [];
document.addEventListener('securitypolicyviolation', function (event) {
  window.__cspViolations.push(event.violatedDirective + ' ' + event.blockedURI);
});
"""
"""Runs before any page script: records every CSP violation the page meets."""


def domain_of(field: str) -> str:
    return f"{field.replace('_', '-')}.example"


def hostile_account(session, org_id: int, site_id: int, field: str, value: str, now) -> int:
    """A hot account of `org_id`, seen at `now`, whose `field` carries `value`; its id."""
    name = value if field == "company_name" else f"Account with hostile {field}"
    account = make_account(
        session,
        org_id,
        name,
        domain=domain_of(field),
        score=90,
        tier="hot",
        hot_since=now - timedelta(hours=1),
        last_seen=now,
        top_pages=["/pricing"],
        linkedin_url=value if field == "linkedin_url" else None,
        firmographics={"website": value} if field == "linkedin_url" else {},
    )
    visit = add_visit(session, account, site_id, now - timedelta(hours=2), ("/", "/pricing"))
    visit.referrer_host = value if field == "referrer" else "www.google.com"
    visit.utm_campaign = value if field == "utm_value" else "spring"
    if field == "page_title":
        session.execute(update(Event).where(Event.visit_id == visit.id).values(title=value))
    session.add(
        Event(
            event_id=f"signup-{account.id}",
            site_id=site_id,
            visit_id=visit.id,
            account_id=account.id,
            occurred_at=now - timedelta(hours=1),
            type="event",
            name="signup",
            path="/signup",
            props={"link": value, "note": MARKUP} if field == "event_prop" else {},
            visitor_hash=visit.visitor_hash,
            connection_class="business",
        )
    )
    session.add(
        Contact(
            account_id=account.id,
            provider="file",
            name="Ann Lee",
            title="CTO",
            profile_url=value if field == "profile_url" else "https://www.linkedin.com/in/ann",
        )
    )
    return account.id


@pytest.fixture(scope="module")
def dashboard(tmp_path_factory, sqlite_template):
    """A dashboard on SQLite with one hostile account per outside value, served on loopback.

    Yields (base URL, admin e-mail, {field: account id}, a site id).
    """
    folder = tmp_path_factory.mktemp("hardening")
    shutil.copy(sqlite_template, folder / "vigie.db")
    app = create_app(
        {
            "INSTANCE_PATH": str(folder),
            "DATABASE_URL": f"sqlite:///{folder / 'vigie.db'}",
            "JOBS_START_CRON": False,
            "RATELIMIT_ENABLED": False,  # every test signs in
        }
    )
    world = seed_accounts(app)
    with app.app_context(), session_scope() as session:
        session.execute(update(User).where(User.email == world.email).values(role="admin"))
        hot = session.get(Account, world.ids["Hot Corp"])
        now = hot.last_seen + timedelta(days=1)
        site_id = session.scalars(select(Event.site_id).where(Event.account_id == hot.id)).first()
        ids = {
            field: hostile_account(session, world.org_id, site_id, field, value, now)
            for field, value in HOSTILE_FIELDS.items()
        }
    with served(app) as url:
        yield url, world.email, ids, site_id
    storage(app).engine.dispose()


@pytest.fixture
def page(context):
    """A page that records the dialogs scripts open (dismissed) and CSP violations."""
    context.add_init_script(CSP_LISTENER)
    page = context.new_page()
    page.dialogs = []
    page.on("dialog", lambda dialog: (page.dialogs.append(dialog.message), dialog.dismiss()))
    page.set_default_timeout(15_000)
    return page


def sign_in(page, url: str, email: str) -> None:
    page.goto(url + "/login")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(re.compile(r"/$"))


def unsafe_links(page) -> list[str]:
    """Links on the page that are not http(s) once resolved (javascript:, data:…)."""
    return page.evaluate(
        "[...document.querySelectorAll('a[href]')]"
        ".filter(a => !/^https?:$/.test(new URL(a.href, location.href).protocol))"
        ".map(a => a.getAttribute('href'))"
    )


def injected(page) -> int:
    return page.locator(".injected, img[src='x']").count()


def click_every_link(page, address: str, scope: str) -> int:
    """Open `address` and click each link inside `scope` in turn; returns how many."""
    page.goto(address)
    count = page.locator(f"{scope} a").count()
    for index in range(count):
        page.goto(address)
        link = page.locator(f"{scope} a").nth(index)
        href = link.get_attribute("href") or ""
        if "/api/" in href:  # a CSV download: nothing to run
            continue
        link.click()
        page.wait_for_load_state()
    return count


@pytest.mark.parametrize("field", list(HOSTILE_FIELDS))
def test_an_outside_value_never_becomes_a_script_link_or_markup(dashboard, page, field):
    """The pages showing the value: no javascript: link, no injected element, and
    clicking every link opens no dialog."""
    url, email, ids, _ = dashboard
    account_url = f"{url}/accounts/{ids[field]}"
    sign_in(page, url, email)
    shown = {
        "overview": url + "/",
        "accounts": f"{url}/accounts?q={domain_of(field)}",
        "account": account_url,
    }
    for name, address in shown.items():
        page.goto(address)
        assert page.locator("a[href^='javascript:' i]").count() == 0, name
        assert unsafe_links(page) == [], name
        assert injected(page) == 0, name
    value = HOSTILE_FIELDS[field]
    page.goto(account_url)
    text = page.locator("main").inner_text()
    if field != "event_prop":  # props are not shown; the others are, as text
        assert value in text, f"{field} is not shown as text"
    assert click_every_link(page, account_url, "main") >= 1
    assert click_every_link(page, shown["accounts"], "#accounts tbody") == 1
    assert page.dialogs == [], f"a script ran from {field}: {page.dialogs}"
    assert injected(page) == 0


def test_web_links_from_providers_stay_links(dashboard, page):
    """A provider's https profile URL is still a link, kept from the opener."""
    url, email, ids, _ = dashboard
    sign_in(page, url, email)
    page.goto(f"{url}/accounts/{ids['linkedin_url']}")
    profile = page.locator("a[href='https://www.linkedin.com/in/ann']")
    assert profile.inner_text() == "profile"
    assert "noopener" in profile.get_attribute("rel")
    assert ESCAPING_URL in page.locator(".facts").first.inner_text()  # the bad one, as text


def test_the_dashboard_refuses_to_be_framed_by_another_site(dashboard, page):
    """A page on another loopback port frames the sign-in page and an account:
    Chromium renders neither, while an ordinary page in the same frame shows."""
    url, email, ids, _ = dashboard
    sign_in(page, url, email)
    refused = []
    page.on(
        "console",
        lambda message: refused.append(message.text) if "frame-ancestors" in message.text else None,
    )
    with ScriptedServer() as other_site:
        other_site.on(
            "/plain",
            Answer(raw=b"<input name=email>", headers={"Content-Type": "text/html"}),
        )
        frames = "".join(
            f'<iframe name="f{index}" src="{src}"></iframe>'
            for index, src in enumerate(
                [url + "/login", f"{url}/accounts/{ids['linkedin_url']}", other_site.url + "/plain"]
            )
        )
        other_site.on("/framer", Answer(raw=frames.encode(), headers={"Content-Type": "text/html"}))
        page.goto(other_site.url + "/framer")
        plain = page.frame(name="f2")
        plain.wait_for_selector("input[name=email]")  # frames do render here
        for name in ("f0", "f1"):
            frame = page.frame(name=name)
            frame.wait_for_load_state()
            assert frame.locator("input[name=email], main, form").count() == 0, name
    assert len(refused) >= 2, refused


def dashboard_pages(page, url: str, ids: dict[str, int], site_id: int) -> list[str]:
    """Every page of normal use: the fixed list and whatever the navigation offers."""
    fixed = ["/", "/accounts", f"/accounts/{ids['linkedin_url']}", "/sites", "/model"]
    fixed += ["/settings", f"/sites/{site_id}/edit", f"/sites/{site_id}/delete"]
    page.goto(url + "/")
    nav = page.locator(".topbar a").evaluate_all("links => links.map(a => a.pathname)")
    return list(dict.fromkeys(fixed + nav))


def test_no_page_in_normal_use_trips_the_policy(dashboard, page):
    """Every dashboard page, its scripts run, with no CSP violation reported."""
    url, email, ids, site_id = dashboard
    errors = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.goto(url + "/login")
    assert page.evaluate("window.__cspViolations") == []
    sign_in(page, url, email)
    for path in dashboard_pages(page, url, ids, site_id):
        page.goto(url + path)
        page.wait_for_load_state("networkidle")
        assert page.evaluate("window.__cspViolations") == [], path
    page.goto(url + "/sites")
    with page.expect_response(re.compile(r"/sites/\d+/status")):  # its script polls
        pass
    assert page.evaluate("window.__cspViolations") == []
    assert not [e for e in errors if "Content Security Policy" in e], errors
    # The listener does catch a violation: an inline script added without the nonce.
    page.evaluate(
        "document.body.appendChild(Object.assign(document.createElement('script'),"
        " {textContent: 'window.ran = true'}))"
    )
    page.wait_for_function("window.__cspViolations.length > 0")
    assert page.evaluate("window.ran") is None
