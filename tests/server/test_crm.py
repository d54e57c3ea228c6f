"""CRM pushes end to end: an account crossing into hot lands in HubSpot,
Salesforce or Pipedrive (loopback fakes), once; the Integrations page, the
account page, the sync log, the lanes and `vigie crm`."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from redis import Redis
from sqlalchemy import select

from server.audit import CLI
from server.crm.connections import configure
from server.jobs import drain, enqueue
from server.jobs.rescoring import rescore_accounts
from server.storage import session_scope
from server.storage.models import Account, AuditEntry, CrmConnection, CrmSync
from server.storage.tenancy import SiteSettings, create_organisation, create_site
from server.storage.types import utcnow
from tests.support.accounts import add_visit, make_account
from tests.support.cli import cli_for
from tests.support.crm_fakes import FAKES, settings_for
from tests.support.team import ADMIN, MEMBER, csrf, make_team, page_text, sign_in

SECRET_KEY = "test secret key for CRM secrets, long enough"
HOT_MODEL = '[tiers]\nwarm = 5\nhot = 10\n[[page]]\nmatch = "/pricing*"\npoints = 10\n'


@pytest.fixture
def app(make_app, db_url, tmp_path):
    """An app allowed to call the fakes on loopback, whose pricing page makes an account hot."""
    model = tmp_path / "model.toml"
    model.write_text(HOT_MODEL)
    return make_app(
        db_url,
        OUTBOUND_ALLOW="127.0.0.1",
        SCORING_MODEL=str(model),
        SECRET_KEY=SECRET_KEY,
        CRM_MAX_RETRY_WAIT=2,
        PUBLIC_URL="https://vigie.acme.example",
    )


@pytest.fixture(params=sorted(FAKES))
def crm(request):
    with FAKES[request.param]() as fake:
        yield request.param, fake


def connect(app, org_id, name, fake, secrets=None):
    settings, good = settings_for(name, fake)
    with app.app_context(), session_scope() as session:
        configure(session, org_id, name, CLI, settings, secrets or good)


def organisation_with_account(app, domain="acme.example", connection_class="business"):
    """Acme, a site and an account whose visit saw the pricing page (still cold)."""
    with app.app_context(), session_scope() as session:
        org = create_organisation(session, "Acme")
        site = create_site(session, org, SiteSettings("Shop", ["shop.example"]))
        account = make_account(session, org.id, "Acme Corp", domain=domain)
        visit = add_visit(session, account, site.id, utcnow() - timedelta(hours=1), ("/pricing",))
        visit.connection_class = connection_class
        return org.id, account.id


def rescore(app, account_id):
    with app.app_context():
        enqueue(rescore_accounts, account_id)
        assert drain(app, timeout=60)
        assert drain(app, timeout=60)  # the pushes the rescoring queued


def syncs(app, account_id=None):
    with app.app_context(), session_scope() as session:
        query = select(CrmSync).order_by(CrmSync.id)
        if account_id is not None:
            query = query.where(CrmSync.account_id == account_id)
        rows = session.scalars(query).all()
        session.expunge_all()
        return rows


def push(app, account_id, trigger="manual"):
    from server.jobs.crm import push_account_to_crm

    with app.app_context():
        return push_account_to_crm(account_id, trigger)


def test_a_hot_account_creates_the_company_once_then_updates_it(app, crm):
    """Crossing into hot creates the company; a repeat is unchanged (nothing sent);
    a new score updates the same company."""
    name, fake = crm
    org_id, account_id = organisation_with_account(app)
    connect(app, org_id, name, fake)
    rescore(app, account_id)
    assert len(fake.companies) == 1 and fake.writes == 1
    push(app, account_id)
    assert fake.writes == 1  # same values: nothing sent
    with app.app_context(), session_scope() as session:
        session.get(Account, account_id).score = 42
    push(app, account_id)
    assert len(fake.companies) == 1 and fake.writes == 2
    outcomes = [(s.trigger, s.outcome, s.change) for s in syncs(app, account_id)]
    assert outcomes == [
        ("hot", "pushed", "created"),
        ("manual", "unchanged", "unchanged"),
        ("manual", "pushed", "updated"),
    ]


def test_an_isp_account_is_never_pushed(app, crm):
    """An account last seen through an ISP, one without a domain and a free-mail
    one are refused with their reason; the CRM hears nothing."""
    name, fake = crm
    org_id, isp_id = organisation_with_account(app, "isp.example", connection_class="isp")
    with app.app_context(), session_scope() as session:
        bare = make_account(session, org_id, "No Domain").id
        mail = make_account(session, org_id, "Gmail", domain="gmail.com").id
    connect(app, org_id, name, fake)
    rescore(app, isp_id)
    for account_id in (isp_id, bare, mail):
        push(app, account_id)
    assert fake.requests == [] and fake.companies == {}
    reasons = [(s.outcome, s.reason) for s in syncs(app)]
    assert reasons == [
        ("refused", "classified ISP"),
        ("refused", "classified ISP"),
        ("refused", "no domain"),
        ("refused", "free-mail domain"),
    ]


def test_a_429_then_200_succeeds_after_the_wait(app, crm):
    """The CRM's first answer is a 429 with Retry-After: 1; the push waits and succeeds."""
    name, fake = crm
    org_id, account_id = organisation_with_account(app)
    connect(app, org_id, name, fake)
    fake.fail_next(429, retry_after="1")
    started = time.monotonic()
    assert push(app, account_id) == 1
    assert time.monotonic() - started >= 0.9
    assert fake.writes == 1 and syncs(app)[-1].outcome == "pushed"


