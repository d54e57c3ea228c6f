"""Alert rules: cooldown, quiet hours, the Slack and Teams shapes, e-mail
digests in each reader's language, the Alerts page and its test button.

Webhooks are loopback `ScriptedServer`s, e-mail a loopback aiosmtpd server.
"""

from __future__ import annotations

import email
import email.policy
import json
import socket
from datetime import UTC, datetime, timedelta
from email.message import Message

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import select

from server.alerts import dispatch
from server.jobs import drain
from server.jobs.alerts import alert_hot_account, check_alert_rules, send_digests
from server.storage import session_scope
from server.storage.models import Account, AlertDelivery, AlertRule, ScoreSnapshot
from server.storage.tenancy import create_organisation, create_user
from server.storage.types import utcnow
from tests.support.accounts import make_account
from tests.support.httpserver import Answer, ScriptedServer
from tests.support.team import ADMIN, MEMBER, csrf, make_team, page_text, sign_in

EXPLANATION = [
    {"label": "Pricing page", "points": 20},
    {"label": "Employees 51–200", "points": 15},
]


class Inbox:
    """What the loopback SMTP server received."""

    def __init__(self) -> None:
        self.messages: list[tuple[list[str], Message]] = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(
            (
                envelope.rcpt_tos,
                email.message_from_bytes(envelope.content, policy=email.policy.default),
            )
        )
        return "250 Message accepted"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def smtp():
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    yield controller.port, inbox
    controller.stop()


@pytest.fixture
def hooks():
    with ScriptedServer() as server:
        server.on("/slack", Answer(200, "ok"))
        server.on("/teams", Answer(200, "1"))
        yield server


def alert_app(make_app, db_url, **settings):
    return make_app(
        db_url, OUTBOUND_ALLOW="127.0.0.1", PUBLIC_URL="https://vigie.example", **settings
    )


def seed(app, rule: dict, time_zone: str = "UTC", **account_fields) -> tuple[int, int, int]:
    """An organisation with one rule and one hot account: (org, rule, account) ids."""
    with app.app_context(), session_scope() as session:
        organisation = create_organisation(session, "Acme")
        organisation.settings = {"time_zone": time_zone}
        user = create_user(session, organisation, "sales@acme.example", "correct horse battery")
        fields = {"domain": "hot.example", "score": 82, "tier": "hot", "explanation": EXPLANATION}
        account = make_account(session, organisation.id, "Hot Corp", **{**fields, **account_fields})
        owned = {"user_id": user.id} if rule.get("channel") == "email" else {}
        row = AlertRule(org_id=organisation.id, **{"trigger": "became_hot", **owned, **rule})
        session.add(row)
        session.flush()
        return organisation.id, row.id, account.id


def deliveries(app, rule_id: int) -> list[AlertDelivery]:
    with app.app_context(), session_scope() as session:
        rows = session.scalars(
            select(AlertDelivery).where(AlertDelivery.rule_id == rule_id).order_by(AlertDelivery.id)
        ).all()
        session.expunge_all()
        return list(rows)


def test_two_crossings_in_an_hour_send_one_alert(make_app, db_url, hooks):
    """An account that turns hot twice within the cooldown is announced once;
    after the cooldown it is announced again."""
    app = alert_app(make_app, db_url)
    _, rule_id, account_id = seed(app, {"channel": "slack", "target": f"{hooks.url}/slack"})
    with app.app_context():
        alert_hot_account(account_id)
        alert_hot_account(account_id)  # fell to warm and crossed again, minutes later
        assert drain(app, timeout=10)
    assert hooks.hits("/slack") == 1
    sent = deliveries(app, rule_id)
    assert [(d.status, d.outcome) for d in sent] == [("delivered", "delivered (HTTP 200)")]
    with app.app_context(), session_scope() as session:
        rule = session.get(AlertRule, rule_id)
        account = session.get(Account, account_id)
        later = sent[0].created_at + timedelta(hours=24, minutes=1)
        assert dispatch.announce(session, rule, account, later) is not None


