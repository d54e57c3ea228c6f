"""Cloud providers' range files: their real formats, the compiled table, the refresh."""

from __future__ import annotations

import io
import json
from ipaddress import ip_network
from pathlib import Path

import pytest

from enrich.cloud_fetch import fetch_all
from enrich.cloud_ranges import Format, RangeFileError, Source, parse
from enrich.cloud_table import compile_table, read_folder
from enrich.companydb import build_company_db, read_networks
from enrich.connection import ConnectionClass
from enrich.outbound import GuardedSession, OutboundPolicy
from enrich.resolver import Resolver
from tests.conftest import TEST_DATA
from tests.support.httpserver import Answer, ScriptedServer

RANGES = TEST_DATA / "cloud-ranges"

HOSTING = ConnectionClass.HOSTING


@pytest.mark.parametrize(
    ("file", "format", "first", "last", "count"),
    [
        ("aws.json", Format.AWS, "3.2.34.0/26", "2600:1f70:4000::/56", 7),
        ("google.json", Format.GOOGLE, "34.80.0.0/15", "2600:1900:4010::/44", 4),
        ("azure.json", Format.AZURE, "4.145.74.52/30", "20.37.156.64/27", 6),
        ("oracle.json", Format.ORACLE, "129.80.0.0/16", "129.146.0.0/21", 3),
        ("digitalocean.csv", Format.GEOFEED, "5.101.96.0/21", "64.225.84.0/22", 4),
        ("linode.csv", Format.GEOFEED, "2600:3c00::/32", "74.207.224.0/24", 4),
        ("vultr.csv", Format.GEOFEED, "8.3.29.0/24", "45.76.128.0/20", 4),
        ("cloudflare-v4.txt", Format.LINES, "173.245.48.0/20", "162.158.0.0/15", 5),
        ("cloudflare-v6.txt", Format.LINES, "2400:cb00::/32", "2a06:98c0::/29", 3),
    ],
)
def test_each_published_format_gives_its_networks(file, format, first, last, count):
    networks = parse(format, (RANGES / file).read_bytes(), file)
    assert (str(networks[0]), str(networks[-1]), len(networks)) == (first, last, count)


@pytest.fixture(scope="module")
def table(tmp_path_factory) -> Path:
    """The range table compiled from every fixture file."""
    target = tmp_path_factory.mktemp("ipdb") / "cloud-ranges.mmdb"
    return compile_table(read_folder(RANGES), target).path


@pytest.mark.parametrize(
    ("ip", "provider"),
    [
        ("3.5.141.7", "aws"),
        ("2600:1f70:4000::9", "aws"),
        ("34.81.200.1", "google"),
        ("20.7.239.202", "azure"),
        ("2603:1000:4::10d", "azure"),
        ("129.146.3.3", "oracle"),
        ("46.101.12.34", "digitalocean"),
        ("2a01:7e01::beef", "linode"),
        ("45.32.150.1", "vultr"),
        ("104.18.1.1", "cloudflare"),
        ("2606:4700::6810:1", "cloudflare"),
    ],
)
def test_an_address_in_a_provider_range_is_hosting_with_its_provider(table, ip, provider):
    resolution = Resolver([table]).resolve(ip)
    assert resolution.connection is HOSTING
    assert resolution.decided_by == f"cloud range: {provider}"
    assert resolution.cloud_provider == provider and resolution.company is None


def test_an_address_outside_every_range_is_left_to_the_other_databases(table):
    resolution = Resolver([table]).resolve("3.5.144.1")
    assert resolution.connection is ConnectionClass.UNKNOWN and resolution.cloud_provider is None


def test_a_cloud_address_is_never_a_company(table, tmp_path):
    """Even a company database naming the network cannot make a cloud server an account."""
    companies = tmp_path / "companies.mmdb"
    build_company_db(
        read_networks(io.StringIO("network,name,domain\n3.5.140.0/24,Acme SAS,acme.fr\n")),
        companies,
    )
    without_table = Resolver([companies]).resolve("3.5.140.10")
    assert without_table.company.name == "Acme SAS"
    with_table = Resolver([companies, table]).resolve("3.5.140.10")
    assert with_table.connection is HOSTING and with_table.company is None
    assert with_table.decided_by == "cloud range: aws"


