"""The dashboard's sites page as admins and members use it: adding with the
CLI's domain checks, editing, deleting with a confirmation, and where each
site's traffic went, on SQLite and PostgreSQL."""

from __future__ import annotations

import html
import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from server.jobs import drain
from server.sites.traffic import start_of_day
from server.storage import session_scope
from server.storage.models import (
    Account,
    Event,
    Outcome,
    ScoreSnapshot,
    Site,
    TrafficCount,
    Visit,
)
from server.storage.tenancy import SiteSettings, create_organisation, create_site, create_user
from server.storage.types import utcnow
from server.validation import InvalidInput, normalise_domain, split_list
from tests.support.accounts import add_visit, make_account
from tests.support.cli import cli_for
from tests.support.collector import ACME_IP, CHROME, send

PASSWORD = "correct horse battery"
ADMIN = "boss@acme.example"
MEMBER = "sales@acme.example"
HEADLESS = (
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "HeadlessChrome/131.0.0.0 Safari/537.36"
)
CSRF = re.compile(r'<meta name="csrf-token" content="([^"]+)"')


@pytest.fixture
def app(make_app, db_url, mmdb):
    """An app whose collector resolves Acme SAS (81.2.69.0/24) from a company database."""
    return make_app(db_url, MMDB=mmdb, TRUSTED_PROXIES=0)


@pytest.fixture
def world(app):
    """Organisation "Acme" (an admin, a member, sites Shop and Blog) and "Other" (one site)."""
    with app.app_context(), session_scope() as session:
        acme = create_organisation(session, "Acme")
        other = create_organisation(session, "Other")
        create_user(session, acme, ADMIN, PASSWORD, role="admin")
        create_user(session, acme, MEMBER, PASSWORD, role="member")
        shop = create_site(session, acme, SiteSettings("Shop", ["shop.example"]))
        blog = create_site(session, acme, SiteSettings("Blog", ["blog.example"]))
        theirs = create_site(session, other, SiteSettings("Theirs", ["other.example"]))
        return {
            "org_id": acme.id,
            "shop": shop.id,
            "shop_key": shop.public_key,
            "blog": blog.id,
            "blog_key": blog.public_key,
            "theirs": theirs.id,
        }


def sign_in(app, email):
    client = app.test_client()
    token = csrf(client, "/login")
    answer = client.post("/login", data={"email": email, "password": PASSWORD, "csrf_token": token})
    assert answer.status_code == 302
    return client


def csrf(client, path):
    return CSRF.search(client.get(path).get_data(as_text=True)).group(1)


def page_text(answer):
    return html.unescape(answer.get_data(as_text=True))


def site_row(app, site_id):
    with app.app_context(), session_scope() as session:
        site = session.get(Site, site_id)
        if site is not None:
            session.expunge(site)
        return site


def count(app, model, *where):
    with app.app_context(), session_scope() as session:
        return session.scalar(select(func.count()).select_from(model).where(*where))


def send_beacon(app, key, url, ip=ACME_IP, user_agent=CHROME):
    """A pageview from `ip`; returns the answer once the jobs it queued are done."""
    answer = send(app, {"site": key, "type": "pageview", "url": url}, ip=ip, user_agent=user_agent)
    assert drain(app, timeout=20)
    return answer


def cli_reason(app, tmp_path, field_text):
    """What `vigie sites add` says about the domains of a dashboard field, one --domain each."""
    arguments = [part for value in split_list(field_text) for part in ("--domain", value)]
    result = cli_for(app, tmp_path)("sites", "add", "--org", "Acme", *arguments)
    assert result.exit_code == 2, result.output
    return result.output.strip().splitlines()[-1].removeprefix("Error: --domain: ")


@pytest.mark.parametrize("typed", ["https://mysite.test/", "127.0.0.1", "not a domain!"])
def test_a_bad_domain_is_refused_with_the_cli_message(app, world, tmp_path, typed):
    """The dashboard refuses what `vigie sites add` refuses, in the same words."""
    client = sign_in(app, ADMIN)
    answer = client.post(
        "/sites", data={"name": "Test", "domains": typed, "csrf_token": csrf(client, "/sites")}
    )
    first_bad = split_list(typed)[0]
    with pytest.raises(InvalidInput) as refused:
        normalise_domain(first_bad)
    reason = refused.value.reason
    assert reason == cli_reason(app, tmp_path, typed)
    assert repr(first_bad) in reason
    page = page_text(answer)
    assert answer.status_code == 200 and f'<p class="errors">{reason}</p>' in page
    assert count(app, Site, Site.name == "Test") == 0


