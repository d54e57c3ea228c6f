"""Retention: raw events and visits older than `VIGIE_RETENTION_DAYS` go.

Accounts, their aggregates and their score history stay until the account is
erased (SPEC.md privacy rule 5). Deletion runs in batches so that a large
purge never holds a long write lock.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from server.storage.models import Event, Visit

PURGE_BATCH = 5_000
"""Rows deleted per statement."""


def purge_before(session: Session, cutoff: datetime) -> tuple[int, int]:
    """Delete events that occurred and visits that ended before `cutoff`.

    Commits after each batch. Returns (events deleted, visits deleted).
    """
    events = _delete_in_batches(session, Event, Event.occurred_at < cutoff)
    visits = _delete_in_batches(session, Visit, Visit.last_event_at < cutoff)
    return events, visits


def retention_cutoff(now: datetime, retention_days: int) -> datetime:
    """The instant before which raw rows are out of retention."""
    return now - timedelta(days=retention_days)


def _delete_in_batches(session: Session, model: type[Event] | type[Visit], condition) -> int:  # type: ignore[no-untyped-def]
    total = 0
    while True:
        ids = session.scalars(select(model.id).where(condition).limit(PURGE_BATCH)).all()
        if not ids:
            return total
        session.execute(delete(model).where(model.id.in_(ids)))
        session.commit()
        total += len(ids)
