"""Signed webhooks: the signature verified with the README's recipe, retries
with backoff until one success, dead letters, the JSON Schemas, the Webhooks page.

Receivers are loopback `ScriptedServer`s; retry waits are set to zero so the
test drives each attempt itself.
"""

from __future__ import annotations

import json
import re
from datetime import timedelta
from pathlib import Path

import jsonschema_rs
import pytest
from sqlalchemy import select

from server.audit import CLI
from server.jobs import drain
from server.jobs.alerts import alert_hot_account, announce_account_changes
from server.jobs.webhooks import retry_webhook_deliveries
from server.storage import session_scope
from server.storage.models import Account, Lead, LeadList, WebhookDelivery
from server.storage.tenancy import create_organisation
from server.storage.types import utcnow
from server.webhooks.delivery import attempt
from server.webhooks.outbox import emit
from server.webhooks.signing import SIGNATURE_HEADER
from server.webhooks.store import subscribe
from tests.support.accounts import make_account
from tests.support.httpserver import Answer, ScriptedServer
from tests.support.team import ADMIN, csrf, make_team, page_text, sign_in

README = Path(__file__).resolve().parents[2] / "README.md"


def readme_recipe():
    """The `verify` function exactly as the README's "Verifying a delivery" shows it."""
    text = README.read_text()
    section = text[text.index("### Verifying a delivery") :]
    code = re.search(r"```python\n(.*?)```", section, re.S).group(1)
    scope: dict = {}
    exec(compile(code, "README.md", "exec"), scope)
    return scope["verify"]


@pytest.fixture
def receiver():
    with ScriptedServer() as server:
        yield server


def webhook_app(make_app, db_url):
    return make_app(
        db_url,
        OUTBOUND_ALLOW="127.0.0.1",
        PUBLIC_URL="https://vigie.example",
        WEBHOOK_RETRY_BASE_SECONDS=0,
    )


def subscribed(app, url: str, events=("account.became_hot",)) -> tuple[int, str]:
    """An organisation subscribed to `events` at `url`, with a hot account: (org id, secret)."""
    with app.app_context(), session_scope() as session:
        organisation = create_organisation(session, "Acme")
        subscription = subscribe(session, organisation.id, CLI, url, list(events))
        make_account(
            session,
            organisation.id,
            "Hot Corp",
            domain="hot.example",
            score=82,
            tier="hot",
            explanation=[{"label": "Pricing page", "points": 20}],
        )
        return organisation.id, subscription.secret


def account_id(app) -> int:
    with app.app_context(), session_scope() as session:
        return session.scalar(select(Account.id))


def all_deliveries(app) -> list[WebhookDelivery]:
    with app.app_context(), session_scope() as session:
        rows = session.scalars(select(WebhookDelivery).order_by(WebhookDelivery.id)).all()
        session.expunge_all()
        return list(rows)


def test_signature_verifies_with_the_documented_recipe(make_app, db_url, receiver):
    """A delivery's body and Vigie-Signature header pass the README's check with
    the subscription's secret, and fail it with another secret or another body."""
    receiver.on("/hook", Answer(200, {"ok": True}))
    app = webhook_app(make_app, db_url)
    _, secret = subscribed(app, f"{receiver.url}/hook")
    with app.app_context():
        alert_hot_account(account_id(app))
        assert drain(app, timeout=10)
    (body,) = receiver.bodies
    ((_, headers),) = receiver.requests
    verify = readme_recipe()
    assert verify(secret, headers[SIGNATURE_HEADER], body)
    assert not verify("whsec_other", headers[SIGNATURE_HEADER], body)
    assert not verify(secret, headers[SIGNATURE_HEADER], body.replace(b"82", b"99"))
    timestamp = int(headers[SIGNATURE_HEADER].split(",")[0][2:])
    assert not verify(secret, headers[SIGNATURE_HEADER], body, now=timestamp + 3600)  # replayed
    event = json.loads(body)
    assert event["type"] == "account.became_hot" and headers["Vigie-Event"] == event["type"]
    assert event["data"]["account"]["url"].startswith("https://vigie.example/accounts/")
    schema = json.loads(app.test_client().get("/schemas/account.became_hot.json").data)
    jsonschema_rs.validate(schema, event)


