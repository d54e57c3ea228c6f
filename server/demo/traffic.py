"""One day of simulated beacons: the planned company visits, plus homes, phones,
data centres, bots and unlisted networks.

A visit becomes what the snippet would send: a `pageview` per page (the first
with the visit's referrer and `utm_*`, the next ones referred by the previous
page), the page's events, and an `engagement` beacon with the time spent when
the page is left. Each beacon is checked by the collector's own parser.
"""

from __future__ import annotations

import ipaddress
import random
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import msgspec

from enrich.connection import ConnectionClass
from server.collect.beacon import Beacon, parse_beacon
from server.demo.companies import SEED, DemoCompany
from server.demo.networks import OPERATORS, UNLISTED, Operator
from server.demo.pages import HOME, PAGES, Intent, Step, visit_steps
from server.demo.schedule import Person, PlannedVisit, plan_visits
from server.demo.sources import (
    DESKTOP_AGENTS,
    MOBILE_AGENTS,
    Source,
    crawler_agents,
    pick_source,
)

DAYS = 90
"""Days of simulated traffic, today included."""

EUROPE_HOURS = (7, 18)
"""UTC hours a European company's people browse in (office hours)."""

AMERICA_HOURS = (13, 23)
"""The same for companies in the Americas."""

HOME_HOURS = (6, 23)
"""UTC hours of visits from homes, phones and bots."""

BACKGROUND_PER_DAY = {
    ConnectionClass.ISP: (14, 30),
    ConnectionClass.MOBILE: (6, 15),
    ConnectionClass.HOSTING: (2, 5),
    ConnectionClass.UNKNOWN: (0, 3),
}
"""Visitors a weekday brings from each kind of network (fewer at weekends)."""

LATEST_START = timedelta(minutes=30)
"""A visit starts at least this long before `now`, so that it is over."""

BOT_HITS_PER_DAY = (10, 30)
"""Pages crawled per day by bots."""

CRAWLED_PAGES = (HOME, *PAGES["features"], *PAGES["pricing"], *PAGES["blog"], *PAGES["careers"])
_BACKGROUND_INTENTS = (Intent.BROWSE, Intent.CONTENT, Intent.CONTENT, Intent.RESEARCH,
                       Intent.CAREERS)  # fmt: skip


@dataclass(frozen=True)
class Hit:
    """One beacon, with the simulated address and browser it comes from (in
    memory only, handed to the collector as a request's would be)."""

    at: datetime
    beacon: Beacon
    ip: str
    user_agent: str


_encoder = msgspec.json.Encoder()


def simulated_days(
    site_key: str, site_url: str, companies: Sequence[DemoCompany], now: datetime
) -> Iterator[tuple[date, list[Hit]]]:
    """Each of the `DAYS` days up to `now`, oldest first, with its hits.

    The same arguments give the same hits (addresses, agents, pages, times).
    """
    dates = [now.date() - timedelta(days=DAYS - 1 - index) for index in range(DAYS)]
    rng = random.Random(SEED + 1)
    planned = plan_visits(companies, dates, rng)
    maker = TrafficMaker(site_key, site_url, rng, now)
    for day, visits in zip(dates, planned, strict=True):
        yield day, maker.day_hits(day, visits)


