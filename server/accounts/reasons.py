"""Score explanations worded for the reader, in their language.

The engine stores each contribution with its reason and the numbers behind
it (`scoring.engine.Contribution.as_dict`); this module words them at render
time, for the dashboard, the CSV export and the API. A rule's label is the
model's own text: labels of the shipped default model are translated, an
organisation's own labels are shown as written. Explanations stored before
contributions carried a reason are shown by their English label.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from flask_babel import format_decimal, gettext, ngettext
from flask_babel import lazy_gettext as _l

DEFAULT_MODEL_LABELS = (
    _l("Pricing page"),
    _l("Demo page"),
    _l("Contact page"),
    _l("Case study"),
    _l("Customer stories"),
    _l("Careers page (job seeker?)"),
    _l("Jobs page (job seeker?)"),
    _l("Support page (customer already?)"),
    _l("Login page (customer already?)"),
    _l("Downloaded a document"),
    _l("Submitted a form"),
    _l("Asked for a demo"),
    _l("Signed up for a webinar"),
    _l("Came from an e-mail"),
    _l("Came from a paid ad"),
    _l("Country not served"),
    _l("Mid-market B2B"),
)
"""The labels and persona names of `scoring/default_model.toml`, for translation."""

WHY_CONTRIBUTIONS = 3
"""Contributions named in an account's one-line `why` (the largest ones)."""

FIELD_NAMES = {
    "industry": _l("industry"),
    "employees": _l("employees"),
    "revenue_band": _l("revenue band"),
    "country": _l("country"),
    "city": _l("city"),
    "domain": _l("domain"),
    "name": _l("name"),
}


def why_text(explanation: Sequence[dict[str, Any]], limit: int = WHY_CONTRIBUTIONS) -> str:
    """The largest contributions of an explanation as one line, in the current
    language: "Pricing page +20; Visits +6"."""
    largest = sorted(explanation, key=lambda item: -abs(float(item.get("points", 0))))[:limit]
    return "; ".join(f"{describe(item)} {signed(item.get('points', 0))}" for item in largest)


def signed(points: float) -> str:
    """Points with their sign, in the current language: "+20", "-2.5" ("-2,5" in French)."""
    value = round(float(points), 1)
    return format_decimal(value, "+0.#;-0.#")


def describe(item: Mapping[str, Any]) -> str:
    """One stored contribution as a sentence in the current language."""
    reason = item.get("reason")
    if reason == "visits":
        return gettext("Visits")
    if reason == "frequency":
        days = int(item.get("days", 0))
        return ngettext("Came back on %(num)d day", "Came back on %(num)d days", days)
    if reason == "persona":
        return describe_persona(item)
    return gettext(str(item.get("label", "")))  # the model's own words, or the default's


def is_persona(item: Mapping[str, Any]) -> bool:
    """Whether the contribution is the best persona's fit (also in explanations
    stored before contributions carried a reason)."""
    reason = item.get("reason")
    return reason == "persona" or (reason is None and str(item.get("label")).startswith("Persona "))


def describe_persona(item: Mapping[str, Any]) -> str:
    """ "Persona NAME, 2 of 3: employees 12 < 50" in the current language."""
    text = gettext(
        "Persona %(name)s, %(met)s of %(total)s",
        name=gettext(str(item.get("persona", ""))),
        met=item.get("met", 0),
        total=item.get("total", 0),
    )
    unmet = [describe_unmet(condition) for condition in item.get("unmet") or ()]
    return f"{text}: {'; '.join(unmet)}" if unmet else text


def describe_unmet(condition: Mapping[str, Any]) -> str:
    """A persona condition the account misses, e.g. "employees 12 < 50"."""
    name = str(condition.get("field", ""))
    field = str(FIELD_NAMES.get(name, name))
    value, expected = _value(condition.get("value")), condition.get("expected")
    miss = condition.get("miss")
    if miss == "unknown":
        return gettext("%(field)s unknown", field=field)
    if miss == "below":
        return f"{field} {value} < {_value(expected)}"
    if miss == "above":
        return f"{field} {value} > {_value(expected)}"
    if miss == "not_in":
        listed = ", ".join(map(str, expected or ()))
        return gettext(
            "%(field)s %(value)s not in %(listed)s", field=field, value=value, listed=listed
        )
    if miss == "excluded":
        return gettext("%(field)s %(value)s excluded", field=field, value=value)
    return f"{field} {value} ≠ {_value(expected)}"


def _value(value: Any) -> str:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return format_decimal(value)
    return str(value)
