"""Cloud providers' ranges end to end: `vigie ipdb cloud-ranges` / `download
--cloud-ranges` against a loopback fake of the providers, then beacons from a
cloud address counted as hosting traffic, never as a company account."""

from __future__ import annotations

import io
import shutil

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from enrich.cloud_ranges import SOURCES
from enrich.companydb import build_company_db, read_networks
from enrich.resolver import Resolver
from server.cli import main
from server.storage import session_scope
from server.storage.models import Account, TrafficCount
from tests.conftest import TEST_DATA
from tests.support.collector import ACME_IP, SITE_KEY, pageview, send
from tests.support.factories import make_site
from tests.support.httpserver import Answer, ScriptedServer

RANGES = TEST_DATA / "cloud-ranges"
AWS_SERVER_IP = "3.5.140.10"
"""Inside AWS's 3.5.140.0/22 in the fixture, and inside Acme's network below."""
LINODE_IP = "74.207.224.9"


def vigie(*args: str, **env: str):
    return CliRunner().invoke(main, list(args), env=env)


@pytest.fixture
def providers():
    """A fake of every provider on loopback, serving the fixture files."""
    with ScriptedServer() as server:
        for source in SOURCES:
            data = (RANGES / source.file_name).read_bytes()
            server.on(
                f"/{source.file_name}", Answer(raw=data, headers={"Content-Type": "text/plain"})
            )
        yield server


def loopback_settings(server) -> dict[str, str]:
    """Every source's URL on the fake (none is left pointing at the internet)."""
    urls = ",".join(f"{source.name}={server.url}/{source.file_name}" for source in SOURCES)
    return {"VIGIE_CLOUD_RANGES_URLS": urls, "VIGIE_OUTBOUND_ALLOW": "127.0.0.1"}


def refresh(server, directory):
    return vigie(
        "ipdb", "cloud-ranges", "--dir", str(directory), "--min-prefixes", "3",
        **loopback_settings(server),
    )  # fmt: skip


def test_download_compiles_every_provider(providers, tmp_path):
    result = refresh(providers, tmp_path / "ipdb")
    assert result.exit_code == 0, result.output
    assert "aws: updated (7 prefixes)" in result.output
    assert "azure: updated (6 prefixes)" in result.output
    assert "cloudflare-v6: updated (3 prefixes)" in result.output
    table = tmp_path / "ipdb" / "cloud-ranges.mmdb"
    assert f"Cloud ranges: 8 providers, 39 networks → {table}" in result.output
    assert Resolver([table]).resolve("2606:4700::1").decided_by == "cloud range: cloudflare"
    assert len(providers.requests) == len(SOURCES)


def test_a_failed_provider_keeps_its_ranges_and_the_command_says_so(providers, tmp_path):
    assert refresh(providers, tmp_path / "ipdb").exit_code == 0
    providers.on("/linode.csv", Answer(503))
    providers.on("/aws.json", Answer(raw=b"<html><body>Service Unavailable</body></html>"))
    result = refresh(providers, tmp_path / "ipdb")
    assert result.exit_code == 1
    assert (
        f"linode: failed ({providers.url}/linode.csv: HTTP 503); its previous ranges are kept"
        in (result.output)
    )
    assert "aws: failed (" in result.output and "/aws.json: line 1: not JSON" in result.output
    assert "google: updated (4 prefixes)" in result.output
    resolver = Resolver([tmp_path / "ipdb" / "cloud-ranges.mmdb"])
    assert resolver.resolve(LINODE_IP).cloud_provider == "linode"
    assert resolver.resolve(AWS_SERVER_IP).cloud_provider == "aws"
    assert "Traceback" not in result.output


def test_a_provider_can_be_skipped_or_added(providers, tmp_path):
    (tmp_path / "hetzner.txt").write_text("# kept by hand\n5.9.0.0/16\n")
    providers.on("/hetzner.txt", Answer(raw=(tmp_path / "hetzner.txt").read_bytes()))
    settings = loopback_settings(providers)
    settings["VIGIE_CLOUD_RANGES_URLS"] += f",vultr=,hetzner={providers.url}/hetzner.txt"
    result = vigie(
        "ipdb", "cloud-ranges", "--dir", str(tmp_path), "--min-prefixes", "1", **settings
    )
    assert result.exit_code == 0, result.output
    assert "hetzner: updated (1 prefixes)" in result.output
    assert "vultr: skipped (no URL; set vultr=<URL> in VIGIE_CLOUD_RANGES_URLS)" in result.output
    resolver = Resolver([tmp_path / "cloud-ranges.mmdb"])
    assert resolver.resolve("5.9.1.1").cloud_provider == "hetzner"
    assert resolver.resolve("45.32.150.1").cloud_provider is None


def test_too_few_prefixes_is_a_failed_download(providers, tmp_path):
    """Each provider's own minimum (1,000 for AWS) refuses a truncated list."""
    result = vigie("ipdb", "cloud-ranges", "--dir", str(tmp_path), **loopback_settings(providers))
    assert result.exit_code == 1
    assert f"aws: failed ({providers.url}/aws.json: 7 prefixes, expected at least 1000)" in (
        result.output
    )
    assert "no previous ranges" in result.output


