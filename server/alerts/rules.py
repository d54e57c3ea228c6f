"""What a rule is made of, and the checks of what users type into one.

Members keep their own e-mail rules; admins keep the channel rules (Slack and
Teams incoming webhooks) of the whole organisation. `rule_values` turns the
Alerts page's form into a rule's columns or raises `InvalidInput(field, reason)`.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import Enum, StrEnum
from typing import Any
from urllib.parse import parse_qs, urlsplit

from server.accounts.filters import parse_filters
from server.alerts.timing import parse_clock
from server.validation import InvalidInput, webhook_url

DEFAULT_COOLDOWN_HOURS = 24
"""Hours an account stays silent for a rule after one of its alerts."""

MAX_COOLDOWN_HOURS = 24 * 30
MAX_THRESHOLD = 100_000
MAX_FILTER_LENGTH = 1000
"""Longest saved filter (its query string), the column's size."""


class Channel(StrEnum):
    """Where a rule's alerts go."""

    EMAIL = "email"
    SLACK = "slack"
    TEAMS = "teams"


class Trigger(StrEnum):
    """What makes a rule speak."""

    BECAME_HOT = "became_hot"
    SCORE_ROSE = "score_rose"  # by `threshold` points within 7 days
    VISITORS = "visitors"  # `threshold` distinct visitor hashes this week
    SAVED_FILTER = "saved_filter"  # the account matches the accounts list's filter
    DIGEST_DAILY = "digest_daily"  # e-mail only: the new hot accounts of the day
    DIGEST_WEEKLY = "digest_weekly"  # e-mail only: … of the week

    @property
    def needs_threshold(self) -> bool:
        return self in (Trigger.SCORE_ROSE, Trigger.VISITORS)

    @property
    def is_digest(self) -> bool:
        return self in (Trigger.DIGEST_DAILY, Trigger.DIGEST_WEEKLY)


CHANNEL_TRIGGERS = tuple(t for t in Trigger if not t.is_digest)
"""Slack and Teams rules announce accounts one by one; digests are e-mails."""


def rule_values(form: Mapping[str, Any], channel_allowed: bool) -> dict[str, Any]:
    """The columns of a new rule from the Alerts page's fields.

    :param channel_allowed: whether the user may make Slack and Teams rules (admins).
    :raise InvalidInput: naming the first field that cannot be used.
    :raise PermissionError: for a channel rule made by a member.
    """
    channel = _choice(form.get("channel"), Channel, "channel")
    trigger = _choice(form.get("trigger"), Trigger, "trigger")
    if channel is not Channel.EMAIL and not channel_allowed:
        raise PermissionError("channel rules are for admins")
    if channel is not Channel.EMAIL and trigger.is_digest:
        raise InvalidInput("trigger", "digests are sent by e-mail only")
    target = None
    if channel is not Channel.EMAIL:
        target = webhook_url(str(form.get("target") or ""), "target")
        if not target:
            raise InvalidInput("target", "give the incoming webhook's URL")
    values: dict[str, Any] = {
        "channel": channel.value,
        "trigger": trigger.value,
        "target": target,
        "threshold": _threshold(form.get("threshold"), trigger),
        "saved_filter": _saved_filter(form.get("saved_filter"), trigger),
        "cooldown_hours": _cooldown(form.get("cooldown_hours")),
    }
    values["quiet_start"], values["quiet_end"] = _quiet_hours(
        form.get("quiet_start"), form.get("quiet_end")
    )
    return values


def _choice(value: Any, kind: type[Enum], field: str) -> Any:
    try:
        return kind(str(value or ""))
    except ValueError:
        names = ", ".join(item.value for item in kind)
        raise InvalidInput(field, f"{value!r} is not one of {names}") from None


def _threshold(value: Any, trigger: Trigger) -> int | None:
    if not trigger.needs_threshold:
        return None
    text = str(value or "").strip()
    if not text.isdigit() or not 1 <= int(text) <= MAX_THRESHOLD:
        raise InvalidInput("threshold", f"a whole number from 1 to {MAX_THRESHOLD}")
    return int(text)


def _saved_filter(value: Any, trigger: Trigger) -> str | None:
    """The query string of an accounts list (a pasted link or `tier=hot&country=FR`)."""
    if trigger is not Trigger.SAVED_FILTER:
        return None
    text = str(value or "").strip()
    query = urlsplit(text).query if "?" in text else text
    if not query:
        raise InvalidInput("saved_filter", "paste the link of a filtered accounts list")
    if len(query) > MAX_FILTER_LENGTH:
        raise InvalidInput("saved_filter", f"at most {MAX_FILTER_LENGTH} characters of filters")
    try:
        parse_filters(parse_qs(query))
    except InvalidInput as problem:
        raise InvalidInput("saved_filter", problem.reason) from None
    return query


def _cooldown(value: Any) -> int:
    text = str(value or "").strip()
    if not text:
        return DEFAULT_COOLDOWN_HOURS
    if not text.isdigit() or int(text) > MAX_COOLDOWN_HOURS:
        raise InvalidInput("cooldown_hours", f"hours from 0 to {MAX_COOLDOWN_HOURS}")
    return int(text)


def _quiet_hours(start: Any, end: Any) -> tuple[int | None, int | None]:
    start_text, end_text = str(start or "").strip(), str(end or "").strip()
    if not start_text and not end_text:
        return None, None
    values = []
    for field, text in (("quiet_start", start_text), ("quiet_end", end_text)):
        try:
            values.append(parse_clock(text))
        except ValueError as problem:
            raise InvalidInput(field, str(problem)) from None
    if values[0] == values[1]:
        raise InvalidInput("quiet_end", "must differ from the start")
    return values[0], values[1]


def describe(trigger: str, threshold: int | str | None) -> str:
    """What made a rule speak, in the current language: "became hot"…"""
    from flask_babel import gettext as _

    texts = {
        Trigger.BECAME_HOT.value: _("became hot"),
        Trigger.SCORE_ROSE.value: _("score rose by %(n)s or more in 7 days", n=threshold),
        Trigger.VISITORS.value: _("%(n)s or more people this week", n=threshold),
        Trigger.SAVED_FILTER.value: _("matches a saved filter"),
        Trigger.DIGEST_DAILY.value: _("daily digest"),
        Trigger.DIGEST_WEEKLY.value: _("weekly digest"),
    }
    return texts.get(trigger, trigger)
