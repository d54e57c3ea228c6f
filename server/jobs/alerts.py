"""Alert jobs: an account became hot, alerts held by quiet hours, the rules
checked on a schedule, digests, and account changes for webhooks.

An account that becomes hot is announced three ways, each on its own:
* the organisation's webhook of the settings page (its default Slack rule:
  a JSON post with a Slack `text`, Block Kit blocks and the account), retried
  by the jobs backend when it fails;
* the alert rules of the Alerts page (`server/alerts/`), each with its
  cooldown and quiet hours;
* the `account.became_hot` event of signed webhooks (`server/webhooks/`).

Webhook URLs are reached through the guarded client and logs name their host
only, since they carry tokens.
"""

from __future__ import annotations

import json
import logging
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import Session

from enrich.outbound import OutboundPolicy
from server.alerts import conditions, digest, dispatch
from server.alerts.messages import account_card, slack_message
from server.alerts.posting import WebhookFailed, WebhookRefused, host_of, post_json
from server.alerts.rules import CHANNEL_TRIGGERS, Trigger, describe
from server.jobs.queue import enqueue
from server.jobs.task import task
from server.storage import get_session, session_scope
from server.storage.models import Account, AccountSignal, Organisation, WebhookSubscription
from server.storage.types import utcnow
from server.webhooks.events import EventType, account_data
from server.webhooks.leads import announce_scored_leads
from server.webhooks.outbox import emit

log = logging.getLogger(__name__)

__all__ = ["WebhookFailed", "WebhookRefused", "alert_hot_account", "deliver", "send_test_message"]

RULES_CHECK_WINDOW = timedelta(hours=1)
"""Accounts active or rescored within this are checked against the scheduled triggers
(the check runs every 15 minutes; the cooldown keeps overlaps silent)."""

SIGNALS_WINDOW = timedelta(days=1)
"""Accounts rescored within this are compared with what webhooks were last told."""


@task(queue="alerts")
def alert_hot_account(account_id: int) -> bool:
    """Announce an account that became hot: the rules' alerts and the
    `account.became_hot` event now, the settings page's webhook as a job of its
    own (retried alone when it fails). False if the account is gone."""
    now = utcnow()
    public_url = current_app.config.get("PUBLIC_URL")
    with session_scope() as session:
        account = session.get(Account, account_id)
        if account is None:
            return False
        due = announce_rules(session, account, [Trigger.BECAME_HOT.value], now)
        data = {"account": account_data(account, public_url)}
        emit(account.org_id, EventType.ACCOUNT_BECAME_HOT.value, data, session)
        organisation = session.get(Organisation, account.org_id)
        if (organisation.settings if organisation else {}).get("webhook_url"):
            enqueue(post_hot_account, account_id)
    dispatch.send_all(due, now)  # after the commit: no transaction waits on the network
    return True


@task(queue="alerts")
def post_hot_account(account_id: int) -> bool:
    """Post the hot account to the settings page's webhook; True if it was posted.

    :raise WebhookFailed: when it was not accepted (the job is retried).
    """
    with session_scope() as session:
        account = session.get(Account, account_id)
        if account is None:
            return False
        organisation = session.get(Organisation, account.org_id)
        url = (organisation.settings if organisation else {}).get("webhook_url")
        payload = alert_payload(account, current_app.config.get("PUBLIC_URL"))
    if not url:
        return False
    try:
        deliver(url, payload)
    except WebhookRefused as refusal:
        log.warning("alert webhook on %s not called: %s", host_of(url), refusal)
        return False
    return True


def announce_rules(
    session: Session, account: Account, triggers: list[str], now: datetime
) -> list[int]:
    """Record the alerts of the rules with `triggers` (not committed); the ids
    of those to send now, outside the quiet hours."""
    due = []
    for rule in dispatch.rules_for(session, account.org_id, triggers):
        delivery = dispatch.announce(session, rule, account, now)
        if delivery is not None and dispatch.due(delivery, now):
            due.append(delivery.id)
    return due


@task(queue="alerts")
def send_held_alerts() -> int:
    """Send the alerts whose quiet hours have ended; returns how many."""
    return dispatch.send_held(utcnow())


