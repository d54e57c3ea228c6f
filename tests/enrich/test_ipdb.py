"""`ipdb` downloads against a real HTTP server on loopback serving real archives."""

from __future__ import annotations

import base64
import gzip
import hashlib
import io
import tarfile
from datetime import date

import pytest

from enrich.ipdb import dbip_downloads, fetch, maxmind_downloads
from enrich.outbound import GuardedSession, OutboundPolicy
from enrich.resolver import Resolver
from tests.support.httpserver import Answer, ScriptedServer
from tests.support.mmdb import write_mmdb

ASN_PATH = "/geoip/databases/GeoLite2-ASN/download?suffix=tar.gz"


def asn_database(tmp_path, organisation: str, database_type: str = "GeoLite2-ASN") -> bytes:
    path = write_mmdb(
        tmp_path / f"{organisation}.mmdb",
        database_type,
        {
            "193.0.0.0/24": {
                "autonomous_system_number": 64500,
                "autonomous_system_organization": organisation,
            }
        },
    )
    return path.read_bytes()


def tar_gz(database: bytes, name: str = "GeoLite2-ASN_20261120/GeoLite2-ASN.mmdb") -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as bundle:
        info = tarfile.TarInfo(name)
        info.size = len(database)
        bundle.addfile(info, io.BytesIO(database))
    return buffer.getvalue()


def checksum_answer(archive: bytes) -> Answer:
    return Answer(
        raw=f"{hashlib.sha256(archive).hexdigest()}  GeoLite2-ASN_20261120.tar.gz\n".encode(),
        headers={"Content-Type": "text/plain"},
    )


def publish(server, archive: bytes) -> None:
    """Serve `archive` as the GeoLite2-ASN download, with its true checksum."""
    server.on(ASN_PATH, Answer(raw=archive))
    server.on(ASN_PATH + ".sha256", checksum_answer(archive))


def loopback_session() -> GuardedSession:
    """The guarded client, allowed to reach the fake server on loopback."""
    return GuardedSession(OutboundPolicy.parse("127.0.0.1"))


@pytest.fixture
def server():
    with ScriptedServer() as running:
        yield running


def geolite(server, tmp_path):
    [download] = maxmind_downloads(["GeoLite2-ASN"], "12345", "s3cret", tmp_path / "db", server.url)
    return download


def test_geolite_download_with_basic_auth_and_checksum(server, tmp_path):
    archive = tar_gz(asn_database(tmp_path, "First Org"))
    publish(server, archive)
    download = geolite(server, tmp_path)
    outcome = fetch(download, loopback_session())
    assert outcome.status == "updated", outcome.detail
    assert Resolver([download.target]).resolve("193.0.0.1").asn_organisation == "First Org"
    expected = "Basic " + base64.b64encode(b"12345:s3cret").decode()
    assert all(headers["Authorization"] == expected for _, headers in server.requests)


def test_unchanged_checksum_is_not_downloaded_again(server, tmp_path):
    archive = tar_gz(asn_database(tmp_path, "First Org"))
    publish(server, archive)
    download = geolite(server, tmp_path)
    fetch(download, loopback_session())
    outcome = fetch(download, loopback_session())
    assert outcome.status == "current"
    assert server.hits(ASN_PATH) == 1


def test_wrong_checksum_keeps_the_old_file(server, tmp_path):
    old = tar_gz(asn_database(tmp_path, "Old Org"))
    publish(server, old)
    download = geolite(server, tmp_path)
    assert fetch(download, loopback_session()).status == "updated"
    resolver = Resolver([download.target], reload_check_seconds=0)
    new = tar_gz(asn_database(tmp_path, "New Org"))
    server.on(ASN_PATH, Answer(raw=new))
    server.on(ASN_PATH + ".sha256", checksum_answer(b"something else"))
    outcome = fetch(download, loopback_session())
    assert outcome.status == "failed" and "checksum mismatch" in outcome.detail
    assert resolver.resolve("193.0.0.1").asn_organisation == "Old Org"
    assert sorted(p.name for p in download.target.parent.iterdir()) == [
        "GeoLite2-ASN.mmdb",
        "GeoLite2-ASN.mmdb.version",
    ]


def test_truncated_download_keeps_the_old_file(server, tmp_path):
    old = tar_gz(asn_database(tmp_path, "Old Org"))
    publish(server, old)
    download = geolite(server, tmp_path)
    fetch(download, loopback_session())
    new = tar_gz(asn_database(tmp_path, "New Org"))
    server.on(ASN_PATH, Answer(raw=new[:200], headers={"Content-Length": str(len(new))}))
    server.on(ASN_PATH + ".sha256", checksum_answer(new))
    outcome = fetch(download, loopback_session())
    assert outcome.status == "failed"
    assert "truncated" in outcome.detail or "interrupted" in outcome.detail
    assert Resolver([download.target]).resolve("193.0.0.1").asn_organisation == "Old Org"


