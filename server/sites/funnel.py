"""The identification funnel: of the beacons a site received, how many were
bots (and why), data centres, homes, phones, unknown networks, and how many
were tied to a company, per site, per day and over a period.

    beacons → bots → data centres → homes → mobile → unknown → other → companies

Every step but the last comes from the anonymous counts of `traffic_counts`
(by kind and reason, `server.collect.count_reasons`); companies are the
stored events, each of which is a beacon from a company's network. The steps
add up to the beacons, and nothing in here is per visitor.

The match rate is companies ÷ human traffic, human traffic being the beacons
that were not bots.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import ColumnElement, SQLColumnExpression, func, select
from sqlalchemy.orm import Session

from server.sites.traffic import TRAFFIC_DAYS
from server.storage.models import Event, Site, TrafficCount
from server.validation import InvalidInput

STEPS = ("bots", "data_centres", "homes", "mobile", "unknown", "other", "companies")
"""The funnel's steps, in order; each beacon is in exactly one."""

STEP_OF_KIND: Mapping[str, str] = {
    "bot": "bots",
    "hosting": "data_centres",
    "isp": "homes",
    "mobile": "mobile",
    "unknown": "unknown",
}
"""The step of a counted kind; any other kind (a business network naming no
company, education or government not scored by the site) is `other`."""

UNSPECIFIED: Mapping[str, str] = {"bots": "unrecorded", "data_centres": "generic"}
"""What a count without a reason is called, per step: bots counted before
reasons were kept, data centres of no published cloud range."""

MAX_FUNNEL_DAYS = 366
"""Longest period the funnel is computed over, in days."""

DEFAULT_FUNNEL_DAYS = TRAFFIC_DAYS
"""The period of the funnel on the overview, the sites page and in the API."""


@dataclass(frozen=True)
class FunnelStep:
    """One step: its beacons, their share of all beacons, and by reason."""

    name: str
    count: int
    share: float
    reasons: tuple[tuple[str, int], ...]  # (reason, beacons), most first


@dataclass(frozen=True)
class Funnel:
    """Where the beacons of a site (or an organisation) went, over a period."""

    beacons: int
    steps: tuple[FunnelStep, ...]

    def step(self, name: str) -> FunnelStep:
        return next(step for step in self.steps if step.name == name)

    @property
    def human(self) -> int:
        """Beacons that were not bots."""
        return self.beacons - self.step("bots").count

    @property
    def companies(self) -> int:
        return self.step("companies").count

    @property
    def match_rate(self) -> float | None:
        """Companies ÷ human traffic; None without human traffic."""
        return self.companies / self.human if self.human else None

    def as_dict(self) -> dict[str, Any]:
        """The funnel as the API answers it."""
        return {
            "beacons": self.beacons,
            "human": self.human,
            "companies": self.companies,
            "match_rate": self.match_rate,
            "steps": [
                {
                    "step": step.name,
                    "count": step.count,
                    "share": step.share,
                    "reasons": dict(step.reasons),
                }
                for step in self.steps
            ],
        }


Tally = Counter[tuple[str, str]]
"""Beacons by (step, reason)."""


def build_funnel(tally: Tally) -> Funnel:
    """The funnel of the beacons in `tally`."""
    beacons = sum(tally.values())
    steps = []
    for name in STEPS:
        reasons: Counter[str] = Counter()
        for (step, reason), number in tally.items():
            if step == name and number:
                reasons[reason or UNSPECIFIED.get(name, "unspecified")] += number
        count = sum(reasons.values())
        ordered = tuple(sorted(reasons.items(), key=lambda item: (-item[1], item[0])))
        steps.append(FunnelStep(name, count, count / beacons if beacons else 0.0, ordered))
    return Funnel(beacons, tuple(steps))


def empty_funnel() -> Funnel:
    """The funnel of a site without a beacon in the period."""
    return build_funnel(Counter())


@dataclass(frozen=True)
class Period:
    """Whole UTC days, `since` to `until` included."""

    since: date
    until: date

    def __post_init__(self) -> None:
        if self.since > self.until:
            raise ValueError("since: after until")
        if self.days > MAX_FUNNEL_DAYS:
            raise ValueError(f"since: a period of at most {MAX_FUNNEL_DAYS} days")

    @property
    def days(self) -> int:
        return (self.until - self.since).days + 1

    def each_day(self) -> list[date]:
        return [self.since + timedelta(days=n) for n in range(self.days)]

    @classmethod
    def last_days(cls, days: int, now: datetime) -> Period:
        """The `days` days up to `now`'s, today included."""
        today = now.astimezone(UTC).date()
        return cls(today - timedelta(days=days - 1), today)

    @classmethod
    def parse(cls, since: str | None, until: str | None, now: datetime) -> Period:
        """The period of the API's `since` (a date, or `Nd`: the last N days,
        today included; default `DEFAULT_FUNNEL_DAYS`) and `until` (a date;
        default today, UTC).

        :raise InvalidInput: naming the argument that cannot be used.
        """
        last = _date("until", until) if until else now.astimezone(UTC).date()
        period = _DAYS.fullmatch(since or f"{DEFAULT_FUNNEL_DAYS}d")
        if period:
            days = int(period.group(1))
            if not 1 <= days <= MAX_FUNNEL_DAYS:
                raise InvalidInput("since", f"a period from 1d to {MAX_FUNNEL_DAYS}d")
            if last.toordinal() < days:
                raise InvalidInput("until", "too early for the period")
            return cls(last - timedelta(days=days - 1), last)
        first = _date("since", since or "")
        if first > last:
            raise InvalidInput("since", f"{since!r} is after until ({last.isoformat()})")
        if (last - first).days + 1 > MAX_FUNNEL_DAYS:
            raise InvalidInput("since", f"a period of at most {MAX_FUNNEL_DAYS} days until {last}")
        return cls(first, last)