def test_ranges_on_loopback_are_refused_unless_allowed(providers, tmp_path):
    settings = loopback_settings(providers)
    del settings["VIGIE_OUTBOUND_ALLOW"]
    result = vigie("ipdb", "cloud-ranges", "--dir", str(tmp_path), **settings)
    assert result.exit_code == 1
    assert "aws: failed (" in result.output and "refused: a loopback address" in result.output
    assert "Cloud ranges: not compiled" in result.output
    assert providers.requests == []


@pytest.mark.parametrize(
    ("urls", "message"),
    [
        ("aws", "VIGIE_CLOUD_RANGES_URLS: 'aws': give NAME=URL"),
        ("aws=ftp://example.com/x", "VIGIE_CLOUD_RANGES_URLS: aws: not an http(s) URL"),
        ("Bad Name=https://example.com/x", "VIGIE_CLOUD_RANGES_URLS: 'Bad Name' is not a source"),
    ],
)
def test_a_malformed_url_setting_is_a_usage_error(tmp_path, urls, message):
    result = vigie("ipdb", "cloud-ranges", "--dir", str(tmp_path), VIGIE_CLOUD_RANGES_URLS=urls)
    assert result.exit_code == 2
    assert result.output.strip().splitlines()[-1].startswith(f"Error: {message}")


def test_offline_compile_from_a_folder(tmp_path):
    result = vigie("ipdb", "cloud-ranges", "--from", str(RANGES), "--dir", str(tmp_path))
    assert result.exit_code == 0, result.output
    assert f"Add {tmp_path / 'cloud-ranges.mmdb'} to VIGIE_MMDB." in result.output


def test_offline_compile_names_the_file_and_line_at_fault(tmp_path):
    folder = tmp_path / "ranges"
    shutil.copytree(RANGES, folder)
    (folder / "vultr.csv").write_text("8.3.29.0/24,US,US-CA,Los Angeles,90012\n8.3.29.0/99,US\n")
    result = vigie("ipdb", "cloud-ranges", "--from", str(folder), "--dir", str(tmp_path / "db"))
    assert result.exit_code == 2
    assert result.output.strip().splitlines()[-1] == (
        f"Error: {folder / 'vultr.csv'}: line 2: '8.3.29.0/99' is not a CIDR"
    )
    assert not (tmp_path / "db" / "cloud-ranges.mmdb").exists()


def test_ipdb_download_refreshes_the_cloud_ranges_too(providers, tmp_path):
    """DB-IP fails here (nothing served): the cloud ranges are refreshed all the same."""
    geofeed = "".join(f"172.105.{n}.0/24,US,US-NJ,Cedar Knolls,\n" for n in range(120))
    providers.on("/linode.csv", Answer(raw=geofeed.encode()))
    result = vigie(
        "ipdb", "download", "--dir", str(tmp_path), "--dbip-url", providers.url,
        "--dbip", "asn", "--cloud-ranges", **loopback_settings(providers),
    )  # fmt: skip
    assert result.exit_code == 1
    assert "DBIP-ASN-Lite: failed" in result.output
    assert "linode: updated (120 prefixes)" in result.output
    assert "aws: failed" in result.output  # 7 prefixes, below AWS's own minimum of 1,000
    assert result.output.strip().endswith(
        f"VIGIE_MMDB={tmp_path / 'dbip-asn-lite.mmdb'},{tmp_path / 'cloud-ranges.mmdb'}"
    )
    resolver = Resolver([tmp_path / "cloud-ranges.mmdb"])
    assert resolver.resolve("172.105.64.1").cloud_provider == "linode"


@pytest.fixture
def cloud_app(make_app, db_url, tmp_path):
    """A collector whose company database names a network inside AWS's ranges."""
    companies = tmp_path / "companies.mmdb"
    build_company_db(
        read_networks(
            io.StringIO(
                "network,name,domain,industry,employees,country\n"
                "81.2.69.0/24,Acme SAS,acme.fr,Software,120,FR\n"
                "3.5.140.0/24,Cloudy Corp,cloudy.io,Software,50,US\n"
            )
        ),
        companies,
    )
    result = vigie("ipdb", "cloud-ranges", "--from", str(RANGES), "--dir", str(tmp_path / "ipdb"))
    assert result.exit_code == 0, result.output
    table = tmp_path / "ipdb" / "cloud-ranges.mmdb"
    app = make_app(db_url, MMDB=[str(companies), str(table)], TRUSTED_PROXIES=0)
    make_site(app, SITE_KEY)
    return app


def stored(app, model):
    with app.app_context(), session_scope() as session:
        found = session.scalars(select(model)).all()
        session.expunge_all()
        return found


@pytest.mark.parametrize("ip", [AWS_SERVER_IP, LINODE_IP, "2600:1f70:4000::42"])
def test_a_beacon_from_a_cloud_range_is_hosting_traffic_not_an_account(cloud_app, ip):
    assert send(cloud_app, pageview(), ip=ip).status_code == 202
    assert stored(cloud_app, Account) == []
    [count] = stored(cloud_app, TrafficCount)
    assert (count.kind, count.count) == ("hosting", 1)


def test_a_company_outside_the_cloud_ranges_is_still_an_account(cloud_app):
    assert send(cloud_app, pageview(), ip=ACME_IP).status_code == 202
    [account] = stored(cloud_app, Account)
    assert account.name == "Acme SAS"
