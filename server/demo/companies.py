"""The demo's businesses: firmographics, a network each, and an intent profile.

About 300 invented companies of varied fit for the default scoring model:
mostly French, some Belgian, Swiss, Luxembourgish and Canadian, and a few in
countries the default model does not serve (Germany, the United Kingdom, the
United States, Spain). Each owns an IPv4 /24, some an IPv6 /48 as well.
The same seed gives the same companies, so rebuilding the company database
never moves a company to another network.
"""

from __future__ import annotations

import ipaddress
import random
from collections.abc import Sequence
from dataclasses import dataclass, replace
from enum import StrEnum

from server.demo.names import NameMaker

COMPANY_COUNT = 300
"""Businesses in the demo company database."""

SEED = 4_107
"""Seed of the demo's random choices: one dataset, the same on every machine."""

COMPANY_BLOCKS_V4 = ("185.48.0.0/16", "193.57.0.0/16", "194.110.0.0/16")
"""Public IPv4 blocks the demo cuts company /24s from (resolved in-process only)."""

COMPANY_BLOCK_V6 = "2a0b:4d40::/32"
"""Public IPv6 block the demo cuts company /48s from."""

IPV6_SHARE = 0.15
"""Share of companies that also have an IPv6 network."""

COUNTRIES = {
    "FR": 196, "BE": 24, "CH": 20, "LU": 5, "MC": 2, "CA": 8,
    "DE": 15, "GB": 12, "US": 12, "ES": 6,
}  # fmt: skip
"""Relative weight of each country among the companies."""

CITIES = {
    "FR": ("Paris", "Lyon", "Marseille", "Toulouse", "Bordeaux", "Lille", "Nantes",
           "Strasbourg", "Rennes", "Grenoble", "Montpellier", "Nice", "Annecy", "Rouen"),
    "BE": ("Bruxelles", "Liège", "Namur", "Charleroi", "Anvers", "Gand"),
    "CH": ("Genève", "Lausanne", "Zurich", "Bâle", "Neuchâtel"),
    "LU": ("Luxembourg", "Esch-sur-Alzette"),
    "MC": ("Monaco",),
    "CA": ("Montréal", "Québec", "Sherbrooke"),
    "DE": ("Berlin", "München", "Hamburg", "Köln", "Stuttgart"),
    "GB": ("London", "Manchester", "Edinburgh", "Bristol"),
    "US": ("Boston", "Austin", "Chicago", "Denver"),
    "ES": ("Madrid", "Barcelona", "Valencia"),
}  # fmt: skip

INDUSTRIES = {
    "Software": 18, "Information Technology": 8, "Consulting": 12, "Telecommunications": 3,
    "Internet": 5, "Retail": 10, "Manufacturing": 14, "Financial Services": 9,
    "Logistics": 6, "Healthcare": 5, "Construction": 5, "Energy": 3, "Food & Beverage": 2,
}  # fmt: skip
"""Relative weight of each industry."""

EMPLOYEES = (5, 8, 12, 18, 25, 40, 60, 85, 120, 180, 250, 400, 600, 900, 1_500, 2_500,
             4_000, 7_000, 12_000, 20_000)  # fmt: skip
"""Company sizes to pick from, small ones more often (see `_employees`)."""

SERVED = frozenset({"FR", "BE", "CH", "LU", "MC", "CA"})
"""Countries the default scoring model serves."""

TARGET_INDUSTRIES = frozenset(
    {"Software", "Telecommunications", "Information Technology", "Internet", "Consulting"}
)
"""Industries of the default model's persona."""


class Profile(StrEnum):
    """How a company behaves on the demo site over the 90 days."""

    HOT = "hot"  # comes back often, reads pricing and case studies, asks for a demo
    RISING = "rising"  # discovered the site in the last weeks and is turning hot now
    COOLING = "cooling"  # was very active two months ago, silent since
    WARM = "warm"  # a few visits, some interest
    COLD = "cold"  # one or two visits
    JOB_SEEKER = "job_seeker"  # careers and jobs pages only
    CUSTOMER = "customer"  # support and login pages: already a customer


