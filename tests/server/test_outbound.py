"""Outgoing requests of the app under the guard: the webhook test button, the
alert job and an HTTP enrichment provider refuse private addresses unless
`VIGIE_OUTBOUND_ALLOW` lets them through, and say no more than why."""

from __future__ import annotations

import logging

import pytest
from sqlalchemy import select

from server.config import ConfigError
from server.jobs import drain, enqueue, jobs_of
from server.jobs.alerts import alert_hot_account
from server.jobs.enrichment import enrich_account
from server.storage import session_scope
from server.storage.models import Account, Enrichment, Organisation
from server.storage.tenancy import create_organisation, create_user
from tests.support.accounts import PASSWORD
from tests.support.httpserver import Answer, ScriptedServer
from tests.support.signin import CSRF_TOKEN

FORBIDDEN = [
    ("http://127.0.0.1:{port}/hook", "a loopback address"),
    ("http://169.254.169.254/latest/meta-data/", "a cloud metadata address"),
    ("http://10.0.0.1/hook", "a private address"),
    ("http://[::ffff:127.0.0.1]:{port}/hook", "a loopback address"),
    ("http://localhost:{port}/hook", "a loopback address"),
]
"""URLs a user may type, with the reason they are refused; `{port}` is the fake
server's, so that a URL let through by mistake would really be answered."""


@pytest.fixture
def hook():
    with ScriptedServer() as server:
        server.on("/hook", Answer(200, {"ok": True}))
        yield server


def port(server: ScriptedServer) -> int:
    return server.httpd.server_address[1]


def admin_client(app):
    """A client signed in as the admin of a new organisation, and that organisation's id."""
    with app.app_context(), session_scope() as session:
        organisation = create_organisation(session, "Org")
        create_user(session, organisation, "admin@org.example", PASSWORD, role="admin")
        org_id = organisation.id
    client = app.test_client()
    token = CSRF_TOKEN.search(client.get("/login").get_data(as_text=True)).group(1)
    client.post(
        "/login", data={"email": "admin@org.example", "password": PASSWORD, "csrf_token": token}
    )
    return client, org_id


def test_webhook(client, url: str) -> str:
    """Press "Send a test" for `url`; return the text of the page it leads to."""
    page = client.get("/settings").get_data(as_text=True)
    token = CSRF_TOKEN.search(page).group(1)
    answer = client.post(
        "/settings",
        data={"webhook-url": url, "action": "test-webhook", "webhook-csrf_token": token},
        follow_redirects=True,
    )
    assert answer.status_code == 200
    return answer.get_data(as_text=True)


test_webhook.__test__ = False  # a helper, not a test


@pytest.mark.parametrize(("url", "reason"), FORBIDDEN)
def test_the_webhook_test_refuses_private_addresses(sqlite_app, hook, url, reason):
    """The button names why the address is refused, and nothing is sent."""
    client, _ = admin_client(sqlite_app)
    page = test_webhook(client, url.format(port=port(hook)))
    assert f"Webhook: refused: {reason}" in page
    assert hook.requests == []


def test_the_webhook_test_says_only_delivered_or_the_status(make_app, db_url, hook):
    """Allowed, the fake webhook is reached; a failure shows its status, never the body."""
    app = make_app(db_url, OUTBOUND_ALLOW="127.0.0.1")
    client, _ = admin_client(app)
    assert "Test message delivered." in test_webhook(client, hook.url + "/hook")
    assert b"test alert" in hook.bodies[-1]
    hook.on("/broken", Answer(500, {"secret": "db-password-in-a-stack-trace"}))
    page = test_webhook(client, hook.url + "/broken")
    assert "Webhook: failed: HTTP 500" in page and "db-password" not in page


def test_the_webhook_test_does_not_follow_redirects(sqlite_app, hook):
    """Webhooks follow no redirect: an allowed host cannot send the post elsewhere."""
    sqlite_app.config["OUTBOUND_ALLOW"] = ["127.0.0.1"]
    hook.on("/moved", Answer(307, headers={"Location": "http://169.254.169.254/"}))
    client, _ = admin_client(sqlite_app)
    assert "Webhook: failed: HTTP 307" in test_webhook(client, hook.url + "/moved")


