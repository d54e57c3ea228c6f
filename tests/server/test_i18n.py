"""The dashboard in French: the browser's language before sign-in, the user's
setting after, from the compiled catalogue in server/translations."""

from __future__ import annotations

import re

import pytest

from server.storage import session_scope
from server.storage.models import Account
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
    assert "Modèle de scoring" in text and "Paramètres" in text
    assert ">chaud</span>" in text and ">hot</span>" not in text
    assert re.search(r'data-test="total">\s*1 compte\s*<', text)
