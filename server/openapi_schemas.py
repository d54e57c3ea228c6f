"""JSON schemas of the OpenAPI document that msgspec cannot derive alone.

msgspec gives the beacon and the account row from their types; what it cannot
see (control characters refused, URLs, which fields a type of beacon needs,
date-time strings, closed lists of values) is added here. The account detail
is a dictionary built in `server.accounts.listing`, described field by field.
"""

from __future__ import annotations

from typing import Any

from server.accounts.filters import CONFIDENCES, OUTCOMES, TIERS
from server.collect.beacon import (
    MAX_ENGAGED_MS,
    MAX_PROP_KEY_LENGTH,
    MAX_PROP_LENGTH,
    MAX_TITLE_LENGTH,
    MAX_URL_LENGTH,
)
from server.corrections.provenance import SIGNAL_CONFIDENCE
from server.ids import MAX_ID

NO_CONTROL_CHARACTER = "^[^\\x00-\\x1f\\x7f-\\x9f]*$"
"""What the collector's `check_text` lets through: no C0, DEL or C1 character."""

HTTP_URL = "^[Hh][Tt][Tt][Pp][Ss]?://[^\\x00-\\x1f\\x7f-\\x9f]+$"
"""An absolute http(s) URL without control characters."""

LARGEST_PROP_INTEGER = 2**53
"""Integers a JavaScript number holds exactly; larger ones are refused."""

ERROR = {
    "type": "object",
    "description": "What went wrong; `field` names the argument at fault when there is one.",
    "properties": {"error": {"type": "string", "minLength": 1}, "field": {"type": "string"}},
    "required": ["error"],
}

DATE_TIME = {"type": "string", "format": "date-time"}
ID = {"type": "integer", "format": "int64", "minimum": 1, "maximum": MAX_ID}
TIER = {"type": "string", "enum": list(TIERS)}
RECORDED_OUTCOME = {"type": "string", "enum": [name for name in OUTCOMES if name != "none"]}
EXPLANATION = {
    "type": "array",
    "items": {
        "type": "object",
        "properties": {"label": {"type": "string"}, "points": {"type": "number"}},
        "required": ["label", "points"],
    },
}
"""A score's explanation: each rule's label and the points it gave."""


def nullable(schema: dict[str, Any]) -> dict[str, Any]:
    return {"anyOf": [schema, {"type": "null"}]}


def url(description: str) -> dict[str, Any]:
    return {
        "type": "string",
        "format": "uri",
        "minLength": 1,
        "maxLength": MAX_URL_LENGTH,
        "pattern": HTTP_URL,
        "description": description,
    }


def refine_beacon(beacon: dict[str, Any]) -> None:
    """Add to msgspec's schema of `Beacon` what `check_semantics` checks."""
    properties = beacon["properties"]
    properties["site"]["pattern"] = NO_CONTROL_CHARACTER
    properties["type"]["type"] = "string"
    properties["url"] = url(
        "The page: an absolute http(s) URL of the site's domains, without a user name "
        "or password, whose host browsers read as Python does."
    )
    properties["referrer"] = nullable(
        {
            "anyOf": [
                {"type": "string", "maxLength": 0, "description": "No referrer."},
                url("The previous page, under the same rules as `url`."),
            ]
        }
    )
    properties["title"] = nullable(
        {"type": "string", "maxLength": MAX_TITLE_LENGTH, "pattern": NO_CONTROL_CHARACTER}
    )
    text_value = {"type": "string", "maxLength": MAX_PROP_LENGTH, "pattern": NO_CONTROL_CHARACTER}
    integer_value = {
        "type": "integer",
        "minimum": -LARGEST_PROP_INTEGER,
        "maximum": LARGEST_PROP_INTEGER,
    }
    properties["props"]["anyOf"][0]["propertyNames"] = {
        "minLength": 1,
        "maxLength": MAX_PROP_KEY_LENGTH,
        "pattern": NO_CONTROL_CHARACTER,
    }
    properties["props"]["anyOf"][0]["additionalProperties"] = {
        "anyOf": [text_value, integer_value, {"type": "number"}, {"type": "boolean"}]
    }
    properties["engaged_ms"] = nullable(
        {
            "type": "integer",
            "minimum": 0,
            "maximum": MAX_ENGAGED_MS,
            "description": "Milliseconds; a whole number, which may be written `1.0`.",
        }
    )
    beacon["allOf"] = [
        _needs("event", "name", properties["name"]["anyOf"][0]),
        _needs("engagement", "engaged_ms", properties["engaged_ms"]["anyOf"][0]),
    ]