def test_localhost_is_a_domain_in_the_dashboard_as_in_the_cli(app, world):
    """`localhost` is accepted: it is how a site is tested on one's own machine."""
    client = sign_in(app, ADMIN)
    answer = client.post(
        "/sites",
        data={
            "name": "Local",
            "domains": "localhost, WWW.Local.Example",
            "csrf_token": csrf(client, "/sites"),
        },
    )
    assert answer.status_code == 302
    with app.app_context(), session_scope() as session:
        assert session.scalar(select(Site.domains).where(Site.name == "Local")) == [
            "localhost",
            "local.example",
        ]


def test_an_edit_is_applied_by_the_collector(app, world):
    """New domains, kept parameters and switches persist, and the collector follows."""
    client = sign_in(app, ADMIN)
    key = world["shop_key"]
    assert (
        send_beacon(app, key, "https://shop.example/").status_code == 202
    )  # cached by the collector
    form = client.get(f"/sites/{world['shop']}/edit")
    assert form.status_code == 200 and 'value="shop.example"' in page_text(form)
    answer = client.post(
        f"/sites/{world['shop']}/edit",
        data={
            "name": "Shop FR",
            "domains": "shop.example.fr localhost",
            "allow_query": "plan, ref",
            "count_education": "y",
            "csrf_token": csrf(client, "/sites"),
        },
    )
    assert answer.status_code == 302
    site = site_row(app, world["shop"])
    assert (site.name, site.domains, site.query_allowlist) == (
        "Shop FR",
        ["shop.example.fr", "localhost"],
        ["plan", "ref"],
    )
    assert site.count_education and not site.count_government and site.public_key == key
    accepted = send_beacon(app, key, "https://www.shop.example.fr/pricing?plan=pro&x=1")
    assert accepted.status_code == 202
    refused = send_beacon(app, key, "https://shop.example/pricing")
    assert refused.status_code == 403 and refused.json == {
        "error": "url: not a domain of this site"
    }
    with app.app_context(), session_scope() as session:
        paths = session.scalars(select(Event.path).where(Event.site_id == world["shop"])).all()
    assert "/pricing?plan=pro" in paths
    page = page_text(client.get("/sites"))
    assert "Shop FR" in page and "Query parameters kept besides utm_*: plan, ref." in page


def test_an_edit_follows_the_clash_rules_and_the_cli_checks(app, world):
    """Another site's domain or name is refused; a bad parameter name is named."""
    client = sign_in(app, ADMIN)
    token = csrf(client, "/sites")
    path = f"/sites/{world['blog']}/edit"
    base = {"name": "Blog", "domains": "blog.example", "allow_query": "", "csrf_token": token}
    cases = [
        (
            {"domains": "blog.example shop.example"},
            "shop.example is already tracked by site 'Shop'",
        ),
        ({"name": "shop"}, "the organisation already has a site named 'shop'"),
        ({"domains": "http://blog.example/"}, "is a URL; give the host name only"),
        ({"domains": " , "}, "give at least one domain"),
        ({"allow_query": "plan, a b=c"}, "'b=c' is not a query parameter name"),
    ]
    for change, message in cases:
        answer = client.post(path, data={**base, **change})
        assert answer.status_code == 200 and message in page_text(answer), change
    assert site_row(app, world["blog"]).domains == ["blog.example"]
    answer = client.post(path, data={**base, "name": "Blog", "domains": "blog.example"})
    assert answer.status_code == 302  # its own name and domains are no clash


