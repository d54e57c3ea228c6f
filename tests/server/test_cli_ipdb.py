"""`vigie ipdb download` as a user runs it from cron."""

from __future__ import annotations

import pytest

from tests.enrich.test_ipdb import ASN_PATH, asn_database, publish, tar_gz
from tests.support.httpserver import Answer, ScriptedServer
from tests.support.processes import vigie

LOOPBACK_ALLOWED = {"VIGIE_OUTBOUND_ALLOW": "127.0.0.1"}
"""The fake download server is on loopback, which Vigie calls only when allowed."""


@pytest.fixture
def server():
    with ScriptedServer() as running:
        yield running


def test_download_then_refresh_from_cron(server, tmp_path):
    archive = tar_gz(asn_database(tmp_path, "Org"))
    publish(server, archive)
    args = (
        "ipdb",
        "download",
        "--dir",
        str(tmp_path / "db"),
        "--edition",
        "GeoLite2-ASN",
        "--maxmind-url",
        server.url,
    )
    env = {"MAXMIND_ACCOUNT_ID": "1", "MAXMIND_LICENSE_KEY": "key", **LOOPBACK_ALLOWED}
    first = vigie(*args, env=env)
    assert first.returncode == 0, first.stderr
    assert f"GeoLite2-ASN: updated → {tmp_path / 'db' / 'GeoLite2-ASN.mmdb'}" in first.stdout
    assert f"VIGIE_MMDB={tmp_path / 'db' / 'GeoLite2-ASN.mmdb'}" in first.stdout
    second = vigie(*args, env=env)
    assert "GeoLite2-ASN: current (already the latest)" in second.stdout


def test_failed_download_exits_1_and_keeps_nothing_broken(server, tmp_path):
    server.on(ASN_PATH + ".sha256", Answer(500))
    result = vigie(
        "ipdb",
        "download",
        "--dir",
        str(tmp_path / "db"),
        "--account-id",
        "1",
        "--license-key",
        "key",
        "--maxmind-url",
        server.url,
        env=LOOPBACK_ALLOWED,
    )
    assert result.returncode == 1
    assert "GeoLite2-ASN: failed" in result.stdout and "HTTP 500" in result.stdout
    assert "Traceback" not in result.stderr
    assert list((tmp_path / "db").iterdir()) == []


def test_account_id_without_key_is_a_usage_error(tmp_path):
    result = vigie("ipdb", "download", "--dir", str(tmp_path), "--account-id", "1", env={})
    assert result.returncode == 2
    assert result.stderr.strip() == (
        "Error: --account-id and --license-key: give both (MaxMind) or neither (DB-IP Lite)"
    )


def test_a_mirror_on_loopback_is_refused_unless_allowed(server, tmp_path):
    """Without VIGIE_OUTBOUND_ALLOW the mirror is not called, and the output says why."""
    publish(server, tar_gz(asn_database(tmp_path, "Org")))
    result = vigie(
        "ipdb",
        "download",
        "--dir",
        str(tmp_path / "db"),
        "--maxmind-url",
        server.url,
        env={"MAXMIND_ACCOUNT_ID": "1", "MAXMIND_LICENSE_KEY": "key"},
    )
    assert result.returncode == 1
    assert "GeoLite2-ASN: failed" in result.stdout
    assert "refused: a loopback address" in result.stdout
    assert server.requests == [] and "Traceback" not in result.stderr


def test_a_malformed_allow_setting_is_a_usage_error(tmp_path):
    result = vigie(
        "ipdb", "download", "--dir", str(tmp_path), env={"VIGIE_OUTBOUND_ALLOW": "10.0.0.0/99"}
    )
    assert result.returncode == 2
    assert result.stderr.strip() == (
        "Error: VIGIE_OUTBOUND_ALLOW: '10.0.0.0/99' is not a CIDR, an IP address or a host name"
    )
