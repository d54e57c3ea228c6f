"""Deleting a site: what goes with it, and the accounts brought up to date after.

A site's events, visits, traffic counts and imported-log records are deleted
with it. Accounts belong to the organisation, not to a site, so they stay
(they may have visited other sites, and sales feedback hangs on them); their
30-day visits, active days, top pages and scores are recomputed from what is
left. All-time figures (first and last seen, total pageviews) are history, as
after a retention purge, and stay as they were.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import cast

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from server.batches import batched
from server.rescoring import RESCORE_BATCH, rescore
from server.storage.ingest import refresh_aggregates
from server.storage.models import Event, ImportedLine, Site, TrafficCount, Visit


@dataclass(frozen=True)
class SiteData:
    """What is stored about a site: what deleting it deletes, and the accounts it touches."""

    events: int
    visits: int
    counted: int
    """Beacons kept only as counts (homes, phones, data centres, bots, unknown)."""
    accounts: int
    """Accounts with a visit on the site: they stay, and are rescored."""


def site_data(session: Session, site_id: int) -> SiteData:
    """How many events, visits and counted beacons the site has, and accounts it touched."""
    visits, accounts = session.execute(
        select(func.count(), func.count(Visit.account_id.distinct())).where(
            Visit.site_id == site_id
        )
    ).one()
    return SiteData(
        events=session.scalar(select(func.count()).where(Event.site_id == site_id)) or 0,
        visits=visits,
        counted=session.scalar(
            select(func.coalesce(func.sum(TrafficCount.count), 0)).where(
                TrafficCount.site_id == site_id
            )
        )
        or 0,
        accounts=accounts,
    )


def delete_site(session: Session, site: Site, now: datetime) -> SiteData:
    """Delete `site` with its events, visits and counts, then refresh and rescore
    the accounts that had visited it, in the session's transaction.

    Returns what was deleted. Foreign keys would cascade as well; the rows are
    deleted here in order so the counts are exact on every backend.
    """
    deleted = site_data(session, site.id)
    # the column is nullable, but the query keeps only the visits with an account
    account_ids = cast(
        Sequence[int],
        session.scalars(
            select(Visit.account_id)
            .where(Visit.site_id == site.id, Visit.account_id.is_not(None))
            .distinct()
        ).all(),
    )
    for table in (Event, Visit, TrafficCount, ImportedLine):
        session.execute(delete(table).where(table.site_id == site.id))
    session.execute(delete(Site).where(Site.id == site.id))
    session.expire_all()  # the organisation's `sites` list still holds the row
    for chunk in batched(sorted(account_ids), RESCORE_BATCH):
        refresh_aggregates(session, chunk, now)
        rescore(session, chunk, now)
    return deleted
