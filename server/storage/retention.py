"""Retention: raw events and visits older than `VIGIE_RETENTION_DAYS` go.

Accounts, their aggregates and their score history stay until the account is
erased (SPEC.md privacy rule 5). Deletion runs in batches so that a large
purge never holds a long write lock. The receipts of traffic counts, kept
only to recognise a count delivered twice, go after `RECEIPT_DAYS`. Leads,
personal data, go `VIGIE_LEAD_RETENTION_DAYS` after their import.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, delete, select
from sqlalchemy.orm import Session

from server.storage import begin_write
from server.storage.models import CountReceipt, Event, Lead, Visit
from server.storage.types import utcnow

PURGE_BATCH = 5_000
"""Rows deleted per statement."""

RECEIPT_DAYS = 2
"""How long a traffic count's receipt is kept: far longer than a count can wait
in the stream before it is delivered again."""


def purge_before(
    session: Session, cutoff: datetime, now: datetime | None = None
) -> tuple[int, int]:
    """Delete events that occurred and visits that ended before `cutoff`, and
    the count receipts older than `RECEIPT_DAYS` before `now` (default: now).

    Commits after each batch. Returns (events deleted, visits deleted).
    """
    events = _delete_in_batches(session, Event, Event.occurred_at < cutoff)
    visits = _delete_in_batches(session, Visit, Visit.last_event_at < cutoff)
    purge_receipts(session, (now or utcnow()) - timedelta(days=RECEIPT_DAYS))
    return events, visits


def purge_receipts(session: Session, before: datetime) -> int:
    """Delete the count receipts received before `before`; commits. Returns how many."""
    return _delete_in_batches(session, CountReceipt, CountReceipt.received_at < before)


def purge_leads(session: Session, imported_before: datetime) -> int:
    """Delete the leads imported before `imported_before`; commits. Returns how many."""
    return _delete_in_batches(session, Lead, Lead.imported_at < imported_before)


def retention_cutoff(now: datetime, retention_days: int) -> datetime:
    """The instant before which raw rows are out of retention."""
    return now - timedelta(days=retention_days)


def _delete_in_batches(
    session: Session,
    model: type[Event] | type[Visit] | type[CountReceipt] | type[Lead],
    condition: ColumnElement[bool],
) -> int:
    total = 0
    while True:
        # Each batch is a transaction of its own, begun as a writer (SQLite):
        # it reads, then deletes, while beacons are being stored.
        begin_write(session)
        ids = session.scalars(select(model.id).where(condition).limit(PURGE_BATCH)).all()
        if not ids:
            session.commit()
            return total
        session.execute(delete(model).where(model.id.in_(ids)))
        session.commit()
        total += len(ids)
