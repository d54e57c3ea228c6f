"""The scoring model: a TOML file read into frozen dataclasses, checked field by field.

`parse_model(text)` returns a `Model` or raises `ModelError` listing every
problem as `line N: page[2].points: must be a number` (rules are numbered from
1 in the order of the file, lines are the file's own).
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from scoring.lead_model import LeadRules, read_lead_rules
from scoring.model_reader import WHOLE_FILE, ModelReader, Span

PERIODS = ("visit", "day", "ever")
OPERATORS = ("equals", "in", "not_in", "min", "max", "matches")
SOURCE_KEYS = ("utm_source", "utm_medium", "utm_campaign", "referrer_host")


class ModelError(ValueError):
    """The model cannot be used; `problems` are (line or None, message) pairs."""

    def __init__(self, problems: list[tuple[int | None, str]]) -> None:
        self.problems = problems
        super().__init__(
            "\n".join(f"line {line}: {text}" if line else text for line, text in problems)
        )


@dataclass(frozen=True)
class Condition:
    field: str
    operator: str
    value: Any
    weight: float = 1.0
    label: str = ""


@dataclass(frozen=True)
class PageRule:
    match: str
    points: float
    per: str = "visit"
    label: str = ""


@dataclass(frozen=True)
class EventRule:
    name: str
    points: float
    per: str = "visit"
    label: str = ""


@dataclass(frozen=True)
class SourceRule:
    patterns: Mapping[str, str]
    points: float
    label: str = ""


@dataclass(frozen=True)
class Persona:
    name: str
    points: float
    conditions: tuple[Condition, ...]
    roles: tuple[str, ...] = ()


@dataclass(frozen=True)
class FitRule:
    condition: Condition
    points: float
    label: str = ""


@dataclass(frozen=True)
class Frequency:
    window_days: int = 30
    points_per_day: float = 0.0
    max: float = 0.0


@dataclass(frozen=True)
class Model:
    warm: float
    hot: float
    window_days: int = 90
    half_life_days: float = 30.0
    visit_points: float = 0.0
    frequency: Frequency | None = None
    pages: tuple[PageRule, ...] = ()
    events: tuple[EventRule, ...] = ()
    sources: tuple[SourceRule, ...] = ()
    personas: tuple[Persona, ...] = ()
    fits: tuple[FitRule, ...] = ()
    roles: tuple[str, ...] = field(default=())
    leads: LeadRules | None = None
    """The `[leads]` section (`scoring.lead_model`); None when the file has none."""
    customers_hot: bool = True
    """`[tiers] customers_hot = false`: an account its CRM calls a customer is
    warm at most, so hot stays for new business (customers: the expansion lane)."""


def default_model_text() -> str:
    """The shipped default model, as TOML."""
    from importlib import resources

    return resources.files("scoring").joinpath("default_model.toml").read_text("utf-8")


def parse_model(text: str) -> Model:
    """Read and check a model. :raise ModelError: with every problem found."""
    try:
        document = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        found = re.search(r"line (\d+)", str(error))
        raise ModelError([(int(found.group(1)) if found else None, str(error))]) from None
    reader = _Reader(text)
    model = reader.model(document)
    if reader.problems:
        raise ModelError(reader.problems)
    assert model is not None
    return model


class _Reader(ModelReader):
    """The account sections of the model, read with the shared checks."""

    def model(self, document: Mapping[str, Any]) -> Model | None:
        self.known_keys(
            document,
            {
                "tiers",
                "engagement",
                "visit",
                "frequency",
                "page",
                "event",
                "source",
                "persona",
                "fit",
                "leads",
            },
            "model",
            "",
            None,
        )
        tiers = document.get("tiers", {})
        warm = self.setting(tiers, "tiers", "warm")
        hot = self.setting(tiers, "tiers", "hot")
        if warm >= hot:
            self.fail("tiers.hot", "must be above tiers.warm", self.line_of("tiers", None, "hot"))
        customers_hot = tiers.get("customers_hot", True)
        if not isinstance(customers_hot, bool):
            where = self.line_of("tiers", None, "customers_hot")
            self.fail("tiers.customers_hot", "must be true or false", where)
        engagement = document.get("engagement", {})
        window = self.setting(engagement, "engagement", "window_days", 90, 1)
        half_life = self.setting(engagement, "engagement", "half_life_days", 30, 0)
        visit_points = self.setting(document.get("visit", {}), "visit", "points", 0)
        frequency = self.frequency(document.get("frequency"))
        pages = tuple(self.page(raw, i) for i, raw in enumerate(document.get("page", []), 1))
        events = tuple(self.event(raw, i) for i, raw in enumerate(document.get("event", []), 1))
        sources = tuple(self.source(raw, i) for i, raw in enumerate(document.get("source", []), 1))
        personas = tuple(
            self.persona(raw, i) for i, raw in enumerate(document.get("persona", []), 1)
        )
        fits = tuple(self.fit(raw, i) for i, raw in enumerate(document.get("fit", []), 1))
        roles = tuple(dict.fromkeys(role for persona in personas for role in persona.roles))
        return Model(
            warm=warm,
            hot=hot,
            window_days=int(window),
            half_life_days=half_life,
            visit_points=visit_points,
            frequency=frequency,
            pages=pages,
            events=events,
            sources=sources,
            personas=personas,
            fits=fits,
            roles=roles,
            leads=read_lead_rules(self, document.get("leads")),
            customers_hot=customers_hot is not False,
        )

    def frequency(self, raw: Mapping[str, Any] | None) -> Frequency | None:
        if raw is None:
            return None
        self.known_keys(
            raw, {"window_days", "points_per_day", "max"}, "frequency", "frequency", None
        )
        return Frequency(
            window_days=int(self.setting(raw, "frequency", "window_days", 30, 1)),
            points_per_day=self.setting(raw, "frequency", "points_per_day", 0),
            max=self.setting(raw, "frequency", "max", 0, 0),
        )

    def per(self, raw: Mapping[str, Any], where: str, table: str, index: int) -> str:
        per = raw.get("per", "visit")
        if per not in PERIODS:
            self.fail(
                f"{where}.per",
                f"must be one of {', '.join(PERIODS)}",
                self.line_of(table, index, "per"),
            )
        return str(per)

    def page(self, raw: Mapping[str, Any], index: int) -> PageRule:
        return PageRule(*self.counted_rule(raw, index, "page", "match", "Page"))

    def event(self, raw: Mapping[str, Any], index: int) -> EventRule:
        return EventRule(*self.counted_rule(raw, index, "event", "name", "Event"))

    def counted_rule(
        self, raw: Mapping[str, Any], index: int, table: str, key: str, kind: str
    ) -> tuple[str, float, str, str]:
        """The fields of a `[[page]]` or `[[event]]` rule, in their order: what it
        matches (its `key`), its points, its `per` period and its label
        (`{kind} {what it matches}` when the file gives none)."""
        where = f"{table}[{index}]"
        self.known_keys(raw, {key, "points", "per", "label"}, where, table, index)
        matched = self.text(raw, key, where, self.line_of(table, index, key))
        points = self.number(raw, "points", where, self.line_of(table, index, "points"))
        label = str(raw.get("label") or f"{kind} {matched}")
        return matched, points, self.per(raw, where, table, index), label

    def source(self, raw: Mapping[str, Any], index: int) -> SourceRule:
        where = f"source[{index}]"
        self.known_keys(raw, {*SOURCE_KEYS, "points", "label"}, where, "source", index)
        patterns = {key: str(raw[key]) for key in SOURCE_KEYS if key in raw}
        if not patterns:
            self.fail(
                where, f"give one of {', '.join(SOURCE_KEYS)}", self.line_of("source", index, None)
            )
        label = raw.get("label") or "Source " + ", ".join(f"{k}={v}" for k, v in patterns.items())
        return SourceRule(
            patterns=patterns,
            points=self.number(raw, "points", where, self.line_of("source", index, "points")),
            label=str(label),
        )

    def condition(
        self,
        raw: Mapping[str, Any],
        where: str,
        table: str,
        index: int,
        extra_keys: set[str],
        within: Span = WHOLE_FILE,
    ) -> Condition:
        allowed = {"field", *OPERATORS, "weight", *extra_keys}
        self.known_keys(raw, allowed, where, table, index, within)
        field_name = self.text(raw, "field", where, self.line_of(table, index, "field", within))
        operators = [op for op in OPERATORS if op in raw]
        line = self.line_of(table, index, operators[0] if operators else None, within)
        if len(operators) != 1 and set(operators) != {"min", "max"}:
            self.fail(where, f"give exactly one of {', '.join(OPERATORS)} (or min and max)", line)
            return Condition(field_name, "equals", None)
        if set(operators) == {"min", "max"}:
            low = self.number(raw, "min", where, line)
            high = self.number(raw, "max", where, line)
            return Condition(
                field_name, "between", (low, high), self.number(raw, "weight", where, line, 1, 0)
            )
        operator = operators[0]
        value = raw[operator]
        if operator in ("in", "not_in") and not isinstance(value, list):
            self.fail(f"{where}.{operator}", "must be a list", line)
        elif operator in ("min", "max"):
            value = self.number(raw, operator, where, line)
        elif operator == "matches":
            try:
                re.compile(str(value))
            except re.error as error:
                self.fail(f"{where}.matches", f"not a regular expression ({error})", line)
        return Condition(field_name, operator, value, self.number(raw, "weight", where, line, 1, 0))

    def persona(self, raw: Mapping[str, Any], index: int) -> Persona:
        where = f"persona[{index}]"
        self.known_keys(raw, {"name", "points", "roles", "when"}, where, "persona", index)
        roles = raw.get("roles", [])
        if not isinstance(roles, list) or not all(isinstance(role, str) for role in roles):
            self.fail(
                f"{where}.roles",
                "must be a list of job titles",
                self.line_of("persona", index, "roles"),
            )
            roles = []
        persona_lines = self.span_of("persona", index)
        conditions = tuple(
            self.condition(
                when, f"{where}.when[{number}]", "persona.when", number, set(), persona_lines
            )
            for number, when in enumerate(raw.get("when", []), 1)
        )
        if not conditions:
            self.fail(
                where, "needs at least one [[persona.when]]", self.line_of("persona", index, None)
            )
        return Persona(
            name=self.text(raw, "name", where, self.line_of("persona", index, "name")),
            points=self.number(raw, "points", where, self.line_of("persona", index, "points")),
            conditions=conditions,
            roles=tuple(roles),
        )

    def fit(self, raw: Mapping[str, Any], index: int) -> FitRule:
        where = f"fit[{index}]"
        condition = self.condition(raw, where, "fit", index, {"points", "label"})
        return FitRule(
            condition=condition,
            points=self.number(raw, "points", where, self.line_of("fit", index, "points")),
            label=str(
                raw.get("label") or f"{condition.field} {condition.operator} {condition.value}"
            ),
        )
