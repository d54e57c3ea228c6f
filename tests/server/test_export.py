"""`vigie export`: the accounts CSV from the command line, as the API serves it."""

from __future__ import annotations

import csv
import html
import io
import re
from datetime import date
from urllib.parse import parse_qs, urlsplit

import pytest

from server.api import export_filename
from server.storage.types import utcnow
from tests.support.accounts import FORMULA_NAME, PASSWORD, seed_accounts
from tests.support.cli import cli_for


@pytest.fixture
def world(app):
    return seed_accounts(app)


@pytest.fixture
def vigie(app, world, tmp_path):
    return cli_for(app, tmp_path)


def api_csv(app, world, **params) -> bytes:
    response = app.test_client().get(
        "/api/accounts.csv",
        query_string=params,
        headers={"Authorization": f"Bearer {world.token}"},
    )
    assert response.status_code == 200
    return response.get_data()


def exported_names(data: bytes, delimiter: str = ",") -> list[str]:
    text = data.decode("utf-8")
    assert text.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(text[1:]), delimiter=delimiter))
    assert rows[0][:3] == ["name", "domain", "score"]
    assert rows[0][-3:] == ["outcome", "identified_by", "confidence"]
    return [row[0] for row in rows[1:]]


def one_line_error(result, expected: str) -> None:
    assert result.exit_code == 2, result.output
    assert result.stderr.strip().splitlines() == [f"Error: {expected}"]
    assert result.stdout_bytes == b""
    assert result.exception is None or isinstance(result.exception, SystemExit)


def test_export_to_stdout_is_the_api_csv(vigie, app, world):
    result = vigie("export", "--org", "acme")
    assert result.exit_code == 0, result.output
    assert result.stdout_bytes == api_csv(app, world)
    assert exported_names(result.stdout_bytes) == [
        "Hot Corp",
        "Beta GmbH",
        "Warm Ltd",
        "Cold SA",
        "'" + FORMULA_NAME,
    ]


def test_export_to_a_file_with_filters_for_french_excel(vigie, app, world, tmp_path):
    output = tmp_path / "hot.csv"
    result = vigie(
        "export", "--org", "Acme", "--tier", "hot", "--excel-fr", "--output", str(output)
    )
    assert result.exit_code == 0, result.output
    assert result.stdout_bytes == b""
    assert str(output) in result.stderr
    assert output.read_bytes() == api_csv(app, world, tier="hot", excel="fr")
    assert exported_names(output.read_bytes(), ";") == ["Hot Corp", "Beta GmbH"]


@pytest.mark.parametrize(
    ("options", "expected"),
    [
        (
            ("--min-score", "-5", "--sort", "score"),
            ["Cold SA", "Warm Ltd", "Beta GmbH", "Hot Corp"],
        ),
        (("--tier", "warm", "--tier", "cold", "--country", "be"), ["Cold SA"]),
        (("--q", "GMBH"), ["Beta GmbH"]),
        (("--industry", "software", "--since", "7d"), ["Hot Corp", "Beta GmbH"]),
        (("--outcome", "none"), ["Warm Ltd", "'" + FORMULA_NAME]),
        (("--sort", "-last_seen", "--outcome", "won"), ["Hot Corp"]),
    ],
)
def test_export_rows_match_the_filters(vigie, options, expected):
    result = vigie("export", "--org", "Acme", *options)
    assert result.exit_code == 0, result.output
    assert exported_names(result.stdout_bytes) == expected


def test_export_of_one_site(vigie, world):
    result = vigie("export", "--org", "Acme", "--site", world.second_site_key)
    assert exported_names(result.stdout_bytes) == ["Warm Ltd"]


@pytest.mark.parametrize(
    ("options", "expected"),
    [
        (("--min-score", "lots"), "--min-score: 'lots' is not a whole number"),
        (("--tier", "boiling"), "--tier: 'boiling' is not one of hot, warm, cold"),
        (
            ("--since", "last week"),
            "--since: 'last week' is neither a date (YYYY-MM-DD) nor a period (7d, 30d, 90d)",
        ),
        (
            ("--sort", "size"),
            "--sort: 'size' is not one of -score, score, -last_seen, last_seen, -name, name",
        ),
        (("--country", "France"), "--country: 'France' is not a two-letter ISO country code"),
    ],
)
def test_a_bad_option_value_is_a_one_line_error(vigie, options, expected):
    one_line_error(vigie("export", "--org", "Acme", *options), expected)


def test_an_unknown_site_or_organisation_leaves_no_file(vigie, world, tmp_path):
    output = tmp_path / "out.csv"
    result = vigie(
        "export", "--org", "Acme", "--site", world.other_site_key, "--output", str(output)
    )
    one_line_error(result, f"--site: no site {world.other_site_key!r} in this organisation")
    assert not output.exists()
    result = vigie("export", "--org", "Nobody", "--output", str(output))
    one_line_error(result, "--org: no organisation named 'Nobody' (known: Acme, Other)")
    assert not output.exists()


def test_api_export_file_name_has_the_organisation_and_the_date(app, world):
    client = app.test_client()
    headers = {"Authorization": f"Bearer {world.token}"}
    today = f"{utcnow():%Y-%m-%d}"
    plain = client.get("/api/accounts.csv", headers=headers)
    assert plain.headers["Content-Disposition"] == (
        f'attachment; filename="vigie-accounts-acme-{today}.csv"'
    )
    assert plain.get_data()  # streamed to the end before the next request, as a download is
    french = client.get("/api/accounts.csv", query_string={"excel": "fr"}, headers=headers)
    assert french.headers["Content-Disposition"] == (
        f'attachment; filename="vigie-accounts-acme-{today}-excel-fr.csv"'
    )
    assert french.get_data()  # streamed to the end, as a download is


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("Acme", "acme"),
        ("Société Générale & Fils", "societe-generale-fils"),
        ('  "Quoted"; name\r\n', "quoted-name"),
        ("東京商事", "organisation"),
        ("x" * 60 + " Ltd", "x" * 40),
    ],
)
def test_export_file_name_is_ascii_and_header_safe(name, expected):
    assert export_filename(name, date(2026, 11, 29)) == f"vigie-accounts-{expected}-2026-11-29.csv"


def test_accounts_page_offers_the_french_excel_export_with_the_filters(app, world):
    client = app.test_client()
    form = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', form)[1]
    client.post("/login", data={"email": world.email, "password": PASSWORD, "csrf_token": token})
    page = client.get("/accounts", query_string={"tier": "hot", "industry": "software", "page": 1})
    text = page.get_data(as_text=True)
    links = {
        key: html.unescape(re.search(rf'id="{key}" href="([^"]+)"', text)[1])
        for key in ("export", "export-excel-fr")
    }
    plain, french = (urlsplit(links[key]) for key in ("export", "export-excel-fr"))
    assert plain.path == french.path == "/api/accounts.csv"
    assert parse_qs(french.query) == {**parse_qs(plain.query), "excel": ["fr"]}
    assert parse_qs(plain.query)["tier"] == ["hot"] and "page" not in parse_qs(plain.query)
    download = client.get(links["export-excel-fr"])
    assert download.status_code == 200
    assert download.headers["Content-Disposition"].endswith('-excel-fr.csv"')
    assert exported_names(download.get_data(), ";") == ["Hot Corp", "Beta GmbH"]
