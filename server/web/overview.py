"""The overview: how many accounts are hot, warm and cold, what turned hot this
week, and how much of the traffic could be tied to a company."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import render_template
from flask_login import login_required
from sqlalchemy import func, select

from server.accounts.query import tier_counts
from server.auth import current_org_id
from server.storage import get_session
from server.storage.models import Account, Event, Site, TrafficCount
from server.storage.types import utcnow
from server.web import bp

TRAFFIC_DAYS = 30
NEW_HOT_DAYS = 7
TRAFFIC_KINDS = (
    "business",
    "isp",
    "mobile",
    "hosting",
    "education",
    "government",
    "unknown",
    "bot",
)


@dataclass(frozen=True)
class TrafficShare:
    kind: str
    count: int
    share: float


@bp.route("/")
@login_required
def overview() -> str:
    session = get_session()
    org_id = current_org_id()
    now = utcnow()
    tiers = tier_counts(session, org_id)
    new_hot = session.scalars(
        select(Account)
        .where(Account.org_id == org_id, Account.hot_since >= now - timedelta(days=NEW_HOT_DAYS))
        .order_by(Account.hot_since.desc())
        .limit(10)
    ).all()
    new_hot_count = session.scalar(
        select(func.count()).where(
            Account.org_id == org_id, Account.hot_since >= now - timedelta(days=NEW_HOT_DAYS)
        )
    )
    return render_template(
        "overview.html",
        tiers=tiers,
        new_hot=new_hot,
        new_hot_count=new_hot_count,
        traffic=traffic_mix(org_id, now),
        sites_count=session.scalar(select(func.count()).where(Site.org_id == org_id)),
    )


def traffic_mix(org_id: int, now: datetime) -> list[TrafficShare]:
    """Beacons of the last 30 days by where they came from: companies (stored
    events), or the networks and bots that were only counted (a count is kept
    per beacon of any type, so companies' events of every type are compared)."""
    session = get_session()
    since = now - timedelta(days=TRAFFIC_DAYS)
    site_ids = select(Site.id).where(Site.org_id == org_id).scalar_subquery()
    counts = {
        "business": session.scalar(
            select(func.count()).where(Event.site_id.in_(site_ids), Event.occurred_at >= since)
        )
        or 0
    }
    for kind, number in session.execute(
        select(TrafficCount.kind, func.sum(TrafficCount.count))
        .where(TrafficCount.site_id.in_(site_ids), TrafficCount.day >= since.date())
        .group_by(TrafficCount.kind)
    ):
        counts[kind] = counts.get(kind, 0) + int(number or 0)
    total = sum(counts.values()) or 1
    ordered = sorted(
        counts, key=lambda kind: TRAFFIC_KINDS.index(kind) if kind in TRAFFIC_KINDS else 99
    )
    return [
        TrafficShare(kind, counts[kind], counts[kind] / total) for kind in ordered if counts[kind]
    ]
