"""The filters of the accounts list, as a user types them in a query string.

`parse_filters(args)` reads `request.args` (or a plain dict from the CLI) into
an `AccountFilters` value, raising `InvalidInput(field, reason)` for the first
value that cannot be used. `AccountFilters.query_args()` gives them back, so
links (pages, sorting, the CSV export) keep the filters in force.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, fields
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from server.validation import InvalidInput

TIERS = ("hot", "warm", "cold")
"""Tier names, hottest first."""

OUTCOMES = ("accepted", "rejected", "won", "lost", "none")
"""Latest sales outcome an account can be filtered on; `none` = no feedback yet."""

CONFIDENCES = ("high", "medium", "low")
"""How surely an account's company was identified (`server.corrections.provenance`);
`confidence=low` keeps the accounts worth checking before acting on them."""

LANES = ("new", "expansion")
"""New business (not a customer in the CRM, or not known there) and expansion
(a customer, as the CRM said on the last push: `accounts.crm_customer`)."""

SORTS = ("-score", "score", "-last_seen", "last_seen", "-name", "name")
"""Accepted sort orders; a leading `-` means descending."""

DEFAULT_SORT = "-score"
DEFAULT_PER_PAGE = 50
MAX_PER_PAGE = 200
"""Largest page a client may ask for."""

MAX_PAGE = 1_000_000
"""Highest page number: keeps the row offset within a 64-bit integer."""

MAX_SCORE = 1_000_000_000
"""Bound of `min_score` either way (scores are small; this only refuses nonsense)."""

MAX_TEXT = 200
"""Longest search text or industry."""

MAX_SINCE_DAYS = 3660
"""Longest period accepted by `since` (`Nd`)."""

_PERIOD = re.compile(r"^(\d{1,4})d$")
_COUNTRY = re.compile(r"^[A-Za-z]{2}$")
_SITE = re.compile(r"^[A-Za-z0-9_-]{1,32}$")


@dataclass(frozen=True)
class AccountFilters:
    """What the accounts list shows; the defaults show every account, best first."""

    site: str | None = None
    """Accounts with a visit on this site: its public key or numeric id, resolved
    within the organisation when the query runs."""
    tiers: tuple[str, ...] = ()
    """Tiers kept, hottest first; none, like all three, keeps every tier."""
    min_score: int | None = None
    """Accounts scoring at least this."""
    q: str | None = None
    """Case-insensitive substring of the account's name or domain."""
    country: str | None = None
    """ISO 3166-1 alpha-2, upper case: the account's country exactly."""
    industry: str | None = None
    """The account's whole industry, compared case-insensitively."""
    since: str | None = None
    """Last seen on or after an ISO date (UTC midnight) or within a period such as
    `30d`; kept as text so that links can give it back."""
    outcome: str | None = None
    """The account's latest sales outcome, one of `OUTCOMES`."""
    lane: str | None = None
    """`new` or `expansion` (`LANES`), by `accounts.crm_customer`."""
    confidence: str | None = None
    """How surely the company was identified, one of `CONFIDENCES`."""
    sort: str = DEFAULT_SORT
    """One of `SORTS`; ties go by account id in the same direction."""
    page: int = 1
    per_page: int = DEFAULT_PER_PAGE

    def since_cutoff(self, now: datetime) -> datetime | None:
        """The earliest `last_seen` kept by `since`, as an aware UTC datetime."""
        if self.since is None:
            return None
        period = _PERIOD.match(self.since)
        if period:
            return now - timedelta(days=int(period.group(1)))
        return datetime.combine(date.fromisoformat(self.since), time(), tzinfo=UTC)

    def query_args(self, paging: bool = True) -> dict[str, str]:
        """The filters that differ from the defaults, as query-string arguments.

        `paging=False` leaves out `page` and `per_page` (for the CSV export,
        which has every matching account).
        """
        args: dict[str, str] = {}
        for item in fields(self):
            value = getattr(self, item.name)
            if value == item.default:
                continue
            if not paging and item.name in ("page", "per_page"):
                continue
            name = "tier" if item.name == "tiers" else item.name
            args[name] = ",".join(value) if item.name == "tiers" else str(value)
        return args

    @property
    def offset(self) -> int:
        """Rows before this page."""
        return (self.page - 1) * self.per_page