def test_quiet_hours_hold_alerts_until_they_end(make_app, db_url, hooks):
    """An alert in the quiet hours (organisation's time zone) waits, then goes when they end."""
    app = alert_app(make_app, db_url)
    quiet = {"quiet_start": 20 * 60, "quiet_end": 8 * 60}
    _, rule_id, account_id = seed(
        app, {"channel": "slack", "target": f"{hooks.url}/slack", **quiet}, "Europe/Paris"
    )
    night = datetime(2026, 12, 1, 22, 30, tzinfo=UTC)  # 23:30 in Paris
    with app.app_context(), session_scope() as session:
        rule = session.get(AlertRule, rule_id)
        account = session.get(Account, account_id)
        held = dispatch.announce(session, rule, account, night)
        assert held is not None and not dispatch.due(held, night)
        assert held.send_after == datetime(2026, 12, 2, 7, 0, tzinfo=UTC)  # 08:00 in Paris
    with app.app_context():
        assert dispatch.send_held(datetime(2026, 12, 2, 6, 59, tzinfo=UTC)) == 0
    assert hooks.hits("/slack") == 0
    with app.app_context():
        assert dispatch.send_held(datetime(2026, 12, 2, 7, 0, tzinfo=UTC)) == 1
    assert hooks.hits("/slack") == 1
    assert deliveries(app, rule_id)[0].status == "delivered"


def test_slack_alert_is_block_kit(make_app, db_url, hooks):
    """Header, a section with score, tier and why, a context line and a button
    to the account; a plain `text` for notifications."""
    app = alert_app(make_app, db_url)
    seed(app, {"channel": "slack", "target": f"{hooks.url}/slack"})
    with app.app_context():
        alert_hot_account(_account_id(app))
    message = json.loads(hooks.bodies[-1])
    blocks = message["blocks"]
    assert [block["type"] for block in blocks] == ["header", "section", "context", "actions"]
    assert blocks[0]["text"] == {"type": "plain_text", "text": "Hot Corp (hot.example)"}
    fields = [field["text"] for field in blocks[1]["fields"]]
    assert fields == ["*Score*\n82", "*Tier*\nhot"]
    assert "Pricing page (+20)" in blocks[1]["text"]["text"]
    assert "became hot" in blocks[2]["elements"][0]["text"]
    button = blocks[3]["elements"][0]
    assert button["type"] == "button" and button["url"].startswith(
        "https://vigie.example/accounts/"
    )
    assert message["text"].startswith("🔥 Hot Corp (hot.example): became hot")


def test_teams_alert_is_an_adaptive_card(make_app, db_url, hooks):
    """A Teams incoming webhook message carrying one Adaptive Card with facts and a link."""
    app = alert_app(make_app, db_url)
    seed(app, {"channel": "teams", "target": f"{hooks.url}/teams"})
    with app.app_context():
        alert_hot_account(_account_id(app))
    message = json.loads(hooks.bodies[-1])
    assert message["type"] == "message"
    (attachment,) = message["attachments"]
    assert attachment["contentType"] == "application/vnd.microsoft.card.adaptive"
    card = attachment["content"]
    assert card["type"] == "AdaptiveCard" and card["version"] == "1.4"
    assert card["body"][0]["text"] == "Hot Corp (hot.example)"
    facts = {fact["title"]: fact["value"] for fact in card["body"][2]["facts"]}
    assert facts["Score"] == "82" and facts["Tier"] == "hot"
    assert card["actions"][0]["type"] == "Action.OpenUrl"


def _account_id(app) -> int:
    with app.app_context(), session_scope() as session:
        return session.scalar(select(Account.id))


def test_score_rise_rule_fires_on_the_rise_within_the_week(make_app, db_url, hooks):
    """A rise of N points over the week's lowest snapshot alerts; a smaller one does not."""
    app = alert_app(make_app, db_url)
    now = utcnow()
    _, rule_id, account_id = seed(
        app,
        {
            "channel": "slack",
            "target": f"{hooks.url}/slack",
            "trigger": "score_rose",
            "threshold": 30,
        },
        last_seen=now,
        score=82,
    )
    with app.app_context(), session_scope() as session:
        session.add(
            ScoreSnapshot(
                account_id=account_id,
                day=(now - timedelta(days=3)).date(),
                score=60,
                fit=0.5,
                engagement=0.5,
                tier="warm",
            )
        )
    with app.app_context():
        assert check_alert_rules() == 0  # 82 - 60 = 22 < 30
    with app.app_context(), session_scope() as session:
        session.add(
            ScoreSnapshot(
                account_id=account_id,
                day=(now - timedelta(days=5)).date(),
                score=40,
                fit=0.5,
                engagement=0.5,
                tier="cold",
            )
        )
    with app.app_context():
        assert check_alert_rules() == 1  # 82 - 40 = 42
        assert check_alert_rules() == 0  # cooldown
    assert hooks.hits("/slack") == 1
    assert "score rose by 30 or more in 7 days" in json.loads(hooks.bodies[-1])["text"]


