"""The engine: an account's facts and activity in, its score and explanation out.

    engagement = Σ rule points × 0.5^(age_days / half_life_days), events in the window,
                 each page/event rule at most once per `per` period,
               + visit points and the first matching source rule per visit (decayed alike)
               + min(points_per_day × active days, max)
    fit        = best persona's points × (weight of its conditions met / total weight)
               + Σ matching fit rules
    score      = round(fit + engagement), tier from the thresholds

Pure and deterministic: `now` is a parameter, nothing is read from outside.
"""

from __future__ import annotations

import fnmatch
import re
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, NamedTuple

from scoring.model import Condition, Model, Persona
from scoring.tiers import Tier

SECONDS_PER_DAY = 86_400.0

RULE_MEMO_SIZE = 20_000
"""Distinct (type, path, name) remembered per model; past that the memo starts over."""


class VisitFacts(NamedTuple):
    visit_id: int
    started_at: datetime
    utm_source: str | None = None
    utm_medium: str | None = None
    utm_campaign: str | None = None
    referrer_host: str | None = None


class EventFacts(NamedTuple):
    visit_id: int
    occurred_at: datetime
    type: str
    path: str = "/"
    name: str | None = None


@dataclass(frozen=True)
class Contribution:
    label: str
    points: float


@dataclass(frozen=True)
class ScoreResult:
    score: int
    fit: float
    engagement: float
    tier: Tier
    contributions: tuple[Contribution, ...]
    persona: str | None = None


def score(
    model: Model,
    account: Mapping[str, Any],
    visits: Sequence[VisitFacts],
    events: Sequence[EventFacts],
    now: datetime,
) -> ScoreResult:
    """Score one account. `account` maps firmographic fields to values."""
    parts: dict[str, float] = defaultdict(float)
    engagement = _engagement(model, visits, events, now, parts)
    fit, persona = _fit(model, account, parts)
    total = round(fit + engagement)
    contributions = tuple(
        sorted(
            (
                Contribution(label, round(points, 1))
                for label, points in parts.items()
                if round(points, 1)
            ),
            key=lambda c: (-abs(c.points), c.label),
        )
    )
    return ScoreResult(
        total, round(fit, 2), round(engagement, 2), tier_of(model, total), contributions, persona
    )


def tier_of(model: Model, value: float) -> Tier:
    if value >= model.hot:
        return Tier.HOT
    if value >= model.warm:
        return Tier.WARM
    return Tier.COLD


def _engagement(
    model: Model,
    visits: Sequence[VisitFacts],
    events: Sequence[EventFacts],
    now: datetime,
    parts: dict[str, float],
) -> float:
    since = now - timedelta(days=model.window_days)
    weight = _decay_weight(now, model.half_life_days)
    total = 0.0
    for visit in visits:
        if not since <= visit.started_at <= now:
            continue
        if model.visit_points:
            total += _add(parts, "Visits", model.visit_points * weight(visit.started_at))
        source = next(
            (rule for rule in model.sources if _source_matches(rule.patterns, visit)), None
        )
        if source is not None:
            total += _add(parts, source.label, source.points * weight(visit.started_at))
    awarded: set[tuple[str, int, Any]] = set()
    in_window = [e for e in events if since <= e.occurred_at <= now]
    in_window.sort(key=_occurred_at, reverse=True)  # the most recent occurrence counts
    rules = model.rule_memo  # pages repeat, within an account and across accounts
    for event in in_window:
        slot = (event.type, event.path, event.name)
        rule = rules.get(slot, _UNSEEN)
        if rule is _UNSEEN:
            if len(rules) >= RULE_MEMO_SIZE:
                rules.clear()
            rule = rules[slot] = _rule_for(model, event)
        if rule is None:
            continue
        kind, index, points, per, label = rule
        key = (kind, index, _period(per, event))
        if key in awarded:
            continue
        awarded.add(key)
        total += _add(parts, label, points * weight(event.occurred_at))
    if model.frequency is not None:
        frequency = model.frequency
        days = {
            v.started_at.date()
            for v in visits
            if now - timedelta(days=frequency.window_days) <= v.started_at <= now
        }
        points = min(frequency.points_per_day * len(days), frequency.max)
        total += _add(parts, f"Came back on {len(days)} day(s)", points)
    return total


_UNSEEN = object()


def _occurred_at(event: EventFacts) -> datetime:
    return event.occurred_at


