"""Security headers on the dashboard, the API and the collector; HSTS over https
only; the session cookie's HttpOnly, SameSite and Secure attributes."""

from __future__ import annotations

import re
import shutil

import pytest
from sqlalchemy import update

from server import create_app
from server.config import ConfigError
from server.storage import session_scope
from server.storage.models import User
from tests.support.accounts import PASSWORD, seed_accounts
from tests.support.collector import SITE_KEY, pageview, send

TOKEN = re.compile(r'name="(?:[a-z]+-)?csrf_token" type="hidden" value="([^"]+)"')
ALWAYS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "strict-origin-when-cross-origin",
}
DASHBOARD_DIRECTIVES = [
    "default-src 'self'",
    "img-src 'self' data:",
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
]


@pytest.fixture
def build(make_app, tmp_path, sqlite_template):
    """Apps on a SQLite copy, with the settings a test gives."""

    def build_app(**settings):
        path = tmp_path / "headers.db"
        if not path.exists():
            shutil.copy(sqlite_template, path)
        return make_app(f"sqlite:///{path}", **settings)

    return build_app


def policy(response) -> dict[str, str]:
    """The response's CSP as {directive: sources}."""
    header = response.headers["Content-Security-Policy"]
    parts = (part.strip().split(" ", 1) for part in header.split(";") if part.strip())
    return {part[0]: part[1] if len(part) > 1 else "" for part in parts}


def assert_always(response) -> None:
    for name, value in ALWAYS.items():
        assert response.headers.get(name) == value, (response.request.path, name)


def assert_dashboard_policy(response) -> None:
    header = response.headers["Content-Security-Policy"]
    for directive in DASHBOARD_DIRECTIVES:
        assert directive in header, (response.request.path, directive)
    scripts = policy(response)["script-src"]
    assert scripts.startswith("'self'") and "unsafe" not in scripts
    assert "unsafe" not in policy(response)["style-src"]


def sign_in(app):
    """Sign in as the seeded user, made an admin so that every page opens."""
    world = seed_accounts(app)
    with app.app_context(), session_scope() as session:
        session.execute(update(User).where(User.email == world.email).values(role="admin"))
    client = app.test_client()
    token = TOKEN.search(client.get("/login").get_data(as_text=True)).group(1)
    answer = client.post(
        "/login", data={"email": world.email, "password": PASSWORD, "csrf_token": token}
    )
    assert answer.status_code == 302
    return world, client


def test_dashboard_api_and_other_answers_carry_the_headers(app):
    """Pages, static files, the API, errors and health answers all carry them."""
    world, client = sign_in(app)
    hot = world.ids["Hot Corp"]
    for path in ("/", "/accounts", f"/accounts/{hot}", "/sites", "/model", "/settings"):
        answer = client.get(path)
        assert answer.status_code == 200, path
        assert_always(answer)
        assert_dashboard_policy(answer)
        assert "Strict-Transport-Security" not in answer.headers  # plain http
    others = [
        client.get("/static/web/vigie.css"),
        client.get("/no-such-page"),
        client.get("/api/accounts", headers={"Authorization": f"Bearer {world.token}"}),
        client.get("/api/accounts", headers={"Authorization": "Bearer wrong"}),
        client.get("/healthz"),
        client.get("/openapi.json"),
        app.test_client().get("/login"),
    ]
    for answer in others:
        assert_always(answer)
        assert_dashboard_policy(answer)


def test_inline_scripts_run_only_with_the_nonce_of_their_request(build):
    """Each page's `<script>` carries the nonce its CSP names, new on every request."""
    _, client = sign_in(build())
    nonces = []
    for path in ("/model", "/sites", "/model"):
        answer = client.get(path)
        body = answer.get_data(as_text=True)
        scripts = re.findall(r"<script\b[^>]*>", body)
        assert scripts, path
        nonce = re.search(r"'nonce-([^']+)'", policy(answer)["script-src"]).group(1)
        assert all(f'nonce="{nonce}"' in tag for tag in scripts), scripts
        nonces.append(nonce)
    assert len(set(nonces)) == 3
    overview = client.get("/")
    assert "<script" not in overview.get_data(as_text=True)
    assert policy(overview)["script-src"] == "'self'"  # nothing inline may run
    assert ' style="' not in overview.get_data(as_text=True)


