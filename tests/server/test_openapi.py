"""`GET /openapi.json` describes the collector and the accounts API as served."""

from __future__ import annotations


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
    }
    routes = {rule.rule for rule in sqlite_app.url_map.iter_rules()}
    assert {"/e", "/api/accounts", "/api/accounts/<id:account_id>", "/api/accounts.csv"} <= routes


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