def _decay_weight(now: datetime, half_life_days: float):  # type: ignore[no-untyped-def]
    """The factor `decay` applies to one point at a given time, as a function."""
    if half_life_days <= 0:
        return lambda _when: 1.0
    halvings_per_second = 1.0 / (half_life_days * SECONDS_PER_DAY)

    def weight(when: datetime) -> float:
        age = (now - when).total_seconds()
        return 0.5 ** (age * halvings_per_second) if age > 0 else 1.0

    return weight


def _rule_for(model: Model, event: EventFacts) -> tuple[str, int, float, str, str] | None:
    """The first page rule for a pageview's path, or the first event rule for an event."""
    if event.type == "pageview":
        path = re.split(r"[?#]", event.path, maxsplit=1)[0] or "/"
        for index, page in enumerate(model.pages):
            if fnmatch.fnmatchcase(path, page.match):
                return "page", index, page.points, page.per, page.label
    elif event.type == "event" and event.name:
        for index, rule in enumerate(model.events):
            if rule.name == event.name:
                return "event", index, rule.points, rule.per, rule.label
    return None


def _period(per: str, event: EventFacts) -> Any:
    if per == "visit":
        return event.visit_id
    if per == "day":
        return event.occurred_at.date()
    return None


def _source_matches(patterns: Mapping[str, str], visit: VisitFacts) -> bool:
    for key, pattern in patterns.items():
        value = getattr(visit, key) or ""
        if not fnmatch.fnmatchcase(value.lower(), pattern.lower()):
            return False
    return True


def _add(parts: dict[str, float], label: str, points: float) -> float:
    parts[label] += points
    return points


def _fit(
    model: Model, account: Mapping[str, Any], parts: dict[str, float]
) -> tuple[float, str | None]:
    total = 0.0
    best = _best_persona(model.personas, account)
    persona_name = None
    if best is not None:
        persona, points, unmet = best
        persona_name = persona.name
        met = len(persona.conditions) - len(unmet)
        label = f"Persona {persona.name}, {met} of {len(persona.conditions)}"
        if unmet:
            label += ": " + "; ".join(unmet)
        total += _add(parts, label, points)
    for rule in model.fits:
        if condition_met(rule.condition, account):
            total += _add(parts, rule.label, rule.points)
    return total, persona_name


def _best_persona(personas: Iterable[Persona], account: Mapping[str, Any]):  # type: ignore[no-untyped-def]
    best = None
    for persona in personas:
        weights = sum(c.weight for c in persona.conditions) or 1.0
        met = [c for c in persona.conditions if condition_met(c, account)]
        points = persona.points * sum(c.weight for c in met) / weights
        unmet = [describe_unmet(c, account) for c in persona.conditions if c not in met]
        if best is None or points > best[1]:
            best = (persona, points, unmet)
    return best


def condition_met(condition: Condition, account: Mapping[str, Any]) -> bool:
    """Whether the account's field satisfies the condition; a missing field never does."""
    value = account.get(condition.field)
    if value is None or value == "":
        return False
    operator, expected = condition.operator, condition.value
    if operator == "equals":
        return _same(value, expected)
    if operator == "in":
        return any(_same(value, item) for item in expected)
    if operator == "not_in":
        return not any(_same(value, item) for item in expected)
    if operator in ("min", "max", "between"):
        if not isinstance(value, int | float) or isinstance(value, bool):
            return False
        low, high = (
            expected
            if operator == "between"
            else ((expected, None) if operator == "min" else (None, expected))
        )
        return (low is None or value >= low) and (high is None or value <= high)
    if operator == "matches":
        return re.search(str(expected), str(value), re.IGNORECASE) is not None
    return False


def describe_unmet(condition: Condition, account: Mapping[str, Any]) -> str:
    value = account.get(condition.field)
    if value is None or value == "":
        return f"{condition.field} unknown"
    expected = condition.value
    if condition.operator == "between":
        low, high = expected
        return (
            f"{condition.field} {value} < {low:g}"
            if value < low
            else f"{condition.field} {value} > {high:g}"
        )
    if condition.operator == "min":
        return f"{condition.field} {value} < {expected:g}"
    if condition.operator == "max":
        return f"{condition.field} {value} > {expected:g}"
    if condition.operator == "in":
        return f"{condition.field} {value} not in {', '.join(map(str, expected))}"
    if condition.operator == "not_in":
        return f"{condition.field} {value} excluded"
    return f"{condition.field} {value} ≠ {expected}"


def _same(value: Any, expected: Any) -> bool:
    if isinstance(value, str) and isinstance(expected, str):
        return value.casefold() == expected.casefold()
    return value == expected
