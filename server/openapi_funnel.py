"""`GET /api/funnel` in the OpenAPI document: its arguments, which the API
checks each request against (`check_arguments`), and its answer's schema,
which `server.sites.funnel.Funnel.as_dict` produces."""

from __future__ import annotations

from typing import Any

from server.collect.count_reasons import MAX_REASON_LENGTH
from server.openapi_arguments import DATE, SITE_KEY, Argument, argument, date_or_period
from server.openapi_operations import api_errors, json_answer, operation, query
from server.sites.funnel import DEFAULT_FUNNEL_DAYS, MAX_FUNNEL_DAYS, STEPS

FUNNEL_PERIOD = "^(?:[1-9][0-9]?|[12][0-9]{2}|3[0-5][0-9]|36[0-6])d$"
"""`1d` to `366d` (`MAX_FUNNEL_DAYS`, spelled out: a test holds them together)."""

FUNNEL_ARGUMENTS: tuple[Argument, ...] = (
    argument(
        "site", SITE_KEY, "A site's key or numeric id; without it, every site of the organisation."
    ),
    argument(
        "since",
        date_or_period(FUNNEL_PERIOD),
        "First day (UTC), or a period of 1 to "
        f"{MAX_FUNNEL_DAYS} days ending with `until` (default `{DEFAULT_FUNNEL_DAYS}d`). "
        f"At most {MAX_FUNNEL_DAYS} days, not after `until`.",
    ),
    argument("until", DATE, "Last day (UTC), included; default today."),
)
"""The funnel's arguments, as the API takes them: every value as typed, never empty."""

COUNT = {"type": "integer", "minimum": 0}
SHARE = {"type": "number", "minimum": 0, "maximum": 1}

FUNNEL: dict[str, Any] = {
    "type": "object",
    "description": (
        "Where the beacons went: each beacon is in exactly one step, so the steps' "
        "counts add up to `beacons`. Nothing is kept per visitor."
    ),
    "properties": {
        "beacons": COUNT,
        "human": {**COUNT, "description": "Beacons that were not bots."},
        "companies": {**COUNT, "description": "Beacons from a company's network (events)."},
        "match_rate": {
            "anyOf": [SHARE, {"type": "null"}],
            "description": "companies ÷ human; null without human traffic.",
        },
        "steps": {
            "type": "array",
            "minItems": len(STEPS),
            "maxItems": len(STEPS),
            "items": {
                "type": "object",
                "properties": {
                    "step": {"type": "string", "enum": list(STEPS)},
                    "count": COUNT,
                    "share": {**SHARE, "description": "Of all beacons; 0 without beacons."},
                    "reasons": {
                        "type": "object",
                        "description": (
                            "Beacons by reason: a bot's category (`crawler`, `automation`, "
                            "`script`, `no-user-agent`, `not-a-browser`, `other`; `unrecorded` "
                            "for counts kept before reasons), a data centre's cloud provider "
                            "(`aws`…, or `generic`), `listed` for a network of the site's own "
                            "list; in `other`, the kind of network (`business`: naming no "
                            "company; `education`, `government`: not scored by the site)."
                        ),
                        "propertyNames": {"minLength": 1, "maxLength": MAX_REASON_LENGTH * 2},
                        "additionalProperties": {**COUNT, "minimum": 1},
                    },
                },
                "required": ["step", "count", "share", "reasons"],
            },
        },
    },
    "required": ["beacons", "human", "companies", "match_rate", "steps"],
}

FUNNEL_REPORT: dict[str, Any] = {
    "type": "object",
    "properties": {
        "site": {
            "anyOf": [{"type": "integer", "minimum": 1}, {"type": "null"}],
            "description": "The site's id; null for the whole organisation.",
        },
        "since": {"type": "string", "format": "date"},
        "until": {"type": "string", "format": "date"},
        "total": {"$ref": "#/components/schemas/Funnel"},
        "days": {
            "type": "array",
            "description": "Each day of the period, oldest first, days without beacons included.",
            "maxItems": MAX_FUNNEL_DAYS,
            "items": {
                "type": "object",
                "properties": {
                    "day": {"type": "string", "format": "date"},
                    "funnel": {"$ref": "#/components/schemas/Funnel"},
                },
                "required": ["day", "funnel"],
            },
        },
    },
    "required": ["site", "since", "until", "total", "days"],
}


def funnel_operation() -> dict[str, Any]:
    """The operation of `GET /api/funnel`."""
    return operation(
        "The identification funnel of the organisation or of one site, per day",
        query(FUNNEL_ARGUMENTS),
        json_answer(
            "The funnel over the period, and per day.",
            {"$ref": "#/components/schemas/FunnelReport"},
        ),
        api_errors(),
        "Beacons → bots (by reason) → data centres (by provider) → homes → mobile → "
        "unknown → other networks → companies, with the match rate, over the period "
        "and for each of its days (UTC). A site that is not the organisation's is a 400 "
        "naming `site`.",
    )