def digest_world(app, smtp_port: int) -> None:
    """Two readers of Acme, one in English and one in French, each with a
    daily digest; two accounts became hot today, one last month."""
    now = utcnow()
    with app.app_context(), session_scope() as session:
        organisation = create_organisation(session, "Acme")
        organisation.settings = {"time_zone": "Europe/Paris"}
        english = create_user(session, organisation, "en@acme.example", "correct horse battery")
        french = create_user(session, organisation, "fr@acme.example", "correct horse battery")
        french.locale = "fr"
        for user in (english, french):
            session.add(
                AlertRule(
                    org_id=organisation.id, user_id=user.id, channel="email", trigger="digest_daily"
                )
            )
        for name, score, since in (
            ("Hot Corp", 90, now - timedelta(hours=3)),
            ("Warm Start", 75, now - timedelta(hours=20)),
            ("Old Flame", 95, now - timedelta(days=30)),
        ):
            make_account(
                session,
                organisation.id,
                name,
                domain=f"{name.split()[0].lower()}.example",
                score=score,
                tier="hot",
                hot_since=since,
                explanation=EXPLANATION,
            )


def parts(message: Message) -> tuple[str, str]:
    text = html = ""
    for part in message.walk():
        if part.get_content_type() == "text/plain":
            text = part.get_content()
        elif part.get_content_type() == "text/html":
            html = part.get_content()
    return text, html


def test_daily_digest_in_each_readers_language(make_app, db_url, smtp):
    """Each reader gets the day's new hot accounts, best first, as HTML and
    text, in their language and the organisation's time zone."""
    port, inbox = smtp
    app = alert_app(
        make_app,
        db_url,
        SMTP_HOST="127.0.0.1",
        SMTP_PORT=port,
        SMTP_STARTTLS=False,
        SMTP_FROM="vigie@acme.example",
    )
    digest_world(app, port)
    with app.app_context():
        assert send_digests() == 2
    by_reader = {rcpt[0]: message for rcpt, message in inbox.messages}
    assert set(by_reader) == {"en@acme.example", "fr@acme.example"}
    for reader, words in (
        ("en@acme.example", ("Why", "Hot since", "Account")),
        ("fr@acme.example", ("Pourquoi", "Chaud depuis", "Compte")),
    ):
        message = by_reader[reader]
        assert message["From"] == "vigie@acme.example"
        assert "2 new hot accounts today" in message["Subject"] or reader.startswith("fr")
        text, html = parts(message)
        for body in (text, html):
            assert body.index("Hot Corp") < body.index("Warm Start")  # best first
            assert "Old Flame" not in body  # hot for a month: not new
            assert "https://vigie.example/accounts/" in body
        assert words[0] in text and words[1] in text
        assert all(word in html for word in words)
    fr_text, fr_html = parts(by_reader["fr@acme.example"])
    assert '<html lang="fr">' in fr_html and "Pricing page (+20)" in fr_text
    en_text, _ = parts(by_reader["en@acme.example"])
    # Dates in the organisation's time zone (Paris), day first in both languages.
    hot_corp = [line for line in fr_text.splitlines() if "Chaud depuis" in line][0]
    assert hot_corp.count("/") == 2 and "AM" not in en_text and "PM" not in en_text


def test_no_digest_without_new_hot_accounts(make_app, db_url, smtp):
    port, inbox = smtp
    app = alert_app(make_app, db_url, SMTP_HOST="127.0.0.1", SMTP_PORT=port, SMTP_STARTTLS=False)
    with app.app_context(), session_scope() as session:
        organisation = create_organisation(session, "Acme")
        user = create_user(session, organisation, "en@acme.example", "correct horse battery")
        session.add(
            AlertRule(
                org_id=organisation.id, user_id=user.id, channel="email", trigger="digest_daily"
            )
        )
    with app.app_context():
        assert send_digests() == 0
    assert inbox.messages == []


