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
from server.openapi_arguments import (
    COUNTRY,
    EXCEL,
    Argument,
    argument,
    choice,
    min_score_argument,
    paging_arguments,
)
from server.openapi_operations import csv_operation, page_operation
from server.openapi_schemas import DATE_TIME, EXPLANATION, ID, nullable

MAX_LIST_ID = 2**31 - 1
"""Largest list id (an `Integer` column)."""

LEAD_FILTERS: tuple[Argument, ...] = (
    argument("email_class", choice(EMAIL_CLASSES)),
    argument("tier", choice(TIERS), "The lead's own tier (not its company's)."),
    COUNTRY,
    argument(
        "list", {"type": "integer", "minimum": 1, "maximum": MAX_LIST_ID}, "A lead list's id."
    ),
    min_score_argument(MAX_SCORE),
    argument(
        "sort",
        choice(SORTS, default="company"),
        "`company`: leads whose company is hottest on the web first, then by score.",
    ),
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
        "explanation": EXPLANATION,
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


def leads_operation() -> dict[str, Any]:
    return page_operation(
        "Leads of the caller's organisation, with their company's web score",
        "leads",
        {"$ref": "#/components/schemas/Lead"},
        LEAD_LIST_ARGUMENTS,
        MAX_PAGE,
        MAX_PER_PAGE,
    )


def leads_csv_operation() -> dict[str, Any]:
    return csv_operation(
        "Every lead matching the filters, as streamed CSV (UTF-8 with BOM)",
        LEAD_CSV_ARGUMENTS,
        "Columns: email, score, tier, email_class, phone_class, phone, country, "
        "country_source, language, company_domain, account_name, account_score, "
        "account_tier, list, imported_at, why.",
    )