def test_deleting_a_site_asks_for_its_name_and_says_what_goes(app, world):
    """The confirmation names what is deleted; a wrong name deletes nothing."""
    now = utcnow()
    with app.app_context(), session_scope() as session:
        account = make_account(session, world["org_id"], "Acme SAS", domain="acme.fr")
        add_visit(session, account, world["shop"], now - timedelta(days=2), ("/", "/pricing"))
        session.add(TrafficCount(site_id=world["shop"], day=now.date(), kind="bot", count=4))
    client = sign_in(app, ADMIN)
    page = page_text(client.get(f"/sites/{world['shop']}/delete"))
    assert "its 2 events, 1 visits and 4 counted beacons" in page
    assert "The 1 accounts that visited this site" in page
    answer = client.post(
        f"/sites/{world['shop']}/delete",
        data={"confirm_name": "shop", "csrf_token": csrf(client, "/sites")},
    )
    assert answer.status_code == 200 and "Type the name Shop exactly" in page_text(answer)
    assert site_row(app, world["shop"]) is not None and count(app, Event) == 2


def test_deleting_a_site_deletes_its_data_and_rescores_the_accounts(app, world):
    """Events, visits and counts of the site go; accounts and their feedback stay,
    with visits and scores recomputed from the other sites; the key stops working."""
    now = utcnow()
    with app.app_context(), session_scope() as session:
        both = make_account(
            session,
            world["org_id"],
            "Both SA",
            domain="both.fr",
            score=90,
            tier="hot",
            visits_30d=3,
            hot_since=now - timedelta(days=1),
        )
        only = make_account(
            session,
            world["org_id"],
            "Only SA",
            domain="only.fr",
            score=70,
            tier="hot",
            visits_30d=1,
            hot_since=now - timedelta(days=1),
        )
        for days in (1, 2):
            add_visit(session, both, world["shop"], now - timedelta(days=days), ("/pricing",))
        add_visit(session, both, world["blog"], now - timedelta(days=3), ("/post",))
        add_visit(session, only, world["shop"], now - timedelta(days=1), ("/",))
        session.add(TrafficCount(site_id=world["shop"], day=now.date(), kind="isp", count=5))
        session.add(TrafficCount(site_id=world["blog"], day=now.date(), kind="isp", count=6))
        session.add(Outcome(org_id=world["org_id"], account_id=only.id, outcome="won"))
        session.add(
            ScoreSnapshot(
                account_id=only.id, day=now.date(), score=70, fit=0, engagement=70, tier="hot"
            )
        )
        ids = {"both": both.id, "only": only.id}
    assert send_beacon(app, world["shop_key"], "https://shop.example/").status_code == 202
    client = sign_in(app, ADMIN)
    answer = client.post(
        f"/sites/{world['shop']}/delete",
        data={"confirm_name": " Shop ", "csrf_token": csrf(client, "/sites")},
        follow_redirects=True,
    )
    assert "Site Shop deleted with 4 events and 4 visits; 3 accounts rescored." in page_text(answer)
    assert site_row(app, world["shop"]) is None
    for model in (Event, Visit, TrafficCount):
        assert count(app, model, model.site_id == world["shop"]) == 0, model
    assert count(app, Visit, Visit.site_id == world["blog"]) == 1
    assert count(app, TrafficCount, TrafficCount.site_id == world["blog"]) == 1
    with app.app_context(), session_scope() as session:
        both, only = (session.get(Account, ids[name]) for name in ("both", "only"))
        assert (both.visits_30d, both.top_pages) == (1, ["/post"])
        assert (only.visits_30d, only.top_pages) == (0, [])
        assert only.score < 70 and only.tier == "cold" and only.hot_since is None
        assert both.score < 90 and both.scored_at is not None
        assert session.scalar(select(func.count()).select_from(Outcome)) == 1
        assert session.scalar(select(func.count()).select_from(ScoreSnapshot)) == 1
    gone = send_beacon(app, world["shop_key"], "https://shop.example/")
    assert gone.status_code == 403 and gone.json == {"error": "site: unknown site key"}
    assert send_beacon(app, world["blog_key"], "https://blog.example/").status_code == 202


def test_members_see_the_sites_but_cannot_change_them(app, world):
    """A member reads snippets and traffic; every change answers 403."""
    client = sign_in(app, MEMBER)
    page = page_text(client.get("/sites"))
    assert f'data-site="{world["shop_key"]}"' in page
    assert "Add a site" not in page and f"/sites/{world['shop']}/edit" not in page
    token = csrf(client, "/sites")
    for path, data in (
        ("/sites", {"name": "Mine", "domains": "mine.example"}),
        (f"/sites/{world['shop']}/edit", {"name": "Mine", "domains": "mine.example"}),
        (f"/sites/{world['shop']}/delete", {"confirm_name": "Shop"}),
    ):
        assert client.post(path, data={**data, "csrf_token": token}).status_code == 403, path
    for path in (f"/sites/{world['shop']}/edit", f"/sites/{world['shop']}/delete"):
        assert client.get(path).status_code == 403
    assert site_row(app, world["shop"]).name == "Shop" and count(app, Site) == 3


