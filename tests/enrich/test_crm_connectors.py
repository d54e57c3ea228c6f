"""The CRM connectors against loopback fakes speaking HubSpot's, Salesforce's and
Pipedrive's request, answer and error shapes."""

from __future__ import annotations

import time

import pytest

from enrich.crm import Change, CrmError, Failure
from enrich.crm.http import RetryPolicy
from enrich.crm.mapping import DEFAULT_MAPPINGS, build_connector, company, parse_mapping
from enrich.outbound import GuardedSession, OutboundPolicy
from tests.support.crm_fakes import FAKES, settings_for

QUICK = RetryPolicy(attempts=3, backoff=0.01, max_wait=2.0, timeout=2.0)


@pytest.fixture(params=sorted(FAKES))
def crm(request):
    with FAKES[request.param]() as fake:
        yield request.param, fake


def connect(crm_name, fake, secrets=None, policy=QUICK):
    settings, good = settings_for(crm_name, fake)
    session = GuardedSession(OutboundPolicy.parse("127.0.0.1"), timeout=2)
    return build_connector(crm_name, settings, secrets or good, session, policy)


def acme(crm_name, score=87):
    values = {"score": score, "tier": "hot", "why": "Pricing page (+20)"}
    return company("acme.example", "Acme", values, DEFAULT_MAPPINGS[crm_name])


def test_first_push_creates_the_company_then_a_repeat_updates_it(crm):
    """One company in the CRM after two pushes: created, then updated with the new score."""
    name, fake = crm
    connector = connect(name, fake)
    first = connector.upsert_company(acme(name))
    second = connector.upsert_company(acme(name, score=91))
    assert (first.change, second.change) == (Change.CREATED, Change.UPDATED)
    assert first.id == second.id and len(fake.companies) == 1
    stored = fake.companies["acme.example"]
    written = stored.get("properties", stored)
    assert written[DEFAULT_MAPPINGS[name]["score"]] == 91


def test_a_429_then_200_succeeds_after_the_wait_it_asked(crm):
    """Retry-After: 1 is waited (about a second), then the company is written once."""
    name, fake = crm
    connector = connect(name, fake)
    fake.fail_next(429, retry_after="1")
    started = time.monotonic()
    result = connector.upsert_company(acme(name))
    assert 0.9 <= time.monotonic() - started < 5
    assert result.change is Change.CREATED and fake.writes == 1


def test_a_refused_token_says_so(crm):
    """A 401 is "token refused", not retried, and the message carries no token."""
    name, fake = crm
    secrets = {"token": "wrong-token", "client_secret": "wrong-secret"}
    connector = connect(name, fake, secrets)
    with pytest.raises(CrmError) as caught:
        connector.upsert_company(acme(name))
    assert caught.value.failure is Failure.AUTH and caught.value.reason.startswith("token refused")
    assert "wrong" not in caught.value.reason and fake.writes == 0
    assert len(fake.requests) == 1


def test_server_errors_are_retried_then_reported_with_their_status(crm):
    """Three 503s with three attempts: a failure naming HTTP 503, nothing written."""
    name, fake = crm
    fake.fail_next(503, times=3)
    with pytest.raises(CrmError) as caught:
        connect(name, fake).upsert_company(acme(name))
    assert caught.value.status == 503 and caught.value.retryable and fake.writes == 0


def test_status_reads_back_customers_and_open_opportunities(crm):
    """An unknown company has no status; a customer with an open deal reads as both."""
    name, fake = crm
    connector = connect(name, fake)
    assert connector.read_status("acme.example").lifecycle is None
    connector.upsert_company(acme(name))
    stored = fake.companies["acme.example"]
    if name == "hubspot":
        stored["properties"].update(lifecyclestage="customer", hs_num_open_deals="1")
    elif name == "salesforce":
        stored["Type"] = "Customer - Direct"
        fake.open_opportunities.add(stored["Id"])
    else:
        stored.update(won_deals_count=2, open_deals_count=1)
    status = connector.read_status("acme.example")
    assert status.customer and status.open_opportunity and "ustomer" in status.lifecycle


