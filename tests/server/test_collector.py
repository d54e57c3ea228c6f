"""`POST /e` end to end on SQLite and PostgreSQL: validation, filtering, storage, privacy."""

from __future__ import annotations

import json
import socket
from pathlib import Path

import pytest
from sqlalchemy import func, select

from server.config import ConfigError
from server.jobs import drain
from server.storage import session_scope
from server.storage.models import Account, Event, Organisation, TrafficCount, Visit
from tests.support.cli import cli_for
from tests.support.collector import (
    ACME_IP,
    AWS_IP,
    CHROME,
    ORANGE_IP,
    SITE_KEY,
    pageview,
    send,
    wait_stored,
)


def rows(app, model):
    with app.app_context(), session_scope() as session:
        found = session.scalars(select(model)).all()
        session.expunge_all()
        return found


def test_business_pageview_is_stored_with_its_account(collector_app):
    response = send(
        collector_app,
        pageview(
            url="https://shop.example/pricing?plan=pro&utm_source=news&email=jo@x.fr&session=1",
            referrer="https://www.google.com/search?q=acme",
            title="Pricing for jo@x.fr",
        ),
    )
    assert response.status_code == 202 and response.data == b""
    [event] = rows(collector_app, Event)
    [account] = rows(collector_app, Account)
    [visit] = rows(collector_app, Visit)
    assert (account.name, account.domain, account.industry, account.employees) == (
        "Acme SAS",
        "acme.fr",
        "Software",
        120,
    )
    assert account.network == "81.2.69.0/24" and account.visits_30d == 1
    assert account.top_pages == ["/pricing?plan=pro"] and account.pageviews_total == 1
    assert event.account_id == account.id and event.visit_id == visit.id
    assert event.path == "/pricing?plan=pro" and event.utm_source == "news"
    assert (event.referrer_host, event.referrer_path) == ("www.google.com", "/search")
    assert event.title == "Pricing for [email]"
    assert (event.device_class, event.browser_family, event.connection_class) == (
        "desktop",
        "Chrome",
        "business",
    )
    assert len(event.visitor_hash) == 32


def test_ipv6_business_visit(collector_app):
    assert send(collector_app, pageview(), ip="2a01:e0a:100:7::1").status_code == 202
    [account] = rows(collector_app, Account)
    assert account.name == "Beta GmbH" and account.network == "2a01:e0a:100::/48"


@pytest.mark.parametrize(
    ("ip", "user_agent", "kind"),
    [
        (ORANGE_IP, CHROME, "isp"),
        (AWS_IP, CHROME, "hosting"),
        ("10.0.0.1", CHROME, "unknown"),
        (
            ACME_IP,
            "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
            "bot",
        ),
        (ACME_IP, "python-requests/2.32.3", "bot"),
        (ACME_IP, "", "bot"),
    ],
)
def test_other_traffic_is_only_counted(collector_app, ip, user_agent, kind):
    response = send(collector_app, pageview(), ip=ip, user_agent=user_agent)
    assert response.status_code == 202 and response.data == b""
    assert rows(collector_app, Event) == [] and rows(collector_app, Account) == []
    [count] = rows(collector_app, TrafficCount)
    assert (count.kind, count.count) == (kind, 1)


def test_trusted_proxy_header_gives_the_client(make_app, db_url, mmdb, collector_app):
    app = make_app(db_url, MMDB=mmdb, TRUSTED_PROXIES=1)
    send(app, pageview(), ip="127.0.0.1", headers={"X-Forwarded-For": f"6.6.6.6, {ACME_IP}"})
    assert [a.name for a in rows(app, Account)] == ["Acme SAS"]


def test_untrusted_forwarded_header_is_ignored(collector_app):
    send(collector_app, pageview(), ip=ORANGE_IP, headers={"X-Forwarded-For": ACME_IP})
    assert rows(collector_app, Account) == []


def test_privacy_signals_are_honoured_server_side(collector_app):
    assert send(collector_app, pageview(), headers={"Sec-GPC": "1"}).status_code == 202
    assert rows(collector_app, Event) == [] and rows(collector_app, TrafficCount) == []


@pytest.mark.parametrize(
    ("body", "status", "message"),
    [
        (pageview(site="nope"), 403, "site: unknown site key"),
        (pageview(url="https://evil.example/"), 403, "url: not a domain of this site"),
        (pageview(url="https://shop.example.evil.com/"), 403, "url: not a domain of this site"),
    ],
)
def test_foreign_site_or_page_is_refused(collector_app, body, status, message):
    response = send(collector_app, body)
    assert response.status_code == status and response.json == {"error": message}


def test_foreign_origin_is_refused(collector_app):
    response = send(collector_app, pageview(), headers={"Origin": "https://evil.example"})
    assert response.status_code == 403 and response.json == {
        "error": "origin: not a domain of this site"
    }


