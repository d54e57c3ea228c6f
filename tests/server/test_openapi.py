"""`GET /openapi.json` describes the collector and the accounts API as served."""

from __future__ import annotations

import re

import pytest

from server.accounts.filters import MAX_PER_PAGE, MAX_SINCE_DAYS, parse_filters
from server.openapi import PERIOD
from server.validation import InvalidInput
from tests.support.accounts import seed_accounts
from tests.support.collector import pageview, send


def test_the_description_covers_every_public_endpoint(sqlite_app):
    answer = sqlite_app.test_client().get("/openapi.json")
    assert answer.status_code == 200
    document = answer.get_json()
    assert document["openapi"].startswith("3.1")
    assert set(document["paths"]) == {
        "/e",
        "/api/accounts",
        "/api/accounts/{account_id}",
        "/api/accounts.csv",
        "/api/funnel",
        "/api/leads",
        "/api/leads.csv",
    }
    routes = {rule.rule for rule in sqlite_app.url_map.iter_rules()}
    assert {
        "/e",
        "/api/accounts",
        "/api/accounts/<id:account_id>",
        "/api/accounts.csv",
        "/api/funnel",
    } <= routes


def test_the_beacon_and_account_schemas_follow_the_code(sqlite_app):
    document = sqlite_app.test_client().get("/openapi.json").get_json()
    schemas = document["components"]["schemas"]
    beacon = schemas["Beacon"]
    assert set(beacon["required"]) == {"site", "type", "url"}
    assert beacon["properties"]["url"]["maxLength"] == 2048
    assert beacon["properties"]["engaged_ms"]["anyOf"][0]["maximum"] == 86_400_000
    row = schemas["AccountRow"]["properties"]
    assert {"score", "tier", "why", "trend", "outcome"} <= set(row)
    sorts = next(
        p for p in document["paths"]["/api/accounts"]["get"]["parameters"] if p["name"] == "sort"
    )
    assert "-score" in sorts["schema"]["enum"]


def parameters_of(document, path):
    return {p["name"]: p for p in document["paths"][path]["get"]["parameters"]}


def test_query_arguments_are_typed_as_the_api_checks_them(sqlite_app):
    """No bare strings, no empty enum values; dates, periods and ids have their forms."""
    document = sqlite_app.test_client().get("/openapi.json").get_json()
    listed = parameters_of(document, "/api/accounts")
    for name, parameter in listed.items():
        schema = parameter["schema"]
        assert schema != {"type": "string"}, name
        assert "" not in schema.get("enum", []), name
    assert listed["since"]["schema"]["anyOf"][0]["format"] == "date"
    assert listed["tier"]["schema"]["type"] == "array"
    assert listed["per_page"]["schema"]["maximum"] == MAX_PER_PAGE
    assert parameters_of(document, "/api/accounts.csv")["excel"]["schema"]["enum"] == ["fr"]
    account_id = parameters_of(document, "/api/accounts/{account_id}")["account_id"]["schema"]
    assert (account_id["format"], account_id["minimum"], account_id["maximum"]) == (
        "int64",
        1,
        2**63 - 1,
    )


@pytest.mark.parametrize(
    ("value", "valid"),
    [("1d", True), (f"{MAX_SINCE_DAYS}d", True), (f"{MAX_SINCE_DAYS + 1}d", False), ("0d", False)],
)
def test_the_documented_period_is_the_one_the_filters_take(value, valid):
    assert bool(re.fullmatch(PERIOD, value)) is valid
    try:
        parse_filters({"since": value})
    except InvalidInput:
        assert not valid
    else:
        assert valid


def test_every_api_answer_is_documented_with_the_error_shape(sqlite_app):
    document = sqlite_app.test_client().get("/openapi.json").get_json()
    schemes = document["components"]["securitySchemes"]
    assert schemes["token"] == {**schemes["token"], "type": "http", "scheme": "bearer"}
    for path in ("/api/accounts", "/api/accounts/{account_id}", "/api/accounts.csv"):
        operation = document["paths"][path]["get"]
        assert {"token": []} in operation["security"]
        for status in ("401", "403"):
            schema = operation["responses"][status]["content"]["application/json"]["schema"]
            assert schema == {"$ref": "#/components/schemas/Error"}
    row = document["components"]["schemas"]["AccountRow"]["properties"]
    assert row["tier"]["enum"] == ["hot", "warm", "cold"]
    assert row["last_seen"]["anyOf"][0]["format"] == "date-time"
    beacon = document["components"]["schemas"]["Beacon"]["properties"]
    assert beacon["url"]["format"] == "uri"


@pytest.mark.parametrize(
    ("query", "field"),
    [("outcome=", "outcome"), ("tier=HOT", "tier"), ("site=", "site"), ("since=20240101", "since")],
)
def test_the_api_refuses_what_the_document_refuses(sqlite_app, query, field):
    """Empty arguments and values outside the document are a 400, not ignored."""
    token = seed_accounts(sqlite_app).token
    answer = sqlite_app.test_client().get(
        f"/api/accounts?{query}", headers={"Authorization": f"Bearer {token}"}
    )
    assert answer.status_code == 400 and answer.get_json()["field"] == field


@pytest.mark.parametrize(("engaged_ms", "status"), [(1.0, 202), (1500, 202), (1.5, 400)])
def test_engaged_ms_is_a_whole_number_however_it_is_written(collector_app, engaged_ms, status):
    """The document types it `integer`, which JSON Schema takes as 1.0 too; so does the collector."""
    beacon = pageview(type="engagement", engaged_ms=engaged_ms)
    answer = send(collector_app, beacon)
    assert answer.status_code == status
    if status == 400:
        assert answer.get_json() == {"error": "engaged_ms: must be a whole number of milliseconds"}
    document = collector_app.test_client().get("/openapi.json").get_json()
    schema = document["components"]["schemas"]["Beacon"]["properties"]["engaged_ms"]
    assert schema["anyOf"][0]["type"] == "integer"
