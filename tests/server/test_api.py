"""The accounts API as a CRM sync or the dashboard uses it: list, detail, CSV."""

from __future__ import annotations

import csv
import io
import re
from datetime import datetime, timedelta

import pytest
from sqlalchemy import select, update
from werkzeug.datastructures import MultiDict

from server.accounts.filters import parse_filters
from server.storage import session_scope
from server.storage.models import Account, ApiToken, Site
from server.storage.types import utcnow
from tests.support.accounts import FORMULA_NAME, PASSWORD, seed_accounts

ALL_BY_SCORE = ["Hot Corp", "Beta GmbH", "Warm Ltd", "Cold SA", FORMULA_NAME]


@pytest.fixture
def world(app):
    return seed_accounts(app)


@pytest.fixture
def api(client, world):
    """GET an API path with the organisation's bearer token."""

    def get(path: str, **params):
        headers = {"Authorization": f"Bearer {world.token}"}
        return client.get(path, query_string=params, headers=headers)

    return get


def names(response) -> list[str]:
    assert response.status_code == 200, response.get_json()
    return [item["name"] for item in response.get_json()["items"]]


def csv_rows(response) -> list[list[str]]:
    text = response.get_data().decode("utf-8")
    assert text.startswith("\ufeff")
    delimiter = ";" if ";" in text.splitlines()[0] else ","
    return list(csv.reader(io.StringIO(text[1:]), delimiter=delimiter))


def test_accounts_are_listed_best_first_with_the_total(api):
    """The default list is the organisation's accounts, highest score first."""
    body = api("/api/accounts").get_json()
    assert [item["name"] for item in body["items"]] == ALL_BY_SCORE
    assert (body["total"], body["page"], body["per_page"]) == (5, 1, 50)


def test_an_item_carries_what_the_hot_list_shows(api, world):
    """Scores, firmographics, the one-line why, the latest outcome and the trend."""
    item = api("/api/accounts", q="hot corp").get_json()["items"][0]
    assert item["id"] == world.ids["Hot Corp"]
    assert (item["score"], item["tier"], item["fit"], item["engagement"]) == (80, "hot", 30.5, 49.5)
    assert (item["industry"], item["employees"], item["country"], item["city"]) == (
        "Software",
        200,
        "FR",
        "Paris",
    )
    assert (item["visits_30d"], item["active_days_30d"]) == (5, 3)
    assert item["top_pages"] == ["/pricing", "/"]
    assert item["why"] == "Persona Mid-market SaaS +30; Pricing page +20; Visits +10.5"
    assert item["outcome"] == "won"  # accepted first, then won
    assert item["trend"] == [50, 70, 80]  # the snapshot of 40 days ago is out of the trend
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z", item["last_seen"])


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"tier": "hot"}, ["Hot Corp", "Beta GmbH"]),
        ({"tier": "warm,cold"}, ["Warm Ltd", "Cold SA", FORMULA_NAME]),
        ({"tier": ["hot", "warm"]}, ["Hot Corp", "Beta GmbH", "Warm Ltd"]),
        ({"min_score": "40"}, ["Hot Corp", "Beta GmbH", "Warm Ltd"]),
        ({"min_score": "-5"}, ["Hot Corp", "Beta GmbH", "Warm Ltd", "Cold SA"]),
        ({"q": "CORP"}, ["Hot Corp"]),
        ({"q": ".be"}, ["Cold SA"]),
        ({"q": "%"}, []),
        ({"country": "fr"}, ["Hot Corp"]),
        ({"industry": "SOFTWARE"}, ["Hot Corp", "Beta GmbH"]),
        ({"since": "7d"}, ["Hot Corp", "Beta GmbH"]),
        ({"since": "30d"}, ["Hot Corp", "Beta GmbH", "Warm Ltd"]),
        ({"outcome": "won"}, ["Hot Corp"]),
        ({"outcome": "lost"}, ["Cold SA"]),  # won earlier, lost last
        ({"outcome": "rejected"}, ["Beta GmbH"]),
        ({"outcome": "none"}, ["Warm Ltd", FORMULA_NAME]),
        ({"tier": "hot", "country": "DE"}, ["Beta GmbH"]),
    ],
)
def test_each_filter_narrows_the_list(api, params, expected):
    response = api("/api/accounts", **params)
    assert names(response) == expected
    assert response.get_json()["total"] == len(expected)