PROFILE_COUNTS = {
    Profile.HOT: 16,
    Profile.RISING: 6,
    Profile.COOLING: 8,
    Profile.WARM: 55,
    Profile.JOB_SEEKER: 20,
    Profile.CUSTOMER: 20,
}
"""Companies per profile; the rest are cold."""


@dataclass(frozen=True)
class DemoCompany:
    name: str
    domain: str
    industry: str
    employees: int
    country: str
    city: str
    network: ipaddress.IPv4Network
    network6: ipaddress.IPv6Network | None
    profile: Profile

    @property
    def target(self) -> bool:
        """In a country and an industry of the default model's persona."""
        return self.country in SERVED and self.industry in TARGET_INDUSTRIES

    @property
    def excluded(self) -> bool:
        """In a country the default model does not serve."""
        return self.country not in SERVED


def demo_companies(count: int = COMPANY_COUNT, seed: int = SEED) -> list[DemoCompany]:
    """The demo's companies, the same for the same `count` and `seed`."""
    rng = random.Random(seed)
    names = NameMaker(rng)
    networks = _networks(rng, count)
    base6 = int(ipaddress.IPv6Network(COMPANY_BLOCK_V6).network_address)
    companies = []
    for index in range(count):
        country = _weighted(rng, COUNTRIES)
        industry = _weighted(rng, INDUSTRIES)
        city = rng.choice(CITIES[country])
        made = names.make(industry, country, city)
        network6 = None
        if rng.random() < IPV6_SHARE:
            network6 = ipaddress.IPv6Network((base6 + ((index + 1) << 80), 48))
        companies.append(
            DemoCompany(
                name=made.name,
                domain=made.domain,
                industry=industry,
                employees=_employees(rng),
                country=country,
                city=city,
                network=networks[index],
                network6=network6,
                profile=Profile.COLD,
            )
        )
    profiles = _profiles(rng, companies)
    return [
        replace(company, profile=profiles.get(i, Profile.COLD))
        for i, company in enumerate(companies)
    ]


def _weighted(rng: random.Random, weights: dict[str, int]) -> str:
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def _employees(rng: random.Random) -> int:
    # Most businesses are small: a triangular draw leaning to the first sizes.
    return EMPLOYEES[int(rng.triangular(0, len(EMPLOYEES), len(EMPLOYEES) * 0.25))]


def _networks(rng: random.Random, count: int) -> list[ipaddress.IPv4Network]:
    subnets = [
        subnet
        for block in COMPANY_BLOCKS_V4
        for subnet in ipaddress.IPv4Network(block).subnets(new_prefix=24)
    ]
    return rng.sample(subnets, count)


def _profiles(rng: random.Random, companies: Sequence[DemoCompany]) -> dict[int, Profile]:
    """Give the intent profiles out: hot and rising ones to companies of the
    persona's countries and industries (and two hot ones abroad, to show the
    exclusion), the others at random. Companies left out are cold."""
    order = list(range(len(companies)))
    rng.shuffle(order)
    fit = [i for i in order if companies[i].target]
    abroad = [i for i in order if companies[i].country not in SERVED]
    chosen: dict[int, Profile] = {}
    picks = [
        (Profile.HOT, abroad[:2]),
        (Profile.HOT, fit),
        (Profile.RISING, fit),
        (Profile.COOLING, order),
        (Profile.WARM, order),
        (Profile.JOB_SEEKER, order),
        (Profile.CUSTOMER, order),
    ]
    for profile, pool in picks:
        wanted = PROFILE_COUNTS[profile] - sum(1 for p in chosen.values() if p is profile)
        for index in (i for i in pool if i not in chosen):
            if wanted <= 0:
                break
            chosen[index] = profile
            wanted -= 1
    return chosen