def test_email_alert_reaches_its_owner(make_app, db_url, smtp):
    """An e-mail rule writes to its owner's address, with a text and an HTML part."""
    port, inbox = smtp
    app = alert_app(make_app, db_url, SMTP_HOST="127.0.0.1", SMTP_PORT=port, SMTP_STARTTLS=False)
    _, rule_id, account_id = seed(app, {"channel": "email"})
    with app.app_context():
        alert_hot_account(account_id)
    ((recipients, message),) = inbox.messages
    assert recipients == ["sales@acme.example"]
    text, html = parts(message)
    assert "Hot Corp (hot.example)" in text and "became hot" in html
    assert deliveries(app, rule_id)[0].outcome == "delivered (SMTP)"


def test_members_keep_their_own_email_alerts(sqlite_app):
    """A member adds an e-mail rule for themselves; a Slack rule is refused;
    a bad value is a 400 naming its field."""
    make_team(sqlite_app)
    member = sign_in(sqlite_app, MEMBER)
    token = csrf(member, "/alerts")
    added = member.post(
        "/alerts",
        data={
            "csrf_token": token,
            "channel": "email",
            "trigger": "visitors",
            "threshold": "3",
            "quiet_start": "20:00",
            "quiet_end": "08:00",
        },
    )
    assert added.status_code == 303
    page = page_text(member.get("/alerts"))
    assert "3 or more people this week" in page and "20:00–08:00" in page
    assert "sales@acme.example" in page
    slack = member.post(
        "/alerts",
        data={
            "csrf_token": token,
            "channel": "slack",
            "trigger": "became_hot",
            "target": "https://hooks.example/x",
        },
    )
    assert slack.status_code == 403
    bad = member.post(
        "/alerts",
        data={
            "csrf_token": token,
            "channel": "email",
            "trigger": "score_rose",
            "threshold": "lots",
        },
    )
    assert bad.status_code == 400 and "threshold: a whole number" in page_text(bad)
    unfiltered = member.post(
        "/alerts",
        data={"csrf_token": token, "channel": "email", "trigger": "saved_filter",
              "saved_filter": "/accounts?tier=tepid"},
    )  # fmt: skip
    assert unfiltered.status_code == 400 and "saved_filter: " in page_text(unfiltered)
    no_csrf = member.post("/alerts", data={"channel": "email", "trigger": "became_hot"})
    assert no_csrf.status_code == 400


def test_test_button_says_delivered_or_failed_with_the_status(make_app, tmp_path, sqlite_template):
    """The Alerts page's test button reports the webhook's answer."""
    import shutil

    path = tmp_path / "alerts.db"
    shutil.copy(sqlite_template, path)
    app = make_app(f"sqlite:///{path}", OUTBOUND_ALLOW="127.0.0.1")
    team = make_team(app)
    admin = sign_in(app, ADMIN)
    with ScriptedServer() as server:
        server.on("/ok", Answer(200, "ok"))
        server.on("/down", Answer(500, "no"))
        token = csrf(admin, "/alerts")
        for path_ in ("/ok", "/down"):
            answer = admin.post(
                "/alerts",
                data={
                    "csrf_token": token,
                    "channel": "slack",
                    "trigger": "became_hot",
                    "target": f"{server.url}{path_}",
                },
            )
            assert answer.status_code == 303
        with app.app_context(), session_scope() as session:
            ok_id, down_id = session.scalars(
                select(AlertRule.id).where(AlertRule.org_id == team.org_id).order_by(AlertRule.id)
            ).all()
        delivered = admin.post(
            f"/alerts/{ok_id}/test", data={"csrf_token": token}, follow_redirects=True
        )
        assert "Test alert delivered (HTTP 200)." in page_text(delivered)
        failed = admin.post(
            f"/alerts/{down_id}/test", data={"csrf_token": token}, follow_redirects=True
        )
        assert "Test alert not delivered: failed: HTTP 500" in page_text(failed)
        assert server.hits("/ok") == 1 and server.hits("/down") == 1
    member = sign_in(app, MEMBER)
    refused = member.post(f"/alerts/{ok_id}/test", data={"csrf_token": csrf(member, "/alerts")})
    assert refused.status_code == 403  # a channel rule is the admins'
    page = page_text(admin.get("/alerts"))
    assert "127.0.0.1" in page and "/down" not in page  # the URL's host only
