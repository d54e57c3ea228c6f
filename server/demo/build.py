"""Build the whole demo dataset: tenant, IP databases, 90 days of traffic and
scores, sales feedback. Safe to run again: a built dataset is reused."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime
from functools import partial
from pathlib import Path

from flask import Flask
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from server.accounts.query import tier_counts
from server.demo.companies import demo_companies
from server.demo.feedback import add_feedback
from server.demo.history import replay
from server.demo.networks import ensure_databases
from server.demo.tenant import (
    DEMO_ADMIN,
    DEMO_DOMAIN,
    dataset_built,
    demo_admin,
    ensure_demo_tenant,
    mark_built,
    wipe_demo_data,
)
from server.demo.traffic import DAYS
from server.storage import session_scope
from server.storage.models import (
    Account,
    Event,
    Organisation,
    ScoreSnapshot,
    Site,
    TrafficCount,
    Visit,
)
from server.storage.types import utcnow

SITE_URL = f"https://{DEMO_DOMAIN}"
"""Where the demo site's simulated pages live."""

Progress = Callable[[str, int, int], None]
"""Told (step, done, total) as the build goes: steps are `networks`, `days`, `feedback`."""


@dataclass(frozen=True)
class DemoSummary:
    """What the demo holds after `build_demo`."""

    site_key: str
    admin: str
    accounts: int
    tiers: dict[str, int]
    visits: int
    events: int
    days: int  # days of score history
    counted: dict[str, int] = field(default_factory=dict)  # traffic kept as counts, by kind
    built: bool = False  # False when an existing dataset was reused
    beacons: int = 0  # beacons the collector processed in this build (0 when reused)
    seconds: float = 0.0


def build_demo(
    app: Flask,
    password: str,
    now: datetime | None = None,
    reset: bool = False,
    progress: Progress | None = None,
) -> DemoSummary:
    """Set up the demo organisation, admin (with `password`) and site, and build
    its dataset up to `now` (an aware UTC time; default: the current time)
    unless one is stored already.

    `reset` wipes the demo organisation's dataset first and builds it again.
    The database must be at the current schema. Returns what the demo holds.

    :raise ValueError: for a `now` without a time zone.
    """
    started = time.perf_counter()
    now = now or utcnow()
    if now.tzinfo is None:
        raise ValueError("now: must be an aware UTC datetime")
    report = progress or (lambda step, done, total: None)
    companies = demo_companies()
    databases = ensure_databases(Path(app.instance_path), companies, rewrite=reset)
    report("networks", 1, 1)
    beacons = 0
    with app.app_context():
        with session_scope() as session:
            site = ensure_demo_tenant(session, password)
            organisation = site.organisation
            reuse = dataset_built(organisation) and not reset
            if not reuse:
                wipe_demo_data(session, organisation)
            site_key, org_id = site.public_key, organisation.id
        if not reuse:
            days = partial(report, "days")
            beacons = replay(app, databases, site_key, SITE_URL, companies, now, days)
            with session_scope() as session:
                admin = demo_admin(session, org_id)
                add_feedback(session, org_id, admin.id if admin else None, companies, now)
                mark_built(session.get_one(Organisation, org_id), now)
            report("feedback", 1, 1)
        with session_scope() as session:
            summary = summarise(session, org_id, site_key)
    seconds = time.perf_counter() - started
    return replace(summary, built=not reuse, beacons=beacons, seconds=seconds)


def summarise(session: Session, org_id: int, site_key: str) -> DemoSummary:
    """Count what the demo organisation holds."""
    site_ids = select(Site.id).where(Site.org_id == org_id).scalar_subquery()
    tiers = tier_counts(session, org_id)
    counted = dict(
        session.execute(
            select(TrafficCount.kind, func.sum(TrafficCount.count))
            .where(TrafficCount.site_id.in_(site_ids))
            .group_by(TrafficCount.kind)
        ).all()
    )
    days = session.scalar(
        select(func.count(func.distinct(ScoreSnapshot.day))).where(
            ScoreSnapshot.account_id.in_(select(Account.id).where(Account.org_id == org_id))
        )
    )
    return DemoSummary(
        site_key=site_key,
        admin=DEMO_ADMIN,
        accounts=sum(tiers.values()),
        tiers=tiers,
        visits=session.scalar(select(func.count()).where(Visit.site_id.in_(site_ids))) or 0,
        events=session.scalar(select(func.count()).where(Event.site_id.in_(site_ids))) or 0,
        days=days or 0,
        counted={kind: int(count) for kind, count in counted.items()},
    )


__all__ = ["DAYS", "DemoSummary", "Progress", "build_demo"]