def test_since_takes_a_date(api):
    since = utcnow().date() - timedelta(days=15)
    response = api("/api/accounts", since=since.isoformat())
    assert names(response) == ["Hot Corp", "Beta GmbH", "Warm Ltd"]


def test_filters_come_back_as_query_args_for_links_and_the_export():
    """What the dashboard puts in its page links and its export button."""
    filters = parse_filters(
        MultiDict(
            [
                ("tier", "warm"),
                ("tier", "hot"),
                ("country", "fr"),
                ("since", "30D"),
                ("sort", "name"),
                ("page", "2"),
                ("per_page", "10"),
                ("q", ""),
            ]
        )
    )
    assert filters.query_args() == {
        "tier": "hot,warm",
        "country": "FR",
        "since": "30d",
        "sort": "name",
        "page": "2",
        "per_page": "10",
    }
    assert parse_filters(filters.query_args()) == filters
    assert "page" not in filters.query_args(paging=False)
    assert parse_filters({}).query_args() == {}


def test_site_filter_takes_the_key_or_the_id(api, world, app):
    """Accounts with visits on that site only."""
    assert names(api("/api/accounts", site=world.site_key)) == ["Hot Corp", "Beta GmbH"]
    assert names(api("/api/accounts", site=world.second_site_key)) == ["Warm Ltd"]
    with app.app_context(), session_scope() as session:
        second_id = session.scalar(select(Site.id).where(Site.public_key == world.second_site_key))
    assert names(api("/api/accounts", site=str(second_id))) == ["Warm Ltd"]


@pytest.mark.parametrize(
    ("sort", "expected"),
    [
        ("-score", ALL_BY_SCORE),
        ("score", ALL_BY_SCORE[::-1]),
        ("-last_seen", ["Hot Corp", "Beta GmbH", "Warm Ltd", "Cold SA", FORMULA_NAME]),
        ("last_seen", [FORMULA_NAME, "Cold SA", "Warm Ltd", "Beta GmbH", "Hot Corp"]),
        ("name", ["Beta GmbH", "Cold SA", "Hot Corp", "Warm Ltd"]),
        ("-name", ["Warm Ltd", "Hot Corp", "Cold SA", "Beta GmbH"]),
    ],
)
def test_sorting(api, sort, expected):
    params = {"sort": sort}
    if "name" in sort:
        params["min_score"] = "0"  # names only of letters: the same order under any collation
    assert names(api("/api/accounts", **params)) == expected


def test_equal_scores_keep_a_stable_order_by_id(api, app, world):
    with app.app_context(), session_scope() as session:
        session.execute(update(Account).where(Account.org_id == world.org_id).values(score=10))
    ids = [item["id"] for item in api("/api/accounts").get_json()["items"]]
    assert ids == sorted(ids, reverse=True)
    ids = [item["id"] for item in api("/api/accounts", sort="score").get_json()["items"]]
    assert ids == sorted(ids)