def _needs(beacon_type: str, field: str, schema: dict[str, Any]) -> dict[str, Any]:
    """Beacons of `beacon_type` must carry `field`, not null."""
    return {
        "if": {"properties": {"type": {"const": beacon_type}}, "required": ["type"]},
        "then": {"properties": {field: schema}, "required": [field]},
    }


SIGNAL = {
    "type": "string",
    "enum": list(SIGNAL_CONFIDENCE),
    "description": "The signal that identified the company.",
}
CONFIDENCE = {
    "type": "string",
    "enum": list(CONFIDENCES),
    "description": "How surely the company was identified (null: before provenance was kept).",
}


def refine_row(row: dict[str, Any]) -> None:
    """Add to msgspec's schema of `AccountRow` the ranges and closed lists."""
    properties = row["properties"]
    properties["id"] = ID
    properties["tier"] = TIER
    properties["outcome"] = nullable(RECORDED_OUTCOME)
    properties["last_seen"] = nullable(DATE_TIME)
    properties["first_seen"] = nullable(DATE_TIME)
    properties["identified_by"] = nullable(SIGNAL)
    properties["confidence"] = nullable(CONFIDENCE)


def account_detail_schema() -> dict[str, Any]:
    """`GET /api/accounts/{id}`, as `server.accounts.listing.account_detail` builds it."""
    text = {"type": "string"}
    integer = {"type": "integer"}
    return _object(
        {
            "id": ID,
            "name": text,
            "domain": nullable(text),
            "industry": nullable(text),
            "employees": nullable(integer),
            "revenue_band": nullable(text),
            "country": nullable(text),
            "city": nullable(text),
            "linkedin_url": nullable(text),
            "firmographics": {"type": "object"},
            "first_seen": nullable(DATE_TIME),
            "last_seen": nullable(DATE_TIME),
            "visits_30d": integer,
            "active_days_30d": integer,
            "pageviews_total": integer,
            "top_pages": {"type": "array", "items": text},
            "identified_by": nullable(SIGNAL),
            "confidence": nullable(CONFIDENCE),
            "asn": nullable(integer),
            "network_organisation": nullable(text),
            "renamed_at": nullable(DATE_TIME),
            "score": integer,
            "tier": TIER,
            "fit": {"type": "number"},
            "engagement": {"type": "number"},
            "hot_since": nullable(DATE_TIME),
            "scored_at": nullable(DATE_TIME),
            "explanation": EXPLANATION,
            "why": text,
            "outcome": nullable(RECORDED_OUTCOME),
            "outcomes": _list(
                {"outcome": RECORDED_OUTCOME, "reason": nullable(text), "recorded_at": DATE_TIME}
            ),
            "score_history": _list(
                {"day": {"type": "string", "format": "date"}, "score": integer, "tier": TIER}
            ),
            "visits": _list(_visit()),
            "enrichments": _list(
                {
                    "provider": text,
                    "status": text,
                    "attempts": integer,
                    "last_error": nullable(text),
                    "last_attempt_at": nullable(DATE_TIME),
                    "last_success_at": nullable(DATE_TIME),
                }
            ),
            "contacts": _list(
                {
                    "name": text,
                    "title": nullable(text),
                    "seniority": nullable(text),
                    "department": nullable(text),
                    "email": nullable(text),
                    "profile_url": nullable(text),
                    "provider": text,
                    "found_at": DATE_TIME,
                }
            ),
        }
    )


def _visit() -> dict[str, Any]:
    text = {"type": "string"}
    integer = {"type": "integer"}
    event = {
        "path": text,
        "title": nullable(text),
        "type": {"type": "string", "enum": ["pageview", "engagement", "event"]},
        "name": nullable(text),
        "occurred_at": DATE_TIME,
    }
    return {
        "id": ID,
        "site": text,
        "started_at": DATE_TIME,
        "last_event_at": DATE_TIME,
        "pageviews": integer,
        "engaged_ms": integer,
        "entry_path": nullable(text),
        "referrer_host": nullable(text),
        "utm_source": nullable(text),
        "utm_medium": nullable(text),
        "utm_campaign": nullable(text),
        "device_class": nullable(text),
        "events": _list(event),
    }


def _list(properties: dict[str, Any]) -> dict[str, Any]:
    return {"type": "array", "items": _object(properties)}


def _object(properties: dict[str, Any]) -> dict[str, Any]:
    return {"type": "object", "properties": properties, "required": list(properties)}
