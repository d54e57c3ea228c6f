"""English and French interfaces (Flask-Babel), dates in the organisation's time zone.

The language is the user's setting when they chose one, else the browser's
preference among the languages Vigie speaks, else English. Dates and numbers
follow that language, in the browser's region when it names one for it
(`en-US` writes 11/27/26, 5:05 PM), else day first on a 24-hour clock
(27/11/2026, 17:05). Every date is shown in the
organisation's time zone (its `time_zone` setting, UTC by default).
"""

from __future__ import annotations

from datetime import datetime

import pytz
from babel import Locale, UnknownLocaleError
from flask import Flask, g, has_request_context, request
from flask_babel import Babel, format_datetime, get_locale, get_timezone
from flask_login import current_user

from server.storage import get_session
from server.storage.models import Organisation

LANGUAGES = {"en": "English", "fr": "Français"}
DEFAULT_REGIONS = {"en": "en_GB"}
"""Date and number style when the browser names no region: day first, 24-hour clock."""

DEFAULT_TIME_ZONE = "UTC"
TIME_ZONES = tuple(pytz.common_timezones)
"""The time zones an organisation can choose (IANA names)."""


def init_app(app: Flask) -> None:
    Babel(app, locale_selector=select_locale, timezone_selector=select_time_zone)
    app.jinja_env.globals["get_locale"] = get_locale


def select_locale() -> str | None:
    """The request's language, with the browser's region for it if it gives one."""
    if not has_request_context():
        return None  # jobs and commands: the default (English)
    if current_user and current_user.is_authenticated and current_user.locale in LANGUAGES:
        language = current_user.locale
    else:
        language = request.accept_languages.best_match(LANGUAGES) or "en"
    return _with_region(language)


def _with_region(language: str) -> str:
    for tag, _quality in request.accept_languages:
        code = tag.replace("-", "_")
        if "_" in code and code.split("_", 1)[0].lower() == language:
            try:
                return str(Locale.parse(code))
            except (ValueError, UnknownLocaleError):
                continue
    return DEFAULT_REGIONS.get(language, language)


def select_time_zone() -> str:
    """The signed-in user's organisation's time zone (read once per request)."""
    if not has_request_context() or not current_user or not current_user.is_authenticated:
        return DEFAULT_TIME_ZONE
    if "vigie_time_zone" not in g:
        organisation = get_session().get(Organisation, current_user.org_id)
        g.vigie_time_zone = organisation_time_zone(organisation.settings if organisation else None)
    return g.vigie_time_zone


def organisation_time_zone(settings: dict | None) -> str:
    """An organisation's time zone from its settings; UTC if unset or unknown."""
    name = (settings or {}).get("time_zone")
    return name if name in pytz.all_timezones_set else DEFAULT_TIME_ZONE


def datetime_with_zone(value: datetime) -> str:
    """A date and time in the current language and time zone, with the zone's
    abbreviation: "27/11/2026 16:05 CET"."""
    zone = value.astimezone(get_timezone()).strftime("%Z")
    return f"{format_datetime(value, 'short')} {zone}"