def test_three_failures_then_success_record_one_delivery(make_app, db_url, receiver):
    """A receiver answering 500 three times then 200 gets the same event four
    times, and one delivery is recorded, delivered after four attempts."""
    receiver.on("/hook", Answer(500), Answer(500), Answer(500), Answer(200, {"ok": True}))
    app = webhook_app(make_app, db_url)
    org_id, _ = subscribed(app, f"{receiver.url}/hook")
    with app.app_context():
        emit(org_id, "account.became_hot", {"account": {"id": 1}})
        assert drain(app, timeout=10)
        for _ in range(10):
            if receiver.hits("/hook") >= 4:
                break
            retry_webhook_deliveries()
        retry_webhook_deliveries()  # nothing left to send
    assert receiver.hits("/hook") == 4
    assert len({json.loads(body)["id"] for body in receiver.bodies}) == 1
    (delivery,) = all_deliveries(app)
    assert (delivery.status, delivery.attempts, delivery.response_code) == ("delivered", 4, 200)


def test_backoff_doubles_and_dead_letters_after_the_window(make_app, db_url, receiver):
    """Failed attempts wait base, 2×base, 4×base…; a failure past the 24-hour
    window makes the delivery dead, and it is not tried again."""
    receiver.on("/hook", Answer(503))
    app = make_app(db_url, OUTBOUND_ALLOW="127.0.0.1", WEBHOOK_RETRY_BASE_SECONDS=30)
    org_id, _ = subscribed(app, f"{receiver.url}/hook")
    with app.app_context():
        (delivery_id,) = emit(org_id, "account.became_hot", {"account": {"id": 1}})
        assert drain(app, timeout=10)
        start = all_deliveries(app)[0].created_at
        waits = []
        now = start
        with session_scope() as session:
            for _ in range(3):
                before = session.get(WebhookDelivery, delivery_id).next_attempt_at
                now = max(now, before)
                assert attempt(session, delivery_id, now) == "pending"
                waits.append(
                    (session.get(WebhookDelivery, delivery_id).next_attempt_at - now).seconds
                )
            late = start + timedelta(hours=24, minutes=1)
            assert attempt(session, delivery_id, late) == "dead"
            assert attempt(session, delivery_id, late + timedelta(hours=1)) is None
    assert waits == [60, 120, 240]  # after the 2nd, 3rd and 4th attempts (the 1st waited 30 s)
    (delivery,) = all_deliveries(app)
    assert (delivery.status, delivery.response_code, delivery.attempts) == ("dead", 503, 5)
    assert delivery.last_error == "failed: HTTP 503"


def test_tier_changes_and_score_updates_are_sent_once(make_app, db_url, receiver):
    """A rescored account is announced by tier change and score update, each once."""
    receiver.on("/hook", Answer(200, {"ok": True}))
    app = webhook_app(make_app, db_url)
    subscribed(app, f"{receiver.url}/hook", ("account.tier_changed", "account.updated"))
    with app.app_context():
        with session_scope() as session:
            account = session.scalar(select(Account))
            account.scored_at, account.tier, account.score = utcnow(), "warm", 55
        assert announce_account_changes() == 0  # first sighting: state recorded
        with session_scope() as session:
            account = session.scalar(select(Account))
            account.tier, account.score = "hot", 82
        assert announce_account_changes() == 2
        assert announce_account_changes() == 0
        assert drain(app, timeout=10)
    events = sorted(json.loads(body)["type"] for body in receiver.bodies)
    assert events == ["account.tier_changed", "account.updated"]
    by_type = {json.loads(body)["type"]: json.loads(body)["data"] for body in receiver.bodies}
    assert by_type["account.tier_changed"]["previous_tier"] == "warm"
    assert by_type["account.updated"]["previous_score"] == 55


def test_schemas_are_public(sqlite_app):
    """Each event's JSON Schema is served to anyone; an unknown event is a 404."""
    client = sqlite_app.test_client()
    for event in ("account.became_hot", "account.tier_changed", "account.updated", "lead.scored"):
        answer = client.get(f"/schemas/{event}.json")
        assert answer.status_code == 200 and answer.mimetype == "application/schema+json"
        assert answer.json["properties"]["type"] == {"const": event}
    assert client.get("/schemas/account.deleted.json").status_code == 404


