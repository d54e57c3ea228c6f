"""Lead score explanations and classes worded for the reader, in their language.

`scoring.leads` stores each contribution with its reason and detail in English
(`LeadContribution.as_dict`); the Leads page words them at render time, as
`server/accounts/reasons.py` does for accounts. A keyword rule's label is the
model's own text and is shown as written, the shipped one translated.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask_babel import gettext
from flask_babel import lazy_gettext as _l

EMAIL_CLASS_NAMES = {
    "professional": _l("professional"),
    "free": _l("personal mailbox"),
    "role": _l("shared inbox"),
    "disposable": _l("disposable"),
    "invalid": _l("invalid"),
}
PHONE_CLASS_NAMES = {
    "mobile": _l("mobile"),
    "fixed": _l("fixed line"),
    "voip": _l("VoIP"),
    "toll_free": _l("toll-free"),
    "other": _l("other"),
    "invalid": _l("invalid"),
    "missing": "—",
}
EMAIL_REASONS = {
    "professional": _l("Professional e-mail"),
    "free": _l("Personal mailbox (webmail or ISP)"),
    "role": _l("Shared inbox (contact@, info@…)"),
    "disposable": _l("Disposable e-mail"),
    "invalid": _l("Invalid e-mail"),
}
PHONE_REASONS = {
    "mobile": _l("Mobile phone"),
    "fixed": _l("Fixed-line phone"),
    "voip": _l("VoIP phone"),
    "toll_free": _l("Toll-free number"),
    "other": _l("Other phone number"),
    "invalid": _l("Invalid phone number"),
    "missing": _l("No phone number"),
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
    return str(EMAIL_CLASS_NAMES.get(value or "", value or "—"))


def phone_class_name(value: str | None) -> str:
    return str(PHONE_CLASS_NAMES.get(value or "", value or "—"))


def describe_lead_reason(item: Mapping[str, Any]) -> str:
    """One stored contribution in the reader's language; its English label
    when its reason is not one this module words."""
    reason = item.get("reason")
    label = str(item.get("label", ""))
    if reason == "email":
        return str(EMAIL_REASONS.get(item.get("email_class", ""), label))
    if reason == "phone":
        return str(PHONE_REASONS.get(item.get("phone_class", ""), label))
    if reason == "phone_country":
        text = gettext("Phone in %(country)s", country=item.get("country"))
        return text if item.get("listed") else gettext("%(what)s (not listed)", what=text)
    if reason in ("country", "language"):
        return _accepted(reason, item)
    if reason == "keyword":
        return str(DEFAULT_MODEL_LABELS.get(label, label))
    return label


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
