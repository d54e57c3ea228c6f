"""`GET /api/leads` and `GET /api/leads.csv` in the OpenAPI document: their
arguments, which the API checks each request against (`check_arguments`),
and the schema of a lead as `server.api.leads` answers it."""

from __future__ import annotations

from typing import Any

from server.leads.query import (
    DEFAULT_PER_PAGE,
    EMAIL_CLASSES,
    MAX_PAGE,
    MAX_PER_PAGE,
    MAX_SCORE,
    SORTS,
    TIERS,
)
from server.openapi_schemas import DATE_TIME, EXCEL, ID, nullable, paging_arguments

MAX_LIST_ID = 2**31 - 1
"""Largest list id (an `Integer` column)."""

LEAD_FILTERS: tuple[dict[str, Any], ...] = (
    {
        "name": "email_class",
        "schema": {"type": "string", "enum": list(EMAIL_CLASSES)},
    },
    {
        "name": "tier",
        "description": "The lead's own tier (not its company's).",
        "schema": {"type": "string", "enum": list(TIERS)},
    },
    {
        "name": "country",
        "description": "ISO 3166-1 alpha-2, either case.",
        "schema": {"type": "string", "pattern": "^[A-Za-z]{2}$"},
    },
    {
        "name": "list",
        "description": "A lead list's id.",
        "schema": {"type": "integer", "minimum": 1, "maximum": MAX_LIST_ID},
    },
    {
        "name": "min_score",
        "schema": {"type": "integer", "minimum": -MAX_SCORE, "maximum": MAX_SCORE},
    },
    {
        "name": "sort",
        "description": "`company`: leads whose company is hottest on the web first, then by score.",
        "schema": {"type": "string", "enum": list(SORTS), "default": "company"},
    },
)
"""The leads filters, as the API takes them: every value as typed, never empty."""

LEAD_PAGING = paging_arguments(MAX_PAGE, MAX_PER_PAGE, DEFAULT_PER_PAGE)

LEAD_LIST_ARGUMENTS = LEAD_FILTERS + LEAD_PAGING
LEAD_CSV_ARGUMENTS = LEAD_FILTERS + EXCEL

TEXT = {"type": "string"}
TIER = {"type": "string", "enum": list(TIERS)}

LEAD = {
    "type": "object",
    "description": "A lead with its computed columns and its company's account (if any).",
    "properties": {
        "id": ID,
        "list_id": {"type": "integer", "minimum": 1},
        "list_name": TEXT,
        "email": TEXT,
        "phone": nullable(TEXT),
        "email_class": nullable({"type": "string", "enum": list(EMAIL_CLASSES)}),
        "phone_class": nullable(TEXT),
        "country": nullable(TEXT),
        "country_source": nullable(TEXT),
        "language": nullable(TEXT),
        "company_domain": nullable(TEXT),
        "score": {"type": "integer"},
        "tier": TIER,
        "why": TEXT,
        "explanation": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {"label": TEXT, "points": {"type": "number"}},
                "required": ["label", "points"],
            },
        },
        "scored_at": nullable(DATE_TIME),
        "imported_at": DATE_TIME,
        "account_id": nullable(ID),
        "account_name": nullable(TEXT),
        "account_score": nullable({"type": "integer"}),
        "account_tier": nullable(TIER),
    },
    "required": ["id", "list_id", "list_name", "email", "score", "tier", "why", "explanation",
                 "imported_at", "account_id", "account_score", "account_tier"],
}  # fmt: skip


def leads_operation(
    parameters: list[dict[str, Any]], errors: dict[str, Any], security: list[Any]
) -> dict[str, Any]:
    page = {
        "type": "object",
        "properties": {
            "items": {
                "type": "array",
                "items": {"$ref": "#/components/schemas/Lead"},
                "maxItems": MAX_PER_PAGE,
            },
            "total": {"type": "integer", "minimum": 0},
            "page": {"type": "integer", "minimum": 1, "maximum": MAX_PAGE},
            "per_page": {"type": "integer", "minimum": 1, "maximum": MAX_PER_PAGE},
        },
        "required": ["items", "total", "page", "per_page"],
    }
    return {
        "summary": "Leads of the caller's organisation, with their company's web score",
        "security": security,
        "parameters": parameters,
        "responses": {
            "200": {
                "description": "One page of leads and the number matching the filters.",
                "content": {"application/json": {"schema": page}},
            },
            **errors,
        },
    }


def leads_csv_operation(
    parameters: list[dict[str, Any]], errors: dict[str, Any], security: list[Any]
) -> dict[str, Any]:
    return {
        "summary": "Every lead matching the filters, as streamed CSV (UTF-8 with BOM)",
        "description": (
            "Columns: email, score, tier, email_class, phone_class, phone, country, "
            "country_source, language, company_domain, account_name, account_score, "
            "account_tier, list, imported_at, why."
        ),
        "security": security,
        "parameters": parameters,
        "responses": {
            "200": {
                "description": "CSV; cells starting with = + - @ are neutralised.",
                "content": {"text/csv": {"schema": {"type": "string"}}},
            },
            **errors,
        },
    }