def test_another_organisations_site_is_not_found(app, world):
    """An admin cannot open, edit or delete another organisation's site."""
    client = sign_in(app, ADMIN)
    token = csrf(client, "/sites")
    for action in ("edit", "delete"):
        path = f"/sites/{world['theirs']}/{action}"
        assert client.get(path).status_code == 404
        assert (
            client.post(path, data={"confirm_name": "Theirs", "csrf_token": token}).status_code
            == 404
        )
    assert site_row(app, world["theirs"]) is not None


def traffic_cells(page, site_id):
    """{kind: (today, last 30 days)} from a site's traffic table."""
    card = page.split(f'id="site-{site_id}"', 1)[1].split("</section>", 1)[0]
    rows = re.findall(
        r'<tr data-kind="([a-z]+)">.*?<td class="num">([^<]*)</td>\s*<td class="num">([^<]*)</td>',
        card,
        re.S,
    )
    return {kind: (today.strip(), month.strip()) for kind, today, month in rows}


def test_the_breakdown_counts_each_kind_today_and_over_30_days(app, world):
    """Stored events and counted beacons, per site and period, as created."""
    now = utcnow()
    today = start_of_day(now).date()
    with app.app_context(), session_scope() as session:
        account = make_account(session, world["org_id"], "Acme SAS", domain="acme.fr")
        add_visit(session, account, world["shop"], now, ("/", "/pricing"))
        add_visit(session, account, world["shop"], now - timedelta(days=10), ("/", "/a", "/b"))
        add_visit(session, account, world["shop"], now - timedelta(days=40), ("/old",))
        add_visit(session, account, world["blog"], now, ("/post",))
        for day, kind, number in (
            (today, "unknown", 4),
            (today, "bot", 2),
            (today - timedelta(days=10), "isp", 5),
            (today - timedelta(days=10), "bot", 1),
            (today - timedelta(days=40), "hosting", 7),
        ):
            session.add(TrafficCount(site_id=world["shop"], day=day, kind=kind, count=number))
    page = page_text(sign_in(app, ADMIN).get("/sites"))
    assert traffic_cells(page, world["shop"]) == {
        "business": ("2", "5"),
        "isp": ("0", "5"),
        "unknown": ("4", "4"),
        "bot": ("2", "3"),
        "visits": ("1 (1)", "2 (1)"),
    }
    assert traffic_cells(page, world["blog"]) == {
        "business": ("1", "1"),
        "unknown": ("0", "0"),
        "bot": ("0", "0"),
        "visits": ("1 (1)", "1 (1)"),
    }


def test_a_visit_from_ones_own_machine_is_unknown_and_a_headless_one_a_bot(app, world):
    """What the page's "Test on your own machine" says: localhost works with the
    site's domain, loopback is counted as unknown with no account, headless is a bot."""
    client = sign_in(app, ADMIN)
    token = csrf(client, "/sites")
    client.post(
        f"/sites/{world['blog']}/edit",
        data={"name": "Blog", "domains": "blog.example localhost", "csrf_token": token},
    )
    key = world["blog_key"]
    local = "http://localhost:8080/"
    assert send_beacon(app, key, local, ip="127.0.0.1").status_code == 202
    assert send_beacon(app, key, local, ip="127.0.0.1", user_agent=HEADLESS).status_code == 202
    assert send_beacon(app, key, "http://127.0.0.1:8080/", ip="127.0.0.1").status_code == 403
    page = page_text(client.get("/sites"))
    cells = traffic_cells(page, world["blog"])
    assert cells["unknown"] == ("1", "1") and cells["bot"] == ("1", "1")
    assert cells["business"] == ("0", "0") and count(app, Account) == 0
    assert "Test on your own machine" in page and "data-allow-local" in page
    assert '<script defer data-allow-local data-site="' in page
