"""Deciding, holding and sending the alerts of rules.

`announce` is the one place that says whether a rule speaks about an account
now: not within the rule's cooldown for that account, and not before its
quiet hours end (the alert waits, `queued`, until `send_held` finds it due).
`send` delivers one alert and records "delivered (HTTP 200)" or the failure.

Two alerts of the same rule about the same account are one `AlertDelivery`
row apart: the newest row that did not fail is the cooldown's memory.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime

from flask import current_app
from flask_babel import force_locale
from sqlalchemy import func, select
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
    last = session.scalar(
        select(func.max(AlertDelivery.created_at)).where(
            AlertDelivery.rule_id == rule.id,
            AlertDelivery.account_id == account.id,
            AlertDelivery.status != "failed",
        )
    )
    if in_cooldown(last, now, rule.cooldown_hours):
        return None
    zone = organisation_time_zone(session.get(Organisation, rule.org_id).settings)
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


def send(session: Session, delivery: AlertDelivery, now: datetime) -> str:
    """Deliver a queued alert now and record the outcome on its row (not committed).

    :returns: the outcome, "delivered (…)" or "failed: …".
    """
    rule = session.get(AlertRule, delivery.rule_id)
    account = session.get(Account, delivery.account_id)
    if rule is None or account is None:
        delivery.status, delivery.outcome = "failed", "failed: rule or account gone"
        return delivery.outcome
    card = account_card(account, current_app.config.get("PUBLIC_URL"))
    try:
        outcome = deliver(recipient_of(session, rule), card, rule.trigger, rule.threshold)
    except (WebhookFailed, MailFailed) as failure:
        delivery.status, delivery.outcome = "failed", str(failure)
        log.warning("alert %s of rule %s not delivered: %s", delivery.id, rule.id, failure)
    else:
        delivery.status, delivery.outcome = "delivered", outcome
    delivery.sent_at = now
    return delivery.outcome or ""


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


def send_held(session: Session, now: datetime) -> int:
    """Send every alert whose quiet hours have ended; returns how many were tried."""
    held: Sequence[AlertDelivery] = session.scalars(
        select(AlertDelivery)
        .where(AlertDelivery.status == "queued", AlertDelivery.send_after <= now)
        .order_by(AlertDelivery.id)
    ).all()
    for delivery in held:
        send(session, delivery, now)
    return len(held)


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
