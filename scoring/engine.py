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
import weakref
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any, NamedTuple

from scoring.explanation import ScoreContribution
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


class Reason(StrEnum):
    """What a contribution rewards. The engine words it in English (`label`);
    a reader in another language words it from the reason and the `detail`."""

    RULE = "rule"
    """A page, event, source or fit rule: `label` is the model's own."""
    VISITS = "visits"
    """Points per visit."""
    FREQUENCY = "frequency"
    """Distinct active days; detail `days`."""
    PERSONA = "persona"
    """The best persona; detail `persona`, `met`, `total` and `unmet` (see `Unmet`)."""


@dataclass(frozen=True)
class Contribution(ScoreContribution):
    """One reason for an account's score; a model rule's unless `reason` says otherwise."""

    reason: Reason = Reason.RULE


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
    parts = _Parts()
    engagement = _engagement(model, visits, events, now, parts)
    fit, persona = _fit(model, account, parts)
    total = round(fit + engagement)
    contributions = tuple(
        sorted(
            (
                Contribution(label, round(points, 1), *parts.reasons[label])
                for label, points in parts.points.items()
                if round(points, 1)
            ),
            key=lambda c: (-abs(c.points), c.label),
        )
    )
    tier = tier_of(model, total)
    if tier is Tier.HOT and not model.customers_hot and account.get("crm_customer"):
        tier = Tier.WARM  # the CRM's customer: expansion, not a new hot account
    return ScoreResult(total, round(fit, 2), round(engagement, 2), tier, contributions, persona)


def reached_at(
    model: Model,
    account: Mapping[str, Any],
    visits: Sequence[VisitFacts],
    events: Sequence[EventFacts],
    threshold: float,
    after: datetime | None,
    until: datetime,
) -> datetime | None:
    """The first moment in (`after`, `until`] the account's score reached
    `threshold`: the time of the visit or event that took it there.

    None when no activity in that span reached it (a score raised by its fit
    alone, or no activity at all). The score only rises with activity and
    decays in between, so it is looked at at each visit's and event's time.
    """
    moments = sorted(
        {v.started_at for v in visits if _within(v.started_at, after, until)}
        | {e.occurred_at for e in events if _within(e.occurred_at, after, until)}
    )
    for moment in moments:
        if score(model, account, visits, events, moment).score >= threshold:
            return moment
    return None


def _within(moment: datetime, after: datetime | None, until: datetime) -> bool:
    return (after is None or moment > after) and moment <= until


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
    parts: _Parts,
) -> float:
    since = now - timedelta(days=model.window_days)
    weight = _decay_weight(now, model.half_life_days)
    total = 0.0
    for visit in visits:
        if not since <= visit.started_at <= now:
            continue
        if model.visit_points:
            points = model.visit_points * weight(visit.started_at)
            total += parts.add("Visits", points, Reason.VISITS)
        source = next(
            (rule for rule in model.sources if _source_matches(rule.patterns, visit)), None
        )
        if source is not None:
            total += parts.add(source.label, source.points * weight(visit.started_at))
    awarded: set[tuple[str, int, Any]] = set()
    in_window = [e for e in events if since <= e.occurred_at <= now]
    in_window.sort(key=_occurred_at, reverse=True)  # the most recent occurrence counts
    rules = _RULE_MEMOS.of(model)  # pages repeat, within an account and across accounts
    for event in in_window:
        slot = (event.type, event.path, event.name)
        if slot in rules:
            rule = rules[slot]
        else:
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
        total += parts.add(label, points * weight(event.occurred_at))
    if model.frequency is not None:
        frequency = model.frequency
        days = {
            v.started_at.date()
            for v in visits
            if now - timedelta(days=frequency.window_days) <= v.started_at <= now
        }
        points = min(frequency.points_per_day * len(days), frequency.max)
        label = f"Came back on {len(days)} day(s)"
        total += parts.add(label, points, Reason.FREQUENCY, {"days": len(days)})
    return total


RuleFound = tuple[str, int, float, str, str] | None
"""What `_rule_for` answers: (kind, index, points, per, label), or None for no rule."""


class _RuleMemos:
    """The rule found for each (type, path, name), one memo per model while it lives.

    Kept beside the models rather than on them, so a `Model` stays a frozen
    value: a memo is keyed by the model's identity and dropped when the model is
    garbage-collected.
    """

    def __init__(self) -> None:
        self._by_model: dict[int, dict[tuple[str, str, str | None], RuleFound]] = {}

    def of(self, model: Model) -> dict[tuple[str, str, str | None], RuleFound]:
        key = id(model)
        memo = self._by_model.get(key)
        if memo is None:
            memo = self._by_model[key] = {}
            weakref.finalize(model, self._by_model.pop, key, None)
        return memo

    def size(self, model: Model) -> int:
        return len(self._by_model.get(id(model), ()))

    def __len__(self) -> int:
        return len(self._by_model)


