"""Periodic maintenance jobs: salt rotation, retention purge, daily scores.

Each one is idempotent: running it twice, or late, does no harm. They run on
RQ's cron in scale mode and on the embedded scheduler thread otherwise.
"""

from __future__ import annotations

import logging

from flask import current_app
from sqlalchemy import select

from server.after_store import FollowUp, Rescore, Snapshot, follow_up
from server.jobs.task import task
from server.scoring_models import widest_window
from server.storage import session_scope
from server.storage.models import Account
from server.storage.retention import purge_before, purge_leads, retention_cutoff
from server.storage.salts import rotate_salts
from server.storage.types import utcnow

log = logging.getLogger(__name__)

AGGREGATE_BATCH = 1_000
"""Accounts whose aggregates are recomputed and scores rescored per statement group."""


@task(queue="maintenance")
def rotate_daily_salts() -> int:
    """Make sure today's and tomorrow's salts exist; delete expired ones."""
    with session_scope() as session:
        deleted = rotate_salts(session, utcnow().date())
    log.info("daily salts rotated, %d expired salt(s) deleted", deleted)
    return deleted


@task(queue="maintenance")
def purge_expired_events() -> tuple[int, int]:
    """Delete raw events and visits older than `VIGIE_RETENTION_DAYS`, and leads
    imported longer ago than `VIGIE_LEAD_RETENTION_DAYS`."""
    now = utcnow()
    cutoff = retention_cutoff(now, current_app.config["RETENTION_DAYS"])
    with session_scope() as session:
        events, visits = purge_before(session, cutoff)
        leads = purge_leads(
            session, retention_cutoff(now, current_app.config["LEAD_RETENTION_DAYS"])
        )
    log.info("retention purge: %d event(s), %d visit(s), %d lead(s) deleted", events, visits, leads)
    return events, visits


@task(queue="score")
def record_daily_scores() -> int:
    """The daily pass: accounts active within the scoring window get their 30-day
    aggregates slid and their decayed score recomputed, then every account's
    score is snapshotted for the day.
    """
    now = utcnow()
    steps = FollowUp(
        aggregates=True,
        rescore=Rescore.INLINE,  # engagement decays with age
        snapshot=Snapshot(now.date()),
        batch_size=AGGREGATE_BATCH,
    )
    with session_scope() as session:
        recent = session.scalars(
            select(Account.id)
            .where(Account.last_seen >= now - widest_window(session))
            .order_by(Account.id)  # locked in id order, as ingestion does: no deadlock
        ).all()
        written = follow_up(session, recent, now, steps).snapshots
    log.info("daily pass: %d account(s) rescored, %d snapshot(s)", len(recent), written)
    return written
