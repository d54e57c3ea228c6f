"""The triggers checked on a schedule: a score's rise, people this week, a saved filter.

Each returns the ids of the accounts, among `candidates` (those active or
rescored since the previous check), that meet the rule now. "People" are
distinct visitor hashes; hashes rotate daily, so one person who came on three
days counts three times: the count is an upper bound, said so in the README.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from urllib.parse import parse_qs

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from server.accounts.filters import parse_filters
from server.accounts.query import account_conditions
from server.alerts.rules import Trigger
from server.storage.models import Account, AlertRule, ScoreSnapshot, Visit
from server.validation import InvalidInput

RISE_WINDOW = timedelta(days=7)
"""A score's rise is measured against its lowest daily snapshot in this window."""

PEOPLE_WINDOW = timedelta(days=7)
"""The "this week" of the people trigger."""


def matching(
    session: Session, rule: AlertRule, candidates: Sequence[int], now: datetime
) -> list[int]:
    """The candidates that meet `rule` at `now`, by its trigger."""
    if not candidates:
        return []
    trigger = Trigger(rule.trigger)
    if trigger is Trigger.SCORE_ROSE:
        return score_rose(session, candidates, rule.threshold or 1, now)
    if trigger is Trigger.VISITORS:
        return many_people(session, candidates, rule.threshold or 1, now)
    if trigger is Trigger.SAVED_FILTER:
        return in_saved_filter(session, rule, candidates, now)
    return []


def score_rose(
    session: Session, candidates: Sequence[int], points: int, now: datetime
) -> list[int]:
    """Accounts whose score is at least `points` above their lowest snapshot of the week."""
    since = (now - RISE_WINDOW).date()
    lowest = (
        select(ScoreSnapshot.account_id, func.min(ScoreSnapshot.score).label("low"))
        .where(ScoreSnapshot.account_id.in_(candidates), ScoreSnapshot.day >= since)
        .group_by(ScoreSnapshot.account_id)
        .subquery()
    )
    query = (
        select(Account.id)
        .join(lowest, lowest.c.account_id == Account.id)
        .where(Account.score - lowest.c.low >= points)
        .order_by(Account.id)
    )
    return list(session.scalars(query))


def many_people(
    session: Session, candidates: Sequence[int], people: int, now: datetime
) -> list[int]:
    """Accounts with at least `people` distinct visitor hashes in the past week."""
    query = (
        select(Visit.account_id)
        .where(Visit.account_id.in_(candidates), Visit.started_at >= now - PEOPLE_WINDOW)
        .group_by(Visit.account_id)
        .having(func.count(func.distinct(Visit.visitor_hash)) >= people)
        .order_by(Visit.account_id)
    )
    return [account_id for account_id in session.scalars(query) if account_id is not None]


def in_saved_filter(
    session: Session, rule: AlertRule, candidates: Sequence[int], now: datetime
) -> list[int]:
    """Accounts the rule's accounts-list filter shows; none if the filter no
    longer reads (a site since deleted)."""
    try:
        filters = parse_filters(parse_qs(rule.saved_filter or ""))
        conditions = account_conditions(session, rule.org_id, filters, now)
    except InvalidInput:
        return []
    query = select(Account.id).where(*conditions, Account.id.in_(candidates)).order_by(Account.id)
    return list(session.scalars(query))


def recent_accounts(session: Session, org_id: int, since: datetime) -> list[int]:
    """The organisation's accounts seen or rescored since `since`."""
    query = select(Account.id).where(
        Account.org_id == org_id, (Account.last_seen >= since) | (Account.scored_at >= since)
    )
    return list(session.scalars(query.order_by(Account.id)))
