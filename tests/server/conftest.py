"""Fixtures of the server tests: a collector on real `.mmdb` files and a site."""

from __future__ import annotations

import pytest

from tests.support.collector import SITE_KEY
from tests.support.factories import make_site
from tests.support.mmdb import ACME_NETWORKS, BETA_NETWORKS, company_and_asn_dbs


@pytest.fixture
def mmdb(tmp_path):
    return company_and_asn_dbs(tmp_path, ACME_NETWORKS + BETA_NETWORKS)


@pytest.fixture
def collector_app(make_app, db_url, mmdb):
    """A collector on `db_url` with the test `.mmdb` files and one site."""
    app = make_app(db_url, MMDB=mmdb, TRUSTED_PROXIES=0)
    make_site(app, SITE_KEY, query_allowlist=["plan"])
    return app