def test_the_narrower_of_two_overlapping_ranges_names_the_provider(tmp_path):
    networks = {
        "broad": [ip_network("104.16.0.0/13")],
        "narrow": [ip_network("104.16.5.0/24")],
    }
    table = compile_table(networks, tmp_path / "t.mmdb")
    resolver = Resolver([table.path])
    assert resolver.resolve("104.16.5.9").cloud_provider == "narrow"
    assert resolver.resolve("104.16.6.9").cloud_provider == "broad"
    assert table.networks == {"broad": 1, "narrow": 1}


def test_a_provider_of_its_own_is_one_cidr_per_line(tmp_path):
    """A provider publishing no file (Hetzner, OVH) can be kept as a list by hand."""
    (tmp_path / "hetzner.txt").write_text("# kept by hand\n\n5.9.0.0/16\n  88.198.0.0/16  \n")
    networks = read_folder(tmp_path)
    assert networks == {"hetzner": [ip_network("5.9.0.0/16"), ip_network("88.198.0.0/16")]}


@pytest.mark.parametrize(
    ("format", "text", "message"),
    [
        (Format.AWS, '{"prefixes": [\n  {"ip_prefix": "3.2.34.0/26",}\n]}', "line 2: not JSON"),
        (
            Format.AWS,
            '{"prefixes": [{"ip_prefix": "3.2.34.0/26"}, {"ip_prefix": "3.2.34.0/33"}]}',
            "prefixes[1].ip_prefix: '3.2.34.0/33' is not a CIDR",
        ),
        (Format.AWS, '{"syncToken": "1"}', "prefixes: must be a list"),
        (Format.AWS, '{"prefixes": [{"region": "x"}]}', "prefixes[0].ip_prefix: must be a CIDR"),
        (Format.GOOGLE, '{"prefixes": [{"scope": "x"}]}', "prefixes[0]: needs ipv4Prefix or"),
        (
            Format.AZURE,
            '{"values": [{"name": "x", "properties": {}}]}',
            "values[0].properties.addressPrefixes: must be a list",
        ),
        (
            Format.ORACLE,
            '{"regions": [{"region": "x", "cidrs": [{"cidr": "129.80.0.1/16"}]}]}',
            "regions[0].cidrs[0].cidr: '129.80.0.1/16' is host bits set",
        ),
        (
            Format.GEOFEED,
            "# prefix,country\n5.101.96.0/21,NL\n192.0.2.0/24,NL\n",
            "line 3: 192.0.2.0/24 is not a public network",
        ),
        (Format.LINES, "2606:4700::/32\n2001:db8::/32\n", "line 2: 2001:db8::/32 is not a public"),
        (Format.LINES, "10.0.0.0/8\n", "line 1: 10.0.0.0/8 is not a public network"),
        (Format.LINES, "64.0.0.0/2\n", "line 1: 64.0.0.0/2 is broader than a /8"),
        (
            Format.LINES,
            '<!DOCTYPE html><html lang="en-us"><head><title>Page not found</title></head>',
            "line 1: '<!DOCTYPE html><html lang=",
        ),
    ],
)
def test_a_malformed_file_is_refused_naming_its_line_or_key(format, text, message):
    with pytest.raises(RangeFileError) as refused:
        parse(format, text.encode(), "ranges/file")
    assert str(refused.value).startswith(f"ranges/file: {message}")


def test_a_file_that_is_not_utf8_is_refused():
    with pytest.raises(RangeFileError, match=r"^f: byte 0: not UTF-8 text$"):
        parse(Format.LINES, b"\xff\xfe1.2.3.0/24", "f")


def test_a_folder_file_error_names_the_file(tmp_path):
    (tmp_path / "aws.json").write_text('{"prefixes": [{"ip_prefix": "3.2.34.0/26/1"}]}')
    with pytest.raises(RangeFileError, match=r"aws\.json: prefixes\[0\]\.ip_prefix: "):
        read_folder(tmp_path)