def test_a_refused_token_shows_on_the_integrations_page(app, crm):
    """A 401 is logged as failed and the Integrations page says "token refused"."""
    name, fake = crm
    team = make_team(app)
    with app.app_context(), session_scope() as session:
        account_id = make_account(session, team.org_id, "Beta", domain="beta.example").id
    connect(
        app,
        team.org_id,
        name,
        fake,
        {"token": "expired-token-0042", "client_secret": "old-secret-0042"},
    )
    push(app, account_id)
    last = syncs(app)[-1]
    assert (last.outcome, last.http_status) == ("failed", 401 if name != "salesforce" else 400)
    page = page_text(sign_in(app, ADMIN).get("/integrations"))
    assert f'id="crm-{name}-problem">token refused' in page
    assert "expired-token-0042" not in page and "old-secret-0042" not in page and "…0042" in page


def test_the_test_button_says_token_refused_or_connected(app):
    """Saving with a wrong token and testing shows "token refused"; the right one, "connected"."""
    team = make_team(app)
    admin = sign_in(app, ADMIN)
    with FAKES["hubspot"]() as fake:
        form = {
            "hubspot-csrf_token": csrf(admin),
            "hubspot-base_url": fake.url,
            "hubspot-token": "wrong-token-9999",
            "hubspot-enabled": "1",
            "hubspot-mapping": "score = hs_vigie_score",
            "action": "test",
        }
        answer = admin.post("/integrations/hubspot", data=form, follow_redirects=True)
        assert "HubSpot: token refused" in page_text(answer)
        form["hubspot-token"] = fake.token
        answer = admin.post("/integrations/hubspot", data=form, follow_redirects=True)
        assert "HubSpot: connected" in page_text(answer)
    with app.app_context(), session_scope() as session:
        row = session.scalar(select(CrmConnection).where(CrmConnection.org_id == team.org_id))
        assert fake.token.encode() not in row.secret  # encrypted at rest
        assert row.mapping["score"] == "hs_vigie_score"
        entries = session.scalars(select(AuditEntry.action)).all()
    assert entries.count("crm.configured") == 2


def test_a_bad_setting_is_named_not_a_500(app):
    """A mapping line naming an unknown field or a URL that is not one: 400 naming the field."""
    make_team(app)
    admin = sign_in(app, ADMIN)
    base = {"pipedrive-csrf_token": csrf(admin), "pipedrive-token": "t0ken-value", "action": "save"}
    answer = admin.post(
        "/integrations/pipedrive",
        data={**base, "pipedrive-base_url": "ftp://x", "pipedrive-domain_field": "abc"},
    )
    assert answer.status_code == 400 and "base_url: 'ftp://x' is not an http(s) URL" in page_text(
        answer
    )
    answer = admin.post(
        "/integrations/pipedrive",
        data={
            **base,
            "pipedrive-base_url": "https://acme.pipedrive.com",
            "pipedrive-domain_field": "abc",
            "pipedrive-mapping": "revenue = x",
        },
    )
    assert answer.status_code == 400 and "mapping: line 1: 'revenue'" in page_text(answer)


def test_the_account_page_pushes_and_shows_the_status_read_back(app):
    """A member's push button sends the account; its page shows the outcome,
    the CRM's lifecycle stage and the expansion lane once it is a customer."""
    team = make_team(app)
    with FAKES["hubspot"]() as fake:
        connect(app, team.org_id, "hubspot", fake)
        fake.companies["hot.example"] = {
            "id": "77",
            "properties": {"lifecyclestage": "customer", "hs_num_open_deals": "2"},
        }
        member = sign_in(app, MEMBER)
        answer = member.post(
            f"/accounts/{team.account_id}/crm",
            data={"crm-csrf_token": csrf(member)},
            follow_redirects=True,
        )
        assert "Push to the CRM requested" in page_text(answer)
        assert drain(app, timeout=30)
    page = page_text(member.get(f"/accounts/{team.account_id}"))
    assert 'data-outcome="pushed"' in page and "updated" in page
    assert "customer" in page and "Expansion (existing customer)" in page
    expansion = page_text(member.get("/accounts?lane=expansion"))
    new_business = page_text(member.get("/accounts?lane=new"))
    assert "Hot Corp" in expansion and "Hot Corp" not in new_business