def test_new_file_reaches_a_running_resolver(server, tmp_path):
    first = tar_gz(asn_database(tmp_path, "Old Org"))
    publish(server, first)
    download = geolite(server, tmp_path)
    fetch(download, loopback_session())
    resolver = Resolver([download.target], reload_check_seconds=0)
    assert resolver.resolve("193.0.0.1").asn_organisation == "Old Org"
    second = tar_gz(asn_database(tmp_path, "New Org"))
    publish(server, second)
    assert fetch(download, loopback_session()).status == "updated"
    assert resolver.resolve("193.0.0.1").asn_organisation == "New Org"


def test_refused_licence_key_is_explained(server, tmp_path):
    server.on(ASN_PATH + ".sha256", Answer(401))
    outcome = fetch(geolite(server, tmp_path), loopback_session())
    assert outcome.status == "failed"
    assert "refused (401); check the account id and licence key" in outcome.detail
    assert "s3cret" not in outcome.detail


def test_archive_of_the_wrong_type_is_refused(server, tmp_path):
    archive = tar_gz(asn_database(tmp_path, "X", database_type="GeoLite2-City"))
    publish(server, archive)
    outcome = fetch(geolite(server, tmp_path), loopback_session())
    assert outcome.status == "failed" and "expected 'GeoLite2-ASN'" in outcome.detail


def test_dbip_monthly_file_and_fallback_to_last_month(server, tmp_path):
    database = asn_database(
        tmp_path, "DBIP Org", database_type="DBIP-ASN-Lite (compat=GeoLite2-ASN)"
    )
    server.on("/free/dbip-asn-lite-2026-10.mmdb.gz", Answer(raw=gzip.compress(database)))
    [download] = dbip_downloads(["asn"], date(2026, 11, 1), tmp_path / "db", server.url)
    outcome = fetch(download, loopback_session())
    assert outcome.status == "updated", outcome.detail
    assert server.hits("/free/dbip-asn-lite-2026-11.mmdb.gz") == 1  # not out yet: 404
    assert Resolver([download.target]).resolve("193.0.0.1").asn_organisation == "DBIP Org"


def test_dbip_corrupt_gzip_keeps_the_old_file(server, tmp_path):
    database = asn_database(
        tmp_path, "DBIP Org", database_type="DBIP-ASN-Lite (compat=GeoLite2-ASN)"
    )
    packed = gzip.compress(database)
    server.on("/free/dbip-asn-lite-2026-10.mmdb.gz", Answer(raw=packed))
    [download] = dbip_downloads(["asn"], date(2026, 10, 5), tmp_path / "db", server.url)
    assert fetch(download, loopback_session()).status == "updated"
    [later] = dbip_downloads(["asn"], date(2026, 11, 5), tmp_path / "db", server.url)
    server.on("/free/dbip-asn-lite-2026-11.mmdb.gz", Answer(raw=packed[:-12] + b"\0" * 12))
    outcome = fetch(later, loopback_session())
    assert outcome.status == "failed" and "damaged archive" in outcome.detail
    assert Resolver([later.target]).resolve("193.0.0.1").asn_organisation == "DBIP Org"


def test_dbip_month_already_in_place_is_not_fetched_again(server, tmp_path):
    database = asn_database(
        tmp_path, "DBIP Org", database_type="DBIP-ASN-Lite (compat=GeoLite2-ASN)"
    )
    server.on("/free/dbip-asn-lite-2026-11.mmdb.gz", Answer(raw=gzip.compress(database)))
    [download] = dbip_downloads(["asn"], date(2026, 11, 5), tmp_path / "db", server.url)
    assert fetch(download, loopback_session()).status == "updated"
    assert fetch(download, loopback_session()).status == "current"
    assert server.hits("/free/dbip-asn-lite-2026-11.mmdb.gz") == 1


def test_a_mirror_on_a_private_address_is_refused_and_the_old_file_kept(server, tmp_path):
    """Without an exception for loopback, nothing is fetched and the outcome says why."""
    publish(server, tar_gz(asn_database(tmp_path, "Org")))
    [download] = maxmind_downloads(["GeoLite2-ASN"], "1", "key", tmp_path / "db", server.url)
    outcome = fetch(download, GuardedSession())
    assert outcome.status == "failed"
    assert "refused: a loopback address" in outcome.detail
    assert server.requests == [] and not download.target.exists()
