"""Firmographic providers against real files and a real HTTP server on loopback."""

from __future__ import annotations

import itertools
import socket
import sqlite3
import time

import pytest

from enrich.outbound import GuardedSession, OutboundPolicy
from enrich.providers import Firmographics, ProviderError, Query
from enrich.providers.http import HttpJsonProvider, HttpProviderConfig, dig, retry_after
from enrich.providers.localfile import LocalFileProvider
from enrich.providers.rdns import ReverseDnsProvider, representative
from tests.support.httpserver import Answer, ScriptedServer

ACME = {
    "company": {
        "legal_name": "Acme SAS",
        "sector": "Software",
        "metrics": {"employees": "1,200"},
        "hq": {"country": "fr"},
    }
}
FIELDS = {
    "name": "company.legal_name",
    "industry": "company.sector",
    "employees": "company.metrics.employees",
    "country": "company.hq.country",
    "funding": "company.funding",
}


@pytest.fixture
def server():
    with ScriptedServer() as running:
        yield running


def provider(server, sleep=time.sleep, **settings):
    config = {
        "url": server.url + "/v1/companies/{domain}",
        "fields": FIELDS,
        "api_key": "k3y",
        "api_key_header": "X-Api-Key",
        "timeout": 0.5,
        "retries": 2,
        "backoff": 0.01,
        "rate_limit": 1000,
        **settings,
    }
    loopback = GuardedSession(OutboundPolicy.parse("127.0.0.1"))  # the fake API's address
    return HttpJsonProvider(HttpProviderConfig(**config), loopback, sleep=sleep)


def unhurried(http_provider):
    """`http_provider` whose rate limiter sees each call a second after the last,
    so that the only waits are the retries' (the recorded waits take no time,
    and calls could otherwise come closer than the limiter's spacing)."""
    http_provider.limiter.clock = itertools.count(0.0, 1.0).__next__
    return http_provider


class Waits(list):
    """Records the provider's waits instead of sleeping through them."""

    def __call__(self, seconds: float) -> None:
        self.append(seconds)


def test_http_answer_is_mapped_to_firmographics(server):
    server.on("/v1/companies/acme.fr", Answer(body=ACME))
    found = provider(server).lookup(Query(domain="acme.fr"))
    assert found == Firmographics(
        name="Acme SAS", industry="Software", employees=1200, country="FR"
    )
    [(_, headers)] = server.requests
    assert headers["X-Api-Key"] == "k3y"


def test_unknown_company_is_none(server):
    assert provider(server).lookup(Query(domain="nobody.fr")) is None


def test_server_errors_are_retried_with_backoff(server):
    """Each retry waits twice as long as the one before."""
    server.on("/v1/companies/acme.fr", Answer(500), Answer(502), Answer(body=ACME))
    waits = Waits()
    assert unhurried(provider(server, waits)).lookup(Query(domain="acme.fr")).name == "Acme SAS"
    assert server.hits("/v1/companies/acme.fr") == 3
    assert waits == [0.01, 0.02]


def test_persistent_server_error_is_a_retryable_provider_error(server):
    server.on("/v1/companies/acme.fr", Answer(500))
    with pytest.raises(ProviderError, match="http: server error 500 after 3 attempt") as raised:
        provider(server).lookup(Query(domain="acme.fr"))
    assert raised.value.retryable


def test_slow_server_times_out(server):
    """A server slower than the timeout is given up on, attempt after attempt."""
    server.on("/v1/companies/acme.fr", Answer(body=ACME, delay=1.5))
    with pytest.raises(ProviderError, match="no answer within 0.5s after 2 attempt") as raised:
        provider(server, retries=1).lookup(Query(domain="acme.fr"))
    assert raised.value.retryable
    assert server.hits("/v1/companies/acme.fr") == 2


def test_malformed_json_is_not_retried(server):
    server.on("/v1/companies/acme.fr", Answer(raw=b"{not json"))
    with pytest.raises(ProviderError, match="malformed JSON") as raised:
        provider(server).lookup(Query(domain="acme.fr"))
    assert not raised.value.retryable and server.hits("/v1/companies/acme.fr") == 1


def test_429_waits_for_retry_after(server):
    """The wait before asking again is the server's Retry-After, not the backoff."""
    server.on("/v1/companies/acme.fr", Answer(429, headers={"Retry-After": "7"}), Answer(body=ACME))
    waits = Waits()
    assert unhurried(provider(server, waits)).lookup(Query(domain="acme.fr")).name == "Acme SAS"
    assert waits == [7] and server.hits("/v1/companies/acme.fr") == 2


