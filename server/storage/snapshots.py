"""Daily score snapshots: one row per account and day, for trends and "hot since"."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import delete, func, insert, literal, select
from sqlalchemy.orm import Session

from server.storage.models import Account, ScoreSnapshot

END_OF_DAY = timedelta(seconds=1)
"""A past day is scored as of one second before the next midnight."""


def day_end(day: date, now: datetime) -> datetime:
    """When `day`'s snapshot is scored: its last second, or `now` for today."""
    return min(datetime.combine(day + timedelta(days=1), time(), tzinfo=UTC) - END_OF_DAY, now)


def record_snapshots(session: Session, day: date, org_id: int | None = None) -> int:
    """Store every account's current score as its snapshot for `day`, set-wise.

    Running it again on the same day replaces that day's rows. Returns the
    number of snapshots written.
    """
    accounts = select(Account.id)
    if org_id is not None:
        accounts = accounts.where(Account.org_id == org_id)
    session.execute(
        delete(ScoreSnapshot).where(
            ScoreSnapshot.day == day, ScoreSnapshot.account_id.in_(accounts.scalar_subquery())
        )
    )
    source = select(
        Account.id, literal(day), Account.score, Account.fit, Account.engagement, Account.tier
    )
    if org_id is not None:
        source = source.where(Account.org_id == org_id)
    columns = ["account_id", "day", "score", "fit", "engagement", "tier"]
    session.execute(insert(ScoreSnapshot).from_select(columns, source))
    # INSERT … SELECT reports no row count on psycopg; count the source instead.
    return session.scalar(select(func.count()).select_from(source.subquery())) or 0


def snapshot_days(session: Session, org_id: int) -> int:
    """On how many days the organisation's accounts got a score snapshot."""
    own = select(Account.id).where(Account.org_id == org_id)
    days = session.scalar(
        select(func.count(func.distinct(ScoreSnapshot.day))).where(
            ScoreSnapshot.account_id.in_(own)
        )
    )
    return days or 0
