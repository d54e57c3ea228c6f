"""The demo site's pages and what a visit reads, by intent.

The paths follow the default scoring model's page rules (`/pricing*`,
`/*demo*`, `/contact*`, `/*case-stud*`, `/*customers*`, `/careers*`,
`/jobs*`, `/support*`, `/login*`), and the events are those the snippet sends
(`download`, `form_submit`, `outbound`) or a site would (`demo_request`,
`webinar_signup`).
"""

from __future__ import annotations

import random
import tomllib
from dataclasses import dataclass, field
from enum import StrEnum
from importlib import resources
from typing import Any

Page = tuple[str, str]
"""A path and its title."""

SITE_MAP = "site_map.toml"
"""The demo site's pages by section, a path and a title each (package data)."""


def read_site_map() -> dict[str, tuple[Page, ...]]:
    """Each section of the site map, as (path, title) pairs in their order."""
    text = resources.files(__package__).joinpath(SITE_MAP).read_text(encoding="utf-8")
    return {
        section: tuple((str(path), str(title)) for path, title in rows)
        for section, rows in tomllib.loads(text).items()
    }


PAGES = read_site_map()
"""The site map's sections: `PAGES["features"]`, `PAGES["blog"]`…"""

HOME, DEMO, WEBINAR, LOGIN = (PAGES[name][0] for name in ("home", "demo", "webinar", "login"))

FILES = {
    "/resources/guides/b2b-lead-scoring-guide": "/files/b2b-lead-scoring-guide.pdf",
    "/resources/guides/abm-playbook": "/files/abm-playbook.pdf",
    "/pricing": "/files/pricing-sheet.pdf",
    "/security": "/files/security-whitepaper.pdf",
}
"""The document each page offers for download."""

PLANS = ("starter", "growth", "enterprise")


class Intent(StrEnum):
    """What a visit is about."""

    BROWSE = "browse"
    CONTENT = "content"
    RESEARCH = "research"
    EVALUATE = "evaluate"
    CONVERT = "convert"
    WEBINAR = "webinar"
    CAREERS = "careers"
    SUPPORT = "support"


@dataclass(frozen=True)
class Step:
    """A page read during a visit, and the events sent on it."""

    path: str
    title: str
    events: tuple[tuple[str, dict[str, Any]], ...] = field(default=())


def visit_steps(intent: Intent, rng: random.Random, site_url: str) -> list[Step]:
    """The pages a visit with `intent` reads, in order, with their events."""
    pick = rng.choice
    chance = rng.random
    if intent is Intent.BROWSE:
        pages = [pick((HOME, *PAGES["features"][:2]))] + rng.sample(
            (*PAGES["features"], *PAGES["about"]), rng.randint(0, 2)
        )
        return [Step(*page) for page in pages]
    if intent is Intent.CONTENT:
        pages = rng.sample(PAGES["blog"][1:], rng.randint(1, 2))
        steps = [Step(*page) for page in pages]
        if chance() < 0.4:
            steps.append(_download(pick(PAGES["guides"]), site_url))
        return steps
    if intent is Intent.RESEARCH:
        steps = [Step(*pick((HOME, *PAGES["features"]))), Step(*pick(PAGES["features"]))]
        steps.append(Step(*PAGES["pricing"][0]))
        if chance() < 0.3:
            steps.append(Step(*pick(PAGES["case_studies"])))
        return steps
    if intent is Intent.EVALUATE:
        steps = [Step(*pick(PAGES["pricing"])), Step(*pick(PAGES["case_studies"]))]
        if chance() < 0.5:
            steps.append(Step(*pick((*PAGES["customers"], *PAGES["case_studies"]))))
        if chance() < 0.4:
            steps.append(_download(PAGES["pricing"][0], site_url))
        if chance() < 0.3:
            steps.append(_download(PAGES["features"][4], site_url))
        return steps
    if intent is Intent.CONVERT:
        return _convert(rng)
    if intent is Intent.WEBINAR:
        return [Step(*WEBINAR, events=(("webinar_signup", {"webinar": "scoring-model-workshop"}),))]
    if intent is Intent.CAREERS:
        pages = [
            PAGES["careers"][0],
            *rng.sample((*PAGES["careers"][1:], *PAGES["jobs"]), rng.randint(1, 2)),
        ]
        return [Step(*page) for page in pages]
    return _support(rng)


def _download(page: Page, site_url: str) -> Step:
    path, title = page
    return Step(path, title, events=(("download", {"url": site_url + FILES[path]}),))


def _convert(rng: random.Random) -> list[Step]:
    steps = [Step(*PAGES["pricing"][0])] if rng.random() < 0.6 else []
    if rng.random() < 0.65:
        plan = rng.choice(PLANS)
        events = (("form_submit", {"form": "demo-request"}), ("demo_request", {"plan": plan}))
        steps.append(Step(*DEMO, events=events))
    else:
        page = rng.choice(PAGES["contact"])
        steps.append(Step(*page, events=(("form_submit", {"form": "contact"}),)))
    return steps


def _support(rng: random.Random) -> list[Step]:
    steps = [Step(*LOGIN)] if rng.random() < 0.6 else []
    steps.extend(Step(*page) for page in rng.sample(PAGES["support"], rng.randint(1, 2)))
    return steps
