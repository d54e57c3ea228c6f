"""Lead scoring: a lead's facts in, its score, tier and explanation out.

    score = email class points + phone class points + phone country points
          + country points + language points + Σ matching homepage keyword rules

each from the model's `[leads]` section (`scoring.lead_model`). The facts come
from `enrich.leads.classify_lead`; any object with the attributes of
`ScorableLead` will do, so this library does not import `enrich`. Pure and
fast: no clock, no IO, a handful of dictionary look-ups per lead.

A lead without a country or a language gets the table's `unknown` points
(0 in the shipped model): absence is not evidence, and the -1000 exclusion
(`other`) is kept for a value known to be outside the accepted list.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from functools import lru_cache
from typing import Any, Protocol

from scoring.explanation import ScoreContribution
from scoring.lead_model import Accepted, LeadRules
from scoring.model import Model, default_model_text, parse_model
from scoring.tiers import Tier


class ScorableLead(Protocol):
    """The facts a lead is scored on (`enrich.leads.LeadFacts` has them all).
    Classes and sources are plain strings or `str` enums."""

    @property
    def email_class(self) -> str: ...
    @property
    def phone_class(self) -> str: ...
    @property
    def phone_region(self) -> str | None: ...
    @property
    def country(self) -> str | None: ...
    @property
    def country_source(self) -> str | None: ...
    @property
    def language(self) -> str | None: ...
    @property
    def language_source(self) -> str | None: ...
    @property
    def homepage_title(self) -> str | None: ...


class LeadReason(StrEnum):
    """What a contribution rewards. Labels are in English; a reader in another
    language words them from the reason and the detail."""

    EMAIL = "email"
    """Detail `email_class`."""
    PHONE = "phone"
    """Detail `phone_class`."""
    PHONE_COUNTRY = "phone_country"
    """Detail `country`, `listed` (false: the table's `other`)."""
    COUNTRY = "country"
    """Detail `country` (None when unknown), `source`, `listed`."""
    LANGUAGE = "language"
    """Detail `language` (None when unknown), `source`, `listed`."""
    KEYWORD = "keyword"
    """A keyword rule: `label` is the model's own; detail `words`."""


@dataclass(frozen=True)
class LeadContribution(ScoreContribution):
    """One reason for a lead's score, shaped like the account engine's
    `Contribution` so explanations are stored and shown alike."""

    reason: LeadReason


@dataclass(frozen=True)
class LeadScore:
    score: int
    tier: Tier
    contributions: tuple[LeadContribution, ...]
    """Largest first (by absolute points); contributions of 0 points are left out."""


EMAIL_LABELS = {
    "professional": "Professional e-mail",
    "free": "Personal mailbox (webmail or ISP)",
    "role": "Shared inbox (contact@, info@…)",
    "disposable": "Disposable e-mail",
    "invalid": "Invalid e-mail",
}
PHONE_LABELS = {
    "mobile": "Mobile phone",
    "fixed": "Fixed-line phone",
    "voip": "VoIP phone",
    "toll_free": "Toll-free number",
    "other": "Other phone number",
    "invalid": "Invalid phone number",
    "missing": "No phone number",
}
SOURCE_WORDS = {
    "column": "from the list",
    "phone": "from the phone",
    "email_domain": "from the e-mail domain",
    "homepage": "from the homepage",
}


def lead_rules(model: Model) -> LeadRules:
    """The model's lead rules; a model without a `[leads]` section scores leads
    with the shipped default model's, so a list is never scored by nothing."""
    return model.leads if model.leads is not None else _default_lead_rules()


@lru_cache(maxsize=1)
def _default_lead_rules() -> LeadRules:
    rules = parse_model(default_model_text()).leads
    assert rules is not None, "the shipped default model has a [leads] section"
    return rules


def score_lead(model: Model, facts: ScorableLead) -> LeadScore:
    """Score one lead with the model's lead rules (see `lead_rules`)."""
    rules = lead_rules(model)
    key = (
        str(facts.email_class),
        str(facts.phone_class),
        facts.phone_region,
        facts.country,
        str(facts.country_source) if facts.country_source else None,
        (facts.language or "").lower() or None,
        str(facts.language_source) if facts.language_source else None,
    )
    memo = rules.memo  # leads share their classes, countries and languages
    parts = memo.get(key)
    if parts is None:
        if len(memo) >= LEAD_MEMO_SIZE:
            memo.clear()
        parts = memo[key] = _fact_contributions(rules, *key)
    if rules.keywords and facts.homepage_title:
        title = facts.homepage_title
        parts = parts + tuple(
            LeadContribution(
                rule.label, rule.points, LeadReason.KEYWORD, {"words": list(rule.words)}
            )
            for rule in rules.keywords
            if rule.matches(title)
        )
    total = round(sum(part.points for part in parts))
    ordered = tuple(sorted((p for p in parts if p.points), key=lambda p: (-abs(p.points), p.label)))
    return LeadScore(total, _tier(rules, total), ordered)


LEAD_MEMO_SIZE = 20_000
"""Distinct combinations of facts remembered per model; past that the memo starts over."""


def _fact_contributions(
    rules: LeadRules,
    email_class: str,
    phone_class: str,
    phone_region: str | None,
    country: str | None,
    country_source: str | None,
    language: str | None,
    language_source: str | None,
) -> tuple[LeadContribution, ...]:
    """Every contribution but the keywords', which read the title."""
    parts = [
        LeadContribution(
            EMAIL_LABELS.get(email_class, email_class),
            rules.email.get(email_class, 0.0),
            LeadReason.EMAIL,
            {"email_class": email_class},
        ),
        LeadContribution(
            PHONE_LABELS.get(phone_class, phone_class),
            rules.phone.get(phone_class, 0.0),
            LeadReason.PHONE,
            {"phone_class": phone_class},
        ),
    ]
    if rules.phone_country is not None and phone_region:
        points, listed = _points(rules.phone_country, phone_region)
        label = f"Phone in {phone_region}" + ("" if listed else " (not listed)")
        detail = {"country": phone_region, "listed": listed}
        parts.append(LeadContribution(label, points, LeadReason.PHONE_COUNTRY, detail))
    if rules.country is not None:
        label, points = _accepted(rules.country, "Country", country, country_source)
        detail = _detail("country", country, country_source, rules.country)
        parts.append(LeadContribution(label, points, LeadReason.COUNTRY, detail))
    if rules.language is not None:
        label, points = _accepted(rules.language, "Language", language, language_source)
        detail = _detail("language", language, language_source, rules.language)
        parts.append(LeadContribution(label, points, LeadReason.LANGUAGE, detail))
    return tuple(parts)


def _points(table: Accepted, value: str | None) -> tuple[float, bool]:
    """(points, whether the value is listed) of a value, None being unknown."""
    if value is None:
        return table.unknown, False
    listed = table.points.get(value)
    return (table.other, False) if listed is None else (listed, True)


def _accepted(
    table: Accepted, noun: str, value: str | None, source: str | None
) -> tuple[str, float]:
    """The label and points of a country or a language: "Country FR (from the
    phone)", "Language de (from the list), not accepted", "Country unknown"."""
    points, listed = _points(table, value)
    if value is None:
        return f"{noun} unknown", points
    label = f"{noun} {value}"
    if source:
        label += f" ({SOURCE_WORDS.get(str(source), str(source))})"
    return (label if listed else label + ", not accepted"), points


def _detail(name: str, value: str | None, source: str | None, table: Accepted) -> dict[str, Any]:
    return {
        name: value,
        "source": str(source) if source else None,
        "listed": value is not None and value in table.points,
    }


def _tier(rules: LeadRules, total: float) -> Tier:
    if total >= rules.hot:
        return Tier.HOT
    if total >= rules.warm:
        return Tier.WARM
    return Tier.COLD