_RULE_MEMOS = _RuleMemos()


def remembered_rules(model: Model) -> int:
    """How many (type, path, name) the engine remembers the rule of for `model`."""
    return _RULE_MEMOS.size(model)


def models_remembered() -> int:
    """How many models the engine holds a rule memo for (those still alive)."""
    return len(_RULE_MEMOS)


def _occurred_at(event: EventFacts) -> datetime:
    return event.occurred_at


def _decay_weight(now: datetime, half_life_days: float) -> Callable[[datetime], float]:
    """The factor `decay` applies to one point at a given time, as a function."""
    if half_life_days <= 0:
        return lambda _when: 1.0
    halvings_per_second = 1.0 / (half_life_days * SECONDS_PER_DAY)

    def weight(when: datetime) -> float:
        age = (now - when).total_seconds()
        return 0.5 ** (age * halvings_per_second) if age > 0 else 1.0

    return weight


def _rule_for(model: Model, event: EventFacts) -> RuleFound:
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


class _Parts:
    """Points summed per label, with each label's reason and detail."""

    def __init__(self) -> None:
        self.points: dict[str, float] = defaultdict(float)
        self.reasons: dict[str, tuple[Reason, Mapping[str, Any]]] = {}

    def add(
        self,
        label: str,
        points: float,
        reason: Reason = Reason.RULE,
        detail: Mapping[str, Any] | None = None,
    ) -> float:
        self.points[label] += points
        self.reasons.setdefault(label, (reason, detail or {}))
        return points


def _fit(model: Model, account: Mapping[str, Any], parts: _Parts) -> tuple[float, str | None]:
    total = 0.0
    best = _best_persona(model.personas, account)
    persona_name = None
    if best is not None:
        persona, points, unmet = best
        persona_name = persona.name
        met = len(persona.conditions) - len(unmet)
        label = f"Persona {persona.name}, {met} of {len(persona.conditions)}"
        if unmet:
            label += ": " + "; ".join(english_unmet(item) for item in unmet)
        detail = {
            "persona": persona.name,
            "met": met,
            "total": len(persona.conditions),
            "unmet": [item._asdict() for item in unmet],
        }
        total += parts.add(label, points, Reason.PERSONA, detail)
    for rule in model.fits:
        if condition_met(rule.condition, account):
            total += parts.add(rule.label, rule.points)
    return total, persona_name


def _best_persona(
    personas: Iterable[Persona], account: Mapping[str, Any]
) -> tuple[Persona, float, list[Unmet]] | None:
    """The persona worth the most points for `account`, its points and unmet conditions."""
    best: tuple[Persona, float, list[Unmet]] | None = None
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


class Unmet(NamedTuple):
    """A persona condition the account misses: its field, the account's value
    (None when unknown), how it misses (`unknown`, `below`, `above`, `not_in`,
    `excluded`, `differs`) and what was expected."""

    field: str
    value: Any
    miss: str
    expected: Any = None


def describe_unmet(condition: Condition, account: Mapping[str, Any]) -> Unmet:
    value = account.get(condition.field)
    name, expected = condition.field, condition.value
    if value is None or value == "":
        return Unmet(name, None, "unknown")
    if condition.operator == "between":
        low, high = expected
        return (
            Unmet(name, value, "below", low) if value < low else Unmet(name, value, "above", high)
        )
    if condition.operator == "min":
        return Unmet(name, value, "below", expected)
    if condition.operator == "max":
        return Unmet(name, value, "above", expected)
    if condition.operator == "in":
        return Unmet(name, value, "not_in", list(expected))
    if condition.operator == "not_in":
        return Unmet(name, value, "excluded")
    return Unmet(name, value, "differs", expected)


def english_unmet(unmet: Unmet) -> str:
    """An unmet condition in English, e.g. "employees 12 < 50"."""
    name, value, expected = unmet.field, unmet.value, unmet.expected
    if unmet.miss == "unknown":
        return f"{name} unknown"
    if unmet.miss == "below":
        return f"{name} {value} < {expected:g}"
    if unmet.miss == "above":
        return f"{name} {value} > {expected:g}"
    if unmet.miss == "not_in":
        return f"{name} {value} not in {', '.join(map(str, expected))}"
    if unmet.miss == "excluded":
        return f"{name} {value} excluded"
    return f"{name} {value} ≠ {expected}"


def _same(value: Any, expected: Any) -> bool:
    if isinstance(value, str) and isinstance(expected, str):
        return value.casefold() == expected.casefold()
    return bool(value == expected)
