"""The dashboard's pages through HTTP: sign-in, tenancy, CSRF, sales feedback,
sites, model editing and settings, on SQLite and PostgreSQL."""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select

from server.storage import session_scope
from server.storage.models import Organisation, Outcome, ScoringModel, Site, User
from tests.support.accounts import PASSWORD, seed_accounts
from tests.support.httpserver import Answer, ScriptedServer

TOKEN = re.compile(r'name="(?:[a-z]+-)?csrf_token" type="hidden" value="([^"]+)"')

FORMS = [
    ("/accounts/{hot}/outcome", {"outcome": "won"}),
    ("/accounts/{hot}/enrich", {}),
    ("/sites", {"name": "New", "domains": "new.example"}),
    ("/model", {"text": "[tiers]\nwarm = 1\nhot = 2\n", "action": "save"}),
    ("/settings", {"webhook-url": "", "action": "save-webhook"}),
    ("/logout", {}),
]


def csrf(client, path: str) -> str:
    return TOKEN.search(client.get(path).get_data(as_text=True)).group(1)


def signed_in(app):
    """The seeded organisation, and a client signed in as its user made admin:
    these tests go through every page; what members may not do is in test_roles.py."""
    world = seed_accounts(app)
    with app.app_context(), session_scope() as session:
        session.scalar(select(User).where(User.email == world.email)).role = "admin"
    client = app.test_client()
    client.post(
        "/login",
        data={"email": world.email, "password": PASSWORD, "csrf_token": csrf(client, "/login")},
    )
    return world, client


def test_pages_need_a_signed_in_user(app):
    client = app.test_client()
    for path in ("/", "/accounts", "/accounts/1", "/sites", "/model", "/settings"):
        answer = client.get(path)
        assert answer.status_code == 302 and "/login" in answer.headers["Location"], path


def test_a_wrong_password_is_refused_with_one_message(app):
    world = seed_accounts(app)
    client = app.test_client()
    answer = client.post(
        "/login",
        data={"email": world.email, "password": "nope", "csrf_token": csrf(client, "/login")},
    )
    assert answer.status_code == 200 and "Wrong e-mail or password." in answer.get_data(
        as_text=True
    )
    assert client.get("/accounts").status_code == 302


def test_sign_in_is_rate_limited(sqlite_app):
    """Per client address, whatever the e-mails (each one's own limit is not reached)."""
    seed_accounts(sqlite_app)
    client = sqlite_app.test_client()
    token = csrf(client, "/login")
    codes = [
        client.post(
            "/login", data={"email": f"guess{n}@acme.example", "password": "x", "csrf_token": token}
        ).status_code
        for n in range(12)
    ]
    assert codes[:10] == [200] * 10 and codes[-1] == 429


def test_every_page_renders_for_the_signed_in_user(app):
    world, client = signed_in(app)
    for path in (
        "/",
        "/accounts",
        "/accounts?tier=hot&sort=name",
        f"/accounts/{world.ids['Hot Corp']}",
        "/sites",
        "/model",
        "/settings",
    ):
        answer = client.get(path)
        assert answer.status_code == 200, path
    page = client.get("/accounts?tier=hot").get_data(as_text=True)
    assert "Hot Corp" in page and "Cold SA" not in page
    for bad in ("site=" + world.other_site_key, "min_score=lots", "sort=colour"):
        answer = client.get("/accounts?" + bad)
        assert answer.status_code == 200 and 'class="errors"' in answer.get_data(as_text=True)


def test_another_organisations_account_is_not_found(app):
    world, client = signed_in(app)
    foreign = world.ids["Foreign Corp"]
    assert client.get(f"/accounts/{foreign}").status_code == 404
    token = csrf(client, f"/accounts/{world.ids['Hot Corp']}")
    answer = client.post(
        f"/accounts/{foreign}/outcome", data={"outcome": "won", "csrf_token": token}
    )
    assert answer.status_code == 404
    assert "Foreign Corp" not in client.get("/accounts").get_data(as_text=True)


@pytest.mark.parametrize(("path", "data"), FORMS)
def test_every_form_refuses_a_missing_csrf_token(app, path, data):
    world, client = signed_in(app)
    answer = client.post(path.format(hot=world.ids["Hot Corp"]), data=data)
    assert answer.status_code == 400
    assert "CSRF" in answer.get_data(as_text=True)


def test_sales_feedback_is_recorded_and_a_rejection_needs_a_reason(app):
    world, client = signed_in(app)
    hot = world.ids["Hot Corp"]
    token = csrf(client, f"/accounts/{hot}")
    client.post(
        f"/accounts/{hot}/outcome", data={"outcome": "rejected", "reason": "", "csrf_token": token}
    )
    client.post(
        f"/accounts/{hot}/outcome",
        data={"outcome": "rejected", "reason": "Competitor", "csrf_token": token},
    )
    with app.app_context(), session_scope() as session:
        rows = session.execute(
            select(Outcome.outcome, Outcome.reason).where(Outcome.account_id == hot)
        ).all()
    assert ("rejected", "Competitor") in rows and ("rejected", None) not in rows
    page = client.get(f"/accounts/{hot}").get_data(as_text=True)
    assert "Competitor" in page


