"""Query arguments of the OpenAPI document, as the API checks them
(`server.openapi.check_arguments`): one declaration per argument, with the
forms the accounts, leads and funnel operations share.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

Argument = dict[str, Any]
"""A query argument: its name, what it means (if it needs saying), its schema."""

SITE_KEY = {"type": "string", "pattern": "^[A-Za-z0-9_-]{1,32}$"}
"""A site's key, or its numeric id."""

DATE = {"type": "string", "format": "date"}


def argument(name: str, schema: dict[str, Any], description: str = "", **more: Any) -> Argument:
    """The argument `name` taking values of `schema`; `more` adds OpenAPI's
    serialisation keys (`style`, `explode`)."""
    described = {"description": description} if description else {}
    return {"name": name, **described, "schema": schema, **more}


def choice(values: Iterable[str], **more: Any) -> dict[str, Any]:
    """The schema of a value from a closed list; `more` adds keys (`default`)."""
    return {"type": "string", "enum": list(values), **more}


def date_or_period(period_pattern: str) -> dict[str, Any]:
    """The schema of a first day: a date, or a number of days (`30d`)."""
    return {"anyOf": [DATE, {"type": "string", "pattern": period_pattern}]}


def min_score_argument(max_score: int) -> Argument:
    return argument("min_score", {"type": "integer", "minimum": -max_score, "maximum": max_score})


COUNTRY = argument(
    "country", {"type": "string", "pattern": "^[A-Za-z]{2}$"}, "ISO 3166-1 alpha-2, either case."
)

EXCEL: tuple[Argument, ...] = (
    argument("excel", choice(["fr"]), "`fr`: `;` as the delimiter, for a French Excel."),
)
"""The argument of a CSV export that asks for a French Excel's delimiter."""


def paging_arguments(
    max_page: int, max_per_page: int, default_per_page: int
) -> tuple[Argument, ...]:
    """The `page` and `per_page` arguments of a paginated list, with its bounds."""
    return (
        argument("page", {"type": "integer", "minimum": 1, "maximum": max_page, "default": 1}),
        argument(
            "per_page",
            {
                "type": "integer",
                "minimum": 1,
                "maximum": max_per_page,
                "default": default_per_page,
            },
        ),
    )