@pytest.mark.parametrize("name", ["aws.csv", "notes.md", "Mixed.txt"])
def test_a_file_named_for_no_format_is_refused(tmp_path, name):
    (tmp_path / name).write_text("3.2.34.0/26\n")
    with pytest.raises(RangeFileError, match="not a range file name"):
        read_folder(tmp_path)


def test_an_empty_folder_compiles_nothing(tmp_path):
    with pytest.raises(RangeFileError, match="no range files"):
        read_folder(tmp_path)


@pytest.fixture
def server():
    with ScriptedServer() as running:
        yield running


def loopback() -> GuardedSession:
    return GuardedSession(OutboundPolicy.parse("127.0.0.1"))


def serve(server, path: str, file: str) -> None:
    server.on(
        path, Answer(raw=(RANGES / file).read_bytes(), headers={"Content-Type": "text/plain"})
    )


def sources(server) -> list[Source]:
    return [
        Source("aws", "aws", Format.AWS, f"{server.url}/ip-ranges.json", 5),
        Source("linode", "linode", Format.GEOFEED, f"{server.url}/geofeed", 4),
    ]


def test_refresh_stores_each_checked_file(server, tmp_path):
    serve(server, "/ip-ranges.json", "aws.json")
    serve(server, "/geofeed", "linode.csv")
    fetched = fetch_all(sources(server), tmp_path, loopback())
    assert [(f.source.name, f.status, f.prefixes) for f in fetched] == [
        ("aws", "updated", 7),
        ("linode", "updated", 4),
    ]
    assert (tmp_path / "aws.json").read_bytes() == (RANGES / "aws.json").read_bytes()
    assert set(read_folder(tmp_path)) == {"aws", "linode"}


def test_a_failed_source_keeps_its_previous_file_and_the_others_refresh(server, tmp_path):
    serve(server, "/ip-ranges.json", "aws.json")
    serve(server, "/geofeed", "linode.csv")
    fetch_all(sources(server), tmp_path, loopback())
    server.on("/geofeed", Answer(500))
    updated_aws = json.loads((RANGES / "aws.json").read_text())
    updated_aws["prefixes"].append({"ip_prefix": "18.200.0.0/16", "region": "eu-west-1"})
    server.on("/ip-ranges.json", Answer(body=updated_aws))
    aws, linode = fetch_all(sources(server), tmp_path, loopback())
    assert (aws.status, aws.prefixes) == ("updated", 8)
    assert (linode.status, linode.kept_previous) == ("failed", True)
    assert linode.detail == f"{server.url}/geofeed: HTTP 500"
    table = compile_table(read_folder(tmp_path), tmp_path / "cloud-ranges.mmdb")
    resolver = Resolver([table.path])
    assert resolver.resolve("74.207.224.1").cloud_provider == "linode"
    assert resolver.resolve("18.200.1.1").cloud_provider == "aws"


@pytest.mark.parametrize(
    ("answer", "detail"),
    [
        (
            Answer(raw=b"<!DOCTYPE html><html><body>Page not found</body></html>"),
            "/ip-ranges.json: line 1: not JSON",
        ),
        (
            Answer(body={"prefixes": [{"ip_prefix": "3.2.34.0/26"}]}),
            "1 prefixes, expected at least 5",
        ),
    ],
)
def test_an_error_page_or_a_short_list_is_not_stored(server, tmp_path, answer, detail):
    server.on("/ip-ranges.json", answer)
    [aws] = fetch_all(sources(server)[:1], tmp_path, loopback())
    assert aws.status == "failed" and detail in aws.detail and not aws.kept_previous
    assert not (tmp_path / "aws.json").exists()


def test_a_range_url_on_loopback_is_refused_unless_allowed(server, tmp_path):
    serve(server, "/ip-ranges.json", "aws.json")
    [aws] = fetch_all(sources(server)[:1], tmp_path, GuardedSession(OutboundPolicy()))
    assert aws.status == "failed" and aws.detail.endswith("refused: a loopback address")
    assert server.requests == []
