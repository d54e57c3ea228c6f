"""Corrections, merges, renames and provenance, from the dashboard to the
collector and back, on SQLite and PostgreSQL, with real `.mmdb` files."""

from __future__ import annotations

import csv
import io

import pytest
from sqlalchemy import func, select

from enrich.providers.localfile import LocalFileProvider
from enrich.providers.rdns import ReverseDnsProvider
from server.enrichment import enrich
from server.jobs import drain
from server.storage import session_scope
from server.storage.models import (
    Account,
    AuditEntry,
    Event,
    NetworkCorrection,
    Site,
    TrafficCount,
    Visit,
)
from server.storage.types import utcnow
from tests.support.collector import send
from tests.support.networks import (
    ACME_IP,
    GLOBEX_IP,
    GLOBEX_IP_2,
    INITECH_IP,
    INITECH_IP_2,
    UMBRELLA_IP,
    write_network_dbs,
)
from tests.support.team import ADMIN, MEMBER, csrf, make_team, page_text, sign_in


@pytest.fixture
def mmdb(tmp_path):
    return write_network_dbs(tmp_path)


@pytest.fixture
def world(make_app, db_url, mmdb):
    """An app on real `.mmdb` files, the Acme team (admin, member, site) and its site key."""
    app = make_app(db_url, MMDB=mmdb, TRUSTED_PROXIES=0)
    team = make_team(app)
    with app.app_context(), session_scope() as session:
        key = session.scalar(select(Site.public_key).where(Site.id == team.site_id))
    return app, team, key


def visit(app, key, ip, path="/pricing"):
    answer = send(
        app, {"site": key, "type": "pageview", "url": f"https://shop.example{path}"}, ip=ip
    )
    assert answer.status_code == 202


def account_named(app, name):
    with app.app_context(), session_scope() as session:
        row = session.scalar(select(Account).where(Account.name == name))
        if row is not None:
            session.expunge(row)
        return row


def count(app, query):
    with app.app_context(), session_scope() as session:
        return session.scalar(query)


def correct(admin, account_id, **fields):
    data = {
        "correct-csrf_token": csrf(admin, f"/accounts/{account_id}"),
        **{f"correct-{k}": v for k, v in fields.items()},
    }
    return admin.post(f"/accounts/{account_id}/correct", data=data)


def traffic(app, kind):
    return count(
        app, select(func.coalesce(func.sum(TrafficCount.count), 0)).where(TrafficCount.kind == kind)
    )


def test_isp_correction_on_an_asn_stops_new_accounts_and_removes_the_account(world):
    """ "This is an ISP" on Globex's ASN, retroactive: its account and events go,
    counted as ISP traffic; a new visit from that ASN makes no account."""
    app, team, key = world
    visit(app, key, GLOBEX_IP)
    visit(app, key, GLOBEX_IP, "/docs")
    globex = account_named(app, "Globex Corporation")
    assert (globex.asn, globex.identified_by, globex.confidence) == (
        64501,
        "asn_organisation",
        "low",
    )
    admin = sign_in(app, ADMIN)
    answer = correct(admin, globex.id, effect="isp", scope="asn", retroactive="y")
    assert answer.status_code == 302
    assert account_named(app, "Globex Corporation") is None
    assert count(app, select(func.count()).select_from(Event)) == 0
    assert count(app, select(func.count()).select_from(Visit)) == 0
    assert traffic(app, "isp") == 2  # the two stored pageviews, now counted as ISP traffic
    page = page_text(admin.get("/corrections"))
    assert "AS64501" in page and "2 events" in page and ADMIN in page

    visit(app, key, GLOBEX_IP_2)
    assert count(app, select(func.count()).select_from(Account)) == 1  # Hot Corp only
    assert traffic(app, "isp") == 3
    drain(app)
    assert "Globex" not in page_text(admin.get("/accounts"))


def test_company_correction_on_a_network_creates_the_company_from_then_on(world):
    """ "This is Initrode" on Initech's network: new visits land on Initrode's
    account (identified by the correction, high confidence); without the
    retroactive option the old account keeps its visit."""
    app, team, key = world
    visit(app, key, INITECH_IP)
    initech = account_named(app, "Initech Holdings")
    assert initech.network == "6.6.6.0/24"
    admin = sign_in(app, ADMIN)
    correct(
        admin,
        initech.id,
        effect="company",
        scope="network",
        name="Initrode",
        domain="initrode.fr",
    )
    visit(app, key, INITECH_IP_2)
    initrode = account_named(app, "Initrode")
    assert (initrode.key, initrode.domain) == ("initrode.fr", "initrode.fr")
    assert (initrode.identified_by, initrode.confidence) == ("correction", "high")
    assert count(app, select(func.count()).where(Event.account_id == initrode.id)) == 1
    assert count(app, select(func.count()).where(Event.account_id == initech.id)) == 1


