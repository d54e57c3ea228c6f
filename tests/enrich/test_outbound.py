"""The guarded client against a real HTTP server on loopback, with a resolver
hook standing in for DNS (no /etc/hosts edits, no traffic off the machine)."""

from __future__ import annotations

import ssl
import subprocess
from ipaddress import ip_address

import pytest
import requests

from enrich.outbound import (
    GuardedSession,
    OutboundPolicy,
    OutboundRefused,
    Refusal,
    classify,
)
from tests.support.httpserver import Answer, ScriptedServer

LOOPBACK_ONLY = OutboundPolicy.parse("127.0.0.1")


@pytest.fixture
def server():
    with ScriptedServer() as running:
        running.on("/ok", Answer(body={"ok": True}))
        yield running


def port(server: ScriptedServer) -> int:
    return server.httpd.server_address[1]


def resolver(table: dict[str, list[str]]):
    """A stand-in DNS: each name answers its list of addresses."""
    return lambda host, _port: table[host]


@pytest.mark.parametrize(
    ("address", "reason"),
    [
        ("127.0.0.1", Refusal.LOOPBACK),
        ("127.8.9.10", Refusal.LOOPBACK),
        ("::1", Refusal.LOOPBACK),
        ("169.254.169.254", Refusal.METADATA),
        ("fd00:ec2::254", Refusal.METADATA),
        ("::ffff:169.254.169.254", Refusal.METADATA),
        ("169.254.1.1", Refusal.LINK_LOCAL),
        ("fe80::1", Refusal.LINK_LOCAL),
        ("10.0.0.1", Refusal.PRIVATE),
        ("172.16.5.4", Refusal.PRIVATE),
        ("192.168.1.1", Refusal.PRIVATE),
        ("100.64.0.1", Refusal.PRIVATE),
        ("fd12:3456::1", Refusal.PRIVATE),
        ("0.0.0.0", Refusal.UNSPECIFIED),
        ("::", Refusal.UNSPECIFIED),
        ("224.0.0.1", Refusal.MULTICAST),
        ("ff02::1", Refusal.MULTICAST),
        ("240.0.0.1", Refusal.RESERVED),
        ("255.255.255.255", Refusal.RESERVED),
        ("::ffff:127.0.0.1", Refusal.LOOPBACK),
        ("::ffff:10.0.0.1", Refusal.PRIVATE),
        ("::127.0.0.1", Refusal.LOOPBACK),
        ("64:ff9b::a00:1", Refusal.PRIVATE),
        ("2002:7f00:1::", Refusal.LOOPBACK),
        ("93.184.215.14", None),
        ("2606:4700:4700::1111", None),
        ("::ffff:93.184.215.14", None),
    ],
)
def test_addresses_are_classified(address, reason):
    """Every forbidden range is named, IPv6 forms of IPv4 addresses included."""
    assert classify(ip_address(address)) is reason


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("http://127.0.0.1:{port}/ok", "127.0.0.1: a loopback address"),
        ("http://[::ffff:127.0.0.1]:{port}/ok", "::ffff:127.0.0.1: a loopback address"),
        ("http://localhost:{port}/ok", "localhost: a loopback address"),
        ("http://intranet.test:{port}/ok", "intranet.test: a loopback address"),
        ("http://169.254.169.254/latest/meta-data/", "169.254.169.254: a cloud metadata address"),
        ("https://10.0.0.1/", "10.0.0.1: a private address"),
    ],
)
def test_forbidden_addresses_are_refused_before_any_connection(server, url, reason):
    """The default policy refuses them all, and the loopback server never hears a thing."""
    http = GuardedSession(
        resolve=resolver({"intranet.test": ["127.0.0.1"], "localhost": ["127.0.0.1"]})
    )
    with pytest.raises(OutboundRefused) as refused:
        http.get(url.format(port=port(server)))
    assert str(refused.value) == reason
    assert server.requests == []


def test_one_forbidden_address_among_public_ones_refuses_the_name(server):
    """A name is refused if any of its addresses is forbidden, whichever comes first."""
    http = GuardedSession(resolve=resolver({"mixed.test": ["93.184.215.14", "127.0.0.1"]}))
    with pytest.raises(OutboundRefused, match="mixed.test: a loopback address"):
        http.get(f"http://mixed.test:{port(server)}/ok")
    assert server.requests == []


def test_the_connection_goes_to_the_checked_address_with_the_name_as_host(server):
    """An allowed name is resolved once and reached at that address; the Host header keeps the name."""
    calls = []

    def resolve(host, _port):
        calls.append(host)
        return ["127.0.0.1"]

    http = GuardedSession(OutboundPolicy.parse("crm.internal"), resolve=resolve)
    answer = http.get(f"http://crm.internal:{port(server)}/ok")
    assert answer.json() == {"ok": True}
    [(_, headers)] = server.requests
    assert headers["Host"] == f"crm.internal:{port(server)}"
    assert calls == ["crm.internal"]


