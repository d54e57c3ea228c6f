"""Enrichment jobs on a real RQ worker and in process, against a real HTTP provider."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from server.enrichment import STALE_AFTER, stale_account_ids
from server.jobs import drain, enqueue, jobs_of
from server.jobs.enrichment import enrich_account
from server.scoring_models import store_model
from server.storage import session_scope
from server.storage.models import Account, Contact, Enrichment, Organisation
from server.storage.tenancy import create_user
from server.storage.types import utcnow
from tests.support.accounts import PASSWORD
from tests.support.httpserver import Answer, ScriptedServer
from tests.support.signin import CSRF_TOKEN

ANSWER = {"name": "Acme SAS", "sector": "Software", "size": 250, "country": "fr"}


LOOPBACK = "127.0.0.1"
"""The fake provider's address, which the apps of these tests may call."""


@pytest.fixture
def app(make_app, db_url):
    """A Vigie app allowed to call the fake provider on loopback."""
    return make_app(db_url, OUTBOUND_ALLOW=LOOPBACK)


@pytest.fixture
def api():
    with ScriptedServer() as server:
        yield server


def settings(api, csv_path=None):
    providers = [
        {
            "type": "http",
            "url": api.url + "/c/{domain}",
            "retries": 1,
            "backoff": 0.01,
            "timeout": 1,
            "fields": {
                "name": "name",
                "industry": "sector",
                "employees": "size",
                "country": "country",
            },
        }
    ]
    if csv_path:
        providers.insert(0, {"type": "file", "path": str(csv_path)})
    return {"enrichment": {"providers": providers}}


def make_account(app, org_settings, **fields):
    with app.app_context(), session_scope() as session:
        organisation = Organisation(name="Org", settings=org_settings)
        session.add(organisation)
        session.flush()
        account = Account(
            org_id=organisation.id, key="acme.fr", name="acme.fr", domain="acme.fr", **fields
        )
        session.add(account)
        session.flush()
        return account.id


def stored(app, account_id):
    with app.app_context(), session_scope() as session:
        account = session.get(Account, account_id)
        states = {s.provider: s for s in session.scalars(select(Enrichment))}
        session.expunge_all()
        return account, states


def test_in_process_enrichment_fills_the_account(app, api, tmp_path):
    csv_path = tmp_path / "firmo.csv"
    csv_path.write_text(
        "domain,name,linkedin_url\nacme.fr,ACME (curated),https://linkedin.com/company/acme\n"
    )
    api.on("/c/acme.fr", Answer(body=ANSWER))
    account_id = make_account(app, settings(api, csv_path))
    with app.app_context():
        enqueue(enrich_account, account_id)
    assert drain(app, timeout=20)
    account, states = stored(app, account_id)
    assert account.name == "ACME (curated)"  # the provider listed first wins
    assert (account.industry, account.employees, account.country) == ("Software", 250, "FR")
    assert account.linkedin_url == "https://linkedin.com/company/acme"
    assert {name: s.status for name, s in states.items()} == {"file": "ok", "http": "ok"}


def test_failure_keeps_the_data_and_shows_the_error_in_process(app, api):
    api.on("/c/acme.fr", Answer(500))
    account_id = make_account(app, settings(api), industry="Retail", employees=12)
    with app.app_context():
        enqueue(enrich_account, account_id)
    assert drain(app, timeout=30)
    account, states = stored(app, account_id)
    assert (account.industry, account.employees) == ("Retail", 12)
    assert states["http"].status == "error"
    assert "server error 500 after 2 attempt(s)" in states["http"].last_error
    assert states["http"].attempts == 3  # first run and two job retries
    [failure] = jobs_of(app).local.failures
    assert "EnrichmentFailed" in failure.error


def test_enrichment_retries_on_rq_then_succeeds(make_app, db_url, redis_url, rq_worker, api):
    app = make_app(db_url, REDIS_URL=redis_url, SECRET_KEY="s", OUTBOUND_ALLOW=LOOPBACK)
    api.on("/c/acme.fr", Answer(503), Answer(503), Answer(body=ANSWER))
    account_id = make_account(app, settings(api), industry="Retail")
    with app.app_context():
        enqueue(enrich_account, account_id)
    rq_worker(app)
    account, states = stored(app, account_id)
    assert account.industry == "Software" and account.employees == 250
    assert states["http"].status == "ok" and states["http"].last_error is None
    assert states["http"].attempts == 2


def test_enrichment_failure_on_rq_is_visible(make_app, db_url, redis_url, rq_worker, api):
    app = make_app(db_url, REDIS_URL=redis_url, SECRET_KEY="s", OUTBOUND_ALLOW=LOOPBACK)
    api.on("/c/acme.fr", Answer(raw=b"<html>oops"))
    account_id = make_account(app, settings(api), industry="Retail")
    with app.app_context():
        enqueue(enrich_account, account_id)
    rq_worker(app)
    account, states = stored(app, account_id)
    assert account.industry == "Retail"
    assert states["http"].last_error == "http: malformed JSON in the answer"