def test_company_correction_applied_retroactively_moves_the_events_and_rescores(world):
    """Retroactive "company X": the old account's visits move to X's, which is scored."""
    app, team, key = world
    visit(app, key, INITECH_IP)
    visit(app, key, INITECH_IP, "/docs")
    initech = account_named(app, "Initech Holdings")
    admin = sign_in(app, ADMIN)
    answer = correct(
        admin,
        initech.id,
        effect="company",
        scope="asn",
        name="Initrode",
        domain="initrode.fr",
        retroactive="y",
    )
    drain(app)
    initrode = account_named(app, "Initrode")
    assert answer.headers["Location"].endswith(f"/accounts/{initrode.id}")
    assert account_named(app, "Initech Holdings") is None
    assert count(app, select(func.count()).where(Event.account_id == initrode.id)) == 2
    assert initrode.pageviews_total == 2 and initrode.visits_30d == 1
    assert initrode.score > 0 and initrode.scored_at is not None


def test_merge_keeps_both_histories_one_score_and_the_merged_key(world):
    """Merging Initech into Globex: all events and visits on Globex, one score;
    Initech's next visit lands on Globex too."""
    app, team, key = world
    visit(app, key, GLOBEX_IP)
    visit(app, key, GLOBEX_IP, "/docs")
    visit(app, key, INITECH_IP, "/careers")
    globex, initech = (
        account_named(app, "Globex Corporation"),
        account_named(app, "Initech Holdings"),
    )
    admin = sign_in(app, ADMIN)
    token = csrf(admin, f"/accounts/{globex.id}")
    answer = admin.post(
        f"/accounts/{globex.id}/merge",
        data={"merge-csrf_token": token, "merge-other": str(initech.id)},
    )
    assert answer.status_code == 302
    drain(app)
    assert account_named(app, "Initech Holdings") is None
    merged = account_named(app, "Globex Corporation")
    assert count(app, select(func.count()).where(Event.account_id == globex.id)) == 3
    assert count(app, select(func.count()).where(Visit.account_id == globex.id)) == 2
    assert merged.pageviews_total == 3 and merged.visits_30d == 2
    assert merged.score > 0 and merged.scored_at is not None
    visit(app, key, INITECH_IP, "/jobs")
    assert count(app, select(func.count()).where(Event.account_id == globex.id)) == 4
    assert count(app, select(func.count()).select_from(Account)) == 2  # Globex and Hot Corp
    assert count(app, select(func.count()).where(AuditEntry.action == "account.merged")) == 1


def test_merge_refuses_an_unknown_account_with_a_message(world):
    app, team, key = world
    admin = sign_in(app, ADMIN)
    token = csrf(admin, f"/accounts/{team.account_id}")
    answer = admin.post(
        f"/accounts/{team.account_id}/merge",
        data={"merge-csrf_token": token, "merge-other": "nobody.example"},
        follow_redirects=True,
    )
    assert answer.status_code == 200 and "other: no account has this domain" in page_text(answer)


def test_rename_survives_new_events_and_enrichment(world, tmp_path):
    """A renamed account keeps its name and domain when its network visits again
    and when a provider names it otherwise."""
    app, team, key = world
    visit(app, key, GLOBEX_IP)
    globex = account_named(app, "Globex Corporation")
    admin = sign_in(app, ADMIN)
    token = csrf(admin, f"/accounts/{globex.id}")
    admin.post(
        f"/accounts/{globex.id}/rename",
        data={
            "rename-csrf_token": token,
            "rename-name": "Globex Europe",
            "rename-domain": "globex.de",
        },
    )
    visit(app, key, GLOBEX_IP, "/docs")
    provider_file = tmp_path / "firms.csv"
    provider_file.write_text("domain,name,industry\nglobex.de,GLOBEX HOLDING PLC,Chemicals\n")
    with app.app_context(), session_scope() as session:
        row = session.get(Account, globex.id)
        enrich(session, row, [LocalFileProvider(provider_file)], utcnow())
    renamed = account_named(app, "Globex Europe")
    assert renamed.id == globex.id and renamed.domain == "globex.de"
    assert renamed.industry == "Chemicals"  # other facts still come in
    assert count(app, select(func.count()).where(Event.account_id == globex.id)) == 2


def test_rename_refuses_an_empty_name_naming_the_field(world):
    app, team, key = world
    admin = sign_in(app, ADMIN)
    token = csrf(admin, f"/accounts/{team.account_id}")
    answer = admin.post(
        f"/accounts/{team.account_id}/rename",
        data={"rename-csrf_token": token, "rename-name": " ", "rename-domain": ""},
        follow_redirects=True,
    )
    assert "name: give a name" in page_text(answer)
    assert account_named(app, "Hot Corp") is not None


