"""The model's lead rules: the `[leads]` section of the scoring model file.

A lead is scored from its facts alone (see `scoring.leads`): points per
e-mail class and phone class, per phone country, per country and language
(each listed value with its points, `other` for the rest, `unknown` when the
lead has none), per keyword rule on the company's homepage title, and lead
tiers. `scoring.model.parse_model` reads the section through `read_lead_rules`
with the same checks and line numbers as the rest of the file.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from scoring.model_reader import ModelReader

EMAIL_CLASSES = ("professional", "free", "role", "disposable", "invalid")
PHONE_CLASSES = ("mobile", "fixed", "voip", "toll_free", "other", "invalid", "missing")
OTHER = "other"
"""Key of the points for a value the table does not list."""
UNKNOWN = "unknown"
"""Key of the points for a lead without the value."""

TWO_LETTERS = re.compile(r"[A-Za-z]{2}")
"""An ISO 3166-1 country code (stored upper case) or ISO 639-1 language code (lower case)."""
SECTION_KEYS = {"tiers", "email", "phone", "phone_country", "country", "language", "keyword"}


@dataclass(frozen=True)
class Accepted:
    """Points per listed value (`FR = 10`), `other` for a value not listed
    (-1000 makes the list an exclusion), `unknown` for a lead without one."""

    points: Mapping[str, float]
    other: float = 0.0
    unknown: float = 0.0


@dataclass(frozen=True)
class KeywordRule:
    """Points once when the company's homepage title holds one of `words`."""

    words: tuple[str, ...]
    points: float
    label: str
    pattern: re.Pattern[str] = field(compare=False, repr=False)
    """The words as one expression over the folded title (see `fold`)."""

    def matches(self, title: str | None) -> bool:
        return bool(title) and self.pattern.search(fold(title or "")) is not None


@dataclass(frozen=True)
class LeadRules:
    """The `[leads]` section. A table the model leaves out gives no points."""

    warm: float = 30.0
    hot: float = 60.0
    email: Mapping[str, float] = field(default_factory=dict)
    """Points per e-mail class (`EMAIL_CLASSES`); a class left out gives none."""
    phone: Mapping[str, float] = field(default_factory=dict)
    """Points per phone class (`PHONE_CLASSES`); a class left out gives none."""
    phone_country: Accepted | None = None
    """Points per phone region; its `unknown` is never used (no phone, no region)."""
    country: Accepted | None = None
    language: Accepted | None = None
    keywords: tuple[KeywordRule, ...] = ()
    memo: dict[tuple[str | None, ...], Any] = field(
        default_factory=dict, init=False, repr=False, compare=False
    )
    """The scorer's cache: the contributions of each combination of facts."""


def fold(text: str) -> str:
    """Lower case without accents: "Éditeur de Logiciels" → "editeur de logiciels"."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


def keyword_pattern(words: tuple[str, ...]) -> re.Pattern[str]:
    """Whole words or phrases of a folded title, any spacing between a phrase's
    words; a final `*` matches the start of a word (`logiciel*` matches "logiciels")."""
    parts = []
    for word in words:
        folded = fold(word.strip())
        phrase = r"\s+".join(re.escape(part) for part in folded.rstrip("*").split())
        parts.append(phrase + (r"\w*" if folded.endswith("*") else ""))
    return re.compile(r"(?<!\w)(?:" + "|".join(parts) + r")(?!\w)")


def read_lead_rules(reader: ModelReader, raw: Any) -> LeadRules | None:
    """The `[leads]` section, or None when the model has none; problems go to
    `reader.fail` with their line."""
    if raw is None:
        return None
    if not isinstance(raw, Mapping):
        reader.fail("leads", "must be a table", reader.line_of("leads", None, None))
        return None
    reader.known_keys(raw, SECTION_KEYS, "leads", "leads", None)
    tiers = _table(reader, raw, "tiers")
    where = "leads.tiers"
    warm = reader.setting(tiers, where, "warm", 30)
    hot = reader.setting(tiers, where, "hot", 60)
    if warm >= hot:
        reader.fail(
            f"{where}.hot", "must be above leads.tiers.warm", reader.line_of(where, None, "hot")
        )
    return LeadRules(
        warm=warm,
        hot=hot,
        email=_classes(reader, _table(reader, raw, "email"), "email", EMAIL_CLASSES),
        phone=_classes(reader, _table(reader, raw, "phone"), "phone", PHONE_CLASSES),
        phone_country=_accepted(reader, raw, "phone_country", "a country code", str.upper),
        country=_accepted(reader, raw, "country", "a country code", str.upper),
        language=_accepted(reader, raw, "language", "a language code", str.lower),
        keywords=_keywords(reader, raw.get("keyword", [])),
    )


def _table(reader: ModelReader, raw: Mapping[str, Any], name: str) -> Mapping[str, Any]:
    value = raw.get(name, {})
    if not isinstance(value, Mapping):
        where = f"leads.{name}"
        reader.fail(where, "must be a table", reader.line_of("leads", None, name))
        return {}
    return value


def _classes(
    reader: ModelReader, table: Mapping[str, Any], name: str, classes: tuple[str, ...]
) -> dict[str, float]:
    where = f"leads.{name}"
    reader.known_keys(table, set(classes), where, where, None)
    return {key: reader.setting(table, where, key) for key in classes if key in table}


def _accepted(
    reader: ModelReader, raw: Mapping[str, Any], name: str, kind: str, case: Callable[[str], str]
) -> Accepted | None:
    if name not in raw:
        return None
    table, where = _table(reader, raw, name), f"leads.{name}"
    points: dict[str, float] = {}
    for key in table:
        line = reader.line_of(where, None, key)
        if key in (OTHER, UNKNOWN):
            continue
        if not TWO_LETTERS.fullmatch(key):
            reader.fail(f"{where}.{key}", f"must be {kind}, {OTHER} or {UNKNOWN}", line)
            continue
        points[case(key)] = reader.number(table, key, where, line)
    return Accepted(
        points=points,
        other=reader.setting(table, where, OTHER, 0),
        unknown=reader.setting(table, where, UNKNOWN, 0),
    )


def _keywords(reader: ModelReader, raw: Any) -> tuple[KeywordRule, ...]:
    if not isinstance(raw, list):
        line = reader.line_of("leads", None, "keyword")
        reader.fail("leads.keyword", "must be [[leads.keyword]] tables", line)
        return ()
    rules = []
    for index, item in enumerate(raw, 1):
        where, table = f"leads.keyword[{index}]", "leads.keyword"
        if not isinstance(item, Mapping):
            reader.fail(where, "must be a table", reader.line_of("leads", None, "keyword"))
            continue
        reader.known_keys(item, {"words", "points", "label"}, where, table, index)
        words = item.get("words")
        if (
            not isinstance(words, list)
            or not words
            or not all(isinstance(word, str) and word.strip(" *") for word in words)
        ):
            reader.fail(
                f"{where}.words", "must be a list of words", reader.line_of(table, index, "words")
            )
            words = []
        points = reader.number(item, "points", where, reader.line_of(table, index, "points"))
        label = item.get("label") or "Homepage title: " + ", ".join(words)
        rules.append(KeywordRule(tuple(words), points, str(label), keyword_pattern(tuple(words))))
    return tuple(rules)