def test_a_site_is_added_with_its_snippet_and_a_clash_is_named(app):
    world, client = signed_in(app)
    with app.app_context(), session_scope() as session:
        session.scalar(select(User).where(User.email == world.email)).role = "admin"
    token = csrf(client, "/sites")
    client.post(
        "/sites", data={"name": "Shop", "domains": "shop.acme.example", "csrf_token": token}
    )
    page = client.get("/sites").get_data(as_text=True)
    with app.app_context(), session_scope() as session:
        key = session.scalar(select(Site.public_key).where(Site.name == "Shop"))
    assert key and f'data-site="{key}"' in page.replace("&#34;", '"').replace("&quot;", '"')
    answer = client.post(
        "/sites", data={"name": "Again", "domains": "acme.example", "csrf_token": token}
    )
    assert "already tracked by site" in answer.get_data(as_text=True)


def test_the_sites_check_turns_green_once_an_event_arrived(app):
    world, client = signed_in(app)
    with app.app_context(), session_scope() as session:
        site_ids = dict(session.execute(select(Site.public_key, Site.id)).all())
    answer = client.get(f"/sites/{site_ids[world.second_site_key]}/status").get_json()
    assert answer == {"receiving": False, "last_event_at": None}
    assert client.get(f"/sites/{site_ids[world.other_site_key]}/status").status_code == 404
    with app.app_context(), session_scope() as session:
        site = session.get(Site, site_ids[world.second_site_key])
        site.last_event_at = datetime(2026, 11, 27, 16, 5, tzinfo=UTC)
        session.get(Organisation, site.org_id).settings = {"time_zone": "Europe/Paris"}
    answer = client.get(f"/sites/{site_ids[world.second_site_key]}/status").get_json()
    assert answer["receiving"] and answer["shown"].endswith("17:05 CET")  # the page's own wording


def test_a_broken_model_shows_its_errors_and_keeps_the_model_in_force(app):
    world, client = signed_in(app)
    token = csrf(client, "/model")
    answer = client.post(
        "/model", data={"text": "[tiers]\nwarm = 'x'\n", "action": "save", "csrf_token": token}
    )
    page = answer.get_data(as_text=True)
    assert "nothing was saved" in page and "line 2" in page
    with app.app_context(), session_scope() as session:
        assert session.scalar(select(func.count()).select_from(ScoringModel)) == 0


def test_a_model_preview_counts_tier_changes_and_a_save_keeps_a_version(app):
    world, client = signed_in(app)
    token = csrf(client, "/model")
    text = client.get("/model").get_data(as_text=True)
    model = re.search(r"<textarea[^>]*>(.*?)</textarea>", text, re.S).group(1)
    model = html.unescape(model).lstrip("\n")
    lowered = re.sub(r"(?m)^hot = \d+", "hot = 1", model, count=1)
    lowered = re.sub(r"(?m)^warm = \d+", "warm = 0", lowered, count=1)
    preview = client.post("/model", data={"text": lowered, "action": "check", "csrf_token": token})
    assert re.search(r"\d+ accounts? would change tier", preview.get_data(as_text=True))
    client.post("/model", data={"text": lowered, "action": "save", "csrf_token": token})
    with app.app_context(), session_scope() as session:
        version = session.scalars(select(ScoringModel)).one()
    assert version.changed_by == world.email and version.version == 1


def test_the_webhook_is_saved_and_tested(make_app, db_url):
    app = make_app(db_url, OUTBOUND_ALLOW="127.0.0.1")  # the fake webhook is on loopback
    world, client = signed_in(app)
    with ScriptedServer() as hook:
        hook.on("/hook", Answer(200, {"ok": True}))
        token = csrf(client, "/settings")
        answer = client.post(
            "/settings",
            data={"webhook-url": hook.url + "/hook", "action": "test-webhook", "csrf_token": token},
            follow_redirects=True,
        )
        assert "Test message delivered." in answer.get_data(as_text=True)
        assert "test alert" in hook.bodies[-1].decode()
    with app.app_context(), session_scope() as session:
        settings = session.get(Organisation, world.org_id).settings
    assert settings["webhook_url"] == hook.url + "/hook"
    bad = client.post(
        "/settings", data={"webhook-url": "ftp://x", "action": "save-webhook", "csrf_token": token}
    )
    assert "is not an http(s) URL" in bad.get_data(as_text=True)
