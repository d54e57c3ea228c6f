"""Fixtures of the server tests: a collector on real `.mmdb` files and a site."""

from __future__ import annotations

import io

import pytest

from enrich.companydb import build_company_db, read_networks
from tests.support.collector import SITE_KEY
from tests.support.factories import make_site
from tests.support.mmdb import write_mmdb


@pytest.fixture
def mmdb(tmp_path):
    companies = tmp_path / "companies.mmdb"
    build_company_db(
        read_networks(
            io.StringIO(
                "network,name,domain,industry,employees,country\n"
                "81.2.69.0/24,Acme SAS,acme.fr,Software,120,FR\n"
                "2a01:e0a:100::/48,Beta GmbH,beta.de,Retail,900,DE\n"
            )
        ),
        companies,
    )
    asn = write_mmdb(
        tmp_path / "asn.mmdb",
        "GeoLite2-ASN",
        {
            "90.0.0.0/9": {
                "autonomous_system_number": 3215,
                "autonomous_system_organization": "Orange",
            },
            "52.0.0.0/11": {
                "autonomous_system_number": 16509,
                "autonomous_system_organization": "AMAZON-02",
            },
        },
    )
    return [str(companies), str(asn)]


@pytest.fixture
def collector_app(make_app, db_url, mmdb):
    """A collector on `db_url` with the test `.mmdb` files and one site."""
    app = make_app(db_url, MMDB=mmdb, TRUSTED_PROXIES=0)
    make_site(app, SITE_KEY, query_allowlist=["plan"])
    return app