def test_pages_cover_every_account_once(api):
    pages = [api("/api/accounts", per_page="2", page=str(page)).get_json() for page in (1, 2, 3, 4)]
    assert [len(page["items"]) for page in pages] == [2, 2, 1, 0]
    assert all(page["total"] == 5 and page["per_page"] == 2 for page in pages)
    assert [item["name"] for page in pages for item in page["items"]] == ALL_BY_SCORE


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"tier": "lukewarm"}, "tier"),
        ({"tier": "hot,boiling"}, "tier"),
        ({"min_score": "lots"}, "min_score"),
        ({"min_score": "99999999999999999999"}, "min_score"),
        ({"page": "0"}, "page"),
        ({"page": "-1"}, "page"),
        ({"per_page": "500"}, "per_page"),
        ({"per_page": "1.5"}, "per_page"),
        ({"since": "yesterday"}, "since"),
        ({"since": "2024-13-01"}, "since"),
        ({"since": "0d"}, "since"),
        ({"country": "France"}, "country"),
        ({"sort": "size"}, "sort"),
        ({"outcome": "maybe"}, "outcome"),
        ({"q": "a\x00b"}, "q"),
        ({"q": "x" * 201}, "q"),
        ({"site": "nosuchsite"}, "site"),
        ({"site": "../etc"}, "site"),
    ],
)
def test_bad_filters_answer_400_naming_the_field(api, params, field):
    response = api("/api/accounts", **params)
    assert response.status_code == 400
    body = response.get_json()
    assert body["field"] == field and body["error"].startswith(f"{field}: ")
    assert api("/api/accounts.csv", **params).get_json()["field"] == field


def test_another_organisations_site_is_not_a_filter(api, world):
    response = api("/api/accounts", site=world.other_site_key)
    assert response.status_code == 400 and response.get_json()["field"] == "site"


def test_another_organisations_account_is_never_shown(api, world):
    assert "Foreign Corp" not in names(api("/api/accounts", q="corp"))
    response = api(f"/api/accounts/{world.ids['Foreign Corp']}")
    assert response.status_code == 404 and response.get_json() == {"error": "no such account"}
    assert api("/api/accounts/999999").status_code == 404
    assert "Foreign Corp" not in api("/api/accounts.csv").get_data(as_text=True)


@pytest.mark.parametrize(
    "account_id",
    ["9223372036854775807", "9223372036854775808", "99999999999999999999", "0", "abc", "-1"],
)
def test_ids_the_database_cannot_hold_answer_the_json_404(api, account_id):
    """Past 2^63 - 1, zero, signs and letters: the API's JSON 404, never a 500."""
    response = api(f"/api/accounts/{account_id}")
    assert response.status_code == 404
    assert response.mimetype == "application/json" and response.get_json()["error"]


def test_account_detail(api, world):
    """Firmographics, score and why, history, visits with their pages, feedback, contacts."""
    response = api(f"/api/accounts/{world.ids['Hot Corp']}")
    assert response.status_code == 200
    detail = response.get_json()
    assert (detail["name"], detail["domain"], detail["score"], detail["tier"]) == (
        "Hot Corp",
        "hotcorp.fr",
        80,
        "hot",
    )
    assert detail["firmographics"] == {"revenue": "10-50M"}
    assert detail["explanation"][0] == {"label": "Persona Mid-market SaaS", "points": 30}
    assert detail["hot_since"].endswith("Z")
    assert [(s["score"], s["tier"]) for s in detail["score_history"]] == [
        (10, "cold"),
        (50, "warm"),
        (70, "hot"),
        (80, "hot"),
    ]
    datetime.fromisoformat(detail["score_history"][0]["day"])
    newest, oldest = detail["visits"]
    assert newest["started_at"] > oldest["started_at"]
    assert [event["path"] for event in newest["events"]] == ["/pricing", "/demo", "/contact"]
    assert newest["events"][0]["title"] == "Title of /pricing"
    assert newest["events"][0]["type"] == "pageview"
    assert [o["outcome"] for o in detail["outcomes"]] == ["won", "accepted"]
    assert detail["outcome"] == "won"
    assert detail["enrichments"][0]["provider"] == "file"
    assert detail["enrichments"][0]["status"] == "done"
    assert detail["contacts"][0]["name"] == "Ada Martin"


def test_no_credentials_answer_401(client, world):
    for path in ("/api/accounts", f"/api/accounts/{world.ids['Hot Corp']}", "/api/accounts.csv"):
        response = client.get(path)
        assert response.status_code == 401 and "error" in response.get_json()