def test_429_asking_too_long_gives_up_at_once(server):
    server.on("/v1/companies/acme.fr", Answer(429, headers={"Retry-After": "3600"}))
    with pytest.raises(ProviderError, match="rate limited for 3600s"):
        provider(server).lookup(Query(domain="acme.fr"))
    assert server.hits("/v1/companies/acme.fr") == 1


def test_rate_limit_spaces_calls(server):
    """At 10 calls a second, calls made at once are spread a tenth of a second apart."""
    server.on("/v1/companies/acme.fr", Answer(body=ACME))
    waits = Waits()
    slow = provider(server, waits, rate_limit=10)
    slow.limiter.clock = lambda: 100.0  # the calls come within the same instant
    for _ in range(4):
        assert slow.lookup(Query(domain="acme.fr")).name == "Acme SAS"
    assert waits == pytest.approx([0.1, 0.2, 0.3])
    assert server.hits("/v1/companies/acme.fr") == 4


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"url": "ftp://x/{domain}"}, "url: "),
        ({"fields": {}}, "fields: "),
        ({"timeout": 0}, "timeout: "),
    ],
)
def test_bad_http_settings_name_the_setting(server, settings, message):
    with pytest.raises(ValueError, match=message):
        provider(server, **settings)


def test_dig_and_retry_after():
    assert dig({"a": [{"b": 3}]}, "a.0.b") == 3 and dig({"a": 1}, "a.b") is None
    assert retry_after("7") == 7 and retry_after(None) is None


def test_local_csv_file(tmp_path):
    path = tmp_path / "firmo.csv"
    path.write_text(
        "domain,name,industry,employees,country,linkedin_url,founded\n"
        "www.acme.fr,Acme,Software,250,fr,https://linkedin.com/company/acme,1999\n"
    )
    found = LocalFileProvider(path).lookup(Query(domain="shop.acme.fr"))
    assert found.name == "Acme" and found.employees == 250 and found.country == "FR"
    assert found.extra == {"founded": "1999"}
    assert LocalFileProvider(path).lookup(Query(domain="other.fr")) is None


def test_local_sqlite_file(tmp_path):
    path = tmp_path / "firmo.sqlite"
    with sqlite3.connect(path) as connection:
        connection.execute("CREATE TABLE firmographics (domain TEXT, name TEXT, employees INTEGER)")
        connection.execute("INSERT INTO firmographics VALUES ('acme.fr', 'Acme', 40)")
    assert LocalFileProvider(path).lookup(Query(domain="acme.fr")).employees == 40


def test_local_file_without_domain_column_is_named(tmp_path):
    path = tmp_path / "firmo.csv"
    path.write_text("site,name\nacme.fr,Acme\n")
    with pytest.raises(ProviderError, match=f"{path}: line 1: no `domain` column"):
        LocalFileProvider(path)


def test_reverse_dns_uses_the_network_representative_only():
    asked = []

    def reverse(address):
        asked.append(address)
        return ("gw.paris.acme-corp.fr", [], [address])

    found = ReverseDnsProvider(reverse=reverse).lookup(Query(network="81.2.69.0/24"))
    assert found.domain == "acme-corp.fr" and asked == ["81.2.69.1"]
    with pytest.raises(ValueError, match="narrower than /24"):
        representative("81.2.69.160/28")


def test_reverse_dns_ignores_operator_pool_names():
    provider = ReverseDnsProvider(reverse=lambda a: ("static-81-2-69-1.dsl.orange.fr", [], []))
    assert provider.lookup(Query(network="81.2.69.0/24")) is None


def test_reverse_dns_times_out():
    provider = ReverseDnsProvider(timeout=0.2, reverse=lambda a: time.sleep(1) or ("x.fr", [], []))
    with pytest.raises(ProviderError, match="no PTR answer within 0.2s"):
        provider.lookup(Query(network="81.2.69.0/24"))


def test_reverse_dns_on_the_real_resolver():
    """The system resolver is asked for the network's first address and its answer
    read: `localhost` (from /etc/hosts, no network traffic) names no company."""
    answers = []

    def system_resolver(address):
        answers.append(socket.gethostbyaddr(address))
        return answers[-1]

    assert ReverseDnsProvider(reverse=system_resolver).lookup(Query(network="127.0.0.0/24")) is None
    [(host, _aliases, addresses)] = answers
    assert host == "localhost" and addresses == ["127.0.0.1"]
    named = ReverseDnsProvider(reverse=lambda address: (f"{host}.acme-corp.fr", [], [address]))
    assert named.lookup(Query(network="127.0.0.0/24")) == Firmographics(domain="acme-corp.fr")
