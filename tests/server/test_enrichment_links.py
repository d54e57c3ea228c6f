"""A provider's URLs are stored only when they are http(s) links, on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
import requests
from sqlalchemy import select

from enrich.providers.http import HttpJsonProvider, HttpProviderConfig
from server.enrichment import enrich
from server.storage import session_scope
from server.storage.models import Account, Contact, Enrichment, Organisation
from server.storage.types import utcnow
from tests.support.httpserver import Answer, ScriptedServer

HOSTILE = "javascript:alert(1)"


@pytest.fixture
def api():
    with ScriptedServer() as server:
        yield server


def provider(api) -> HttpJsonProvider:
    return HttpJsonProvider(
        HttpProviderConfig(
            url=api.url + "/c/{domain}",
            retries=0,
            timeout=2,
            fields={"name": "name", "linkedin_url": "linkedin", "website": "site"},
            contacts={
                "path": "people",
                "fields": {"name": "name", "title": "job", "profile_url": "profile"},
            },
        ),
        requests.Session(),  # unguarded: the scripted provider is on loopback
    )


def answer(linkedin: str, site: str, profile: str) -> Answer:
    people = [{"name": "Ann Lee", "job": "CTO", "profile": profile}]
    return Answer(body={"name": "Acme", "linkedin": linkedin, "site": site, "people": people})


def enriched(app, api) -> tuple[Account, list[str | None], dict]:
    """Enrich a new account with the scripted answer; what was stored."""
    with app.app_context(), session_scope() as session:
        org = Organisation(name="Org", settings={})
        session.add(org)
        session.flush()
        account = Account(org_id=org.id, key="acme.fr", name="acme.fr", domain="acme.fr")
        session.add(account)
        session.flush()
        assert enrich(session, account, [provider(api)], utcnow(), roles=["CTO"]) == []
        account_id = account.id
    with app.app_context(), session_scope() as session:
        account = session.get(Account, account_id)
        profiles = list(session.scalars(select(Contact.profile_url)))
        data = session.scalars(select(Enrichment.data)).one()
        session.expunge_all()
    return account, profiles, data


def test_script_urls_from_a_provider_are_not_stored(app, api):
    api.on("/c/acme.fr", answer(HOSTILE, "data:text/html,<b>x</b>", " java\tscript:alert(1)"))
    account, profiles, data = enriched(app, api)
    assert account.name == "Acme"  # the rest of the answer is kept
    assert account.linkedin_url is None
    assert "website" not in account.firmographics
    assert profiles == [None]
    assert HOSTILE not in str(data) and "data:text" not in str(data)


def test_web_urls_from_a_provider_are_stored(app, api):
    api.on(
        "/c/acme.fr",
        answer(
            "https://www.linkedin.com/company/acme",
            "https://acme.fr",
            "https://www.linkedin.com/in/ann",
        ),
    )
    account, profiles, _ = enriched(app, api)
    assert account.linkedin_url == "https://www.linkedin.com/company/acme"
    assert account.firmographics["website"] == "https://acme.fr"
    assert profiles == ["https://www.linkedin.com/in/ann"]
