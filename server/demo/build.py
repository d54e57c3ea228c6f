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
    new_password,
    wipe_demo_data,
)
from server.demo.traffic import DAYS
from server.sites.traffic import site_totals
from server.storage import session_scope
from server.storage.models import (
    Organisation,
)
from server.storage.snapshots import snapshot_days
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
    # The admin's password when this build set one; None when it was left unchanged.
    password: str | None = field(default=None, repr=False)


def build_demo(
    app: Flask,
    password: str | None = None,
    now: datetime | None = None,
    reset: bool = False,
    progress: Progress | None = None,
) -> DemoSummary:
    """Set up the demo organisation, admin and site, and build the dataset on
    that site up to `now` (an aware UTC time; default: the current time)
    unless one is stored already.

    The admin's password becomes `password` when one is given; without one it
    is left as it was, except that a new admin or a `reset` gets a new random
    one. `reset` wipes the demo site's dataset first and builds it again. The
    database must be at the current schema. Returns what the demo holds,
    with the password set, if any.

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
            tenant = ensure_demo_tenant(session, password or (new_password() if reset else None))
            site = tenant.site
            organisation = site.organisation
            reuse = dataset_built(organisation) and not reset
            if not reuse:
                wipe_demo_data(session, site)
            site_key, site_id, org_id = site.public_key, site.id, organisation.id
        if not reuse:
            days = partial(report, "days")
            beacons = replay(app, databases, site_key, SITE_URL, companies, now, days)
            with session_scope() as session:
                admin = demo_admin(session, org_id)
                add_feedback(session, org_id, admin.id if admin else None, companies, now)
                mark_built(session.get_one(Organisation, org_id), now)
            report("feedback", 1, 1)
        with session_scope() as session:
            summary = summarise(session, org_id, site_id, site_key)
    seconds = time.perf_counter() - started
    return replace(
        summary, built=not reuse, beacons=beacons, seconds=seconds, password=tenant.password
    )


def summarise(session: Session, org_id: int, site_id: int, site_key: str) -> DemoSummary:
    """Count what the demo site and the organisation's accounts hold."""
    tiers = tier_counts(session, org_id)
    totals = site_totals(session, org_id, site_id)
    return DemoSummary(
        site_key=site_key,
        admin=DEMO_ADMIN,
        accounts=sum(tiers.values()),
        tiers=tiers,
        visits=totals.visits,
        events=totals.events,
        days=snapshot_days(session, org_id),
        counted=totals.counted,
    )


__all__ = ["DAYS", "DemoSummary", "Progress", "build_demo"]
