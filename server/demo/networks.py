"""The demo's IP databases, written into the instance folder.

* `demo-companies.mmdb`: a `Vigie-Company` database built by
  `enrich.companydb` from `demo-companies.csv` (the same CSV format as
  `vigie companydb build`), one /24 (and maybe a /48) per company;
* `demo-asn.mmdb`: a `GeoLite2-ASN` database naming the operators of homes,
  phones and data centres with the ASNs and organisation names that
  `enrich/data/networks.toml` lists, so the classifier calls them isp, mobile
  or hosting as it would on real data;
* `demo-city.mmdb`: a `GeoLite2-City` database giving each network a country
  (and each company its city).

The ranges are public ones, since the resolver refuses private and
documentation ranges. They are only looked up in this process, never contacted.
"""

from __future__ import annotations

import csv
import io
import ipaddress
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from enrich.companydb import build_company_db, read_networks
from enrich.connection import ConnectionClass
from enrich.mmdb_files import write_mmdb
from server.demo.companies import DemoCompany

COMPANY_CSV = "demo-companies.csv"
COMPANY_DB = "demo-companies.mmdb"
ASN_DB = "demo-asn.mmdb"
CITY_DB = "demo-city.mmdb"
DESCRIPTION = "Vigie demo networks"


@dataclass(frozen=True)
class Operator:
    """A network whose visits are only counted: a home ISP, a carrier, a cloud."""

    network: str
    asn: int
    organisation: str
    connection: ConnectionClass
    country: str

    @property
    def cidr(self) -> ipaddress.IPv4Network | ipaddress.IPv6Network:
        return ipaddress.ip_network(self.network)


ISP, MOBILE, HOSTING = ConnectionClass.ISP, ConnectionClass.MOBILE, ConnectionClass.HOSTING

OPERATORS = (
    Operator("90.0.0.0/9", 3215, "Orange", ISP, "FR"),
    Operator("78.192.0.0/10", 12322, "Free SAS", ISP, "FR"),
    Operator("109.0.0.0/12", 15557, "Societe Francaise Du Radiotelephone - SFR SA", ISP, "FR"),
    Operator("176.128.0.0/10", 5410, "Bouygues Telecom SA", ISP, "FR"),
    Operator("81.240.0.0/12", 5432, "Proximus NV", ISP, "BE"),
    Operator("83.76.0.0/14", 3303, "Swisscom (Schweiz) AG", ISP, "CH"),
    Operator("79.192.0.0/10", 3320, "Deutsche Telekom AG", ISP, "DE"),
    Operator("86.128.0.0/10", 2856, "British Telecommunications PLC", ISP, "GB"),
    Operator("73.0.0.0/8", 7922, "COMCAST-7922", ISP, "US"),
    Operator("37.160.0.0/12", 51207, "Free Mobile SAS", MOBILE, "FR"),
    Operator("172.32.0.0/11", 21928, "T-MOBILE-AS21928", MOBILE, "US"),
    Operator("174.192.0.0/10", 22394, "Cellco Partnership DBA Verizon Wireless", MOBILE, "US"),
    Operator("52.0.0.0/11", 16509, "AMAZON-02", HOSTING, "US"),
    Operator("34.64.0.0/10", 396982, "GOOGLE-CLOUD-PLATFORM", HOSTING, "US"),
    Operator("66.249.64.0/19", 15169, "GOOGLE", HOSTING, "US"),
    Operator("40.64.0.0/10", 8075, "MICROSOFT-CORP-MSN-AS-BLOCK", HOSTING, "US"),
    Operator("157.55.0.0/16", 8075, "MICROSOFT-CORP-MSN-AS-BLOCK", HOSTING, "US"),
    Operator("51.68.0.0/16", 16276, "OVH SAS", HOSTING, "FR"),
    Operator("51.15.0.0/16", 12876, "Scaleway S.a.s.", HOSTING, "FR"),
    Operator("88.198.0.0/16", 24940, "Hetzner Online GmbH", HOSTING, "DE"),
    Operator("159.89.0.0/16", 14061, "DIGITALOCEAN-ASN", HOSTING, "US"),
)
"""Operators of the demo, with the ASNs the shipped network list knows them by."""

UNLISTED = ipaddress.IPv4Network("45.140.0.0/16")
"""A public block no demo database lists: its visits resolve to `unknown`."""


def database_paths(folder: Path) -> list[Path]:
    """The demo's `.mmdb` files in `folder`, for `VIGIE_MMDB`."""
    return [folder / COMPANY_DB, folder / ASN_DB, folder / CITY_DB]


def ensure_databases(
    folder: Path, companies: Sequence[DemoCompany], rewrite: bool = False
) -> list[Path]:
    """Write the demo's databases into `folder` unless they are all there (or
    `rewrite`); return their paths. Each file is replaced atomically."""
    paths = database_paths(folder)
    if rewrite or not all(path.is_file() for path in paths):
        folder.mkdir(parents=True, exist_ok=True)
        write_company_db(folder, companies)
        write_mmdb(folder / ASN_DB, "GeoLite2-ASN", asn_records(), description=DESCRIPTION)
        write_mmdb(
            folder / CITY_DB, "GeoLite2-City", city_records(companies), description=DESCRIPTION
        )
    return paths


def company_csv(companies: Iterable[DemoCompany]) -> str:
    """The companies as `vigie companydb build` reads them."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(("network", "name", "domain", "industry", "employees", "country"))
    for company in companies:
        for network in (company.network, company.network6):
            if network is not None:
                writer.writerow(
                    (
                        network,
                        company.name,
                        company.domain,
                        company.industry,
                        company.employees,
                        company.country,
                    )
                )
    return out.getvalue()


def write_company_db(folder: Path, companies: Sequence[DemoCompany]) -> int:
    """Write the CSV, then build the `Vigie-Company` database from it; return
    the networks written."""
    text = company_csv(companies)
    (folder / COMPANY_CSV).write_text(text, encoding="utf-8")
    return build_company_db(read_networks(io.StringIO(text)), folder / COMPANY_DB)


def asn_records() -> dict[str, dict[str, Any]]:
    return {
        operator.network: {
            "autonomous_system_number": operator.asn,
            "autonomous_system_organization": operator.organisation,
        }
        for operator in OPERATORS
    }


def city_records(companies: Iterable[DemoCompany]) -> dict[str, dict[str, Any]]:
    records: dict[str, dict[str, Any]] = {
        operator.network: {"country": {"iso_code": operator.country}} for operator in OPERATORS
    }
    for company in companies:
        record = {
            "country": {"iso_code": company.country},
            "city": {"names": {"en": company.city}},
        }
        for network in (company.network, company.network6):
            if network is not None:
                records[str(network)] = record
    return records