def test_collector_answers_keep_cors_and_gain_nosniff(collector_app):
    """Beacons, the preflight, the pixel and the snippet still work from other sites."""
    origin = {"Origin": "https://shop.example"}
    stored = send(collector_app, pageview(), headers=origin)
    assert stored.status_code == 202
    assert stored.headers["Access-Control-Allow-Origin"] == "https://shop.example"
    client = collector_app.test_client()
    preflight = client.options("/e", headers={**origin, "Access-Control-Request-Method": "POST"})
    assert preflight.status_code == 204
    assert preflight.headers["Access-Control-Allow-Origin"] == "https://shop.example"
    pixel = client.get(f"/p.gif?site={SITE_KEY}&url=https://shop.example/")
    assert pixel.mimetype == "image/gif"
    snippet = client.get("/v.js")
    assert snippet.status_code == 200
    assert snippet.headers["Access-Control-Allow-Origin"] == "*"
    refused = client.post("/e", data="{", content_type="text/plain")
    assert refused.status_code == 400
    for answer in (stored, preflight, pixel, snippet, refused):
        assert_always(answer)
        assert policy(answer)["default-src"] == "'none'"
        assert policy(answer)["frame-ancestors"] == "'none'"


@pytest.mark.parametrize(
    ("settings", "base_url", "headers", "expected"),
    [
        ({}, "http://localhost", {}, False),
        ({}, "https://localhost", {}, True),
        ({}, "http://localhost", {"X-Forwarded-Proto": "https"}, False),  # not trusted
        ({"TRUSTED_PROXIES": 1}, "http://localhost", {"X-Forwarded-Proto": "https"}, True),
        ({"TRUSTED_PROXIES": 1}, "http://localhost", {"X-Forwarded-Proto": "http"}, False),
        ({"PUBLIC_URL": "https://vigie.acme.example"}, "http://localhost", {}, True),
        ({"PUBLIC_URL": "http://vigie.acme.example"}, "http://localhost", {}, False),
    ],
)
def test_hsts_only_when_served_over_https(build, settings, base_url, headers, expected):
    """HSTS is sent over https (direct, through a trusted proxy or by the public URL)."""
    client = build(**settings).test_client()
    for path in ("/login", "/v.js"):
        answer = client.get(path, base_url=base_url, headers=headers)
        hsts = answer.headers.get("Strict-Transport-Security")
        if expected:
            assert hsts is not None and hsts.startswith("max-age=31536000"), path
        else:
            assert hsts is None, path


def session_cookie(app) -> str:
    """The Set-Cookie header of the session a visit to the sign-in page opens."""
    answer = app.test_client().get("/login")
    [cookie] = [c for c in answer.headers.getlist("Set-Cookie") if c.startswith("session=")]
    return cookie


@pytest.mark.parametrize(
    ("settings", "secure"),
    [
        ({}, False),
        ({"PUBLIC_URL": "http://vigie.acme.example"}, False),
        ({"PUBLIC_URL": "https://vigie.acme.example"}, True),
        ({"PUBLIC_URL": "https://vigie.acme.example", "SESSION_COOKIE_SECURE": False}, False),
        ({"PUBLIC_URL": "http://vigie.acme.example", "SESSION_COOKIE_SECURE": True}, True),
    ],
)
def test_the_session_cookie_is_httponly_lax_and_secure_per_setting(build, settings, secure):
    cookie = session_cookie(build(**settings))
    attributes = {part.strip().split("=")[0].lower(): part for part in cookie.split(";")}
    assert "httponly" in attributes
    assert attributes["samesite"].strip() == "SameSite=Lax"
    assert ("secure" in attributes) is secure


@pytest.mark.parametrize(("value", "secure"), [("true", True), ("0", False), ("off", False)])
def test_the_secure_setting_is_read_from_the_environment(monkeypatch, tmp_path, value, secure):
    """`VIGIE_SESSION_COOKIE_SECURE` wins over an https public URL, both ways."""
    monkeypatch.setenv("VIGIE_PUBLIC_URL", "https://vigie.acme.example")
    monkeypatch.setenv("VIGIE_SESSION_COOKIE_SECURE", value)
    app = create_app(
        {"INSTANCE_PATH": str(tmp_path), "DATABASE_URL": f"sqlite:///{tmp_path / 'v.db'}"}
    )
    assert app.config["SESSION_COOKIE_SECURE"] is secure
    assert app.config["REMEMBER_COOKIE_SECURE"] is secure
    assert app.config["REMEMBER_COOKIE_SAMESITE"] == "Lax"


def test_a_secure_setting_that_is_not_yes_or_no_names_the_variable(monkeypatch, tmp_path):
    monkeypatch.setenv("VIGIE_SESSION_COOKIE_SECURE", "sometimes")
    with pytest.raises(ConfigError, match="VIGIE_SESSION_COOKIE_SECURE: must be true or false"):
        create_app({"INSTANCE_PATH": str(tmp_path)})
