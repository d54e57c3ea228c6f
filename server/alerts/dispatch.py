"""Deciding, holding and sending the alerts of rules.

`announce` is the one place that says whether a rule speaks about an account
now: not within the rule's cooldown for that account, and not before its
quiet hours end (the alert waits, `queued`, until `send_held` finds it due).
`send_all` delivers alerts, outside any transaction, and records "delivered
(HTTP 200)" or the failure.

Two alerts of the same rule about the same account are one `AlertDelivery`
row apart: the newest row that did not fail is the cooldown's memory.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any, cast

from flask import current_app
from flask_babel import force_locale
from sqlalchemy import CursorResult, func, select, update
from sqlalchemy.orm import Session

from server.alerts.mailer import MailFailed, send_email
from server.alerts.messages import (
    AccountCard,
    account_card,
    alert_email,
    slack_message,
    teams_message,
)
from server.alerts.posting import WebhookFailed, host_of, post_json
from server.alerts.rules import Channel, describe
from server.alerts.timing import in_cooldown, quiet_until
from server.i18n import DEFAULT_REGIONS, organisation_time_zone
from server.storage import get_session, session_scope
from server.storage.models import Account, AlertDelivery, AlertRule, Organisation, User

log = logging.getLogger(__name__)

DEFAULT_LOCALE = "en"


@dataclass(frozen=True)
class Recipient:
    """Where an alert goes and in which language."""

    channel: Channel
    address: str
    locale: str


def announce(
    session: Session, rule: AlertRule, account: Account, now: datetime, detail: str = ""
) -> AlertDelivery | None:
    """Record an alert of `rule` about `account`, unless the rule's cooldown
    for the account still runs; held until the quiet hours end, if any.

    :returns: the new delivery (flushed), or None when silenced.
    """
    # Two jobs announcing the same rule take turns (PostgreSQL; SQLite's
    # writers already do), so both cannot find the cooldown free.
    session.execute(select(AlertRule.id).where(AlertRule.id == rule.id).with_for_update())
    last = session.scalar(
        select(func.max(AlertDelivery.created_at)).where(
            AlertDelivery.rule_id == rule.id,
            AlertDelivery.account_id == account.id,
            AlertDelivery.status != "failed",
        )
    )
    if in_cooldown(last, now, rule.cooldown_hours):
        return None
    organisation = session.get(Organisation, rule.org_id)
    assert organisation is not None  # the rule's organisation, by foreign key
    zone = organisation_time_zone(organisation.settings)
    held_until = quiet_until(now, rule.quiet_start, rule.quiet_end, zone)
    delivery = AlertDelivery(
        org_id=rule.org_id,
        rule_id=rule.id,
        account_id=account.id,
        status="queued",
        reason=detail[:200] or None,
        send_after=held_until or now,
        created_at=now,
    )
    session.add(delivery)
    session.flush()
    return delivery


def due(delivery: AlertDelivery, now: datetime) -> bool:
    return delivery.status == "queued" and delivery.send_after <= now


@dataclass(frozen=True)
class Outgoing:
    """An alert read from the database, ready to go without it."""

    recipient: Recipient
    card: AccountCard
    trigger: str
    threshold: int | None


def outgoing(session: Session, delivery: AlertDelivery) -> Outgoing:
    """What `delivery` sends and to whom.

    :raise MailFailed: when its rule, account or e-mail owner is gone.
    """
    rule = session.get(AlertRule, delivery.rule_id)
    account = session.get(Account, delivery.account_id) if delivery.account_id else None
    if rule is None or account is None:
        raise MailFailed("failed: rule or account gone")
    card = account_card(account, current_app.config.get("PUBLIC_URL"))
    return Outgoing(recipient_of(session, rule), card, rule.trigger, rule.threshold)


def claim(delivery_id: int, now: datetime) -> bool:
    """Mark a due alert as being sent, in a short transaction of its own; False
    if it is not due or another job took it."""
    with session_scope() as session:
        taken = cast(  # an UPDATE's result is a cursor's, with a row count
            CursorResult[Any],
            session.execute(
                update(AlertDelivery)
                .where(
                    AlertDelivery.id == delivery_id,
                    AlertDelivery.status == "queued",
                    AlertDelivery.send_after <= now,
                )
                .values(status="sending")
            ),
        )
        return bool(taken.rowcount)


def send_all(delivery_ids: Sequence[int], now: datetime) -> int:
    """Send these alerts if due, each outside any database transaction (a
    webhook or SMTP server may take seconds, while SQLite writers would wait),
    and record each outcome; returns how many were sent or failed."""
    done = 0
    for delivery_id in delivery_ids:
        if not claim(delivery_id, now):
            continue
        status, outcome = _send_one(delivery_id)
        record_outcome(delivery_id, status, outcome, now)
        done += 1
    return done


def _send_one(delivery_id: int) -> tuple[str, str]:
    """Send a claimed alert: ("delivered", "delivered (HTTP 200)") or ("failed", why)."""
    session = get_session()
    try:
        delivery = session.get(AlertDelivery, delivery_id)
        assert delivery is not None  # the row this job has just claimed
        message = outgoing(session, delivery)
    except MailFailed as failure:
        return "failed", str(failure)
    finally:
        session.rollback()  # the read ends before the network call
    try:
        return "delivered", deliver(
            message.recipient, message.card, message.trigger, message.threshold
        )
    except (WebhookFailed, MailFailed) as failure:
        log.warning("alert %s not delivered: %s", delivery_id, failure)
        return "failed", str(failure)


def record_outcome(delivery_id: int, status: str, outcome: str, now: datetime) -> None:
    with session_scope() as session:
        delivery = session.get(AlertDelivery, delivery_id)
        if delivery is not None:
            delivery.status, delivery.outcome, delivery.sent_at = status, outcome[:200], now


def recipient_of(session: Session, rule: AlertRule) -> Recipient:
    """The rule's webhook, or its owner's e-mail address and language."""
    channel = Channel(rule.channel)
    if channel is Channel.EMAIL:
        user = session.get(User, rule.user_id)
        if user is None or user.disabled:
            raise MailFailed("failed: the rule's user is gone or disabled")
        language = user.locale or DEFAULT_LOCALE
        return Recipient(channel, user.email, DEFAULT_REGIONS.get(language, language))
    return Recipient(channel, rule.target or "", DEFAULT_LOCALE)


def deliver(
    recipient: Recipient, card: AccountCard, trigger: str, threshold: int | None = None
) -> str:
    """Send one account's alert to `recipient`, saying which trigger fired.

    :returns: "delivered (HTTP 200)" or "delivered (SMTP)".
    :raise WebhookFailed: when a webhook refused it or could not be reached.
    :raise MailFailed: when the SMTP server did.
    """
    if recipient.channel is Channel.EMAIL:
        with force_locale(recipient.locale):
            email = alert_email(card, describe(trigger, threshold))
        send_email(current_app.config, recipient.address, email)
        return "delivered (SMTP)"
    builder = slack_message if recipient.channel is Channel.SLACK else teams_message
    body = json.dumps(builder(card, describe(trigger, threshold))).encode()
    try:
        status = post_json(recipient.address, body)
    except WebhookFailed:
        log.info("alert post to %s failed", host_of(recipient.address))
        raise
    return f"delivered (HTTP {status})"


def held_due(session: Session, now: datetime) -> list[int]:
    """The alerts whose quiet hours have ended."""
    return list(
        session.scalars(
            select(AlertDelivery.id)
            .where(AlertDelivery.status == "queued", AlertDelivery.send_after <= now)
            .order_by(AlertDelivery.id)
        )
    )


def send_held(now: datetime) -> int:
    """Send every alert whose quiet hours have ended; returns how many were tried."""
    ids = held_due(get_session(), now)
    get_session().rollback()
    return send_all(ids, now)


def rules_for(session: Session, org_id: int, triggers: Sequence[str]) -> Sequence[AlertRule]:
    """The organisation's enabled rules with one of `triggers`."""
    return session.scalars(
        select(AlertRule)
        .where(AlertRule.org_id == org_id, AlertRule.enabled, AlertRule.trigger.in_(triggers))
        .order_by(AlertRule.id)
    ).all()


SAMPLE = AccountCard(0, "Example Corp", "example.com", 87, "hot", ("Pricing page (+20)",), None)
"""The account a test alert describes."""


def send_test(session: Session, rule: AlertRule) -> str:
    """Send a sample alert through `rule` now.

    :returns: "delivered (…)".
    :raise WebhookFailed, MailFailed: naming why it was not delivered.
    """
    recipient = recipient_of(session, rule)
    public_url = current_app.config.get("PUBLIC_URL")
    card = replace(SAMPLE, link=public_url) if public_url else SAMPLE
    return deliver(recipient, card, rule.trigger, rule.threshold)
