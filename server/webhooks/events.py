"""The events a subscription can receive, their payloads and JSON Schemas.

Every delivery's body is an envelope: `id` (the event's, the same on every
retry and redelivery), `type`, `created` (ISO 8601, UTC), `organisation_id`
and `data`. Each type publishes its JSON Schema at `/schemas/<type>.json`.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from server.storage.models import Account


class EventType(StrEnum):
    ACCOUNT_BECAME_HOT = "account.became_hot"
    ACCOUNT_TIER_CHANGED = "account.tier_changed"
    ACCOUNT_UPDATED = "account.updated"
    LEAD_SCORED = "lead.scored"


SCHEMA_DRAFT = "https://json-schema.org/draft/2020-12/schema"

_ACCOUNT: dict[str, Any] = {
    "type": "object",
    "required": ["id", "name", "domain", "score", "tier", "why", "url"],
    "properties": {
        "id": {"type": "integer"},
        "name": {"type": "string"},
        "domain": {"type": ["string", "null"]},
        "score": {"type": "integer"},
        "tier": {"enum": ["hot", "warm", "cold"]},
        "fit": {"type": "number"},
        "engagement": {"type": "number"},
        "why": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["label", "points"],
                "properties": {"label": {"type": "string"}, "points": {"type": "number"}},
            },
        },
        "last_seen": {"type": ["string", "null"], "format": "date-time"},
        "url": {
            "type": ["string", "null"],
            "description": "The account's page, if VIGIE_PUBLIC_URL is set",
        },
    },
}

_DATA: dict[EventType, dict[str, Any]] = {
    EventType.ACCOUNT_BECAME_HOT: {
        "type": "object",
        "required": ["account"],
        "properties": {"account": _ACCOUNT},
    },
    EventType.ACCOUNT_TIER_CHANGED: {
        "type": "object",
        "required": ["account", "previous_tier"],
        "properties": {"account": _ACCOUNT, "previous_tier": {"enum": ["hot", "warm", "cold"]}},
    },
    EventType.ACCOUNT_UPDATED: {
        "type": "object",
        "required": ["account", "previous_score"],
        "properties": {"account": _ACCOUNT, "previous_score": {"type": "integer"}},
    },
    EventType.LEAD_SCORED: {
        "type": "object",
        "required": ["lead"],
        "properties": {
            "lead": {
                "type": "object",
                "description": "A lead of a lead list, as scored by the model's lead rules",
                "required": ["id", "list_id", "email", "score", "tier", "why", "scored_at"],
                "properties": {
                    "id": {"type": "integer"},
                    "list_id": {"type": "integer"},
                    "email": {"type": "string"},
                    "email_class": {"type": ["string", "null"]},
                    "phone_class": {"type": ["string", "null"]},
                    "country": {"type": ["string", "null"]},
                    "language": {"type": ["string", "null"]},
                    "company_domain": {"type": ["string", "null"]},
                    "account_id": {"type": ["integer", "null"]},
                    "score": {"type": "integer"},
                    "tier": {"enum": ["hot", "warm", "cold"]},
                    "why": {"type": "array"},
                    "scored_at": {"type": ["string", "null"], "format": "date-time"},
                },
            }
        },
    },
}


def schema(event: EventType) -> dict[str, Any]:
    """The JSON Schema of a whole delivery body of type `event`."""
    return {
        "$schema": SCHEMA_DRAFT,
        "$id": f"/schemas/{event.value}.json",
        "title": f"Vigie webhook: {event.value}",
        "type": "object",
        "required": ["id", "type", "created", "organisation_id", "data"],
        "properties": {
            "id": {"type": "string", "description": "The event's id; the same on every retry"},
            "type": {"const": event.value},
            "created": {"type": "string", "format": "date-time"},
            "organisation_id": {"type": "integer"},
            "data": _DATA[event],
        },
    }


def account_data(account: Account, public_url: str | None) -> dict[str, Any]:
    """An account as every account event describes it."""
    return {
        "id": account.id,
        "name": account.name,
        "domain": account.domain,
        "score": account.score,
        "tier": account.tier,
        "fit": account.fit,
        "engagement": account.engagement,
        "why": [
            {"label": item["label"], "points": item["points"]}
            for item in (account.explanation or [])
        ],
        "last_seen": account.last_seen.isoformat() if account.last_seen else None,
        "url": f"{public_url}/accounts/{account.id}" if public_url else None,
    }