def test_provenance_of_each_signal(world):
    """Own database high, MaxMind organisation medium, ASN organisation low,
    reverse DNS raises an ASN organisation to medium, a correction is high;
    shown on the account page, in the API and the CSV, filtered as low confidence."""
    app, team, key = world
    for ip in (ACME_IP, UMBRELLA_IP, GLOBEX_IP, INITECH_IP):
        visit(app, key, ip)
    expected = {
        "Acme SAS": ("company_database", "high"),
        "Umbrella Corp": ("maxmind_organisation", "medium"),
        "Globex Corporation": ("asn_organisation", "low"),
        "Initech Holdings": ("asn_organisation", "low"),
    }
    for name, provenance in expected.items():
        row = account_named(app, name)
        assert (row.identified_by, row.confidence) == provenance, name
    umbrella = account_named(app, "Umbrella Corp")
    assert (umbrella.asn, umbrella.network_organisation) == (64503, "Umbrella Corp")

    globex = account_named(app, "Globex Corporation")
    with app.app_context(), session_scope() as session:
        row = session.get(Account, globex.id)
        ptr = ReverseDnsProvider(reverse=lambda address: ("gw.globex.de", [], []))
        enrich(session, row, [ptr], utcnow())
    visit(app, key, GLOBEX_IP, "/docs")  # found again by its ASN organisation alone
    assert account_named(app, "Globex Corporation").identified_by == "reverse_dns"

    member = sign_in(app, MEMBER)
    page = page_text(member.get(f"/accounts/{umbrella.id}"))
    assert "MaxMind organisation" in page and "medium" in page
    low = page_text(member.get("/accounts?confidence=low"))
    assert "Initech Holdings" in low and "Acme SAS" not in low and "Globex" not in low
    api = member.get("/api/accounts", query_string={"confidence": "low"}).get_json()
    assert [(item["name"], item["confidence"]) for item in api["items"]] == [
        ("Initech Holdings", "low")
    ]
    detail = member.get(f"/api/accounts/{umbrella.id}").get_json()
    assert (detail["identified_by"], detail["confidence"], detail["asn"]) == (
        "maxmind_organisation",
        "medium",
        64503,
    )
    rows = list(
        csv.DictReader(io.StringIO(member.get("/api/accounts.csv").get_data(as_text=True)[1:]))
    )
    assert {row["name"]: (row["identified_by"], row["confidence"]) for row in rows}["Acme SAS"] == (
        "company_database",
        "high",
    )
    assert member.get("/accounts?confidence=sure").status_code == 200  # refused filter, said why
    assert "confidence: 'sure' is not one of" in page_text(member.get("/accounts?confidence=sure"))
    assert member.get("/api/accounts?confidence=sure").status_code == 400


def test_undo_gives_new_visits_back_to_the_databases(world):
    """An undone correction stops applying: the ASN makes accounts again; both
    changes are in the audit log."""
    app, team, key = world
    visit(app, key, GLOBEX_IP)
    globex = account_named(app, "Globex Corporation")
    admin = sign_in(app, ADMIN)
    correct(admin, globex.id, effect="hosting", scope="organisation")
    visit(app, key, GLOBEX_IP_2)
    assert traffic(app, "hosting") == 1
    assert count(app, select(func.count()).where(Event.account_id == globex.id)) == 1
    correction_id = count(app, select(NetworkCorrection.id))
    token = csrf(admin, "/corrections")
    assert (
        admin.post(
            f"/corrections/{correction_id}/undo", data={"undo-csrf_token": token}
        ).status_code
        == 302
    )
    assert count(app, select(func.count()).select_from(NetworkCorrection)) == 0
    visit(app, key, GLOBEX_IP_2)
    assert count(app, select(func.count()).where(Event.account_id == globex.id)) == 2
    with app.app_context(), session_scope() as session:
        actions = set(session.scalars(select(AuditEntry.action)))
    assert {"correction.added", "correction.removed"} <= actions


def test_a_company_correction_without_a_name_is_refused_naming_the_field(world):
    app, team, key = world
    visit(app, key, GLOBEX_IP)
    globex = account_named(app, "Globex Corporation")
    admin = sign_in(app, ADMIN)
    answer = correct(admin, globex.id, effect="company", scope="asn", name="", domain="")
    assert answer.status_code == 302
    assert "name: give the company" in page_text(admin.get(f"/accounts/{globex.id}"))
    assert count(app, select(func.count()).select_from(NetworkCorrection)) == 0