@task(queue="alerts")
def check_alert_rules() -> int:
    """Check the scheduled triggers (score rise, people, saved filter) of every
    organisation's rules on its recently active accounts; returns alerts recorded."""
    now = utcnow()
    scheduled = [t.value for t in CHANNEL_TRIGGERS if t is not Trigger.BECAME_HOT]
    recorded: list[int] = []
    due: list[int] = []
    with session_scope() as session:
        org_ids = session.scalars(select(Organisation.id).order_by(Organisation.id)).all()
        for org_id in org_ids:
            rules = dispatch.rules_for(session, org_id, scheduled)
            if not rules:
                continue
            candidates = conditions.recent_accounts(session, org_id, now - RULES_CHECK_WINDOW)
            for rule in rules:
                for account_id in conditions.matching(session, rule, candidates, now):
                    account = session.get(Account, account_id)
                    assert account is not None  # just matched, in this transaction
                    delivery = dispatch.announce(session, rule, account, now)
                    if delivery is not None:
                        recorded.append(delivery.id)
                        if dispatch.due(delivery, now):
                            due.append(delivery.id)
    dispatch.send_all(due, now)
    return len(recorded)


@task(queue="alerts")
def send_digests() -> int:
    """Send the daily digests, and the weekly ones on Mondays; returns how many went."""
    now = utcnow()
    rule_ids = digest.digests_due(get_session(), now)
    return sum(digest.send_digest(rule_id, now) == "delivered" for rule_id in rule_ids)


@task(queue="alerts")
def announce_account_changes() -> int:
    """Send `account.tier_changed` and `account.updated` for accounts rescored
    since webhooks were last told, and `lead.scored` for leads scored since
    (`server/webhooks/leads.py`); returns how many events were made.

    An account seen for the first time only has its state recorded.
    """
    now = utcnow()
    events = 0
    with session_scope() as session:
        org_ids = session.scalars(
            select(WebhookSubscription.org_id).where(WebhookSubscription.enabled).distinct()
        ).all()
        public_url = current_app.config.get("PUBLIC_URL")
        for org_id in org_ids:
            rows = session.execute(
                select(Account, AccountSignal)
                .outerjoin(AccountSignal, AccountSignal.account_id == Account.id)
                .where(Account.org_id == org_id, Account.scored_at >= now - SIGNALS_WINDOW)
                .order_by(Account.id)
            ).all()
            for account, signal in rows:
                events += _announce_change(session, account, signal, public_url, now)
            events += announce_scored_leads(session, org_id, now)
    return events


def _announce_change(
    session: Session,
    account: Account,
    signal: AccountSignal | None,
    public_url: str | None,
    now: datetime,
) -> int:
    """Emit an event for each change of the account's tier and score since
    `signal` (what webhooks were last told), then record the account's state;
    returns how many events were made."""
    if signal is None:
        session.add(AccountSignal(account_id=account.id, tier=account.tier, score=account.score))
        return 0
    # event type, the key of the value webhooks were last told, that value, the current one
    watched = (
        (EventType.ACCOUNT_TIER_CHANGED, "previous_tier", signal.tier, account.tier),
        (EventType.ACCOUNT_UPDATED, "previous_score", signal.score, account.score),
    )
    changes = [(event, key, told) for event, key, told, current in watched if told != current]
    if not changes:
        return 0
    data = account_data(account, public_url)
    for event, key, told in changes:
        emit(account.org_id, event.value, {"account": data, key: told}, session)
    signal.tier, signal.score, signal.announced_at = account.tier, account.score, now
    return len(changes)


def send_test_message(
    url: str, organisation_name: str, policy: OutboundPolicy | None = None
) -> None:
    """Post a test alert to `url` now, under `policy` (default: the current app's).

    :raise WebhookRefused: when the URL's address is not one Vigie calls.
    :raise WebhookFailed: naming why it was not delivered.
    """
    text = f"Vigie test alert for {organisation_name}: hot accounts will be announced here."
    deliver(url, {"text": text}, policy)


def deliver(url: str, payload: dict[str, object], policy: OutboundPolicy | None = None) -> int:
    """POST `payload` as JSON to `url`, following no redirect; the answer's status.

    :raise WebhookRefused: when the URL's address is not one Vigie calls.
    :raise WebhookFailed: on a timeout, a connection error or a non-2xx answer.
    """
    return post_json(url, json.dumps(payload).encode(), policy=policy)


def webhook_host(url: str) -> str:
    """The host of a webhook URL: all of it a log line may show."""
    return host_of(url)


def alert_payload(account: Account, public_url: str | None = None) -> dict[str, object]:
    """The settings page webhook's alert: Slack's `text` and Block Kit `blocks`
    (see `server/alerts/messages.py`), the account's link and its score in JSON."""
    card = account_card(account, public_url)
    return {
        **slack_message(card, describe(Trigger.BECAME_HOT.value, None)),
        "url": card.link,
        "account": {
            "id": account.id,
            "name": account.name,
            "domain": account.domain,
            "score": account.score,
            "tier": account.tier,
            "explanation": account.explanation,
        },
    }