def test_pushing_a_filtered_list_sends_its_accounts(app):
    """The accounts list's push sends the accounts its filters select, each once."""
    team = make_team(app)
    with app.app_context(), session_scope() as session:
        make_account(session, team.org_id, "Warm One", domain="warm.example", tier="warm")
    with FAKES["pipedrive"]() as fake:
        connect(app, team.org_id, "pipedrive", fake)
        admin = sign_in(app, ADMIN)
        assert "Push these accounts to the CRM" in page_text(admin.get("/accounts?q=warm"))
        member_view = page_text(sign_in(app, MEMBER).get("/accounts?q=warm"))
        assert "Push these accounts to the CRM" not in member_view
        answer = admin.post(
            "/accounts/crm?q=warm", data={"crm-csrf_token": csrf(admin)}, follow_redirects=True
        )
        assert "Push of 1 account(s)" in page_text(answer)
        assert drain(app, timeout=30)
    assert list(fake.companies) == ["warm.example"]


def test_the_daily_resync_pushes_changed_scores_only(app):
    """After a push, only an account whose score changed is pushed again."""
    from server.jobs.crm import resync_crm_accounts

    team = make_team(app)
    with app.app_context(), session_scope() as session:
        other = make_account(session, team.org_id, "Other Co", domain="other.example").id
    with FAKES["hubspot"]() as fake:
        connect(app, team.org_id, "hubspot", fake)
        push(app, team.account_id)
        push(app, other)
        with app.app_context(), session_scope() as session:
            session.get(Account, other).score = 55
        with app.app_context():
            assert resync_crm_accounts() == 1
            assert drain(app, timeout=30)
    resynced = [s.account_id for s in syncs(app) if s.trigger == "resync"]
    assert resynced == [other] and fake.writes == 3


def test_the_cli_configures_tests_pushes_and_logs(app, tmp_path, monkeypatch):
    """`vigie crm configure|test|push|log` with the secret typed at the prompt."""
    monkeypatch.setenv("VIGIE_SECRET_KEY", SECRET_KEY)
    monkeypatch.setenv("VIGIE_OUTBOUND_ALLOW", "127.0.0.1")
    team = make_team(app)
    del team
    vigie = cli_for(app, tmp_path)
    with FAKES["hubspot"]() as fake:
        done = vigie(
            "crm", "configure", "--org", "Acme", "hubspot", "--set", f"base_url={fake.url}",
            "--secret", "token", "--map", "why=", stdin=fake.token + "\n",
        )  # fmt: skip
        assert done.exit_code == 0, done.output
        assert fake.token not in done.output and "…" + fake.token[-4:] in done.output
        assert (
            vigie("crm", "test", "--org", "Acme", "hubspot").output.strip() == "hubspot: connected"
        )
        pushed = vigie("crm", "push", "--org", "Acme", "--domain", "hot.example")
        assert "pushed\tcreated" in pushed.output, pushed.output
        log = vigie("crm", "log", "--org", "Acme")
    assert "hubspot\tHot Corp\tmanual\tpushed\tcreated" in log.output
    bad = vigie("crm", "configure", "--org", "Acme", "hubspot", "--map", "nope=x")
    assert bad.exit_code == 2 and "mapping: line" in bad.output


def test_a_model_can_keep_existing_customers_out_of_hot(make_app, db_url, tmp_path):
    """With `customers_hot = false`, the CRM's customer stays warm and is not
    pushed as hot, whatever its visits."""
    model = tmp_path / "customers.toml"
    model.write_text(HOT_MODEL.replace("hot = 10\n", "hot = 10\ncustomers_hot = false\n"))
    app = make_app(
        db_url, OUTBOUND_ALLOW="127.0.0.1", SCORING_MODEL=str(model), SECRET_KEY=SECRET_KEY
    )
    org_id, customer_id = organisation_with_account(app, "customer.example")
    with app.app_context(), session_scope() as session:
        session.get(Account, customer_id).crm_customer = True
    with FAKES["hubspot"]() as fake:
        connect(app, org_id, "hubspot", fake)
        rescore(app, customer_id)
        with app.app_context(), session_scope() as session:
            assert session.get(Account, customer_id).tier == "warm"
        assert fake.writes == 0


def test_a_hot_account_is_pushed_by_an_rq_worker(make_app, db_url, redis_url, rq_worker, tmp_path):
    """In scale mode the push is an RQ job: the rescoring queues it, a real worker
    runs it, the company is created once and the job carries no secret."""
    model = tmp_path / "model.toml"
    model.write_text(HOT_MODEL)
    app = make_app(
        db_url,
        REDIS_URL=redis_url,
        OUTBOUND_ALLOW="127.0.0.1",
        SCORING_MODEL=str(model),
        SECRET_KEY=SECRET_KEY,
    )
    org_id, account_id = organisation_with_account(app)
    with FAKES["pipedrive"]() as fake:
        connect(app, org_id, "pipedrive", fake)
        with app.app_context():
            enqueue(rescore_accounts, account_id)
        assert rq_worker(app)  # the rescoring, then the push it queued
    redis = Redis.from_url(redis_url)
    left = b"".join(redis.dump(key) or b"" for key in redis.keys("*"))  # jobs and results
    assert b"good-token" not in left and b"acme.example" not in left
    assert list(fake.companies) == ["acme.example"] and fake.writes == 1
    assert [(s.trigger, s.outcome) for s in syncs(app)] == [("hot", "pushed")]
