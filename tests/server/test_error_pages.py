"""Error pages in the dashboard's layout and language, JSON errors under /api/,
the collector's own answers, and the favicon; on SQLite and PostgreSQL."""

from __future__ import annotations

import re

import pytest
from flask import abort

from server.storage import session_scope
from server.storage.models import User
from tests.support.accounts import PASSWORD, seed_accounts

CSRF = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')
SECRET = "kaboom-detail-4242"
"""Text of the exception behind the test 500: it must never reach the page."""


@pytest.fixture
def failing_app(app):
    """The app with two test-only routes: one forbidden, one that raises."""

    def forbidden():
        abort(403)

    def broken():
        raise RuntimeError(SECRET)

    app.add_url_rule("/test-forbidden", "test_forbidden", forbidden)
    app.add_url_rule("/test-broken", "test_broken", broken)
    app.add_url_rule("/api/test-broken", "test_api_broken", broken)
    app.config["PROPAGATE_EXCEPTIONS"] = False  # answer as in production, not re-raise
    return app


@pytest.fixture
def world(failing_app):
    return seed_accounts(failing_app)


def sign_in(app, email: str):
    client = app.test_client()
    form = client.get("/login").get_data(as_text=True)
    client.post(
        "/login", data={"email": email, "password": PASSWORD, "csrf_token": CSRF.search(form)[1]}
    )
    assert client.get("/").status_code == 200
    return client


@pytest.fixture
def member(failing_app, world):
    """A signed-in client of the seeded organisation."""
    return sign_in(failing_app, world.email)


def page_of(answer) -> str:
    assert answer.mimetype == "text/html"
    return answer.get_data(as_text=True)


def title_of(text: str) -> str:
    return re.search(r"<title>(.*?)</title>", text, re.S)[1].strip()


def test_unknown_dashboard_url_shows_the_styled_404_with_navigation(member):
    text = page_of(answer := member.get("/no/such/page"))
    assert answer.status_code == 404
    assert title_of(text) == "Page not found · Vigie"
    assert 'class="topbar"' in text and 'href="/accounts"' in text  # the navigation
    assert 'data-status="404"' in text and 'lang="en"' in text
    assert 'href="/"' in text and "/login" not in text


def test_a_foreign_account_is_the_styled_404(member, world):
    text = page_of(answer := member.get(f"/accounts/{world.ids['Foreign Corp']}"))
    assert answer.status_code == 404 and 'data-status="404"' in text


def test_the_404_follows_the_users_language(failing_app, world):
    with failing_app.app_context(), session_scope() as session:
        session.query(User).filter_by(email=world.email).one().locale = "fr"
    client = sign_in(failing_app, world.email)
    text = page_of(client.get("/no/such/page", headers={"Accept-Language": "en"}))
    assert '<html lang="fr">' in text
    assert 'class="topbar"' in text and 'data-status="404"' in text


def test_signed_out_404_has_a_sign_in_link_and_no_navigation(failing_app):
    client = failing_app.test_client()
    text = page_of(answer := client.get("/no/such/page", headers={"Accept-Language": "fr"}))
    assert answer.status_code == 404
    assert '<html lang="fr">' in text and 'data-status="404"' in text
    assert 'class="topbar"' not in text
    assert 'href="/login"' in text


def test_403_is_styled(member):
    text = page_of(answer := member.get("/test-forbidden"))
    assert answer.status_code == 403
    assert title_of(text) == "Access denied · Vigie"
    assert 'data-status="403"' in text and 'class="topbar"' in text


def test_500_is_styled_without_any_detail_of_the_failure(member):
    text = page_of(answer := member.get("/test-broken"))
    assert answer.status_code == 500
    assert title_of(text) == "Something went wrong · Vigie"
    assert 'data-status="500"' in text and 'class="topbar"' in text
    for detail in (SECRET, "RuntimeError", "Traceback", "test_error_pages.py"):
        assert detail not in text


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        ("GET", "/api/no-such-thing", 404),
        ("GET", "/api", 404),
        ("GET", "/api/accounts/999999", 404),
        ("POST", "/api/accounts", 405),
    ],
)
def test_api_errors_stay_json(member, method, path, status):
    answer = member.open(path, method=method)
    assert answer.status_code == status
    assert answer.mimetype == "application/json"
    assert set(answer.get_json()) == {"error"} and answer.get_json()["error"]


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/accounts/9223372036854775807"),
        ("GET", "/accounts/9223372036854775808"),
        ("GET", "/accounts/0"),
        ("POST", "/accounts/9223372036854775808/outcome"),
        ("POST", "/accounts/99999999999999999999/enrich"),
        ("GET", "/sites/9223372036854775808/status"),
        ("GET", "/sites/2147483647/status"),
        ("GET", "/sites/2147483648/status"),
        ("GET", "/sites/18446744073709551616/edit"),
    ],
)
def test_ids_the_database_cannot_hold_are_not_found(member, method, path):
    """Ids past their column's range (2^63 - 1, or 2^31 - 1 for sites) and 0
    answer 404 like a missing row, never a 500."""
    answer = member.open(path, method=method)
    assert answer.status_code == 404
    if answer.mimetype == "text/html":
        assert 'data-status="404"' in answer.get_data(as_text=True)


def test_api_method_not_allowed_names_the_allowed_ones(member):
    answer = member.post("/api/accounts")
    assert answer.status_code == 405 and answer.mimetype == "application/json"
    assert "GET" in answer.headers["Allow"]


def test_api_500_is_json_without_any_detail_of_the_failure(failing_app):
    answer = failing_app.test_client().get("/api/test-broken")
    assert answer.status_code == 500 and answer.mimetype == "application/json"
    assert answer.get_json()["error"]
    for detail in (SECRET, "RuntimeError", "Traceback"):
        assert detail not in answer.get_data(as_text=True)


def test_api_unknown_url_is_json_without_a_session_too(failing_app):
    answer = failing_app.test_client().get("/api/nope", headers={"Authorization": "Bearer x"})
    assert answer.status_code == 404 and answer.get_json()["error"]


def test_collector_answers_are_untouched(failing_app, world):
    client = failing_app.test_client()
    unknown_site = client.post(
        "/e", data='{"site":"nope","type":"pageview","url":"https://x.example/"}'
    )
    assert unknown_site.status_code == 403
    assert unknown_site.get_json()["error"].startswith("site")
    wrong_method = client.get("/e")
    assert wrong_method.status_code == 405 and "POST" in wrong_method.headers["Allow"]
    assert wrong_method.get_json() == {"error": "request: method not allowed"}
    assert client.get("/p.gif").mimetype == "image/gif"


def test_favicon_is_a_cacheable_svg(failing_app):
    client = failing_app.test_client()
    answer = client.get("/favicon.ico")
    assert answer.status_code == 200
    assert answer.mimetype == "image/svg+xml"
    assert answer.get_data(as_text=True).lstrip().startswith("<svg")
    assert answer.cache_control.max_age and answer.cache_control.max_age >= 86400
    login = client.get("/login").get_data(as_text=True)
    assert '<link rel="icon" type="image/svg+xml" href="/static/web/favicon.svg">' in login
    assert client.get("/static/web/favicon.svg").status_code == 200