def test_cors_for_the_site_origins_only(collector_app):
    client = collector_app.test_client()
    ok = send(collector_app, pageview(), headers={"Origin": "https://www.shop.example"})
    assert ok.headers["Access-Control-Allow-Origin"] == "https://www.shop.example"
    preflight = client.options("/e", headers={"Origin": "https://shop.example"})
    assert preflight.status_code == 204
    assert preflight.headers["Access-Control-Allow-Origin"] == "https://shop.example"
    assert client.options("/e", headers={"Origin": "https://evil.example"}).status_code == 403


def test_body_over_8_kib_is_413(collector_app):
    response = send(collector_app, None, raw="x" * 8193)
    assert response.status_code == 413 and response.json == {
        "error": "body: larger than 8192 bytes"
    }


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("{", "body: not a JSON object"),
        ("[]", "body: expected object, got array"),
        ("\x00", "body: not a JSON object"),
        ({"type": "pageview", "url": "https://shop.example/"}, "site: required"),
        (pageview(type="click"), "type: invalid enum value 'click'"),
        (pageview(url="/relative"), "url: must be an absolute http(s) URL"),
        (pageview(url="javascript:alert(1)"), "url: must be an absolute http(s) URL"),
        (pageview(url="https://shop.example/" + "a" * 2048), "url: expected str of length <= 2048"),
        (
            pageview(referrer="https://x.fr/" + "a" * 2048),
            "referrer: expected str of length <= 2048",
        ),
        (pageview(referrer="nope"), "referrer: must be an absolute http(s) URL"),
        (pageview(title="t" * 301), "title: expected str of length <= 300"),
        (pageview(title=42), "title: expected str | null, got int"),
        (pageview(title="a\x00b"), "title: contains a NUL character"),
        (pageview(type="event"), "name: required for type event"),
        (
            pageview(type="event", name="Demo!"),
            "name: expected str matching regex '^[a-z0-9_ -]{1,64}$'",
        ),
        (
            pageview(type="event", name="x" * 65),
            "name: expected str matching regex '^[a-z0-9_ -]{1,64}$'",
        ),
        (pageview(props={str(i): i for i in range(21)}), "props: expected object of length <= 20"),
        (pageview(props={"k": "v" * 257}), "props: expected str of length <= 256"),
        (
            pageview(props={"k": {"nested": 1}}),
            "props: expected bool | int | float | str, got object",
        ),
        (pageview(props={"k": 10**30}), "props.k: number too large"),
        (pageview(props=[1]), "props: expected object | null, got array"),
        (pageview(type="engagement"), "engaged_ms: required for type engagement"),
        (pageview(type="engagement", engaged_ms=-1), "engaged_ms: expected int >= 0"),
        (
            pageview(type="engagement", engaged_ms=86_400_001),
            "engaged_ms: expected int <= 86400000",
        ),
        (
            pageview(type="engagement", engaged_ms=1.5),
            "engaged_ms: must be a whole number of milliseconds",
        ),
        (pageview(type="engagement", engaged_ms=-1.0), "engaged_ms: expected float >= 0.0"),
        (pageview(type="engagement", engaged_ms=10**40), "engaged_ms: expected int <= 86400000"),
    ],
)
def test_field_limits_answer_400_naming_the_field(collector_app, body, message):
    response = send(collector_app, None, raw=body if isinstance(body, str) else json.dumps(body))
    assert response.status_code == 400
    assert response.json == {"error": message}


def test_unicode_is_accepted(collector_app):
    response = send(
        collector_app, pageview(url="https://shop.example/café/日本", title="Prix — été 🌞")
    )
    assert response.status_code == 202
    [event] = rows(collector_app, Event)
    assert event.path == "/café/日本" and event.title == "Prix — été 🌞"


def test_pixel_is_always_a_gif(collector_app):
    client = collector_app.test_client()
    good = client.get(
        f"/p.gif?site={SITE_KEY}&url=https://shop.example/demo",
        headers={"User-Agent": CHROME},
        environ_base={"REMOTE_ADDR": ACME_IP},
    )
    bad = client.get("/p.gif?site=&url=nope")
    assert (
        good.mimetype == bad.mimetype == "image/gif" and good.status_code == bad.status_code == 200
    )
    assert wait_stored(collector_app)
    assert [e.path for e in rows(collector_app, Event)] == ["/demo"]


def test_rate_limit_answers_429(make_app, db_url, mmdb, collector_app):
    app = make_app(db_url, MMDB=mmdb, COLLECT_RATE_LIMIT="3 per minute")
    statuses = [send(app, pageview()).status_code for _ in range(5)]
    assert statuses == [202, 202, 202, 429, 429]


def test_new_account_is_enriched_at_once(collector_app, tmp_path):
    firmo = tmp_path / "firmo.csv"
    firmo.write_text(
        "domain,revenue_band,linkedin_url\nacme.fr,10-50M,https://linkedin.com/company/acme\n"
    )
    with collector_app.app_context(), session_scope() as session:
        session.scalar(select(Organisation)).settings = {
            "enrichment": {"providers": [{"type": "file", "path": str(firmo)}]}
        }
    send(collector_app, pageview())
    assert drain(collector_app, timeout=20)
    [account] = rows(collector_app, Account)
    assert account.revenue_band == "10-50M"


