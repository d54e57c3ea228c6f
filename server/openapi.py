"""`GET /openapi.json`: the OpenAPI 3.1 description of the collector (`/e`),
the accounts API and the identification funnel (`/api/*`).

The document says exactly what the code accepts, so that a client generated
from it never gets a 400 for a request it thinks valid. The beacon and row
schemas are generated from the structures the code validates and returns
(msgspec); the API's query arguments are declared here once, and the API
checks each argument it is sent against the same declaration
(`check_arguments`), so the two cannot drift.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date
from functools import cache
from typing import Any

import msgspec
from flask import Blueprint, jsonify
from werkzeug.wrappers import Response

from server.accounts.filters import (
    CONFIDENCES,
    DEFAULT_PER_PAGE,
    MAX_PAGE,
    MAX_PER_PAGE,
    MAX_SCORE,
    MAX_SINCE_DAYS,
    MAX_TEXT,
    OUTCOMES,
    SORTS,
    TIERS,
)
from server.accounts.listing import AccountRow
from server.collect.beacon import MAX_BODY_BYTES, MAX_PROP_KEY_LENGTH, Beacon
from server.ids import MAX_ID
from server.openapi_arguments import (
    COUNTRY,
    EXCEL,
    SITE_KEY,
    Argument,
    argument,
    choice,
    date_or_period,
    min_score_argument,
    paging_arguments,
)
from server.openapi_funnel import FUNNEL, FUNNEL_REPORT, funnel_operation
from server.openapi_leads import LEAD, leads_csv_operation, leads_operation
from server.openapi_operations import (
    api_errors,
    csv_operation,
    error,
    json_answer,
    operation,
    page_operation,
)
from server.openapi_schemas import ERROR, account_detail_schema, refine_beacon, refine_row
from server.validation import InvalidInput

bp = Blueprint("openapi", __name__)

NO_CONTROL = "^[^\\x00-\\x1f]*$"
"""Text without C0 control characters, which the accounts filters refuse."""

PERIOD = "^(?:[1-9][0-9]{0,2}|[12][0-9]{3}|3[0-5][0-9]{2}|36[0-5][0-9]|3660)d$"
"""`1d` to `3660d` (`MAX_SINCE_DAYS`, spelled out: a test holds them together)."""

TIER_LIST = "^(?:{0})(?:,(?:{0}))*$".format("|".join(TIERS))
"""One tier or several, comma-separated."""

FILTER_TEXT = {"type": "string", "minLength": 1, "maxLength": MAX_TEXT, "pattern": NO_CONTROL}
"""The text a filter searches for or matches."""

FILTERS: tuple[Argument, ...] = (
    argument("site", SITE_KEY, "A site's key or numeric id."),
    argument(
        "tier",
        {"type": "array", "items": {"type": "string", "pattern": TIER_LIST}},
        "Tiers to keep: repeated, or comma-separated (`hot,warm`).",
        style="form",
        explode=True,
    ),
    min_score_argument(MAX_SCORE),
    argument("q", FILTER_TEXT, "Part of the name or domain."),
    COUNTRY,
    argument("industry", FILTER_TEXT),
    argument(
        "since",
        date_or_period(PERIOD),
        f"Last seen since a date, or within a period of 1 to {MAX_SINCE_DAYS} days.",
    ),
    argument("outcome", choice(OUTCOMES), "Latest sales outcome; `none`: no feedback yet."),
    argument(
        "confidence",
        choice(CONFIDENCES),
        "How surely the company was identified; `low`: worth checking.",
    ),
    argument("sort", choice(SORTS, default="-score"), "A leading `-` sorts in descending order."),
)
"""The accounts filters, as the API takes them: every value as typed, never empty."""

PAGING = paging_arguments(MAX_PAGE, MAX_PER_PAGE, DEFAULT_PER_PAGE)

LIST_ARGUMENTS = FILTERS + PAGING
CSV_ARGUMENTS = FILTERS + EXCEL


@bp.get("/openapi.json")
def openapi() -> Response:
    return jsonify(document())


def check_arguments(args: Mapping[str, Any], parameters: tuple[dict[str, Any], ...]) -> None:
    """Check each value of the documented query arguments against its schema.

    :raise InvalidInput: naming the first argument whose value the document refuses.
    """
    for parameter in parameters:
        name = parameter["name"]
        values = args.getlist(name) if hasattr(args, "getlist") else [args.get(name)]
        for value in (str(value) for value in values if value is not None):
            if not matches(parameter["schema"], value):
                raise InvalidInput(name, _refusal(value))


def matches(schema: dict[str, Any], value: str) -> bool:
    """Whether the query value `value` is valid for `schema` (the forms used above)."""
    if "anyOf" in schema:
        return any(matches(choice, value) for choice in schema["anyOf"])
    if schema.get("type") == "array":
        return matches(schema["items"], value)
    if "enum" in schema:
        return value in schema["enum"]
    if schema.get("type") == "integer":
        return bool(re.fullmatch("-?[0-9]{1,19}", value)) and (
            schema.get("minimum", -MAX_ID) <= int(value) <= schema.get("maximum", MAX_ID)
        )
    if not schema.get("minLength", 1) <= len(value) <= schema.get("maxLength", len(value)):
        return False
    if "pattern" in schema and not re.fullmatch(schema["pattern"], value):
        return False
    return schema.get("format") != "date" or _is_date(value)


def _is_date(value: str) -> bool:
    """RFC 3339 `full-date`: `YYYY-MM-DD`, a day that exists."""
    if not re.fullmatch("[0-9]{4}-[0-9]{2}-[0-9]{2}", value):
        return False
    try:
        date.fromisoformat(value)
    except ValueError:
        return False
    return True


def _refusal(value: str) -> str:
    if not value.strip():
        return "must not be empty (leave the argument out instead)"
    if value != value.strip():
        return f"{value!r} has spaces around it"
    return f"{value!r} is not a value this argument takes (see /openapi.json)"


@cache
def document() -> dict[str, Any]:
    (beacon, row), components = msgspec.json.schema_components(
        [Beacon, AccountRow], ref_template="#/components/schemas/{name}"
    )
    refine_beacon(components["Beacon"])
    refine_row(components["AccountRow"])
    components["AccountDetail"] = account_detail_schema()
    components["Error"] = ERROR
    components["Funnel"] = FUNNEL
    components["FunnelReport"] = FUNNEL_REPORT
    components["Lead"] = LEAD
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Vigie",
            "version": "1",
            "description": "Collector and accounts API of a Vigie server.",
        },
        "paths": {
            "/e": {"post": _collect(beacon)},
            "/api/accounts": {"get": _accounts(row)},
            "/api/accounts/{account_id}": {"get": _account()},
            "/api/accounts.csv": {"get": _csv()},
            "/api/funnel": {"get": funnel_operation()},
            "/api/leads": {"get": leads_operation()},
            "/api/leads.csv": {"get": leads_csv_operation()},
        },
        "components": {
            "schemas": components,
            "securitySchemes": {
                "token": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "An API token of the organisation (Settings → API tokens).",
                },
                "session": {"type": "apiKey", "in": "cookie", "name": "session"},
            },
        },
    }


def _collect(beacon: dict[str, Any]) -> dict[str, Any]:
    return {
        "summary": "Send one beacon (pageview, engagement or event)",
        "description": (
            "The body is read as JSON whatever its Content-Type (browsers send "
            "`text/plain` to avoid a preflight). Property keys are 1 to "
            f"{MAX_PROP_KEY_LENGTH} characters; integer property values beyond "
            "±2^53 are refused."
        ),
        "requestBody": {
            "required": True,
            "description": f"JSON, at most {MAX_BODY_BYTES} bytes.",
            "content": {"application/json": {"schema": beacon}, "text/plain": {"schema": beacon}},
        },
        "responses": {
            "202": {
                "description": "Accepted, or dropped on purpose (bot, opt-out, non-business network)."
            },
            "400": error("A field is missing or wrong: `<field>: <reason>`."),
            "403": error("Unknown site key, or an origin or page outside the site's domains."),
            "413": error(f"Body larger than {MAX_BODY_BYTES} bytes."),
            "429": error("Over the rate limit of the client's address."),
            "503": error("The event could not be stored anywhere."),
        },
    }


def _accounts(row: dict[str, Any]) -> dict[str, Any]:
    return page_operation(
        "Accounts of the caller's organisation, filtered, sorted and paginated",
        "accounts",
        row,
        LIST_ARGUMENTS,
        MAX_PAGE,
        MAX_PER_PAGE,
    )


def _account() -> dict[str, Any]:
    account_id = {"type": "integer", "format": "int64", "minimum": 1, "maximum": MAX_ID}
    return operation(
        "One account: firmographics, score, explanation, history, recent visits",
        [{"name": "account_id", "in": "path", "required": True, "schema": account_id}],
        json_answer("The account.", {"$ref": "#/components/schemas/AccountDetail"}),
        {
            **api_errors(bad_request=False),
            "404": error("No such account in the caller's organisation (or an id out of range)."),
        },
    )


def _csv() -> dict[str, Any]:
    return csv_operation(
        "Every account matching the filters, as streamed CSV (UTF-8 with BOM)", CSV_ARGUMENTS
    )