def test_hubspot_validation_errors_name_the_property():
    """HubSpot's 400 detail reaches the message, and is not retried."""
    with FAKES["hubspot"]() as fake:
        fake.fail_next(400)
        with pytest.raises(CrmError) as caught:
            connect("hubspot", fake).upsert_company(acme("hubspot"))
    assert 'Property "vigie_score" does not exist' in caught.value.reason
    assert len(fake.requests) == 1


def test_retry_after_is_capped():
    """A CRM asking for an hour waits at most the policy's cap."""
    with FAKES["pipedrive"]() as fake:
        fake.fail_next(429, retry_after="3600")
        started = time.monotonic()
        connect("pipedrive", fake, policy=RetryPolicy(attempts=2, max_wait=0.2)).upsert_company(
            acme("pipedrive")
        )
    assert time.monotonic() - started < 3


def test_mapping_lines_override_defaults_and_name_bad_fields():
    """`score = hs_score` moves one field, `why =` drops one, an unknown field is refused."""
    mapping = parse_mapping("hubspot", "score = hs_score\nwhy =\n")
    assert mapping["score"] == "hs_score" and mapping["why"] == ""
    assert "vigie_why" not in company("a.example", "A", {"why": "x"}, mapping).properties
    with pytest.raises(ValueError, match="line 1: 'revenue'"):
        parse_mapping("hubspot", "revenue = x")


def test_missing_settings_are_named():
    """A connector without what it needs names the setting."""
    session = GuardedSession(OutboundPolicy())
    with pytest.raises(ValueError, match="token"):
        build_connector("hubspot", {}, {}, session)
    with pytest.raises(ValueError, match="domain_field"):
        build_connector(
            "pipedrive", {"base_url": "https://x.pipedrive.com"}, {"token": "t"}, session
        )
    with pytest.raises(ValueError, match="client_secret"):
        build_connector("salesforce", {}, {}, session)


def test_the_guarded_client_refuses_loopback_without_the_allow_setting():
    """With no exception allowed, the fake is never reached: an address refusal."""
    with FAKES["hubspot"]() as fake:
        session = GuardedSession(OutboundPolicy(), timeout=2)
        connector = build_connector(
            "hubspot", {"base_url": fake.url}, {"token": fake.token}, session, QUICK
        )
        with pytest.raises(CrmError) as caught:
            connector.upsert_company(acme("hubspot"))
    assert caught.value.failure is Failure.REFUSED and fake.requests == []


def test_salesforce_replaces_an_expired_client_credentials_token_once():
    """The org's token changes after the first push: the next push gets a new one and succeeds."""
    with FAKES["salesforce"]() as fake:
        connector = connect("salesforce", fake)
        connector.upsert_company(acme("salesforce"))
        fake.token = "rotated-token"
        result = connector.upsert_company(acme("salesforce", score=12))
    token_calls = [path for method, path in fake.requests if path == "/services/oauth2/token"]
    assert result.change is Change.UPDATED and len(token_calls) == 2


def test_salesforce_session_token_refused_is_not_retried():
    """A given session token that the org refuses is "token refused", asked once."""
    with FAKES["salesforce"]() as fake:
        session = GuardedSession(OutboundPolicy.parse("127.0.0.1"), timeout=2)
        settings = {"instance_url": fake.url}
        connector = build_connector(
            "salesforce", settings, {"access_token": "stale"}, session, QUICK
        )
        with pytest.raises(CrmError) as caught:
            connector.upsert_company(acme("salesforce"))
    assert caught.value.failure is Failure.AUTH and len(fake.requests) == 1


def test_salesforce_request_limit_is_a_rate_limit_not_a_refused_token():
    """Salesforce's 403 REQUEST_LIMIT_EXCEEDED is retried and reported as a rate limit."""
    with FAKES["salesforce"]() as fake:
        connector = connect("salesforce", fake)
        connector.authenticate()
        fake.fail_next(403, times=3)
        with pytest.raises(CrmError) as caught:
            connector.upsert_company(acme("salesforce"))
    assert caught.value.failure is Failure.RATE_LIMITED and caught.value.status == 403
    assert [method for method, _ in fake.requests] == ["POST", "PATCH", "PATCH", "PATCH"]