class TrafficMaker:
    """Turn planned visits and background traffic into one day's hits."""

    def __init__(self, site_key: str, site_url: str, rng: random.Random, now: datetime) -> None:
        self.site_key = site_key
        self.site_url = site_url.rstrip("/")
        self.rng = rng
        self.now = now
        self.bots = crawler_agents()

    def day_hits(self, day: date, visits: Iterable[PlannedVisit]) -> list[Hit]:
        """Every hit of `day` before `now`, in time order."""
        hits: list[Hit] = []
        for visit in visits:
            hours = AMERICA_HOURS if visit.company.country in ("US", "CA") else EUROPE_HOURS
            source = pick_source(self.rng, visit.intent, visit.first)
            steps = visit_steps(visit.intent, self.rng, self.site_url)
            hits += self.visit_hits(self._start(day, hours), visit.person, source, steps)
        hits += self.background_hits(day)
        return sorted((hit for hit in hits if hit.at < self.now), key=lambda hit: hit.at)

    def visit_hits(
        self, start: datetime, person: Person, source: Source, steps: Sequence[Step]
    ) -> list[Hit]:
        """The beacons of one visit: pageviews, events and engagement."""
        hits = []
        at, referrer = start, source.referrer
        for index, step in enumerate(steps):
            url = self.site_url + step.path + (source.query(start.date()) if index == 0 else "")
            page = {"url": url, "title": step.title}
            hits.append(self._hit(at, person, type="pageview", referrer=referrer, **page))
            for name, props in step.events:
                at += timedelta(seconds=self.rng.randint(15, 120))
                hits.append(self._hit(at, person, type="event", name=name, props=props, **page))
            dwell = self.rng.randint(12, 240)
            at += timedelta(seconds=dwell)
            engaged = int(dwell * self.rng.uniform(0.6, 0.95) * 1000)
            hits.append(self._hit(at, person, type="engagement", engaged_ms=engaged, **page))
            at += timedelta(seconds=self.rng.randint(2, 12))
            referrer = url
        return hits

    def background_hits(self, day: date) -> list[Hit]:
        """Homes, phones, data centres and unlisted networks, then bots."""
        weekend = day.weekday() >= 5
        hits = []
        for connection, (low, high) in BACKGROUND_PER_DAY.items():
            count = self.rng.randint(low, high)
            for _ in range(count // 2 if weekend else count):
                person = self._outsider(connection)
                intent = self.rng.choice(_BACKGROUND_INTENTS)
                source = pick_source(self.rng, intent, first_visit=True)
                steps = visit_steps(intent, self.rng, self.site_url)
                hits += self.visit_hits(self._start(day, HOME_HOURS), person, source, steps)
        for _ in range(self.rng.randint(*BOT_HITS_PER_DAY)):
            hits.append(self._bot_hit(day))
        return hits

    def _bot_hit(self, day: date) -> Hit:
        agent = self.rng.choice(self.bots)
        operator = self._operator(ConnectionClass.HOSTING)
        person = Person(self._host(operator.cidr), agent)
        path, title = self.rng.choice(CRAWLED_PAGES)
        page = {"url": self.site_url + path, "title": title}
        return self._hit(self._start(day, (0, 24)), person, type="pageview", **page)

    def _outsider(self, connection: ConnectionClass) -> Person:
        if connection is ConnectionClass.UNKNOWN:
            return Person(self._host(UNLISTED), self.rng.choice(DESKTOP_AGENTS))
        operator = self._operator(connection)
        mobile = connection is ConnectionClass.MOBILE or self.rng.random() < 0.3
        return Person(
            self._host(operator.cidr), self.rng.choice(MOBILE_AGENTS if mobile else DESKTOP_AGENTS)
        )

    def _operator(self, connection: ConnectionClass) -> Operator:
        # French operators first: the demo site's audience is mostly in France.
        choices = [op for op in OPERATORS if op.connection is connection]
        weights = [4 if op.country == "FR" else 1 for op in choices]
        return self.rng.choices(choices, weights=weights)[0]

    def _host(self, network: ipaddress.IPv4Network | ipaddress.IPv6Network) -> str:
        return str(network.network_address + self.rng.randrange(1, network.num_addresses - 1))

    def _start(self, day: date, hours: tuple[int, int]) -> datetime:
        """A visit's start within `hours` of `day`, and long enough before `now`
        for the visit to have happened (today's visits are squeezed in)."""
        midnight = datetime.combine(day, time(), tzinfo=UTC)
        earliest = midnight + timedelta(hours=hours[0])
        latest = min(midnight + timedelta(hours=hours[1]), self.now - LATEST_START)
        if latest <= earliest:
            earliest = midnight
        span = max((latest - earliest).total_seconds(), 0.0)
        return earliest + timedelta(seconds=self.rng.uniform(0, span))

    def _hit(self, at: datetime, person: Person, **fields: Any) -> Hit:
        body = {"site": self.site_key, **{k: v for k, v in fields.items() if v is not None}}
        return Hit(at, parse_beacon(_encoder.encode(body)), person.ip, person.user_agent)
