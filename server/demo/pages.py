"""The demo site's pages and what a visit reads, by intent.

The paths follow the default scoring model's page rules (`/pricing*`,
`/*demo*`, `/contact*`, `/*case-stud*`, `/*customers*`, `/careers*`,
`/jobs*`, `/support*`, `/login*`), and the events are those the snippet sends
(`download`, `form_submit`, `outbound`) or a site would (`demo_request`,
`webinar_signup`).
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

Page = tuple[str, str]
"""A path and its title."""

HOME: Page = ("/", "Know which companies visit your site")
FEATURES: tuple[Page, ...] = (
    ("/features", "Features"),
    ("/features/account-scoring", "Account scoring"),
    ("/features/integrations", "Integrations: CRM, Slack, webhooks"),
    ("/features/reporting", "Reporting and exports"),
    ("/security", "Security and GDPR"),
)
PRICING: tuple[Page, ...] = (
    ("/pricing", "Pricing – plans for every team"),
    ("/pricing/enterprise", "Enterprise plan"),
)
DEMO: Page = ("/demo", "Book a demo")
CONTACT: tuple[Page, ...] = (("/contact", "Contact us"), ("/contact/sales", "Talk to sales"))
CASE_STUDIES: tuple[Page, ...] = (
    ("/case-studies/regional-distributor-doubles-pipeline", "Case study: a distributor doubles its pipeline"),
    ("/case-studies/industrial-supplier-shortens-sales-cycle", "Case study: an industrial supplier sells faster"),
    ("/case-studies/consulting-firm-finds-hidden-accounts", "Case study: a consulting firm finds hidden accounts"),
    ("/case-studies/saas-scaleup-qualifies-leads", "Case study: a SaaS scale-up qualifies leads"),
)  # fmt: skip
CUSTOMERS: tuple[Page, ...] = (("/customers", "Our customers"),)
BLOG: tuple[Page, ...] = (
    ("/blog", "Blog"),
    ("/blog/account-based-marketing-basics", "Account-based marketing: the basics"),
    ("/blog/lead-scoring-without-cookies", "Lead scoring without cookies"),
    ("/blog/gdpr-and-b2b-analytics", "GDPR and B2B web analytics"),
    ("/blog/sales-and-marketing-alignment", "Aligning sales and marketing on one score"),
    ("/blog/intent-data-explained", "Intent data, explained"),
    ("/blog/how-to-build-an-icp", "How to write your ideal customer profile"),
)
GUIDES: tuple[Page, ...] = (
    ("/resources/guides/b2b-lead-scoring-guide", "Guide: B2B lead scoring"),
    ("/resources/guides/abm-playbook", "The ABM playbook"),
)
WEBINAR: Page = ("/resources/webinars/scoring-model-workshop", "Webinar: build your scoring model")
CAREERS: tuple[Page, ...] = (
    ("/careers", "Careers – join us"),
    ("/careers/account-executive-paris", "Account Executive (Paris)"),
    ("/careers/backend-engineer", "Backend Engineer (Python)"),
)
JOBS: tuple[Page, ...] = (("/jobs/customer-success-manager", "Customer Success Manager"),)
SUPPORT: tuple[Page, ...] = (
    ("/support", "Help centre"),
    ("/support/install-the-snippet", "Install the snippet"),
    ("/support/exports-and-crm-sync", "Exports and CRM sync"),
    ("/support/users-and-roles", "Users and roles"),
)
LOGIN: Page = ("/login", "Sign in")
ABOUT: tuple[Page, ...] = (("/about", "About us"), ("/partners", "Partners"))

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
        pages = [pick((HOME, *FEATURES[:2]))] + rng.sample((*FEATURES, *ABOUT), rng.randint(0, 2))
        return [Step(*page) for page in pages]
    if intent is Intent.CONTENT:
        pages = rng.sample(BLOG[1:], rng.randint(1, 2))
        steps = [Step(*page) for page in pages]
        if chance() < 0.4:
            steps.append(_download(pick(GUIDES), site_url))
        return steps
    if intent is Intent.RESEARCH:
        steps = [Step(*pick((HOME, *FEATURES))), Step(*pick(FEATURES))]
        steps.append(Step(*PRICING[0]))
        if chance() < 0.3:
            steps.append(Step(*pick(CASE_STUDIES)))
        return steps
    if intent is Intent.EVALUATE:
        steps = [Step(*pick(PRICING)), Step(*pick(CASE_STUDIES))]
        if chance() < 0.5:
            steps.append(Step(*pick((*CUSTOMERS, *CASE_STUDIES))))
        if chance() < 0.4:
            steps.append(_download(PRICING[0], site_url))
        if chance() < 0.3:
            steps.append(_download(FEATURES[4], site_url))
        return steps
    if intent is Intent.CONVERT:
        return _convert(rng)
    if intent is Intent.WEBINAR:
        return [Step(*WEBINAR, events=(("webinar_signup", {"webinar": "scoring-model-workshop"}),))]
    if intent is Intent.CAREERS:
        pages = [CAREERS[0], *rng.sample((*CAREERS[1:], *JOBS), rng.randint(1, 2))]
        return [Step(*page) for page in pages]
    return _support(rng)


def _download(page: Page, site_url: str) -> Step:
    path, title = page
    return Step(path, title, events=(("download", {"url": site_url + FILES[path]}),))


def _convert(rng: random.Random) -> list[Step]:
    steps = [Step(*PRICING[0])] if rng.random() < 0.6 else []
    if rng.random() < 0.65:
        plan = rng.choice(PLANS)
        events = (("form_submit", {"form": "demo-request"}), ("demo_request", {"plan": plan}))
        steps.append(Step(*DEMO, events=events))
    else:
        page = rng.choice(CONTACT)
        steps.append(Step(*page, events=(("form_submit", {"form": "contact"}),)))
    return steps


def _support(rng: random.Random) -> list[Step]:
    steps = [Step(*LOGIN)] if rng.random() < 0.6 else []
    steps.extend(Step(*page) for page in rng.sample(SUPPORT, rng.randint(1, 2)))
    return steps
