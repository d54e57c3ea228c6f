"""Company website facts: homepages of professional leads' companies fetched from a
loopback fake site, opt-in, within bounds, and the leads rescored."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from server.jobs import drain
from server.jobs.leads import fetch_lead_websites
from server.leads.importing import check_mapping, find_or_create_list, import_leads
from server.leads.reading import open_lead_file
from server.leads.scoring import rescore_organisation_leads
from server.leads.website_facts import SETTING
from server.storage import get_session, session_scope
from server.storage.models import AuditEntry, Lead, LeadWebsite, Organisation
from server.storage.types import utcnow
from tests.support.factories import make_site
from tests.support.httpserver import Answer, ScriptedServer
from tests.support.team import ADMIN, MEMBER, csrf, make_team, sign_in

LEADS = (
    "email;phone\nj.dupont@acme.fr;0612345678\njean@orange.fr;\ncontact@acme.fr;\nx@yopmail.fr;\n"
)

HOMEPAGE = (
    '<!doctype html><html lang="fr-FR"><head><meta charset="utf-8">'
    "<title>Acme – éditeur de logiciels de paie</title></head>"
    "<body><h1>Bienvenue</h1></body></html>"
)


def _html(text: str, **headers: str) -> Answer:
    return Answer(
        raw=text.encode(), headers={"Content-Type": "text/html; charset=utf-8", **headers}
    )


@pytest.fixture
def site():
    """A fake company website on 127.0.0.1, one folder per domain."""
    with ScriptedServer() as server:
        yield server


@pytest.fixture
def website_app(make_app, db_url, site):
    """An app reading homepages from the fake site, allowed to reach loopback only."""
    return make_app(
        db_url,
        OUTBOUND_ALLOW="127.0.0.1",
        LEAD_WEBSITE_URL=f"{site.url}/{{domain}}/",
        LEAD_WEBSITE_TIMEOUT=1,
        PUBLIC_URL="https://vigie.example",
    )


def _org(app, opted_in=True):
    make_site(app, settings={SETTING: True} if opted_in else {})
    with app.app_context(), session_scope() as session:
        return session.scalar(select(Organisation.id))


def _import(app, org_id, tmp_path, text=LEADS):
    path = tmp_path / "salon.csv"
    path.write_text(text, encoding="utf-8")
    with app.app_context(), session_scope() as session:
        lead_file = open_lead_file(path)
        lead_list = find_or_create_list(session, org_id, "Salon", "FR")
        mapping = check_mapping(lead_file.headers, {"email": "email", "phone": "phone"})
        import_leads(session, lead_list, lead_file, mapping, utcnow(), "test")
    assert drain(app)


def _lead(app, email):
    with app.app_context(), session_scope() as session:
        lead = session.scalars(select(Lead).where(Lead.email == email)).one()
        session.expunge(lead)
        return lead


def _website(app, domain):
    with app.app_context(), session_scope() as session:
        row = session.scalars(select(LeadWebsite).where(LeadWebsite.domain == domain)).first()
        if row is not None:
            session.expunge(row)
        return row


def test_the_homepage_title_and_language_are_kept_and_a_keyword_rule_applies(
    website_app, site, tmp_path
):
    """After import, acme.fr's homepage is read: its title earns the model's
    "Software company" rule and its `lang` gives the lead a language."""
    site.on("/acme.fr/", _html(HOMEPAGE))
    org_id = _org(website_app)
    _import(website_app, org_id, tmp_path)
    website = _website(website_app, "acme.fr")
    assert website.status == "ok"
    assert website.title == "Acme – éditeur de logiciels de paie"
    assert website.html_lang == "fr-FR"
    lead = _lead(website_app, "j.dupont@acme.fr")
    labels = {item["label"]: item["points"] for item in lead.explanation}
    assert labels["Software company"] == 20
    assert labels["Language fr (from the homepage)"] == 10
    assert lead.language == "fr"
    # professional 30 + mobile 10 + country FR (phone) 10 + language 10 + keyword 20
    assert lead.score == 80 and lead.tier == "hot"
    user_agents = {headers.get("User-Agent") for _, headers in site.requests}
    assert user_agents == {
        "Mozilla/5.0 (compatible; Vigie/0.1; +https://vigie.example; company website facts)"
    }


def test_the_language_is_detected_when_the_page_declares_none(website_app, site, tmp_path):
    """A page without `lang` gets the language detected on its visible text."""
    page = (
        "<html><head><title>Acme</title><script>var bonjour = 1;</script></head><body>"
        "<p>We design payroll software for small and medium businesses across Europe, "
        "with support teams in London and Dublin.</p></body></html>"
    )
    site.on("/acme.fr/", _html(page))
    _import(website_app, _org(website_app), tmp_path)
    assert _website(website_app, "acme.fr").detected_language == "en"
    assert _lead(website_app, "j.dupont@acme.fr").language == "en"


def test_only_professional_domains_are_fetched_and_nothing_of_the_lead(website_app, site, tmp_path):
    """Free, role and disposable addresses send nothing; the one request names
    the company's domain only, never the lead's address or phone."""
    site.on("/acme.fr/", _html(HOMEPAGE))
    _import(website_app, _org(website_app), tmp_path)
    paths = {path for path, _ in site.requests}
    assert paths == {"/acme.fr/robots.txt", "/acme.fr/"}
    sent = " ".join(f"{path} {headers}" for path, headers in site.requests)
    for secret in ("dupont", "0612345678", "612345678", "orange", "yopmail", "contact"):
        assert secret not in sent
    assert _website(website_app, "orange.fr") is None


def test_nothing_is_fetched_unless_the_organisation_opted_in(website_app, site, tmp_path):
    """Off by default: an import sends no request, and the job does nothing."""
    site.on("/acme.fr/", _html(HOMEPAGE))
    org_id = _org(website_app, opted_in=False)
    _import(website_app, org_id, tmp_path)
    with website_app.app_context():
        assert fetch_lead_websites(org_id) == 0
    assert site.requests == []
    assert _lead(website_app, "j.dupont@acme.fr").score == 50  # no keyword, no language


def test_robots_txt_disallowing_vigie_is_honoured(website_app, site, tmp_path):
    """`Disallow: /` for Vigie: robots.txt is read, the homepage never."""
    site.on("/acme.fr/robots.txt", Answer(raw=b"User-agent: Vigie\nDisallow: /\n"))
    site.on("/acme.fr/", _html(HOMEPAGE))
    _import(website_app, _org(website_app), tmp_path)
    assert site.hits("/acme.fr/robots.txt") == 1 and site.hits("/acme.fr/") == 0
    website = _website(website_app, "acme.fr")
    assert website.status == "robots" and website.title is None


def test_an_oversized_homepage_is_cut_and_its_title_kept(website_app, site, tmp_path):
    """A 3 MB page: its first 512 KiB are read, the title with them."""
    big = HOMEPAGE.replace("</body>", "<p>" + "x" * 3_000_000 + "</p></body>")
    site.on("/acme.fr/", _html(big))
    _import(website_app, _org(website_app), tmp_path)
    website = _website(website_app, "acme.fr")
    assert website.status == "ok" and website.truncated
    assert website.title == "Acme – éditeur de logiciels de paie"


def test_a_redirect_to_a_private_address_is_refused(website_app, site, tmp_path):
    """The homepage redirects to 10.0.0.1: the hop is refused before any
    connection, and the lead keeps its score."""
    site.on("/acme.fr/", Answer(status=302, raw=b"", headers={"Location": "http://10.0.0.1/"}))
    _import(website_app, _org(website_app), tmp_path)
    website = _website(website_app, "acme.fr")
    assert website.status == "refused"
    assert "10.0.0.1: a private address" in website.error
    assert _lead(website_app, "j.dupont@acme.fr").score == 50


def test_a_homepage_that_does_not_answer_in_time_fails_cleanly(website_app, site, tmp_path):
    """A site slower than VIGIE_LEAD_WEBSITE_TIMEOUT is given up; the import
    and the lead are untouched."""
    site.on("/acme.fr/", Answer(raw=HOMEPAGE.encode(), delay=3))
    _import(website_app, _org(website_app), tmp_path)
    website = _website(website_app, "acme.fr")
    assert website.status == "failed" and "1 s" in website.error
    assert _lead(website_app, "j.dupont@acme.fr").score == 50


def test_fetched_facts_are_reused_until_stale(website_app, site, tmp_path):
    """A second import of the company's leads fetches nothing again and scores
    the new lead with the cached homepage at once."""
    site.on("/acme.fr/", _html(HOMEPAGE))
    org_id = _org(website_app)
    _import(website_app, org_id, tmp_path)
    _import(website_app, org_id, tmp_path, "email;phone\nm.martin@acme.fr;\n")
    assert site.hits("/acme.fr/") == 1
    labels = {item["label"] for item in _lead(website_app, "m.martin@acme.fr").explanation}
    assert "Software company" in labels


def test_admins_switch_website_facts_on_and_members_cannot(app):
    """The Leads page's switch: audited for an admin, 403 for a member."""
    make_team(app)
    member = sign_in(app, MEMBER)
    refused = member.post("/leads/website-facts", data={"enabled": "1", "csrf_token": csrf(member)})
    assert refused.status_code == 403
    admin = sign_in(app, ADMIN)
    page = admin.post(
        "/leads/website-facts",
        data={"enabled": "1", "csrf_token": csrf(admin)},
        follow_redirects=True,
    )
    assert page.status_code == 200
    assert "Company websites will be read" in page.get_data(as_text=True)
    with app.app_context(), session_scope() as session:
        settings = session.scalar(select(Organisation.settings).where(Organisation.name == "Acme"))
        assert settings[SETTING] is True
        actions = session.scalars(select(AuditEntry.action)).all()
    assert "leads.website_facts" in actions


def test_rescoring_after_a_model_change_keeps_the_homepage_facts(website_app, site, tmp_path):
    """Leads rescored for a model save are scored with their company's homepage still."""
    site.on("/acme.fr/", _html(HOMEPAGE))
    org_id = _org(website_app)
    _import(website_app, org_id, tmp_path)
    with website_app.app_context():
        assert rescore_organisation_leads(get_session(), org_id, utcnow()) == 4
    lead = _lead(website_app, "j.dupont@acme.fr")
    assert lead.score == 80 and lead.language == "fr"