def test_no_client_address_is_stored(collector_app, db_url):
    for ip in (ACME_IP, ORANGE_IP, "2a01:e0a:100:7::1"):
        send(collector_app, pageview())
        send(collector_app, pageview(), ip=ip)
    assert drain(collector_app, timeout=20)
    with collector_app.app_context(), session_scope() as session:
        assert session.scalar(select(func.count()).select_from(Event)) >= 2
    if db_url.startswith("sqlite"):
        path = db_url.removeprefix("sqlite:///")
        data = b"".join(Path(p).read_bytes() for p in (path, path + "-wal") if Path(p).exists())
        for ip in (ACME_IP, ORANGE_IP, "2a01:e0a:100:7::1"):
            assert ip.encode() not in data
            family = socket.AF_INET6 if ":" in ip else socket.AF_INET
            assert socket.inet_pton(family, ip) not in data


def test_a_site_can_list_operators_it_never_counts(collector_app, tmp_path):
    networks = tmp_path / "networks.toml"
    networks.write_text('[[network]]\nclass = "isp"\nname = "Acme as ISP"\nmatch = ["acme*"]\n')
    vigie = cli_for(collector_app, tmp_path)
    result = vigie("sites", "networks", "--site", SITE_KEY, str(networks))
    assert result.exit_code == 0, result.output
    assert "1 extra network(s)" in result.output
    collector_app.extensions["vigie.collect"].sites.ttl = 0  # no 30 s wait in a test
    assert send(collector_app, pageview()).status_code == 202
    assert rows(collector_app, Account) == []
    assert [(c.kind, c.count) for c in rows(collector_app, TrafficCount)] == [("isp", 1)]


def test_bad_site_networks_file_names_the_line(collector_app, tmp_path):
    networks = tmp_path / "networks.toml"
    networks.write_text('[[network]]\nclass = "business"\nasn = [1]\n')
    vigie = cli_for(collector_app, tmp_path)
    result = vigie("sites", "networks", "--site", SITE_KEY, str(networks))
    assert result.exit_code == 2
    assert result.output.strip() == (
        f"Error: {networks}: network[0].class: must be isp, mobile or hosting"
    )


def test_rate_limit_is_per_client_and_keeps_the_pixel_a_gif(make_app, db_url, mmdb, collector_app):
    app = make_app(db_url, MMDB=mmdb, COLLECT_RATE_LIMIT="2 per minute")
    assert [send(app, pageview()).status_code for _ in range(3)] == [202, 202, 429]
    assert send(app, pageview()).json == {"error": "request: 2 per 1 minute"}
    assert send(app, pageview(), ip=ORANGE_IP).status_code == 202
    pixel = app.test_client().get(
        f"/p.gif?site={SITE_KEY}&url=https://shop.example/demo",
        environ_base={"REMOTE_ADDR": ACME_IP},
    )
    assert pixel.status_code == 200 and pixel.mimetype == "image/gif"


def test_rate_limit_setting_must_be_a_rate(make_app, db_url):
    with pytest.raises(ConfigError, match="VIGIE_COLLECT_RATE_LIMIT: not a rate"):
        make_app(db_url, COLLECT_RATE_LIMIT="lots")


def test_beacons_neither_read_nor_set_a_session_cookie(collector_app, monkeypatch):
    reads = []
    interface = collector_app.session_interface
    real_serializer = interface.get_signing_serializer
    monkeypatch.setattr(
        interface, "get_signing_serializer", lambda app: reads.append(1) or real_serializer(app)
    )
    client = collector_app.test_client()
    client.set_cookie("session", "not-even-signed", domain="localhost")
    origin = {"Origin": "https://shop.example"}
    answers = [
        send(collector_app, pageview(), headers={"Cookie": "session=not-even-signed", **origin}),
        client.options("/e", headers=origin),
        client.get(f"/p.gif?site={SITE_KEY}&url=https://shop.example/demo"),
    ]
    assert [answer.status_code for answer in answers] == [202, 204, 200]
    for answer in answers:
        assert "Set-Cookie" not in answer.headers and "Cookie" not in answer.vary
    assert reads == []
    client.get("/login")
    assert reads  # the dashboard still reads its session


def test_a_serving_process_builds_the_agent_parser_before_its_first_beacon(collector_app):
    """gunicorn's worker hook warms the collector, so no visitor waits for the
    parser's compiled expressions; any other WSGI app is left alone."""
    from server.collect import agents
    from server.collect.parts import warm_up_collector

    agents._ua_parser.cache_clear()
    warm_up_collector(object())  # not a Vigie app: nothing to do
    assert agents._ua_parser.cache_info().currsize == 0
    warm_up_collector(collector_app)
    assert agents._ua_parser.cache_info().currsize == 1
