"""Real `.mmdb` files with one network per provenance signal, for the
corrections and provenance tests (server and browser)."""

from __future__ import annotations

import io
from pathlib import Path

from enrich.companydb import build_company_db, read_networks
from tests.support.mmdb import write_mmdb

ACME_IP = "81.2.69.77"  # own company database: Acme SAS
GLOBEX_IP, GLOBEX_IP_2 = "5.5.5.5", "5.5.5.6"  # ASN 64501 "Globex Corporation" alone
INITECH_IP, INITECH_IP_2 = "6.6.6.6", "6.6.6.7"  # ASN 64502 "Initech Holdings" alone
UMBRELLA_IP = "7.7.7.7"  # MaxMind ISP database: organisation Umbrella Corp at Big Telco


def write_network_dbs(folder: Path) -> list[str]:
    """The company, ASN and ISP databases of the addresses above, in `folder`."""
    companies = folder / "companies.mmdb"
    build_company_db(
        read_networks(
            io.StringIO(
                "network,name,domain,industry,employees,country\n"
                "81.2.69.0/24,Acme SAS,acme.fr,Software,120,FR\n"
            )
        ),
        companies,
    )
    asns = write_mmdb(
        folder / "asn.mmdb",
        "GeoLite2-ASN",
        {
            "5.5.5.0/24": _asn(64501, "Globex Corporation"),
            "6.6.6.0/24": _asn(64502, "Initech Holdings"),
        },
    )
    isp = write_mmdb(
        folder / "isp.mmdb",
        "GeoIP2-ISP",
        {
            "7.7.7.0/24": {
                **_asn(64503, "Big Telco"),
                "isp": "Big Telco",
                "organization": "Umbrella Corp",
            }
        },
    )
    return [str(companies), str(asns), str(isp)]


def _asn(number: int, name: str) -> dict[str, object]:
    return {"autonomous_system_number": number, "autonomous_system_organization": name}
