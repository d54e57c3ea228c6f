"""Access log formats: a line of text to a `LogLine`, or a `LineError` saying why not.

Built in: nginx/Apache `combined` (the default), `common` and
`vhost_combined` (combined with the virtual host first). Any other format is a
regular expression with named groups among `FIELDS`; `ip`, `time` and `path`
are required.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from functools import lru_cache

from server.client_address import plain_address
from server.collect.agents import UNLOGGED_AGENT

FIELDS = ("ip", "time", "method", "path", "status", "referrer", "user_agent")
"""Named groups a `--format REGEX` may use."""

REQUIRED = ("ip", "time", "path")
"""Groups a `--format REGEX` must have."""


_QUOTED = r'(?:[^"\\]|\\.)*'
_REQUEST = rf'"(?P<method>[A-Z]+) (?P<path>[^ "]+)(?: {_QUOTED})?"'
_COMMON = rf"(?P<ip>\S+) \S+ \S+ \[(?P<time>[^\]]+)\] {_REQUEST} (?P<status>\d{{3}}) \S+"
_AGENT = rf' "(?P<referrer>{_QUOTED})" "(?P<user_agent>{_QUOTED})"'

BUILT_IN = {
    "combined": rf"{_COMMON}{_AGENT}",
    "common": _COMMON,
    "vhost_combined": rf"\S+ {_COMMON}{_AGENT}",
}
"""The formats known by name, as nginx and Apache write them."""

_MONTHS = {
    name: number
    for number, name in enumerate(
        ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"), 1
    )
}


class FormatError(ValueError):
    """A `--format` that cannot be used."""


class LineError(ValueError):
    """A line that does not read as the format says (the reason is the message)."""


@dataclass(frozen=True, slots=True)
class LogLine:
    """The fields of one request. `ip` stays in memory: it is never stored."""

    ip: str
    time: datetime  # aware, UTC
    path: str
    method: str = "GET"
    status: int | None = None
    referrer: str | None = None
    user_agent: str = ""


@dataclass(frozen=True, slots=True)
class Request:
    """What filtering needs of a line, and its other fields as matched."""

    method: str
    status: int | None
    target: str
    fields: dict[str, str | None]


class LogFormat:
    """One format: `parse(text)` gives the line's fields."""

    def __init__(self, name: str, pattern: str) -> None:
        try:
            self.regex = re.compile(pattern)
        except re.error as error:
            raise FormatError(f"--format: not a valid regular expression ({error})") from None
        groups = set(self.regex.groupindex)
        unknown = sorted(groups - set(FIELDS))
        if unknown:
            raise FormatError(
                f"--format: unknown group(s) {', '.join(unknown)}; use {', '.join(FIELDS)}"
            )
        missing = [group for group in REQUIRED if group not in groups]
        if missing:
            raise FormatError(f"--format: missing required group(s) {', '.join(missing)}")
        self.name = name
        self.logs_agent = "user_agent" in groups

    def parse(self, text: str) -> LogLine:
        """:raise LineError: when the line does not match or a field is wrong."""
        return self.line(self.request(text))

    def request(self, text: str) -> Request:
        """The request's method, status and target, and the other fields unread,
        so that most lines (assets) are left out without reading the rest.

        :raise LineError: when the line does not match or its status is wrong.
        """
        match = self.regex.match(text)
        if match is None:
            raise LineError(f"does not match the {self.name} format")
        fields = match.groupdict()
        status = fields.get("status")
        if status is not None and not status.isdigit():
            raise LineError(f"status {status[:20]!r} is not a number")
        method = fields.get("method") or "GET"
        return Request(method, int(status) if status else None, fields["path"] or "", fields)

    def line(self, request: Request) -> LogLine:
        """All the fields of a request. :raise LineError: for a time that is not one."""
        fields = request.fields
        referrer = fields.get("referrer")
        return LogLine(
            ip=plain_address(fields["ip"] or ""),
            time=parse_time(fields["time"] or ""),
            path=request.target,
            method=request.method,
            status=request.status,
            referrer=None if referrer in (None, "", "-") else _unescape(referrer),
            user_agent=_unescape(fields.get("user_agent") or "")
            if self.logs_agent
            else UNLOGGED_AGENT,
        )


def log_format(spec: str) -> LogFormat:
    """The format named `spec`, else `spec` read as a regular expression.

    :raise FormatError: for a bad expression, an unknown group or a missing one.
    """
    if spec in BUILT_IN:
        return LogFormat(spec, BUILT_IN[spec])
    return LogFormat("--format", spec)


def parse_time(text: str) -> datetime:
    """`10/Oct/2026:13:55:36 +0200` (the logs' own) or ISO 8601, as aware UTC.

    :raise LineError: for anything else.
    """
    return _parse_time(text)


@lru_cache(maxsize=4096)
def _parse_time(text: str) -> datetime:
    # Many lines share a second: the cache saves most of the parsing.
    try:
        if len(text) == 26 and text[2] == "/" and text[6] == "/":
            return _clf_time(text)
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except (ValueError, KeyError):
        raise LineError(f"time {text[:40]!r} is not a date") from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def _clf_time(text: str) -> datetime:
    sign = 1 if text[21] == "+" else -1 if text[21] == "-" else 0
    if not sign:
        raise ValueError(text)
    offset = timedelta(hours=int(text[22:24]), minutes=int(text[24:26]))
    local = datetime(
        int(text[7:11]),
        _MONTHS[text[3:6]],
        int(text[0:2]),
        int(text[12:14]),
        int(text[15:17]),
        int(text[18:20]),
        tzinfo=timezone(sign * offset),
    )
    return local.astimezone(UTC)


def _unescape(text: str) -> str:
    """Undo the quoting web servers apply inside quoted fields (`\\"`, `\\x22`)."""
    if "\\" not in text:
        return text
    return text.replace('\\"', '"').replace("\\x22", '"').replace("\\\\", "\\")
