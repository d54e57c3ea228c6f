"""The identification funnel: a known mix of beacons sent through the real
collector (companies, homes, phones, cloud and other data centres, unknown
networks, bots of several kinds) comes out step by step, by reason, adding up
to what was sent; in the API too, on SQLite and PostgreSQL."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from server.openapi_funnel import FUNNEL_PERIOD
from server.records import TrafficCountDelta
from server.sites.funnel import (
    MAX_FUNNEL_DAYS,
    Period,
    daily_funnels,
    period_funnel,
    site_funnels,
)
from server.storage import session_scope
from server.storage.ingest import ingest
from server.storage.models import Organisation, Site, TrafficCount
from server.storage.tenancy import SiteSettings, create_api_token, create_site
from server.storage.types import utcnow
from tests.server.test_ingest_concurrency import in_batches, run_consumers
from tests.support.collector import ACME_IP, CHROME, ORANGE_IP, SITE_KEY, pageview, send
from tests.support.factories import make_site
from tests.support.mmdb import company_and_asn_dbs, write_mmdb

PHONE_IP = "176.130.1.2"
AWS_CLOUD_IP = "3.5.140.10"
GOOGLE_CLOUD_IP = "34.80.1.1"
AMAZON_ASN_IP = "52.1.2.3"
"""In AMAZON-02's network but in no published cloud range: a generic data centre."""
UNKNOWN_IP = "145.1.2.3"

BOTS = {
    "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)": "crawler",
    "Mozilla/5.0 (compatible; UptimeRobot/2.0; http://www.uptimerobot.com/)": "crawler",
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "HeadlessChrome/120.0.0.0 Safari/537.36": "automation",
    "curl/8.5.0": "script",
    "python-requests/2.32.3": "script",
    "": "no-user-agent",
    "Zorglub": "not-a-browser",
}
"""User agents the bot filter drops, and the reason each is counted under."""

MIX = [
    (ACME_IP, CHROME, 3),
    (ORANGE_IP, CHROME, 2),
    (PHONE_IP, CHROME, 2),
    (AWS_CLOUD_IP, CHROME, 2),
    (GOOGLE_CLOUD_IP, CHROME, 1),
    (AMAZON_ASN_IP, CHROME, 1),
    (UNKNOWN_IP, CHROME, 1),
    ("127.0.0.1", CHROME, 1),
    *((ACME_IP, agent, 1) for agent in BOTS),
]
"""(address, user agent, beacons): what the test sends."""


@pytest.fixture
def funnel_app(make_app, db_url, tmp_path):
    """A collector on `funnel_mmdb`, and the test site."""
    app = make_app(db_url, MMDB=funnel_mmdb(tmp_path), TRUSTED_PROXIES=0)
    make_site(app, SITE_KEY)
    return app


def funnel_mmdb(tmp_path) -> list[str]:
    """Databases that know a company, a home ISP, a mobile network, two cloud
    providers' ranges and a data centre's ASN."""
    companies, asn = company_and_asn_dbs(tmp_path)
    connection = write_mmdb(
        tmp_path / "connection.mmdb",
        "GeoIP2-Connection-Type",
        {"176.128.0.0/10": {"connection_type": "Cellular"}},
    )
    cloud = write_mmdb(
        tmp_path / "cloud.mmdb",
        "Vigie-Cloud-Ranges",
        {"3.5.140.0/22": {"provider": "aws"}, "34.80.0.0/12": {"provider": "google"}},
    )
    return [companies, asn, str(connection), str(cloud)]


def send_mix(app, site=SITE_KEY):
    """Send `MIX` to `site` through the collector."""
    for ip, agent, beacons in MIX:
        for _ in range(beacons):
            answer = send(app, pageview(site=site), ip=ip, user_agent=agent)
            assert answer.status_code == 202


def org_and_site(app) -> tuple[int, int]:
    """The test site's organisation and id."""
    with app.app_context(), session_scope() as session:
        site = session.scalars(select(Site).where(Site.public_key == SITE_KEY)).one()
        return site.org_id, site.id


def funnel_of(app, org_id, site_id=None, days=1):
    with app.app_context(), session_scope() as session:
        return period_funnel(session, org_id, Period.last_days(days, utcnow()), site_id)


def test_the_funnel_adds_up_to_the_beacons_sent(funnel_app):
    send_mix(funnel_app)
    org_id, _site_id = org_and_site(funnel_app)
    funnel = funnel_of(funnel_app, org_id)
    sent = sum(beacons for _ip, _agent, beacons in MIX)
    assert funnel.beacons == sent == 20
    assert [(step.name, step.count) for step in funnel.steps] == [
        ("bots", 7),
        ("data_centres", 4),
        ("homes", 2),
        ("mobile", 2),
        ("unknown", 2),
        ("other", 0),
        ("companies", 3),
    ]
    assert sum(step.count for step in funnel.steps) == sent
    assert funnel.human == 13
    assert funnel.match_rate == pytest.approx(3 / 13)
    assert funnel.step("bots").share == pytest.approx(7 / 20)
    assert dict(funnel.step("data_centres").reasons) == {"aws": 2, "google": 1, "generic": 1}


def test_bots_are_counted_by_reason_and_nothing_per_visitor(funnel_app):
    send_mix(funnel_app)
    org_id, _site_id = org_and_site(funnel_app)
    bots = funnel_of(funnel_app, org_id).step("bots")
    assert bots.reasons == (
        ("crawler", 2),
        ("script", 2),
        ("automation", 1),
        ("no-user-agent", 1),
        ("not-a-browser", 1),
    )
    with funnel_app.app_context(), session_scope() as session:
        rows = session.execute(select(TrafficCount.kind, TrafficCount.reason)).all()
    # one row per kind and reason, whatever the number of visitors behind it
    assert len(rows) == len(set(rows)) == 5 + 3 + 1 + 1 + 1