def parse_filters(args: Mapping[str, Any]) -> AccountFilters:
    """Read filters from query arguments (a werkzeug `MultiDict` or a plain dict).

    Unknown arguments are ignored; empty ones count as absent.

    :raise InvalidInput: naming the first argument that cannot be used.
    """
    return AccountFilters(
        site=_site(_first(args, "site")),
        tiers=_tiers(_all(args, "tier")),
        min_score=_integer(args, "min_score", -MAX_SCORE, MAX_SCORE),
        q=_text(_first(args, "q"), "q"),
        country=_country(_first(args, "country")),
        industry=_text(_first(args, "industry"), "industry"),
        since=_since(_first(args, "since")),
        outcome=_choice(_first(args, "outcome"), "outcome", OUTCOMES),
        lane=_choice(_first(args, "lane"), "lane", LANES),
        confidence=_choice(_first(args, "confidence"), "confidence", CONFIDENCES),
        sort=_choice(_first(args, "sort"), "sort", SORTS) or DEFAULT_SORT,
        page=_integer(args, "page", 1, MAX_PAGE) or 1,
        per_page=_integer(args, "per_page", 1, MAX_PER_PAGE) or DEFAULT_PER_PAGE,
    )


def _all(args: Mapping[str, Any], name: str) -> list[str]:
    """Every non-empty value of `name`, whether repeated or given as a list."""
    if hasattr(args, "getlist"):
        values = args.getlist(name)
    else:
        value = args.get(name)
        values = (
            [] if value is None else list(value) if isinstance(value, list | tuple) else [value]
        )
    return [str(value).strip() for value in values if str(value).strip()]


def _first(args: Mapping[str, Any], name: str) -> str | None:
    values = _all(args, name)
    return values[0] if values else None


def _choice(value: str | None, name: str, choices: tuple[str, ...]) -> str | None:
    if value is None:
        return None
    if value.lower() not in choices:
        raise InvalidInput(name, f"{value!r} is not one of {', '.join(choices)}")
    return value.lower()


def _tiers(values: list[str]) -> tuple[str, ...]:
    names = [name.strip() for value in values for name in value.split(",") if name.strip()]
    chosen = {_choice(name, "tier", TIERS) for name in names}
    return tuple(tier for tier in TIERS if tier in chosen)


def _integer(args: Mapping[str, Any], name: str, low: int, high: int) -> int | None:
    value = _first(args, name)
    if value is None:
        return None
    if not re.fullmatch(r"[+-]?\d{1,12}", value):
        raise InvalidInput(name, f"{value!r} is not a whole number")
    number = int(value)
    if not low <= number <= high:
        raise InvalidInput(name, f"must be between {low} and {high}")
    return number


def _text(value: str | None, name: str) -> str | None:
    if value is None:
        return None
    if len(value) > MAX_TEXT:
        raise InvalidInput(name, f"at most {MAX_TEXT} characters")
    if any(ord(char) < 32 for char in value):
        raise InvalidInput(name, "control characters are not allowed")
    return value


def _country(value: str | None) -> str | None:
    if value is None:
        return None
    if not _COUNTRY.match(value):
        raise InvalidInput("country", f"{value!r} is not a two-letter ISO country code")
    return value.upper()


def _site(value: str | None) -> str | None:
    if value is not None and not _SITE.match(value):
        raise InvalidInput("site", f"{value!r} is not a site key or id")
    return value


def _since(value: str | None) -> str | None:
    if value is None:
        return None
    period = _PERIOD.match(value.lower())
    if period:
        if not 1 <= int(period.group(1)) <= MAX_SINCE_DAYS:
            raise InvalidInput("since", f"a period from 1d to {MAX_SINCE_DAYS}d")
        return value.lower()
    try:
        return date.fromisoformat(value).isoformat()
    except ValueError:
        raise InvalidInput(
            "since", f"{value!r} is neither a date (YYYY-MM-DD) nor a period (7d, 30d, 90d)"
        ) from None
