"""Score history of an import: each imported day's snapshot, as of the end of that day.

The accounts' visits and events are read once per batch of accounts and
scored for every day with the pure engine, each day seeing only what had
happened by its end. An account has no snapshot before its first visit.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import delete, insert, select
from sqlalchemy.orm import Session

from scoring.engine import EventFacts, VisitFacts, reached_at, score
from scoring.model import Model
from scoring.tiers import Tier
from server.batches import batched
from server.rescoring import ACCOUNT_COLUMNS, RESCORE_BATCH, account_activity, account_facts
from server.scoring_models import active_window, model_for
from server.storage.models import Account, ScoreSnapshot
from server.storage.snapshots import day_end


def days_between(first: date, last: date) -> list[date]:
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]


def rebuild_history(
    session: Session, org_id: int, days: Sequence[date], now: datetime
) -> tuple[int, dict[int, datetime]]:
    """Write the organisation's snapshots of `days` (replacing those stored).

    Returns the number written and, for each account hot on the last day, when
    its last run of hot days began: the time of the visit or event that took
    its score over the threshold that day.
    """
    if not days:
        return 0, {}
    ends = [(day, day_end(day, now)) for day in days]
    model = model_for(session, org_id)
    since = ends[0][1] - active_window(model)
    ids = session.scalars(
        select(Account.id).where(Account.org_id == org_id, Account.first_seen <= ends[-1][1])
    ).all()
    written = 0
    hot_from: dict[int, datetime] = {}
    for chunk in batched(ids, RESCORE_BATCH):
        rows = _chunk_history(session, chunk, model, since, ends, hot_from)
        session.execute(
            delete(ScoreSnapshot).where(
                ScoreSnapshot.account_id.in_(chunk), ScoreSnapshot.day.in_(list(days))
            )
        )
        if rows:
            session.execute(insert(ScoreSnapshot), rows)
        written += len(rows)
    return written, hot_from


def _chunk_history(
    session: Session,
    ids: Sequence[int],
    model: Model,
    since: datetime,
    ends: Sequence[tuple[date, datetime]],
    hot_from: dict[int, datetime],
) -> list[dict[str, Any]]:
    accounts = session.execute(
        select(*ACCOUNT_COLUMNS, Account.first_seen).where(Account.id.in_(ids))
    ).all()
    visits, events = account_activity(session, ids, since)
    rows = []
    for account in accounts:
        facts = account_facts(account)
        streak: datetime | None = None
        previous_end: datetime | None = None
        for day, end in ends:
            if account.first_seen is None or account.first_seen > end:
                continue
            result = score(model, facts, visits[account.id], events[account.id], end)
            hot = result.tier is Tier.HOT
            if hot and streak is None:  # the moment of the day it crossed
                streak = _crossing(
                    model, facts, visits[account.id], events[account.id], previous_end, end
                )
            elif not hot:
                streak = None
            previous_end = end
            rows.append(
                {
                    "account_id": account.id,
                    "day": day,
                    "score": result.score,
                    "fit": result.fit,
                    "engagement": result.engagement,
                    "tier": result.tier.value,
                }
            )
        if streak is not None:
            hot_from[account.id] = streak
    return rows


def _crossing(
    model: Model,
    facts: dict[str, Any],
    visits: Sequence[VisitFacts],
    events: Sequence[EventFacts],
    after: datetime | None,
    end: datetime,
) -> datetime:
    """The time the score reached hot within the day, else the day's end (fit alone)."""
    return reached_at(model, facts, visits, events, model.hot, after, end) or end