def test_broken_provider_settings_are_recorded(sqlite_app):
    account_id = make_account(
        sqlite_app, {"enrichment": {"providers": [{"type": "carrier-pigeon"}]}}
    )
    with sqlite_app.app_context():
        enqueue(enrich_account, account_id)
    assert drain(sqlite_app, timeout=10)
    _, states = stored(sqlite_app, account_id)
    assert states["config"].last_error == (
        "config: enrichment.providers[0]: type: 'carrier-pigeon' is not one of file, http, rdns"
    )


def test_stale_accounts_are_found(app, api):
    account_id = make_account(app, settings(api))
    now = utcnow()
    with app.app_context(), session_scope() as session:
        assert stale_account_ids(session, now) == [account_id]
        session.add(
            Enrichment(
                account_id=account_id,
                provider="http",
                status="ok",
                data={},
                attempts=1,
                last_success_at=now - STALE_AFTER + timedelta(days=1),
            )
        )
    with app.app_context(), session_scope() as session:
        assert stale_account_ids(session, now) == []
        assert stale_account_ids(session, now + timedelta(days=2)) == [account_id]


def test_cli_sets_providers_and_runs_them(db_url, tmp_path, api):
    from click.testing import CliRunner

    from server.cli import main

    api.on("/c/acme.fr", Answer(body=ANSWER))
    env = {
        "VIGIE_DATABASE_URL": db_url,
        "VIGIE_INSTANCE_PATH": str(tmp_path / "i"),
        "VIGIE_OUTBOUND_ALLOW": LOOPBACK,
    }
    runner = CliRunner()
    assert (
        runner.invoke(
            main,
            ["init", "--org", "Org", "--admin", "a@org.fr", "--password-stdin"],
            env=env,
            input="long enough pw\n",
        ).exit_code
        == 0
    )
    bad = tmp_path / "bad.toml"
    bad.write_text('[[provider]]\ntype = "http"\nurl = "nope"\nfields = {name = "name"}\n')
    result = runner.invoke(main, ["enrich", "providers", "--org", "Org", str(bad)], env=env)
    assert result.exit_code == 2
    assert result.output.strip() == (
        f"Error: {bad}: enrichment.providers[0]: url: 'nope' must be an http(s) URL containing {{domain}}"
    )
    good = tmp_path / "providers.toml"
    good.write_text(
        f'[[provider]]\ntype = "http"\nurl = "{api.url}/c/{{domain}}"\n'
        'fields = {name = "name", industry = "sector"}\n'
    )
    result = runner.invoke(main, ["enrich", "providers", "--org", "Org", str(good)], env=env)
    assert result.exit_code == 0 and 'providers of "Org": http.' in result.output
    from server import create_app

    app = create_app({"DATABASE_URL": db_url, "INSTANCE_PATH": str(tmp_path / "i")})
    with app.app_context(), session_scope() as session:
        org = session.scalar(select(Organisation))
        session.add(Account(org_id=org.id, key="acme.fr", name="acme.fr", domain="acme.fr"))
    result = runner.invoke(main, ["enrich", "run", "--org", "Org"], env=env)
    assert result.exit_code == 0 and "1 account(s) sent to enrichment." in result.output
    with app.app_context(), session_scope() as session:
        assert session.scalar(select(Account.industry)) == "Software"
    app.extensions["vigie.storage"].engine.dispose()


PERSONA_MODEL = """
[tiers]
warm = 30
hot = 60
[[persona]]
name = "Mid-market"
points = 30
roles = ["Head of Sales", "CTO"]
  [[persona.when]]
  field = "industry"
  equals = "Software"
"""


def test_decision_makers_matching_persona_roles_are_kept(app, api):
    api.on(
        "/c/acme.fr",
        Answer(
            body={
                **ANSWER,
                "people": [
                    {"full_name": "Ann Lee", "job": "Head of Sales France", "mail": "ann@acme.fr"},
                    {"full_name": "Cy Poe", "job": "Intern", "mail": "cy@acme.fr"},
                ],
            }
        ),
    )
    org_settings = settings(api)
    org_settings["enrichment"]["providers"][0]["contacts"] = {
        "path": "people",
        "fields": {"name": "full_name", "title": "job", "email": "mail"},
    }
    account_id = make_account(app, org_settings)
    with app.app_context(), session_scope() as session:
        org_id = session.get(Account, account_id).org_id
        store_model(session, org_id, PERSONA_MODEL, "test")
    with app.app_context():
        enqueue(enrich_account, account_id)
        enqueue(enrich_account, account_id)
    assert drain(app, timeout=20)
    with app.app_context(), session_scope() as session:
        contacts = session.execute(select(Contact.name, Contact.title, Contact.email)).all()
    assert [tuple(c) for c in contacts] == [("Ann Lee", "Head of Sales France", "ann@acme.fr")]