def test_the_funnel_per_site_and_per_day(funnel_app):
    """Counts kept before reasons existed show as unrecorded bots; another
    site's and another day's beacons stay in their own funnels."""
    send(funnel_app, pageview(), ip=ACME_IP)
    org_id, site_id = org_and_site(funnel_app)
    yesterday = utcnow() - timedelta(days=1)
    with funnel_app.app_context(), session_scope() as session:
        other = make_other_site(session, org_id)
        old = TrafficCountDelta(site_id, yesterday.date(), "bot", 4)
        ingest(session, [old, TrafficCountDelta(other, yesterday.date(), "isp", 5)], utcnow())
    with funnel_app.app_context(), session_scope() as session:
        period = Period.last_days(2, utcnow())
        days = daily_funnels(session, org_id, period, site_id)
        by_site = site_funnels(session, org_id, period)
    assert [(day, funnel.beacons) for day, funnel in days] == [
        (yesterday.date(), 4),
        (utcnow().date(), 1),
    ]
    assert days[0][1].step("bots").reasons == (("unrecorded", 4),)
    assert days[0][1].match_rate is None  # no human traffic that day
    assert days[1][1].match_rate == 1.0
    assert by_site[other].step("homes").count == 5 and by_site[other].beacons == 5
    assert by_site[site_id].beacons == 5


def make_other_site(session, org_id) -> int:
    site = create_site(
        session, session.get(Organisation, org_id), SiteSettings("Blog", ["blog.example"])
    )
    session.flush()
    return site.id


def test_the_api_answers_the_funnel(funnel_app):
    send_mix(funnel_app)
    org_id, site_id = org_and_site(funnel_app)
    with funnel_app.app_context(), session_scope() as session:
        token = create_api_token(session, org_id, "tests")
    client = funnel_app.test_client()
    headers = {"Authorization": f"Bearer {token}"}
    answer = client.get(f"/api/funnel?site={SITE_KEY}&since=7d", headers=headers)
    assert answer.status_code == 200, answer.get_json()
    body = answer.get_json()
    today = utcnow().date()
    assert body["site"] == site_id
    assert (body["since"], body["until"]) == (str(today - timedelta(days=6)), str(today))
    total = body["total"]
    assert (total["beacons"], total["human"], total["companies"]) == (20, 13, 3)
    assert total["match_rate"] == pytest.approx(3 / 13)
    steps = {step["step"]: step for step in total["steps"]}
    assert steps["bots"]["reasons"] == {
        "crawler": 2,
        "script": 2,
        "automation": 1,
        "no-user-agent": 1,
        "not-a-browser": 1,
    }
    assert steps["data_centres"]["reasons"] == {"aws": 2, "google": 1, "generic": 1}
    assert len(body["days"]) == 7 and body["days"][-1]["funnel"] == total
    assert all(day["funnel"]["beacons"] == 0 for day in body["days"][:-1])


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("site=nosuchsite", "site"),
        ("since=400d", "since"),
        ("since=2026-13-01", "since"),
        ("since=2020-01-01&until=2020-01-01x", "until"),
        ("since=2021-01-02&until=2021-01-01", "since"),
        ("since=2020-01-01&until=2021-06-01", "since"),
        ("until=", "until"),
    ],
)
def test_the_api_names_the_argument_it_cannot_use(funnel_app, query, field):
    org_id, _site = make_site(funnel_app, "other-site", organisation="Other")
    with funnel_app.app_context(), session_scope() as session:
        token = create_api_token(session, org_id, "tests")
    answer = funnel_app.test_client().get(
        f"/api/funnel?{query}", headers={"Authorization": f"Bearer {token}"}
    )
    assert answer.status_code == 400
    assert answer.get_json()["field"] == field


def test_the_api_needs_a_token(funnel_app):
    assert funnel_app.test_client().get("/api/funnel").status_code == 401


def test_the_documented_period_is_the_one_the_api_takes():
    """`FUNNEL_PERIOD` spells out 1d to `MAX_FUNNEL_DAYS`d."""
    taken = [f"{days}d" for days in range(0, MAX_FUNNEL_DAYS + 100)]
    documented = [value for value in taken if re.fullmatch(FUNNEL_PERIOD, value)]
    assert documented == [f"{days}d" for days in range(1, MAX_FUNNEL_DAYS + 1)]


def test_two_consumers_adding_counts_by_reason_at_once_add_up(app):
    """Interleaved halves of 500 counts of four bot reasons and a provider,
    stored by two consumers at once: each reason gets all of its own."""
    org_id, site_id = make_site(app, "k", domains=("s.fr",))
    day = utcnow().date()
    reasons = ("crawler", "script", "automation", "")
    counts = [TrafficCountDelta(site_id, day, "bot", reason=reasons[n % 4]) for n in range(400)]
    counts += [TrafficCountDelta(site_id, day, "hosting", reason="aws") for _ in range(100)]
    run_consumers(app, in_batches(counts[0::2], 10), in_batches(counts[1::2], 10))
    funnel = funnel_of(app, org_id)
    assert funnel.beacons == 500
    assert funnel.step("bots").reasons == (
        ("automation", 100),
        ("crawler", 100),
        ("script", 100),
        ("unrecorded", 100),
    )
    assert funnel.step("data_centres").reasons == (("aws", 100),)