def test_unknown_or_revoked_tokens_answer_401(client, app, world):
    unknown = client.get("/api/accounts", headers={"Authorization": "Bearer vigie_nottoken"})
    assert unknown.status_code == 401
    with app.app_context(), session_scope() as session:
        session.execute(update(ApiToken).values(revoked_at=utcnow()))
    revoked = client.get("/api/accounts", headers={"Authorization": f"Bearer {world.token}"})
    assert revoked.status_code == 401


def test_a_signed_in_user_uses_the_api_from_the_dashboard(client, world):
    form = client.get("/login").get_data(as_text=True)
    csrf = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', form).group(1)
    signed_in = client.post(
        "/login", data={"email": world.email, "password": PASSWORD, "csrf_token": csrf}
    )
    assert signed_in.status_code == 302
    assert names(client.get("/api/accounts", query_string={"tier": "hot"})) == [
        "Hot Corp",
        "Beta GmbH",
    ]
    assert client.get("/api/accounts.csv").status_code == 200


def test_csv_export(api):
    """BOM, header, every matching row; a download named for the organisation and day."""
    response = api("/api/accounts.csv")
    assert response.status_code == 200
    assert response.content_type == "text/csv; charset=utf-8"
    assert response.headers["Content-Disposition"] == (
        f'attachment; filename="vigie-accounts-acme-{utcnow():%Y-%m-%d}.csv"'
    )
    header, *rows = csv_rows(response)
    assert header == (
        "name,domain,score,tier,fit,engagement,industry,employees,country,city,visits_30d,"
        "active_days_30d,last_seen,first_seen,top_pages,why,outcome,identified_by,confidence"
    ).split(",")
    assert [row[0] for row in rows] == [
        "Hot Corp",
        "Beta GmbH",
        "Warm Ltd",
        "Cold SA",
        f"'{FORMULA_NAME}",
    ]
    hot = dict(zip(header, rows[0], strict=True))
    assert (hot["score"], hot["fit"], hot["engagement"], hot["outcome"]) == (
        "80",
        "30.5",
        "49.5",
        "won",
    )
    assert hot["why"] == "Persona Mid-market SaaS +30; Pricing page +20; Visits +10.5"
    assert hot["top_pages"] == "/pricing /"
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d", hot["last_seen"])


def test_csv_neutralises_formulas_but_keeps_negative_numbers(api):
    rows = csv_rows(api("/api/accounts.csv", min_score="-1000", sort="score"))
    formula = dict(zip(rows[0], rows[1], strict=True))
    assert formula["name"] == "'" + FORMULA_NAME
    assert formula["why"] == "'-country outside the market -1000"
    assert (formula["score"], formula["fit"], formula["engagement"]) == ("-1000", "-1000", "-0.25")


def test_csv_for_french_excel(api):
    text = api("/api/accounts.csv", excel="fr", tier="hot").get_data().decode("utf-8")
    lines = text.splitlines()
    assert lines[0] == "\ufeff" + ";".join(
        "name domain score tier fit engagement industry employees country city visits_30d "
        "active_days_30d last_seen first_seen top_pages why outcome identified_by confidence".split()
    )
    assert lines[1].startswith("Hot Corp;hotcorp.fr;80;hot;30,5;49,5;Software;200;FR;Paris;5;3;")
    assert len(lines) == 3


def test_csv_rows_follow_the_filters_not_the_page(api):
    rows = csv_rows(api("/api/accounts.csv", tier="warm,cold", per_page="1", page="2"))
    assert [row[0] for row in rows[1:]] == ["Warm Ltd", "Cold SA", f"'{FORMULA_NAME}"]
    assert [row[-3] for row in rows[1:]] == ["", "lost", ""]  # outcome, before provenance


def test_unknown_csv_dialect_is_a_400(api):
    response = api("/api/accounts.csv", excel="de")
    assert response.status_code == 400 and response.get_json()["field"] == "excel"