@pytest.fixture
def tls_server(tmp_path):
    """The scripted server over TLS, with a self-signed certificate for `tls.test` only."""
    key, cert = tmp_path / "key.pem", tmp_path / "cert.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1"]
        + ["-keyout", str(key), "-out", str(cert), "-subj", "/CN=tls.test"]
        + ["-addext", "subjectAltName=DNS:tls.test"],
        check=True,
        capture_output=True,
    )
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    running = ScriptedServer()
    running.httpd.socket = context.wrap_socket(running.httpd.socket, server_side=True)
    running.on("/ok", Answer(body={"ok": True}))
    with running:
        yield running, str(cert)


def test_tls_checks_the_certificate_against_the_name_not_the_address(tls_server):
    """Reached at its checked address, the server must still prove it is the name asked for."""
    server, ca = tls_server
    names = {"tls.test": ["127.0.0.1"], "other.test": ["127.0.0.1"]}
    http = GuardedSession(OutboundPolicy.parse("tls.test,other.test"), resolve=resolver(names))
    answer = http.get(f"https://tls.test:{port(server)}/ok", verify=ca)
    assert answer.json() == {"ok": True}
    with pytest.raises(requests.exceptions.SSLError):
        http.get(f"https://other.test:{port(server)}/ok", verify=ca)


def test_the_allow_setting_lets_the_loopback_server_through(server):
    """With 127.0.0.1 allowed, the same URL that was refused is answered."""
    answer = GuardedSession(LOOPBACK_ONLY).get(server.url + "/ok")
    assert answer.status_code == 200 and server.hits("/ok") == 1


def test_a_redirect_to_a_forbidden_address_is_refused(server):
    """Each hop is checked: an allowed server cannot bounce the request to the metadata service."""
    server.on("/bounce", Answer(302, headers={"Location": "http://169.254.169.254/latest"}))
    server.on("/private", Answer(307, headers={"Location": "http://10.1.2.3/admin"}))
    http = GuardedSession(LOOPBACK_ONLY)
    with pytest.raises(OutboundRefused, match="169.254.169.254: a cloud metadata address"):
        http.get(server.url + "/bounce")
    with pytest.raises(OutboundRefused, match="10.1.2.3: a private address"):
        http.post(server.url + "/private", json={})


def test_credentials_do_not_follow_a_redirect_to_another_origin(server):
    """A provider's API key header stays with its host: the next origin gets none of it."""
    with ScriptedServer() as other:
        other.on("/landing", Answer(200, body={"ok": True}))
        server.on("/moved", Answer(302, headers={"Location": other.url + "/landing"}))
        server.on("/here", Answer(302, headers={"Location": "/landed"}))
        server.on("/landed", Answer(200, body={"ok": True}))
        http = GuardedSession(LOOPBACK_ONLY)
        secret = {"X-Api-Key": "k-123", "Authorization": "Bearer t-456", "Cookie": "s=1"}
        assert http.get(server.url + "/moved", headers=secret).status_code == 200
        assert http.get(server.url + "/here", headers=secret).status_code == 200
        ((_, elsewhere),) = [r for r in other.requests if r[0] == "/landing"]
        ((_, same_origin),) = [r for r in server.requests if r[0] == "/landed"]
    assert not {"X-Api-Key", "Authorization", "Cookie"} & set(elsewhere)
    assert "User-Agent" in elsewhere and "Accept" in elsewhere
    assert same_origin["X-Api-Key"] == "k-123"  # the same origin keeps what was meant for it


def test_a_redirect_to_another_scheme_is_not_followed(server):
    """Only http and https are spoken, on the first URL as on a redirect."""
    server.on("/file", Answer(302, headers={"Location": "file:///etc/passwd"}))
    http = GuardedSession(LOOPBACK_ONLY)
    with pytest.raises(requests.exceptions.InvalidSchema):
        http.get(server.url + "/file")
    with pytest.raises(OutboundRefused, match="not an http"):
        http.get("gopher://127.0.0.1:70/")


def test_redirects_are_followed_a_few_times_only(server):
    """A redirect loop ends after the small maximum, with a request error."""
    server.on("/loop", Answer(302, headers={"Location": "/loop"}))
    with pytest.raises(requests.TooManyRedirects):
        GuardedSession(LOOPBACK_ONLY, max_redirects=3).get(server.url + "/loop")
    assert server.hits("/loop") == 4


def test_every_call_has_a_timeout(server):
    """A call that gives no timeout gets the session's."""
    server.on("/slow", Answer(body={}, delay=1.0))
    with pytest.raises(requests.Timeout):
        GuardedSession(LOOPBACK_ONLY, timeout=0.2).get(server.url + "/slow")


def test_metadata_addresses_stay_refused_even_when_allowed():
    """No exception opens the cloud metadata service: it hands out credentials."""
    policy = OutboundPolicy.parse("169.254.0.0/16, metadata.test")
    http = GuardedSession(policy, resolve=resolver({"metadata.test": ["169.254.169.254"]}))
    for url in ("http://169.254.169.254/", "http://metadata.test/"):
        with pytest.raises(OutboundRefused, match="a cloud metadata address"):
            http.get(url)


@pytest.mark.parametrize("entry", ["10.0.0.0/33", "not a host", "http://x", "a..b"])
def test_a_malformed_allow_entry_is_named(entry):
    with pytest.raises(ValueError, match="is not a CIDR, an IP address or a host name"):
        OutboundPolicy.parse(f"127.0.0.1,{entry}")
