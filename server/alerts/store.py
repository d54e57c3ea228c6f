"""The Alerts page's reads and writes: a user's rules, the organisation's
channel rules, their recent alerts. Every function takes the organisation first."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from server.audit import Actor, record
from server.storage.models import Account, AlertDelivery, AlertRule

RECENT_ALERTS = 30
"""Alerts the page lists, newest first."""


def visible_rules(session: Session, org_id: int, user_id: int) -> Sequence[AlertRule]:
    """The user's own e-mail rules and the organisation's channel rules."""
    return session.scalars(
        select(AlertRule)
        .where(
            AlertRule.org_id == org_id,
            or_(AlertRule.user_id == user_id, AlertRule.user_id.is_(None)),
        )
        .order_by(AlertRule.id)
    ).all()


def rule_of(session: Session, org_id: int, rule_id: int) -> AlertRule | None:
    """The organisation's rule `rule_id`, or None (another organisation's reads as missing)."""
    rule = session.get(AlertRule, rule_id)
    return rule if rule is not None and rule.org_id == org_id else None


def may_manage(rule: AlertRule, user_id: int, admin: bool) -> bool:
    """E-mail rules are their owner's; channel rules are the admins'."""
    return rule.user_id == user_id if rule.user_id is not None else admin


def add_rule(session: Session, org_id: int, actor: Actor, values: dict[str, Any]) -> AlertRule:
    """Add a rule (an e-mail rule is the actor's own); audited, not committed."""
    owner = actor.user_id if values["channel"] == "email" else None
    rule = AlertRule(org_id=org_id, user_id=owner, **values)
    session.add(rule)
    session.flush()
    record(
        session,
        org_id,
        actor,
        "alert_rule.added",
        f"#{rule.id}",
        channel=rule.channel,
        trigger=rule.trigger,
    )
    return rule


def remove_rule(session: Session, org_id: int, actor: Actor, rule: AlertRule) -> None:
    record(
        session,
        org_id,
        actor,
        "alert_rule.removed",
        f"#{rule.id}",
        channel=rule.channel,
        trigger=rule.trigger,
    )
    session.delete(rule)


def recent_alerts(
    session: Session, org_id: int, rule_ids: Sequence[int]
) -> Sequence[tuple[AlertDelivery, str | None]]:
    """The latest alerts of `rule_ids`, with their account's name."""
    if not rule_ids:
        return []
    return session.execute(
        select(AlertDelivery, Account.name)
        .outerjoin(Account, Account.id == AlertDelivery.account_id)
        .where(AlertDelivery.org_id == org_id, AlertDelivery.rule_id.in_(rule_ids))
        .order_by(AlertDelivery.id.desc())
        .limit(RECENT_ALERTS)
    ).all()
