"""When an alert may go: the cooldown per account and the quiet hours.

Pure: the caller gives the current time and the organisation's time zone.
Quiet hours are minutes after midnight, local time; a span that passes
midnight (22:00 to 07:00) is read as such.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import pytz

MINUTES_PER_DAY = 24 * 60


def in_cooldown(last_alert: datetime | None, now: datetime, cooldown_hours: int) -> bool:
    """Whether an alert sent at `last_alert` still silences the account at `now`."""
    return last_alert is not None and now - last_alert < timedelta(hours=cooldown_hours)


def quiet_until(
    now: datetime, start: int | None, end: int | None, time_zone: str
) -> datetime | None:
    """The UTC time the quiet hours around `now` end, or None when `now` is not
    in them (or the rule has none).

    :param start: first quiet minute after local midnight.
    :param end: first minute after local midnight when alerts may go again.
    """
    if start is None or end is None or start == end:
        return None
    zone = pytz.timezone(time_zone)
    local = now.astimezone(zone)
    minute = local.hour * 60 + local.minute
    inside = start <= minute < end if start < end else minute >= start or minute < end
    if not inside:
        return None
    days_ahead = 1 if minute >= end else 0
    naive_end = local.replace(tzinfo=None, hour=0, minute=0, second=0, microsecond=0) + timedelta(
        days=days_ahead, minutes=end
    )
    return zone.localize(naive_end).astimezone(now.tzinfo)


def parse_clock(value: str) -> int:
    """Minutes after midnight of "HH:MM".

    :raise ValueError: for anything else.
    """
    hours, _, minutes = value.strip().partition(":")
    if not (hours.isdigit() and minutes.isdigit() and len(minutes) == 2):
        raise ValueError(f"{value!r} is not a time such as 22:00")
    total = int(hours) * 60 + int(minutes)
    if int(hours) > 23 or int(minutes) > 59:
        raise ValueError(f"{value!r} is not a time such as 22:00")
    return total


def format_clock(minutes: int | None) -> str:
    """ "HH:MM" of minutes after midnight; "" for none."""
    return "" if minutes is None else f"{minutes // 60:02d}:{minutes % 60:02d}"
