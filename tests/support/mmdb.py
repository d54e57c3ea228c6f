"""Small real `.mmdb` files for tests, written by Vigie's own writer."""

from __future__ import annotations

import io
from pathlib import Path

from enrich.companydb import build_company_db, read_networks
from enrich.mmdb_files import write_mmdb

__all__ = ["ASN_RECORDS", "ACME_NETWORKS", "BETA_NETWORKS", "company_and_asn_dbs", "write_mmdb"]


ACME_NETWORKS = (
    "network,name,domain,industry,employees,country\n"
    "81.2.69.0/24,Acme SAS,acme.fr,Software,120,FR\n"
)
"""The company database of most tests: Acme's office network."""

BETA_NETWORKS = "2a01:e0a:100::/48,Beta GmbH,beta.de,Retail,900,DE\n"
"""Beta's IPv6 office network, for the tests that read IPv6."""

ASN_RECORDS = {
    "90.0.0.0/9": {"autonomous_system_number": 3215, "autonomous_system_organization": "Orange"},
    "52.0.0.0/11": {
        "autonomous_system_number": 16509,
        "autonomous_system_organization": "AMAZON-02",
    },
}
"""A home ISP (Orange) and a data centre (Amazon) by their ASN."""


def company_and_asn_dbs(folder: Path, networks: str = ACME_NETWORKS) -> list[str]:
    """A company database of `networks` (CSV) and the ASN database of `ASN_RECORDS`, in `folder`."""
    companies = folder / "companies.mmdb"
    build_company_db(read_networks(io.StringIO(networks)), companies)
    asn = write_mmdb(folder / "asn.mmdb", "GeoLite2-ASN", ASN_RECORDS)
    return [str(companies), str(asn)]
