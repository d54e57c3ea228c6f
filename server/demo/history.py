"""Replay 90 days of the demo site's traffic through the collector and ingestion,
scoring the accounts at the end of each day.

Day by day, oldest first: every hit goes through `Collector.process` at its
simulated time (bot filter, resolution, classification, the day's salt, the
visitor hash), the records are stored by `server.storage.ingest.ingest`, the
one write path both sinks end at, and the organisation's accounts are
rescored as of the end of the day and snapshotted (`server.after_store`).
Ingestion is called directly rather than through `store_batch`: the latter
asks for a rescore at the real clock, which would stamp today's score and
"hot since" on every past day.

Afterwards the salts of past days are deleted (today's and yesterday's stay,
as salt rotation keeps them) and the 30-day aggregates slid to now.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date, datetime, timedelta
from pathlib import Path

from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from enrich.resolver import Resolver
from server.after_store import FollowUp, Rescore, Snapshot, follow_up
from server.collect.agents import AgentClassifier
from server.collect.pipeline import Collector, SaltCache
from server.collect.sites import SiteCache, SiteInfo
from server.demo.companies import DemoCompany
from server.demo.traffic import DAYS, Hit, simulated_days
from server.jobs import drain
from server.storage import session_scope, storage
from server.storage.ingest import ingest
from server.storage.models import Account
from server.storage.salts import rotate_salts
from server.storage.snapshots import day_end

JOBS_WAIT_SECONDS = 60.0
"""Longest wait for the day's alert jobs before the next day is replayed."""

DayDone = Callable[[int, int], None]
"""Told (days done, days in all) after each day."""


def replay(
    app: Flask,
    databases: Sequence[Path],
    site_key: str,
    site_url: str,
    companies: Sequence[DemoCompany],
    now: datetime,
    day_done: DayDone | None = None,
) -> int:
    """Simulate and store `DAYS` days of traffic up to `now`, scoring as it goes;
    return the number of beacons the collector processed.

    Runs in `app`'s context; the demo site must exist.
    :raise LookupError: when it does not.
    """
    sessions = storage(app).sessions
    site = SiteCache(sessions).get(site_key)
    if site is None:
        raise LookupError(f"site: no demo site with key {site_key}")
    resolver = Resolver(databases)
    collector = Collector(AgentClassifier(), resolver, SaltCache(sessions))
    beacons = 0
    try:
        days = simulated_days(site_key, site_url, companies, now)
        for done, (day, hits) in enumerate(days, start=1):
            _replay_day(app, collector, site, hits, day, now)
            beacons += len(hits)
            if day_done:
                day_done(done, DAYS)
    finally:
        resolver.close()
    with session_scope() as session:
        today = now.date()  # the last two days the replay hashed, and none ahead
        rotate_salts(session, today, made=(today - timedelta(days=1), today))
        follow_up(session, _account_ids(session, site.org_id), now, FollowUp(aggregates=True))
    return beacons


def _replay_day(
    app: Flask,
    collector: Collector,
    site: SiteInfo,
    hits: Sequence[Hit],
    day: date,
    now: datetime,
) -> None:
    # The collector reads (or creates) the day's salt in a transaction of its
    # own, so every hit is processed before the day's write transaction opens.
    records = [collector.process(h.beacon, site, h.ip, h.user_agent, h.at) for h in hits]
    scored_at = day_end(day, now)
    with session_scope() as session:
        ingest(session, records, scored_at)
    steps = FollowUp(rescore=Rescore.INLINE, snapshot=Snapshot(day, site.org_id))
    with session_scope() as session:
        follow_up(session, _account_ids(session, site.org_id), scored_at, steps)
    drain(app, JOBS_WAIT_SECONDS)  # alerts of accounts that turned hot (no webhook: no-ops)


def _account_ids(session: Session, org_id: int) -> list[int]:
    return list(session.scalars(select(Account.id).where(Account.org_id == org_id)))
