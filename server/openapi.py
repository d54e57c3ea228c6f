"""`GET /openapi.json`: the OpenAPI 3.1 description of the collector (`/e`) and
the accounts API (`/api/*`). Request and row schemas are generated from the
structures the code validates and returns (msgspec), so they cannot drift."""

from __future__ import annotations

from functools import cache
from typing import Any

import msgspec
from flask import Blueprint, jsonify
from werkzeug.wrappers import Response

from server.accounts.filters import DEFAULT_PER_PAGE, MAX_PER_PAGE, OUTCOMES, SORTS
from server.accounts.listing import AccountRow
from server.collect.beacon import MAX_BODY_BYTES, Beacon

bp = Blueprint("openapi", __name__)

ERROR = {
    "type": "object",
    "properties": {"error": {"type": "string"}, "field": {"type": "string"}},
    "required": ["error"],
}


@bp.get("/openapi.json")
def openapi() -> Response:
    return jsonify(document())


@cache
def document() -> dict[str, Any]:
    (beacon, row), components = msgspec.json.schema_components(
        [Beacon, AccountRow], ref_template="#/components/schemas/{name}"
    )
    components["Error"] = ERROR
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
        },
        "components": {
            "schemas": components,
            "securitySchemes": {
                "bearer": {"type": "http", "scheme": "bearer"},
                "session": {"type": "apiKey", "in": "cookie", "name": "session"},
            },
        },
    }


def _collect(beacon: dict[str, Any]) -> dict[str, Any]:
    return {
        "summary": "Send one beacon (pageview, engagement or event)",
        "requestBody": {
            "required": True,
            "description": f"JSON, at most {MAX_BODY_BYTES} bytes, whatever the Content-Type.",
            "content": {"application/json": {"schema": beacon}, "text/plain": {"schema": beacon}},
        },
        "responses": {
            "202": {
                "description": "Accepted, or dropped on purpose (bot, opt-out, non-business network)."
            },
            "400": _error("A field is missing or wrong: `<field>: <reason>`."),
            "403": _error("Unknown site key, or an origin or page outside the site's domains."),
            "413": _error("Body larger than the limit."),
            "429": {"description": "Over the rate limit."},
            "503": _error("The event could not be stored anywhere."),
        },
    }


def _accounts(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "summary": "Accounts of the caller's organisation, filtered, sorted and paginated",
        "security": [{"bearer": []}, {"session": []}],
        "parameters": _filters()
        + [
            _query("page", {"type": "integer", "minimum": 1, "default": 1}),
            _query(
                "per_page",
                {
                    "type": "integer",
                    "minimum": 1,
                    "maximum": MAX_PER_PAGE,
                    "default": DEFAULT_PER_PAGE,
                },
            ),
        ],
        "responses": {
            "200": {
                "description": "One page of accounts and the number matching the filters.",
                "content": {
                    "application/json": {
                        "schema": {
                            "type": "object",
                            "properties": {
                                "items": {"type": "array", "items": row},
                                "total": {"type": "integer"},
                                "page": {"type": "integer"},
                                "per_page": {"type": "integer"},
                            },
                            "required": ["items", "total"],
                        }
                    }
                },
            },
            "400": _error("A filter that cannot be used; `field` names it."),
            "401": _error("No valid token or session."),
        },
    }


def _account() -> dict[str, Any]:
    return {
        "summary": "One account: firmographics, score, explanation, history, recent visits",
        "security": [{"bearer": []}, {"session": []}],
        "parameters": [
            {"name": "account_id", "in": "path", "required": True, "schema": {"type": "integer"}}
        ],
        "responses": {
            "200": {
                "description": "The account.",
                "content": {"application/json": {"schema": {"type": "object"}}},
            },
            "401": _error("No valid token or session."),
            "404": _error("No such account in the caller's organisation."),
        },
    }


def _csv() -> dict[str, Any]:
    return {
        "summary": "Every account matching the filters, as streamed CSV (UTF-8 with BOM)",
        "security": [{"bearer": []}, {"session": []}],
        "parameters": _filters()
        + [_query("excel", {"type": "string", "enum": ["fr"]}, "`fr`: `;` as the delimiter.")],
        "responses": {
            "200": {
                "description": "CSV; cells starting with = + - @ are neutralised.",
                "content": {"text/csv": {"schema": {"type": "string"}}},
            },
            "400": _error("A filter that cannot be used; `field` names it."),
            "401": _error("No valid token or session."),
        },
    }


def _filters() -> list[dict[str, Any]]:
    text = {"type": "string"}
    return [
        _query("site", text, "A site's key or id."),
        _query("tier", text, "hot, warm, cold; comma-separated or repeated."),
        _query("min_score", {"type": "integer"}),
        _query("q", text, "Part of the name or domain."),
        _query("country", text, "ISO 3166-1 alpha-2."),
        _query("industry", text),
        _query("since", text, "Last seen since: `7d`, `30d`, `90d` or a date."),
        _query("outcome", {"type": "string", "enum": list(OUTCOMES)}),
        _query("sort", {"type": "string", "enum": list(SORTS), "default": "-score"}),
    ]


def _query(name: str, schema: dict[str, Any], description: str = "") -> dict[str, Any]:
    parameter = {"name": name, "in": "query", "required": False, "schema": schema}
    if description:
        parameter["description"] = description
    return parameter


def _error(description: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
    }
