"""Where the demo's visits come from, and the browsers and bots that make them.

Sources are what the collector sees on a visit's first page: a referrer and
`utm_*` parameters (search engines, LinkedIn, the newsletter, paid campaigns,
or nothing for direct visits). Bots use real crawler user agents from the
`crawler-user-agents` package the collector's bot filter reads.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date
from urllib.parse import urlencode

import crawleruseragents

from server.demo.pages import Intent


@dataclass(frozen=True)
class Source:
    name: str
    referrer: str | None = None
    utm: dict[str, str] = field(default_factory=dict)

    def query(self, day: date) -> str:
        """The entry URL's query string (`?utm_…`), empty for none."""
        utm = {key: value.format(month=f"{day:%Y-%m}") for key, value in self.utm.items()}
        return "?" + urlencode(utm) if utm else ""


DIRECT = Source("direct")
GOOGLE = Source("google", "https://www.google.com/")
GOOGLE_FR = Source("google", "https://www.google.fr/")
BING = Source("bing", "https://www.bing.com/")
DUCKDUCKGO = Source("duckduckgo", "https://duckduckgo.com/")
LINKEDIN = Source("linkedin", "https://www.linkedin.com/feed/")
NEWSLETTER = Source(
    "newsletter",
    utm={"utm_source": "newsletter", "utm_medium": "email", "utm_campaign": "newsletter-{month}"},
)
PAID_SEARCH = Source(
    "paid search",
    "https://www.google.com/",
    {
        "utm_source": "google",
        "utm_medium": "cpc",
        "utm_campaign": "lead-scoring-software",
        "utm_term": "b2b lead scoring",
    },
)
PAID_SOCIAL = Source(
    "paid social",
    "https://www.linkedin.com/",
    {"utm_source": "linkedin", "utm_medium": "paid_social", "utm_campaign": "abm-playbook"},
)

Weights = tuple[tuple[Source, int], ...]

_DISCOVERY: Weights = (
    (GOOGLE, 30), (GOOGLE_FR, 20), (BING, 5), (DUCKDUCKGO, 3), (LINKEDIN, 15),
    (PAID_SEARCH, 10), (PAID_SOCIAL, 8), (NEWSLETTER, 4), (DIRECT, 5),
)  # fmt: skip
_RETURNING: Weights = (
    (DIRECT, 35), (NEWSLETTER, 20), (GOOGLE, 15), (GOOGLE_FR, 10), (PAID_SEARCH, 8),
    (LINKEDIN, 7), (PAID_SOCIAL, 5),
)  # fmt: skip
_FOR_INTENT: dict[Intent, Weights] = {
    Intent.CAREERS: ((GOOGLE, 40), (LINKEDIN, 45), (DIRECT, 15)),
    Intent.SUPPORT: ((DIRECT, 80), (GOOGLE, 20)),
    Intent.CONTENT: (
        (GOOGLE, 30),
        (GOOGLE_FR, 15),
        (LINKEDIN, 25),
        (NEWSLETTER, 20),
        (PAID_SOCIAL, 10),
    ),  # fmt: skip
    Intent.WEBINAR: ((NEWSLETTER, 60), (LINKEDIN, 30), (DIRECT, 10)),
}
"""Intents whose visits come from their own mix of sources."""


def pick_source(rng: random.Random, intent: Intent, first_visit: bool) -> Source:
    """A plausible source for a visit of this intent (first visits discover the site)."""
    weights = _FOR_INTENT.get(intent) or (_DISCOVERY if first_visit else _RETURNING)
    sources, chances = zip(*weights, strict=True)
    return rng.choices(sources, weights=chances)[0]


DESKTOP_AGENTS = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/124.0.0.0 Safari/537.36",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/124.0.0.0 Safari/537.36 Edg/124.0.2478.67",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:125.0) Gecko/20100101 Firefox/125.0",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/124.0.0.0 Safari/537.36",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/17.4.1 Safari/605.1.15",
    "Mozilla/5.0 (X11; Linux x86_64; rv:125.0) Gecko/20100101 Firefox/125.0",
)
MOBILE_AGENTS = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4_1 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.4.1 Mobile/15E148 Safari/604.1",
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/124.0.6367.82 Mobile Safari/537.36",
    "Mozilla/5.0 (Linux; Android 13; SM-S911B) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/124.0.6367.82 Mobile Safari/537.36",
    "Mozilla/5.0 (iPad; CPU OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/17.4 Mobile/15E148 Safari/604.1",
)
HEADLESS_AGENT = (
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "HeadlessChrome/124.0.6367.60 Safari/537.36"
)

CRAWLERS = (
    "Googlebot/", "bingbot/", "AhrefsBot/", "SemrushBot/", "YandexBot/", "Applebot/",
    "DuckDuckBot/", "GPTBot/", "LinkedInBot/", "facebookexternalhit/",
)  # fmt: skip
"""Crawlers the demo's bot traffic impersonates, by the name in their user agent."""


def crawler_agents() -> list[str]:
    """A real user agent of each crawler in `CRAWLERS`, from `crawler-user-agents`,
    and a headless browser."""
    instances = [
        text
        for entry in crawleruseragents.CRAWLER_USER_AGENTS_DATA
        for text in entry.get("instances") or ()
        if "'" not in text
    ]
    agents = [next((text for text in instances if name in text), None) for name in CRAWLERS]
    return [agent for agent in agents if agent] + [HEADLESS_AGENT]