def _date(field: str, value: str) -> date:
    """:raise InvalidInput: for anything but an existing day as `YYYY-MM-DD`."""
    if _DATE.fullmatch(value):
        try:
            return date.fromisoformat(value)
        except ValueError:
            pass
    raise InvalidInput(field, f"{value!r} is not a date (YYYY-MM-DD)")


_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_DAYS = re.compile(r"([0-9]{1,4})d")


def period_funnel(
    session: Session, org_id: int, period: Period, site_id: int | None = None
) -> Funnel:
    """The organisation's funnel over `period` (one site's, with `site_id`)."""
    total: Tally = Counter()
    for tally in _tallies(session, org_id, period, site_id).values():
        total.update(tally)
    return build_funnel(total)


def daily_funnels(
    session: Session, org_id: int, period: Period, site_id: int | None = None
) -> list[tuple[date, Funnel]]:
    """The funnel of each day of `period`, days without a beacon included."""
    by_day: dict[date, Tally] = defaultdict(Counter)
    for (_site, day), tally in _tallies(session, org_id, period, site_id).items():
        by_day[day].update(tally)
    return [(day, build_funnel(by_day.get(day, Counter()))) for day in period.each_day()]


def site_funnels(session: Session, org_id: int, period: Period) -> dict[int, Funnel]:
    """Each site's funnel over `period`, for the sites with a beacon in it."""
    by_site: dict[int, Tally] = defaultdict(Counter)
    for (site, _day), tally in _tallies(session, org_id, period, None).items():
        by_site[site].update(tally)
    return {site: build_funnel(tally) for site, tally in by_site.items()}


def _tallies(
    session: Session, org_id: int, period: Period, site_id: int | None
) -> dict[tuple[int, date], Tally]:
    """Beacons by (step, reason) of each site and day of `period` with any:
    the counts by kind and reason, and the stored events as `companies`."""
    tallies: dict[tuple[int, date], Tally] = defaultdict(Counter)
    counts = TrafficCount
    counted = (
        select(counts.site_id, counts.day, counts.kind, counts.reason, func.sum(counts.count))
        .join(Site, Site.id == counts.site_id)
        .where(Site.org_id == org_id, counts.day.between(period.since, period.until))
        .group_by(counts.site_id, counts.day, counts.kind, counts.reason)
    )
    if site_id is not None:
        counted = counted.where(counts.site_id == site_id)
    for site, day, kind, reason, number in session.execute(counted):
        step = STEP_OF_KIND.get(kind, "other")
        tallies[(site, day)][(step, _reason(kind, reason))] += int(number or 0)
    day_of_event = _utc_day(session, Event.occurred_at)
    events = (
        select(Event.site_id, day_of_event, func.count())
        .join(Site, Site.id == Event.site_id)
        .where(
            Site.org_id == org_id,
            Event.occurred_at >= datetime.combine(period.since, time.min, tzinfo=UTC),
            Event.occurred_at <= datetime.combine(period.until, time.max, tzinfo=UTC),
        )
        .group_by(Event.site_id, day_of_event)
    )
    if site_id is not None:
        events = events.where(Event.site_id == site_id)
    for site, day, number in session.execute(events):
        tallies[(site, _as_date(day))][("companies", "")] += int(number)
    return tallies


def _reason(kind: str, reason: str) -> str:
    """The reason shown: in the `other` step, the kind names itself there
    (`business`: a company network naming no company; `education`…)."""
    return reason if kind in STEP_OF_KIND else (f"{kind}:{reason}" if reason else kind)


def _utc_day(session: Session, column: SQLColumnExpression[datetime]) -> ColumnElement[Any]:
    """The UTC day of a timestamp column (a date on PostgreSQL, text on SQLite)."""
    if session.get_bind().dialect.name == "postgresql":
        return func.date(func.timezone("UTC", column))
    return func.date(column)


def _as_date(value: date | str) -> date:
    return value if isinstance(value, date) else date.fromisoformat(value)
