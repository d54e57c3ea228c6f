"""IP → company with the official MaxMind test databases and small built ones."""

from __future__ import annotations

import os

import pytest

from enrich.companydb import build_company_db, read_networks
from enrich.connection import ConnectionClass
from enrich.resolver import Resolver, ResolverError
from tests.support.mmdb import write_mmdb

BUSINESS, ISP, MOBILE, HOSTING = (
    ConnectionClass.BUSINESS,
    ConnectionClass.ISP,
    ConnectionClass.MOBILE,
    ConnectionClass.HOSTING,
)
GOVERNMENT, UNKNOWN = ConnectionClass.GOVERNMENT, ConnectionClass.UNKNOWN


def test_enterprise_gives_organisation_geo_asn_and_user_type(maxmind):
    resolution = Resolver([maxmind["GeoIP2-Enterprise"]]).resolve("89.160.20.112")
    assert resolution.company.name == "Bevtec"
    assert resolution.company.key == "name:bevtec"
    assert resolution.company_source == "organisation"
    assert (resolution.country, resolution.city) == ("SE", "Linköping")
    assert (resolution.asn, resolution.asn_organisation) == (29518, "Bredband2 AB")
    assert resolution.isp == "Bredband2 AB"
    assert resolution.user_type == "government"
    assert resolution.connection is GOVERNMENT


def test_enterprise_ipv6(maxmind):
    resolution = Resolver([maxmind["GeoIP2-Enterprise"]]).resolve("2001:480:10::1")
    assert resolution.company.name == "DNIC"
    assert resolution.user_type == "military" and resolution.connection is GOVERNMENT
    assert resolution.country == "US"


@pytest.mark.parametrize("form", ["89.160.20.112", "::ffff:89.160.20.112", " 89.160.20.112 "])
def test_ipv4_mapped_ipv6_resolves_like_ipv4(maxmind, form):
    assert Resolver([maxmind["GeoIP2-ISP"]]).resolve(form).company.name == "Bevtec"


def test_isp_database_organisation_apart_from_isp_is_a_business(maxmind):
    resolution = Resolver([maxmind["GeoIP2-ISP"]]).resolve("89.160.20.112")
    assert resolution.connection is BUSINESS
    assert resolution.decided_by == "organisation"
    assert resolution.company.name == "Bevtec"
    assert resolution.isp == "Bredband2 AB"


def test_isp_database_residential_operator_is_no_company(maxmind):
    resolution = Resolver([maxmind["GeoIP2-ISP"]]).resolve("1.128.0.1")
    assert resolution.connection is ISP
    assert resolution.company is None
    assert (resolution.asn, resolution.asn_organisation) == (1221, "Telstra Pty Ltd")


def test_isp_database_mobile_carrier_is_no_company(maxmind):
    resolution = Resolver([maxmind["GeoIP2-ISP"]]).resolve("149.101.100.1")
    assert resolution.connection is MOBILE
    assert resolution.decided_by == "known network: Verizon Wireless"
    assert resolution.company is None


def test_asn_database(maxmind):
    resolution = Resolver([maxmind["GeoLite2-ASN"]]).resolve("1.128.0.1")
    assert (resolution.asn, resolution.asn_organisation) == (1221, "Telstra Pty Ltd")
    assert resolution.connection is ISP and resolution.company is None


def test_connection_type_database(maxmind):
    resolver = Resolver([maxmind["GeoIP2-Connection-Type"]])
    assert resolver.resolve("67.43.156.1").connection is MOBILE
    assert resolver.resolve("216.160.83.56").connection is BUSINESS


def test_city_database_gives_geography_only(maxmind):
    resolution = Resolver([maxmind["GeoIP2-City"]]).resolve("89.160.20.112")
    assert (resolution.country, resolution.city) == ("SE", "Linköping")
    assert resolution.company is None and resolution.connection is UNKNOWN


def test_country_database(maxmind):
    resolution = Resolver([maxmind["GeoIP2-Country"]]).resolve("89.160.20.112")
    assert resolution.country == "SE" and resolution.city is None


def test_domain_database_names_a_business_network(maxmind, tmp_path):
    """With no organisation, the Domain database gives the company, keyed by domain."""
    domains = write_mmdb(
        tmp_path / "domain.mmdb", "GeoIP2-Domain", {"193.0.0.0/24": {"domain": "mail.acme.fr"}}
    )
    kinds = write_mmdb(
        tmp_path / "ct.mmdb",
        "GeoIP2-Connection-Type",
        {"193.0.0.0/24": {"connection_type": "Corporate"}},
    )
    resolution = Resolver([domains, kinds]).resolve("193.0.0.5")
    assert resolution.connection is BUSINESS and resolution.decided_by == "connection type"
    assert resolution.company.key == "acme.fr" and resolution.company_source == "domain"
    assert Resolver([maxmind["GeoIP2-Domain"]]).resolve("89.160.20.112").company is None


def test_anonymous_ip_database_marks_hosting(maxmind):
    resolver = Resolver([maxmind["GeoIP2-Enterprise"], maxmind["GeoIP2-Anonymous-IP"]])
    resolution = resolver.resolve("81.2.69.160")
    assert resolution.connection is HOSTING and resolution.company is None
    assert resolver.resolve("1.2.3.4").connection is HOSTING


def test_all_databases_together(maxmind):
    paths = [path for name, path in maxmind.items() if name != "GeoIP2-Country"]
    resolver = Resolver(paths)
    assert resolver.resolve("89.160.20.112").company.name == "Bevtec"
    assert resolver.resolve("214.78.120.5").connection is ISP  # Starlink, residential
    assert resolver.resolve("67.43.156.1").connection is HOSTING  # search engine spider
    assert resolver.resolve("216.160.83.56").company.name == "Lariat Software"