def test_webhooks_page_subscribes_lists_and_redelivers(make_app, tmp_path, sqlite_template):
    """An admin subscribes (the secret shown once), sees a dead delivery with
    its code and attempts, and redelivers it."""
    import shutil

    path = tmp_path / "hooks.db"
    shutil.copy(sqlite_template, path)
    app = make_app(f"sqlite:///{path}", OUTBOUND_ALLOW="127.0.0.1", WEBHOOK_RETRY_BASE_SECONDS=0)
    team = make_team(app)
    admin = sign_in(app, ADMIN)
    token = csrf(admin, "/webhooks")
    with ScriptedServer() as server:
        server.on("/hook", Answer(410), Answer(410), Answer(200, {"ok": True}))
        bad = admin.post(
            "/webhooks",
            data={"csrf_token": token, "url": "ftp://x", "events": "account.became_hot"},
        )
        assert bad.status_code == 400 and "url: 'ftp://x' is not an http(s) URL" in page_text(bad)
        creds = admin.post(
            "/webhooks",
            data={
                "csrf_token": token,
                "url": "https://me:pw@crm.example/h",
                "events": "lead.scored",
            },
        )
        assert creds.status_code == 400 and "url: put no user name or password" in page_text(creds)
        none = admin.post("/webhooks", data={"csrf_token": token, "url": f"{server.url}/hook"})
        assert none.status_code == 400 and "events: choose at least one event" in page_text(none)
        made = admin.post(
            "/webhooks",
            data={"csrf_token": token, "url": f"{server.url}/hook", "events": "account.became_hot"},
        )
        secret = re.search(r'id="webhook-secret">(whsec_[^<]+)<', page_text(made)).group(1)
        assert secret not in page_text(admin.get("/webhooks"))  # shown once
        with app.app_context():
            (delivery_id,) = emit(team.org_id, "account.became_hot", {"account": {"id": 1}})
            assert drain(app, timeout=10)
            with session_scope() as session:
                late = utcnow() + timedelta(hours=25)
                assert attempt(session, delivery_id, late) == "dead"
        page = page_text(admin.get("/webhooks?status=dead"))
        row = re.search(rf'data-delivery="{delivery_id}" data-status="dead">(.*?)</tr>', page, re.S)
        assert row and "410" in row.group(1) and "<td>2</td>" in row.group(1)
        again = admin.post(
            f"/webhooks/deliveries/{delivery_id}/redeliver", data={"csrf_token": token}
        )
        assert again.status_code == 303
        with app.app_context():
            assert drain(app, timeout=10)
        assert server.hits("/hook") == 3
    (delivery,) = all_deliveries(app)
    assert (delivery.status, delivery.response_code) == ("delivered", 200)
    audit = page_text(admin.get("/audit"))
    assert "Webhook subscription added" in audit and "/hook" not in audit


def test_scored_leads_are_announced_once(make_app, db_url, receiver):
    """Leads scored after the first pass are sent as `lead.scored`, once each,
    in the published schema; leads scored before the subscription are not."""
    receiver.on("/hook", Answer(200, {"ok": True}))
    app = webhook_app(make_app, db_url)
    org_id, _ = subscribed(app, f"{receiver.url}/hook", ("lead.scored",))

    def add_lead(email: str, score: int) -> None:
        with session_scope() as session:
            leads = session.scalar(select(LeadList).where(LeadList.org_id == org_id))
            if leads is None:
                leads = LeadList(org_id=org_id, name="Trade show")
                session.add(leads)
                session.flush()
            session.add(Lead(list_id=leads.id, org_id=org_id, email=email, score=score,
                             tier="warm", explanation=[], scored_at=utcnow()))  # fmt: skip

    with app.app_context():
        add_lead("old@acme.example", 10)
        assert announce_account_changes() == 0  # sets the mark
        add_lead("ana@beta.example", 64)
        assert announce_account_changes() == 1
        assert announce_account_changes() == 0
        assert drain(app, timeout=10)
    (body,) = receiver.bodies
    event = json.loads(body)
    assert event["type"] == "lead.scored" and event["data"]["lead"]["email"] == "ana@beta.example"
    schema = json.loads(app.test_client().get("/schemas/lead.scored.json").data)
    jsonschema_rs.validate(schema, event)
