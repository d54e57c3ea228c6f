"""`Vigie-Company` databases built from CSV: overlaps, errors with line numbers."""

from __future__ import annotations

import io

import maxminddb
import pytest

from enrich.companydb import CompanyDbError, build_company_db, read_networks

HEADER = "network,name,domain,industry,employees,country\n"


def build(tmp_path, body: str):
    path = tmp_path / "companies.mmdb"
    build_company_db(read_networks(io.StringIO(HEADER + body)), path)
    return maxminddb.open_database(str(path))


def test_database_opens_with_maxminddb_and_has_the_vigie_type(tmp_path):
    reader = build(
        tmp_path, "81.2.69.0/24,Acme,acme.com,Software,120,gb\n2a01:cb00::/32,Beta,,,,\n"
    )
    assert reader.metadata().database_type == "Vigie-Company"
    assert reader.get("81.2.69.9") == {
        "name": "Acme",
        "domain": "acme.com",
        "industry": "Software",
        "employees": 120,
        "country": "GB",
    }
    assert reader.get("2a01:cb00::1") == {"name": "Beta"}
    assert reader.get("81.2.70.1") is None


def test_most_specific_network_wins_whatever_the_order(tmp_path):
    reader = build(
        tmp_path, "81.2.69.160/28,Small,,,,\n81.2.0.0/16,Big,,,,\n81.2.69.160/30,Tiny,,,,\n"
    )
    assert reader.get("81.2.69.161")["name"] == "Tiny"
    assert reader.get("81.2.69.170")["name"] == "Small"
    assert reader.get("81.2.1.1")["name"] == "Big"


@pytest.mark.parametrize(
    ("line", "message"),
    [
        (
            "10.0.0.1/8,Acme,,,,",
            "line 2: network: '10.0.0.1/8' is not a network (10.0.0.1/8 has host bits set)",
        ),
        ("nonsense,Acme,,,,", "line 2: network: 'nonsense' is not a network"),
        ("81.2.0.0/16,,,,,", "line 2: name: must not be empty"),
        ("81.2.0.0/16,Acme,not a domain,,,", "line 2: domain: 'not a domain' is not a domain name"),
        ("81.2.0.0/16,Acme,,,12k,", "line 2: employees: '12k' is not a whole number"),
        ("81.2.0.0/16,Acme,,,,France", "line 2: country: 'FRANCE' is not a two-letter ISO code"),
        ("81.2.0.0/16,Acme,,,,,extra", "line 2: more fields than the 6 columns"),
    ],
)
def test_bad_line_is_reported_with_its_number(line, message):
    with pytest.raises(CompanyDbError) as raised:
        read_networks(io.StringIO(HEADER + line + "\n"))
    assert str(raised.value).startswith(message)


def test_every_bad_line_is_listed_and_duplicates_name_the_first(tmp_path):
    body = "81.2.0.0/16,A,,,,\nbad,B,,,,\n81.2.0.0/16,C,,,,\n"
    with pytest.raises(CompanyDbError) as raised:
        read_networks(io.StringIO(HEADER + body))
    assert raised.value.problems == [
        (
            3,
            "network: 'bad' is not a network ('bad' does not appear to be an IPv4 or IPv6 network)",
        ),
        (4, "network: 81.2.0.0/16 already given on line 2"),
    ]


def test_header_must_name_the_columns():
    with pytest.raises(CompanyDbError, match="line 1: header: missing column\\(s\\) name"):
        read_networks(io.StringIO("network,company\n81.2.0.0/16,A\n"))