def test_erase_removes_the_account_and_everything_about_it(app, api, tmp_path, db_url):
    from click.testing import CliRunner

    from server.cli import main
    from server.storage.models import Event, Outcome, Site, Visit

    account_id = make_account(app, settings(api))
    with app.app_context(), session_scope() as session:
        account = session.get(Account, account_id)
        site = Site(org_id=account.org_id, name="s", public_key="k", domains=["s.fr"])
        session.add(site)
        session.flush()
        visit = Visit(
            site_id=site.id,
            account_id=account_id,
            visitor_hash="h",
            started_at=utcnow(),
            last_event_at=utcnow(),
        )
        session.add(visit)
        session.flush()
        session.add_all(
            [
                Event(
                    event_id="e1",
                    site_id=site.id,
                    visit_id=visit.id,
                    account_id=account_id,
                    occurred_at=utcnow(),
                    type="pageview",
                    path="/",
                    visitor_hash="h",
                ),
                Contact(account_id=account_id, provider="http", name="Ann Lee"),
                Outcome(
                    org_id=account.org_id, account_id=account_id, domain="acme.fr", outcome="won"
                ),
            ]
        )
    env = {
        "VIGIE_DATABASE_URL": db_url,
        "VIGIE_INSTANCE_PATH": str(tmp_path / "i"),
        "VIGIE_OUTBOUND_ALLOW": LOOPBACK,
    }
    result = CliRunner().invoke(main, ["erase", "--domain", "www.acme.fr"], env=env)
    assert result.exit_code == 0, result.output
    assert "Erased 1 account(s) of acme.fr: acme.fr." in result.output
    with app.app_context(), session_scope() as session:
        for model in (Account, Visit, Event, Contact, Outcome):
            assert session.scalars(select(model)).all() == [], model.__name__


def test_a_change_of_firmographics_asks_for_a_rescore(app, api):
    from server.hooks import on_accounts_touched

    rescored = []
    on_accounts_touched(app, rescored.extend)
    api.on("/c/acme.fr", Answer(body=ANSWER))
    account_id = make_account(app, settings(api))
    with app.app_context():
        enqueue(enrich_account, account_id)
        enqueue(enrich_account, account_id)  # the same answer again changes nothing
    assert drain(app, timeout=20)
    assert rescored == [account_id]


def signed_in_client(app, account_id):
    """A test client signed in as a member of the account's organisation."""
    with app.app_context(), session_scope() as session:
        organisation = session.get(Organisation, session.get(Account, account_id).org_id)
        create_user(session, organisation, "sales@org.example", PASSWORD)
    client = app.test_client()
    token = CSRF_TOKEN.search(client.get("/login").get_data(as_text=True)).group(1)
    client.post(
        "/login", data={"email": "sales@org.example", "password": PASSWORD, "csrf_token": token}
    )
    return client


def press_enrich_again(client, account_id) -> str:
    """Press the account page's "Enrich again" button; return the page it leads to."""
    page = client.get(f"/accounts/{account_id}").get_data(as_text=True)
    token = CSRF_TOKEN.search(page).group(1)
    answer = client.post(
        f"/accounts/{account_id}/enrich",
        data={"enrich-csrf_token": token},
        follow_redirects=True,
    )
    assert answer.status_code == 200
    return answer.get_data(as_text=True)


def test_enrich_again_runs_the_providers_in_process(app, api):
    """The button's job is sent once the request commits, and its answer is stored."""
    api.on("/c/acme.fr", Answer(body=ANSWER))
    account_id = make_account(app, settings(api), industry="Retail")
    client = signed_in_client(app, account_id)
    assert "Enrichment requested." in press_enrich_again(client, account_id)
    assert drain(app, timeout=20)
    account, states = stored(app, account_id)
    assert (account.industry, account.employees) == ("Software", 250)
    assert states["http"].status == "ok" and api.hits("/c/acme.fr") == 1


def test_enrich_again_runs_on_an_rq_worker(make_app, db_url, redis_url, rq_worker, api):
    """In scale mode the button puts a real RQ job on the queue, which a worker runs."""
    app = make_app(db_url, REDIS_URL=redis_url, SECRET_KEY="s", OUTBOUND_ALLOW=LOOPBACK)
    api.on("/c/acme.fr", Answer(body=ANSWER))
    account_id = make_account(app, settings(api), industry="Retail")
    client = signed_in_client(app, account_id)
    assert "Enrichment requested." in press_enrich_again(client, account_id)
    assert jobs_of(app).rq.queue("enrich").count == 1
    rq_worker(app)
    account, states = stored(app, account_id)
    assert account.industry == "Software" and states["http"].status == "ok"


def test_enrich_again_without_a_provider_says_so(sqlite_app):
    """No provider configured: the page says there is nothing to ask, and no job runs."""
    account_id = make_account(sqlite_app, {}, industry="Retail")
    client = signed_in_client(sqlite_app, account_id)
    page = press_enrich_again(client, account_id)
    assert "No enrichment provider is configured" in page
    assert "Enrichment requested." not in page
    assert drain(sqlite_app, timeout=10)
    assert jobs_of(sqlite_app).local.completed == 0
    _, states = stored(sqlite_app, account_id)
    assert states == {}