def test_a_refused_alert_webhook_is_not_retried_and_logs_the_host_only(sqlite_app, hook, caplog):
    """The alert job gives up at once on a refused address, and its log keeps the token out."""
    with sqlite_app.app_context(), session_scope() as session:
        organisation = Organisation(
            name="Org", settings={"webhook_url": hook.url + "/hook/T0K3N-secret"}
        )
        session.add(organisation)
        session.flush()
        account = Account(org_id=organisation.id, key="acme.fr", name="Acme", domain="acme.fr")
        session.add(account)
        session.flush()
        account_id = account.id
    with caplog.at_level(logging.INFO), sqlite_app.app_context():
        enqueue(alert_hot_account, account_id)
        assert drain(sqlite_app, timeout=10)
    assert hook.requests == []
    assert not jobs_of(sqlite_app).local.failures
    assert "webhook on 127.0.0.1 not called: refused: a loopback address" in caplog.text
    assert "T0K3N" not in caplog.text


def provider_settings(url: str) -> dict:
    return {
        "enrichment": {
            "providers": [
                {"type": "http", "url": url, "retries": 0, "timeout": 1, "fields": {"name": "name"}}
            ]
        }
    }


def enrichment_error(app, url: str) -> tuple[str | None, int]:
    """Enrich one account with an HTTP provider at `url`; its last error and attempts."""
    with app.app_context(), session_scope() as session:
        organisation = Organisation(name="Org", settings=provider_settings(url))
        session.add(organisation)
        session.flush()
        account = Account(org_id=organisation.id, key="acme.fr", name="acme.fr", domain="acme.fr")
        session.add(account)
        session.flush()
        account_id = account.id
    with app.app_context():
        enqueue(enrich_account, account_id)
    assert drain(app, timeout=20)
    with app.app_context(), session_scope() as session:
        state = session.scalars(select(Enrichment)).one()
        return state.last_error, state.attempts


@pytest.mark.parametrize(("url", "reason"), FORBIDDEN)
def test_an_http_provider_refuses_private_addresses(sqlite_app, hook, url, reason):
    """The provider's error names the refusal; it is not retried and nothing is sent."""
    provider_url = url.format(port=port(hook)).replace("/hook", "/c/") + "{domain}"
    error, attempts = enrichment_error(sqlite_app, provider_url)
    assert error is not None and error.startswith("http: refused: ") and error.endswith(reason)
    assert attempts == 1 and hook.requests == []


def test_a_provider_redirect_to_a_forbidden_address_is_refused(make_app, db_url, hook):
    """Loopback allowed, the fake provider still cannot bounce the call to the metadata service."""
    app = make_app(db_url, OUTBOUND_ALLOW="127.0.0.1")
    hook.on("/c/acme.fr", Answer(302, headers={"Location": "http://169.254.169.254/latest"}))
    error, attempts = enrichment_error(app, hook.url + "/c/{domain}")
    assert error == "http: refused: 169.254.169.254: a cloud metadata address"
    assert attempts == 1 and hook.hits("/c/acme.fr") == 1


def test_the_allow_setting_lets_the_loopback_provider_through(make_app, db_url, hook):
    """With VIGIE_OUTBOUND_ALLOW=localhost the same provider answers."""
    app = make_app(db_url, OUTBOUND_ALLOW="localhost")
    hook.on("/c/acme.fr", Answer(body={"name": "Acme SAS"}))
    error, _ = enrichment_error(app, f"http://localhost:{port(hook)}/c/{{domain}}")
    assert error is None and hook.hits("/c/acme.fr") == 1


def test_a_malformed_allow_setting_stops_the_start(make_app, db_url):
    with pytest.raises(ConfigError, match="VIGIE_OUTBOUND_ALLOW: 'intranet/' is not a CIDR"):
        make_app(db_url, OUTBOUND_ALLOW="127.0.0.1, intranet/")