@pytest.mark.parametrize(
    "ip",
    [
        "127.0.0.1",
        "10.1.2.3",
        "192.168.0.1",
        "169.254.1.1",
        "::1",
        "fe80::1",
        "240.0.0.1",
        "0.0.0.0",
        "not an ip",
        "",
        "1.2.3",
        "::ffff:10.0.0.1",
        "2001:db8::1",
    ],
)
def test_non_public_addresses_are_unknown_without_lookup(maxmind, ip):
    resolution = Resolver([maxmind["GeoIP2-Enterprise"]]).resolve(ip)
    assert resolution.connection is UNKNOWN
    assert resolution.decided_by == "not a public address"


def test_own_company_database_wins_over_maxmind(maxmind, tmp_path):
    csv_text = (
        "network,name,domain,industry,employees,country\n"
        "89.160.20.0/24,Bevtec Nordic AB,www.bevtec.se,Manufacturing,250,SE\n"
        "89.160.20.112/29,Bevtec Labs,labs.bevtec.se,Research,40,SE\n"
    )
    own = tmp_path / "companies.mmdb"
    build_company_db(read_networks(__import__("io").StringIO(csv_text)), own)
    resolver = Resolver([maxmind["GeoIP2-Enterprise"], maxmind["GeoIP2-Anonymous-IP"], own])
    labs = resolver.resolve("89.160.20.113")
    nordic = resolver.resolve("89.160.20.5")
    assert labs.company.name == "Bevtec Labs" and labs.company.key == "bevtec.se"
    assert labs.company.industry == "Research" and labs.company.employees == 40
    assert labs.connection is BUSINESS and labs.company_source == "company database"
    assert nordic.company.name == "Bevtec Nordic AB" and nordic.company.employees == 250


def test_hosting_and_isp_networks_by_asn_never_give_a_company(tmp_path):
    asn = write_mmdb(
        tmp_path / "asn.mmdb",
        "GeoLite2-ASN",
        {
            "51.15.0.0/16": {
                "autonomous_system_number": 12876,
                "autonomous_system_organization": "Online S.A.S.",
            },
            "90.0.0.0/9": {
                "autonomous_system_number": 3215,
                "autonomous_system_organization": "Orange",
            },
            "37.160.0.0/12": {
                "autonomous_system_number": 51207,
                "autonomous_system_organization": "Free Mobile SAS",
            },
            "52.0.0.0/11": {
                "autonomous_system_number": 16509,
                "autonomous_system_organization": "AMAZON-02",
            },
            "193.0.0.0/24": {
                "autonomous_system_number": 64999,
                "autonomous_system_organization": "Michelin SCA",
            },
            "195.0.0.0/24": {
                "autonomous_system_number": 64998,
                "autonomous_system_organization": "Nordic Fibre Networks",
            },
        },
    )
    resolver = Resolver([asn])
    expected = {
        "51.15.1.1": HOSTING,
        "90.1.1.1": ISP,
        "37.160.1.1": MOBILE,
        "52.1.1.1": HOSTING,
        "195.0.0.9": ISP,
    }
    for ip, connection in expected.items():
        resolution = resolver.resolve(ip)
        assert (resolution.connection, resolution.company) == (connection, None), ip
    michelin = resolver.resolve("193.0.0.7")
    assert michelin.connection is BUSINESS and michelin.company.key == "name:michelin sca"


def test_unknown_database_type_is_an_error_naming_the_file(tmp_path):
    path = write_mmdb(tmp_path / "odd.mmdb", "Acme-Weather", {"8.8.8.0/24": {"rain": True}})
    with pytest.raises(ResolverError, match=f"{path}: unsupported database type 'Acme-Weather'"):
        Resolver([path])


def test_unreadable_file_is_an_error_naming_the_file(tmp_path):
    path = tmp_path / "broken.mmdb"
    path.write_bytes(b"not a database")
    with pytest.raises(ResolverError, match=f"{path}: not a readable MaxMind DB"):
        Resolver([path])


def test_two_databases_of_one_kind_are_refused(maxmind):
    with pytest.raises(ResolverError, match="a second city database"):
        Resolver(
            [
                maxmind["GeoIP2-City"],
                maxmind["GeoIP2-Enterprise"].with_name("GeoIP2-City-Test.mmdb"),
            ]
        )


def test_replaced_file_is_picked_up_without_restart(tmp_path):
    path = tmp_path / "asn.mmdb"
    write_mmdb(
        path,
        "GeoLite2-ASN",
        {
            "193.0.0.0/24": {
                "autonomous_system_number": 1,
                "autonomous_system_organization": "Old Name",
            }
        },
    )
    resolver = Resolver([path], reload_check_seconds=0)
    assert resolver.resolve("193.0.0.1").asn_organisation == "Old Name"
    fresh = write_mmdb(
        tmp_path / "new.mmdb",
        "GeoLite2-ASN",
        {
            "193.0.0.0/24": {
                "autonomous_system_number": 1,
                "autonomous_system_organization": "New Name",
            }
        },
    )
    os.replace(fresh, path)
    assert resolver.resolve("193.0.0.1").asn_organisation == "New Name"


def test_cache_holds_no_raw_address(maxmind):
    resolver = Resolver([maxmind["GeoIP2-ISP"]])
    resolver.resolve("89.160.20.112")
    keys = list(resolver._cache.keys())
    assert len(keys) == 1
    assert b"89.160.20.112" not in keys[0] and bytes([89, 160, 20, 112]) not in keys[0]
