"""Who from which company visits the demo site on which day, and why.

Each intent profile has a plan: how many days the company comes, within which
part of the 90 days, how strongly its visits lean to the recent days, what
its visits are about, how many people visit, and whether one visit near the
end of its window turns into a demo or contact request.
"""

from __future__ import annotations

import ipaddress
import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date

from server.demo.companies import DemoCompany, Profile
from server.demo.pages import Intent
from server.demo.sources import DESKTOP_AGENTS, MOBILE_AGENTS

WEEKEND_FACTOR = 0.2
"""How much less likely a business visit is on Saturday or Sunday."""

SECOND_VISIT_CHANCE = 0.3
"""Chance that a busy company visits twice on one of its days (another person)."""

IPV6_VISITOR_SHARE = 0.5
"""Share of a dual-stack company's people who browse over IPv6."""


@dataclass(frozen=True)
class Person:
    """Someone at a company: the (simulated) address and browser they visit from.

    The address exists only in this process, to be handed to the collector
    like a request's client address; nothing stores or logs it.
    """

    ip: str
    user_agent: str


@dataclass(frozen=True)
class PlannedVisit:
    """A visit the demo will send: who, from which company, about what, and
    whether it is the company's first."""

    company: DemoCompany
    person: Person
    intent: Intent
    first: bool


@dataclass(frozen=True)
class Plan:
    """How a profile's companies visit (see the module's docstring)."""

    days: tuple[int, int]  # distinct visit days, at least and at most
    window: tuple[float, float]  # part of the period they fall in (0 = oldest, 1 = today)
    recency: float  # how much later days are preferred (0 = not at all)
    intents: Mapping[Intent, float]
    people: tuple[int, int]
    convert_within: int | None = None  # a request this many days before the window ends
    from_start: bool = False  # already visiting when the period starts (customers)


_BUYING = {Intent.RESEARCH: 2, Intent.EVALUATE: 3, Intent.CONTENT: 2, Intent.BROWSE: 2,
           Intent.CONVERT: 0.3, Intent.WEBINAR: 0.5}  # fmt: skip
_CURIOUS = {Intent.RESEARCH: 3, Intent.CONTENT: 4, Intent.BROWSE: 3, Intent.EVALUATE: 0.7,
            Intent.WEBINAR: 0.5}  # fmt: skip

PLANS: dict[Profile, Plan] = {
    Profile.HOT: Plan((5, 10), (0.0, 1.0), 2.0, _BUYING, (2, 4), convert_within=20),
    Profile.RISING: Plan((4, 7), (0.8, 1.0), 2.5, _CURIOUS, (2, 3), convert_within=4),
    Profile.COOLING: Plan((5, 8), (0.05, 0.4), 1.0, _BUYING, (2, 3), convert_within=8),
    Profile.WARM: Plan((2, 4), (0.0, 1.0), 1.0, _CURIOUS, (1, 2)),
    Profile.COLD: Plan(
        (1, 2), (0.0, 1.0), 0.5, {Intent.BROWSE: 4, Intent.CONTENT: 4, Intent.RESEARCH: 1}, (1, 1)
    ),
    Profile.JOB_SEEKER: Plan((1, 3), (0.0, 1.0), 0.0, {Intent.CAREERS: 1}, (1, 1)),
    Profile.CUSTOMER: Plan(
        (4, 12), (0.0, 1.0), 0.5, {Intent.SUPPORT: 5, Intent.CONTENT: 1}, (1, 2), from_start=True
    ),
}


def plan_visits(
    companies: Sequence[DemoCompany], dates: Sequence[date], rng: random.Random
) -> list[list[PlannedVisit]]:
    """The visits of each day in `dates` (oldest first), company by company."""
    by_day: list[list[PlannedVisit]] = [[] for _ in dates]
    for company in companies:
        plan = PLANS[company.profile]
        people = [_person(company, rng) for _ in range(rng.randint(*plan.people))]
        days = _visit_days(plan, dates, rng)
        intents = _intents(plan, days, len(dates), rng)
        for order, (day, intent) in enumerate(zip(days, intents, strict=True)):
            person = rng.choice(people)
            by_day[day].append(PlannedVisit(company, person, intent, first=order == 0))
            if len(people) > 1 and rng.random() < SECOND_VISIT_CHANCE:
                other = rng.choice([p for p in people if p != person])
                extra = _pick(rng, plan.intents)
                by_day[day].append(PlannedVisit(company, other, extra, first=False))
    return by_day


def _visit_days(plan: Plan, dates: Sequence[date], rng: random.Random) -> list[int]:
    """Distinct day indexes, drawn with the plan's preference for recent weekdays."""
    total = len(dates)
    first = int(plan.window[0] * (total - 1))
    last = max(first, int(plan.window[1] * (total - 1)))
    candidates = range(first, last + 1)
    wanted = min(rng.randint(*plan.days), len(candidates))

    def weight(day: int) -> float:
        recent = ((day - first + 1) / len(candidates)) ** plan.recency
        return recent * (WEEKEND_FACTOR if dates[day].weekday() >= 5 else 1.0)

    # Weighted sampling without replacement: the largest u^(1/w) win.
    keyed = sorted(candidates, key=lambda day: rng.random() ** (1 / weight(day)), reverse=True)
    days = keyed[:wanted]
    if plan.from_start and first not in days:
        days[-1] = first
    return sorted(days)


def _intents(plan: Plan, days: Sequence[int], total: int, rng: random.Random) -> list[Intent]:
    intents = [_pick(rng, plan.intents) for _ in days]
    if len(days) > 1 and Intent.CAREERS not in plan.intents and Intent.SUPPORT not in plan.intents:
        intents[0] = rng.choice((Intent.RESEARCH, Intent.CONTENT, Intent.BROWSE))
    if plan.convert_within is not None and days:
        window_end = int(plan.window[1] * (total - 1))
        late = [i for i, day in enumerate(days) if day >= window_end - plan.convert_within]
        intents[late[-1] if late else len(days) - 1] = Intent.CONVERT
    return intents


def _pick(rng: random.Random, weights: Mapping[Intent, float]) -> Intent:
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def _person(company: DemoCompany, rng: random.Random) -> Person:
    """A person at `company`: a host of its network, and a browser."""
    if company.network6 is not None and rng.random() < IPV6_VISITOR_SHARE:
        network: ipaddress.IPv4Network | ipaddress.IPv6Network = company.network6
        host = network.network_address + rng.randrange(1 << 16, 1 << 64)
    else:
        network = company.network
        host = network.network_address + rng.randint(10, 250)
    agents = MOBILE_AGENTS if rng.random() < 0.1 else DESKTOP_AGENTS
    return Person(str(host), rng.choice(agents))
