"""The dashboard in French: the browser's language before sign-in, the user's
setting after, from the compiled catalogue in server/translations."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from scoring.engine import EventFacts, VisitFacts, score
from scoring.model import default_model_text, parse_model
from server.storage import session_scope
from server.storage.models import Account, Organisation, User
from server.storage.tenancy import create_organisation, create_user

PASSWORD = "correct horse battery"
FRENCH_BROWSER = {"Accept-Language": "fr-FR,fr;q=0.9"}
ENGLISH_BROWSER = {"Accept-Language": "en"}
CSRF = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')
BUTTON = re.compile(r"<button[^>]*>(.*?)</button>", re.S)


@pytest.fixture
def french_user(sqlite_app):
    """A user who chose French, with one hot account in their organisation."""
    with sqlite_app.app_context(), session_scope() as session:
        organisation = create_organisation(session, "Acme")
        user = create_user(session, organisation, "ventes@acme.example", PASSWORD)
        user.locale = "fr"
        session.add(
            Account(
                org_id=organisation.id,
                key="hotcorp.fr",
                name="Hot Corp",
                domain="hotcorp.fr",
                score=80,
                tier="hot",
            )
        )
    return "ventes@acme.example"


def test_sign_in_page_follows_the_browser_language(sqlite_app):
    client = sqlite_app.test_client()

    french = client.get("/login", headers=FRENCH_BROWSER).get_data(as_text=True)
    assert BUTTON.findall(french) == ["Se connecter"]
    assert 'lang="fr"' in french
    assert "Mot de passe" in french and "Password" not in french

    english = client.get("/login", headers=ENGLISH_BROWSER).get_data(as_text=True)
    assert BUTTON.findall(english) == ["Sign in"]
    assert 'lang="en"' in english
    assert "Password" in english and "Mot de passe" not in english


def test_the_users_language_wins_over_an_english_browser(sqlite_app, french_user):
    client = sqlite_app.test_client()
    form = client.get("/login", headers=ENGLISH_BROWSER).get_data(as_text=True)
    signed_in = client.post(
        "/login",
        data={"email": french_user, "password": PASSWORD, "csrf_token": CSRF.search(form)[1]},
        headers=ENGLISH_BROWSER,
    )
    assert signed_in.status_code == 302

    page = client.get("/accounts", headers=ENGLISH_BROWSER)
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "<h1>Comptes</h1>" in text
    assert "Exporter en CSV" in text and "Export CSV" not in text
    assert "Se déconnecter" in text and "Sign out" not in text
    assert ">Vue d'ensemble</a>" in text
    assert "Paramètres" in text and "Modèle de scoring" not in text  # a member's menu
    assert ">chaud</span>" in text and ">hot</span>" not in text
    assert re.search(r'data-test="total">\s*1 compte\s*<', text)


SEEN_AT = datetime(2026, 11, 27, 16, 5, tzinfo=UTC)
ENGLISH_REASONS = re.compile(r"Visits|Came back|Pricing page|Persona \S+.* of \d|unknown|employees")


def scored_explanation() -> list[dict]:
    """What the engine stores for an account that read pricing, came back and fits partly."""
    model = parse_model(default_model_text())
    visits = [VisitFacts(1, SEEN_AT - timedelta(days=3)), VisitFacts(2, SEEN_AT)]
    events = [EventFacts(2, SEEN_AT, "pageview", "/pricing")]
    facts = {"industry": "Software", "employees": 12, "country": "FR"}
    result = score(model, facts, visits, events, SEEN_AT)
    return [contribution.as_dict() for contribution in result.contributions]


def signed_in_client(app, email):
    client = app.test_client()
    form = client.get("/login").get_data(as_text=True)
    client.post(
        "/login", data={"email": email, "password": PASSWORD, "csrf_token": CSRF.search(form)[1]}
    )
    return client


def test_a_french_account_page_has_no_english_reason_and_local_dates(sqlite_app, french_user):
    """Reasons worded in French, dates day-first in the organisation's time zone."""
    with sqlite_app.app_context(), session_scope() as session:
        account = session.scalar(select(Account))
        account.explanation = scored_explanation()
        account.last_seen = SEEN_AT
        session.get(Organisation, account.org_id).settings = {"time_zone": "Europe/Paris"}
        account_id = account.id
    client = signed_in_client(sqlite_app, french_user)

    page = client.get(f"/accounts/{account_id}").get_data(as_text=True)
    breakdown = page[
        page.index('id="breakdown"') : page.index("</section>", page.index('id="breakdown"'))
    ]
    assert not ENGLISH_REASONS.search(breakdown), breakdown
    assert "Page tarifs" in breakdown and "Visites" in breakdown
    assert "Venu 2 jours différents" in breakdown
    assert "Persona ETI et PME B2B, 2 sur 3 : effectif 12 &lt; 50" in breakdown or (
        "Persona ETI et PME B2B, 2 sur 3: effectif 12 &lt; 50" in breakdown
    )
    assert "27/11/2026 17:05 CET" in page  # 16:05 UTC, in Paris

    export = client.get("/api/accounts.csv?excel=fr").get_data(as_text=True)
    assert "2026-11-27 17:05:00" in export and "Page tarifs" in export


def test_an_admin_sets_the_organisations_time_zone(sqlite_app, french_user):
    """Chosen on the settings page, used for the dates shown; an unknown zone is refused."""
    with sqlite_app.app_context(), session_scope() as session:
        session.scalar(select(User)).role = "admin"
        account = session.scalar(select(Account))
        account.last_seen = SEEN_AT
        account_id = account.id
    client = signed_in_client(sqlite_app, french_user)
    form = client.get("/settings").get_data(as_text=True)
    token = re.search(r'name="zone-csrf_token" type="hidden" value="([^"]+)"', form)[1]
    saved = client.post(
        "/settings",
        data={
            "action": "time-zone",
            "zone-time_zone": "America/New_York",
            "zone-csrf_token": token,
        },
    )
    assert saved.status_code == 302
    assert "27/11/2026 11:05 EST" in client.get(f"/accounts/{account_id}").get_data(as_text=True)
    client.post(
        "/settings",
        data={"action": "time-zone", "zone-time_zone": "Mars/Olympus", "zone-csrf_token": token},
    )
    with sqlite_app.app_context(), session_scope() as session:
        assert session.scalar(select(Organisation)).settings["time_zone"] == "America/New_York"
        session.scalar(select(User)).role = "member"
    member = client.post(
        "/settings",
        data={"action": "time-zone", "zone-time_zone": "Europe/Paris", "zone-csrf_token": token},
    )
    assert member.status_code == 403
