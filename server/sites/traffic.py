"""Where beacons came from: companies (stored events) or the networks and bots
that were only counted (`traffic_counts`), per site or for a whole organisation.

A count is kept per beacon of any type, so it compares with stored events of
every type: both are beacons. Stored events are grouped by their connection
class (`business`, or `education`/`government` when the site counts those).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from server.storage.models import Event, Site, TrafficCount, Visit

TRAFFIC_DAYS = 30
"""The period of the traffic mix on the overview and the sites page."""

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
"""Kinds of traffic in the order they are shown (connection classes, then bots)."""


@dataclass(frozen=True)
class TrafficShare:
    kind: str
    count: int
    share: float


@dataclass
class SiteTraffic:
    """One site's beacons by kind over a period, and its accounts' visits."""

    beacons: Counter[str] = field(default_factory=Counter)
    visits: int = 0
    accounts: int = 0

    @property
    def total(self) -> int:
        return sum(self.beacons.values())

    def kinds(self) -> list[tuple[str, int]]:
        """(kind, beacons) of every known kind, in display order, then any other seen."""
        extra = sorted(kind for kind in self.beacons if kind not in TRAFFIC_KINDS)
        return [(kind, self.beacons[kind]) for kind in (*TRAFFIC_KINDS, *extra)]


def start_of_day(now: datetime) -> datetime:
    """Midnight UTC of `now`'s day: "today" on the sites page."""
    return datetime.combine(now.astimezone(UTC).date(), time.min, tzinfo=UTC)


def site_traffic(session: Session, org_id: int, since: datetime) -> dict[int, SiteTraffic]:
    """Each site of the organisation with traffic since `since` (a day's start for
    the counts, which are per day): its beacons by kind and its accounts' visits."""
    traffic: dict[int, SiteTraffic] = defaultdict(SiteTraffic)
    for site_id, kind, number in _beacons(session, org_id, since):
        traffic[site_id].beacons[kind] += int(number or 0)
    for site_id, visits, accounts in session.execute(
        select(Visit.site_id, func.count(), func.count(Visit.account_id.distinct()))
        .join(Site, Site.id == Visit.site_id)
        .where(Site.org_id == org_id, Visit.started_at >= since, Visit.account_id.is_not(None))
        .group_by(Visit.site_id)
    ):
        traffic[site_id].visits = visits
        traffic[site_id].accounts = accounts
    return dict(traffic)


def traffic_mix(session: Session, org_id: int, now: datetime) -> list[TrafficShare]:
    """The organisation's beacons of the last `TRAFFIC_DAYS` days by kind, with
    their share of the total; kinds with no beacon are left out."""
    counts: Counter[str] = Counter()
    for _site_id, kind, number in _beacons(session, org_id, now - timedelta(days=TRAFFIC_DAYS)):
        counts[kind] += int(number or 0)
    total = sum(counts.values()) or 1
    ordered = sorted(
        counts, key=lambda kind: TRAFFIC_KINDS.index(kind) if kind in TRAFFIC_KINDS else 99
    )
    return [
        TrafficShare(kind, counts[kind], counts[kind] / total) for kind in ordered if counts[kind]
    ]


def _beacons(session: Session, org_id: int, since: datetime) -> list[tuple[int, str, int]]:
    """(site id, kind, beacons) since `since`: stored events by connection class,
    then counted beacons by kind (a kind may appear in both)."""
    events = session.execute(
        select(Event.site_id, Event.connection_class, func.count())
        .join(Site, Site.id == Event.site_id)
        .where(Site.org_id == org_id, Event.occurred_at >= since)
        .group_by(Event.site_id, Event.connection_class)
    ).all()
    counted = session.execute(
        select(TrafficCount.site_id, TrafficCount.kind, func.sum(TrafficCount.count))
        .join(Site, Site.id == TrafficCount.site_id)
        .where(Site.org_id == org_id, TrafficCount.day >= since.date())
        .group_by(TrafficCount.site_id, TrafficCount.kind)
    ).all()
    return [(site_id, kind, number) for site_id, kind, number in (*events, *counted)]


@dataclass(frozen=True)
class SiteTotals:
    """All a site holds: visits, events, and the traffic kept only as counts, by kind."""

    visits: int
    events: int
    counted: dict[str, int]


def site_totals(session: Session, org_id: int, site_id: int) -> SiteTotals:
    """What the organisation's site `site_id` holds, over all time (all zero
    for another organisation's site)."""
    own = select(Site.id).where(Site.id == site_id, Site.org_id == org_id).scalar_subquery()
    counted = session.execute(
        select(TrafficCount.kind, func.sum(TrafficCount.count))
        .where(TrafficCount.site_id == own)
        .group_by(TrafficCount.kind)
    ).all()
    return SiteTotals(
        visits=session.scalar(select(func.count()).where(Visit.site_id == own)) or 0,
        events=session.scalar(select(func.count()).where(Event.site_id == own)) or 0,
        counted={kind: int(count) for kind, count in counted},
    )
