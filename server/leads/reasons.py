"""Lead score explanations and classes worded for the reader, in their language.

`scoring.leads` stores each contribution with its reason and detail in English
(`LeadContribution.as_dict`); the Leads page words them at render time, as
`server/accounts/reasons.py` does for accounts. A keyword rule's label is the
model's own text and is shown as written, the shipped one translated.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, NamedTuple

from flask_babel import gettext
from flask_babel import lazy_gettext as _l


class ClassWords(NamedTuple):
    """A lead's e-mail or phone class in words (lazy strings, worded when shown)."""

    name: object
    """As the class column shows it."""
    reason: object
    """As a reason for the lead's score."""


EMAIL_CLASSES = {
    "professional": ClassWords(_l("professional"), _l("Professional e-mail")),
    "free": ClassWords(_l("personal mailbox"), _l("Personal mailbox (webmail or ISP)")),
    "role": ClassWords(_l("shared inbox"), _l("Shared inbox (contact@, info@…)")),
    "disposable": ClassWords(_l("disposable"), _l("Disposable e-mail")),
    "invalid": ClassWords(_l("invalid"), _l("Invalid e-mail")),
}
PHONE_CLASSES = {
    "mobile": ClassWords(_l("mobile"), _l("Mobile phone")),
    "fixed": ClassWords(_l("fixed line"), _l("Fixed-line phone")),
    "voip": ClassWords(_l("VoIP"), _l("VoIP phone")),
    "toll_free": ClassWords(_l("toll-free"), _l("Toll-free number")),
    "other": ClassWords(_l("other"), _l("Other phone number")),
    "invalid": ClassWords(_l("invalid"), _l("Invalid phone number")),
    "missing": ClassWords("—", _l("No phone number")),
}
SOURCES = {
    "column": _l("from the list"),
    "phone": _l("from the phone"),
    "email_domain": _l("from the e-mail domain"),
    "homepage": _l("from the homepage"),
}
DEFAULT_MODEL_LABELS = {"Software company": _l("Software company")}
"""The keyword labels of `scoring/default_model.toml`, for translation."""


def email_class_name(value: str | None) -> str:
    return _class_name(EMAIL_CLASSES, value)


def phone_class_name(value: str | None) -> str:
    return _class_name(PHONE_CLASSES, value)


def _class_name(classes: Mapping[str, ClassWords], value: str | None) -> str:
    """The class's name; an unknown class as stored, none as a dash."""
    words = classes.get(value or "")
    return str(words.name) if words is not None else value or "—"


def describe_lead_reason(item: Mapping[str, Any]) -> str:
    """One stored contribution in the reader's language; its English label
    when its reason is not one this module words."""
    reason = item.get("reason")
    label = str(item.get("label", ""))
    if reason == "email":
        return _class_reason(EMAIL_CLASSES, item.get("email_class"), label)
    if reason == "phone":
        return _class_reason(PHONE_CLASSES, item.get("phone_class"), label)
    if reason == "phone_country":
        text = gettext("Phone in %(country)s", country=item.get("country"))
        return text if item.get("listed") else gettext("%(what)s (not listed)", what=text)
    if reason in ("country", "language"):
        return _accepted(reason, item)
    if reason == "keyword":
        return str(DEFAULT_MODEL_LABELS.get(label, label))
    return label


def _class_reason(classes: Mapping[str, ClassWords], value: Any, label: str) -> str:
    words = classes.get(value or "")
    return str(words.reason) if words is not None else label


def _accepted(reason: str, item: Mapping[str, Any]) -> str:
    value = item.get(reason)
    if value is None:
        return gettext("Country unknown") if reason == "country" else gettext("Language unknown")
    if reason == "country":
        text = gettext("Country %(value)s", value=value)
    else:
        text = gettext("Language %(value)s", value=value)
    source = SOURCES.get(item.get("source") or "")
    if source is not None:
        text = f"{text} ({source})"
    return text if item.get("listed") else gettext("%(what)s, not accepted", what=text)
