"""The e-mail digest of new hot accounts: daily, or weekly on Mondays.

Written in the reader's language (their setting, else English) with their
organisation's time zone, as an HTML part and a text part that say the same.
A digest with no new hot account is not sent.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

import pytz
from flask import current_app, render_template
from flask_babel import force_locale, format_datetime, ngettext
from sqlalchemy import select
from sqlalchemy.orm import Session

from server.alerts.dispatch import recipient_of
from server.alerts.mailer import MailFailed, send_email
from server.alerts.messages import AccountCard, Email, account_card
from server.alerts.rules import Trigger
from server.i18n import organisation_time_zone
from server.storage import get_session, session_scope
from server.storage.models import Account, AlertDelivery, AlertRule, Organisation

DIGEST_SIZE = 50
"""Most accounts one digest lists, best first."""

WEEKLY_DAY = 0
"""Monday: the day weekly digests go out."""


def period_of(trigger: str) -> timedelta:
    return timedelta(days=7 if trigger == Trigger.DIGEST_WEEKLY.value else 1)


def new_hot_accounts(
    session: Session, org_id: int, since: datetime, public_url: str | None
) -> list[tuple[AccountCard, datetime]]:
    """Accounts hot now that became hot since `since`, best first, with that time."""
    rows: Sequence[Account] = session.scalars(
        select(Account)
        .where(Account.org_id == org_id, Account.tier == "hot", Account.hot_since >= since)
        .order_by(Account.score.desc(), Account.id)
        .limit(DIGEST_SIZE)
    ).all()
    return [(account_card(row, public_url), row.hot_since) for row in rows]  # type: ignore[misc]  # hot_since is set: the query keeps hot_since >= since


def digest_email(
    organisation: Organisation, trigger: str, accounts: list[tuple[AccountCard, datetime]]
) -> Email:
    """The digest in the current locale; dates in the organisation's time zone."""
    zone = pytz.timezone(organisation_time_zone(organisation.settings))
    items = [
        (card, format_datetime(when.astimezone(zone), "short", rebase=False))
        for card, when in accounts
    ]
    weekly = trigger == Trigger.DIGEST_WEEKLY.value
    if weekly:
        subject = ngettext(
            "Vigie: %(num)s new hot account this week",
            "Vigie: %(num)s new hot accounts this week",
            len(items),
        )
    else:
        subject = ngettext(
            "Vigie: %(num)s new hot account today",
            "Vigie: %(num)s new hot accounts today",
            len(items),
        )
    context = {"organisation": organisation.name, "items": items, "weekly": weekly}
    return Email(
        subject=subject,
        text=render_template("email/digest.txt", subject=subject, **context),
        html=render_template("email/digest.html", subject=subject, **context),
    )


def send_digest(rule_id: int, now: datetime) -> str | None:
    """Send a digest rule's e-mail for the period ending `now`, outside any
    transaction, and record it; "delivered", "failed", or None when there was
    nothing new."""
    session = get_session()
    try:
        rule = session.get(AlertRule, rule_id)
        organisation = session.get(Organisation, rule.org_id) if rule else None
        if rule is None or organisation is None:
            return None
        public_url = current_app.config.get("PUBLIC_URL")
        accounts = new_hot_accounts(session, rule.org_id, now - period_of(rule.trigger), public_url)
        if not accounts:
            return None
        org_id = rule.org_id
        try:
            recipient = recipient_of(session, rule)
            with force_locale(recipient.locale):
                email = digest_email(organisation, rule.trigger, accounts)
        except MailFailed as failure:
            recipient, status, outcome = None, "failed", str(failure)
    finally:
        session.rollback()  # the read ends before the network call
    if recipient is not None:
        try:
            send_email(current_app.config, recipient.address, email)
            status, outcome = "delivered", "delivered (SMTP)"
        except MailFailed as failure:
            status, outcome = "failed", str(failure)
    with session_scope() as session:
        session.add(
            AlertDelivery(
                org_id=org_id, rule_id=rule_id, status=status, outcome=outcome,
                send_after=now, created_at=now, sent_at=now,
            )
        )  # fmt: skip
    return status


def digests_due(session: Session, now: datetime) -> list[int]:
    """The digest rules to send at `now`: daily ones, and weekly ones on Mondays."""
    triggers = [Trigger.DIGEST_DAILY.value]
    if now.weekday() == WEEKLY_DAY:
        triggers.append(Trigger.DIGEST_WEEKLY.value)
    ids = list(
        session.scalars(
            select(AlertRule.id)
            .where(AlertRule.enabled, AlertRule.trigger.in_(triggers))
            .order_by(AlertRule.id)
        )
    )
    session.rollback()
    return ids
