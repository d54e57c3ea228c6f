"""The collector's privacy and URL edge cases, on SQLite and PostgreSQL.

* A referrer whose host is an IP address is stored with a placeholder host,
  in events and visits, live and from imported logs.
* An IPv4-mapped IPv6 client address (`::ffff:…`), forwarded or direct, is
  resolved as the IPv4 address it is.
* A page or referrer URL with a user name, a password, a backslash in its
  authority or a host browsers read otherwise is refused, naming the field.
"""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlalchemy import select

from server.collect.anonymise import REFERRER_IP_HOST
from server.storage import session_scope
from server.storage.models import Account, Base, Event, Visit
from server.storage.types import utcnow
from tests.support.cli import cli_for
from tests.support.collector import ACME_IP, CHROME, SITE_KEY, pageview, send, wait_stored
from tests.support.factories import make_site

MAPPED_ACME_IP = f"::ffff:{ACME_IP}"


def rows(app, model):
    with app.app_context(), session_scope() as session:
        found = session.scalars(select(model).order_by(model.id)).all()
        session.expunge_all()
        return found


def database_text(app) -> str:
    """Every row of every table, as text: what a search of the database finds."""
    with app.app_context(), session_scope() as session:
        return "\n".join(
            json.dumps([list(row) for row in session.execute(table.select())], default=str)
            for table in Base.metadata.sorted_tables
        )


# 1. Referrer hosts that are IP addresses


@pytest.mark.parametrize(
    ("referrer", "address", "path"),
    [
        ("http://192.168.1.20:8080/x", "192.168.1.20", "/x"),
        ("http://[2001:db8::1]/", "2001:db8::1", "/"),
        ("https://[2001:DB8:0::1]:8443/login?next=1", "2001:db8", "/login"),
        ("http://81.2.69.1/intranet/", "81.2.69.1", "/intranet/"),
    ],
)
def test_a_referrer_host_that_is_an_ip_address_is_stored_as_a_placeholder(
    collector_app, referrer, address, path
):
    """The event and its visit show "(IP address)" as the referrer host, and the address is nowhere."""
    response = send(collector_app, pageview(referrer=referrer))
    assert response.status_code == 202
    [event] = rows(collector_app, Event)
    [visit] = rows(collector_app, Visit)
    assert event.referrer_host == visit.referrer_host == REFERRER_IP_HOST
    assert event.referrer_path == path
    assert address.lower() not in database_text(collector_app).lower()


def test_the_account_page_says_a_visit_came_from_an_ip_address(collector_app):
    """The placeholder reads as words in the page's language, not as stored."""
    from server.security import hash_password
    from server.storage.models import Organisation, User
    from tests.support.team import PASSWORD, sign_in

    send(collector_app, pageview(referrer="http://192.168.1.20:8080/x"))
    with collector_app.app_context(), session_scope() as session:
        org = session.scalar(select(Organisation))
        session.add(User(org_id=org.id, email="ana@shop.example",
                         password_hash=hash_password(PASSWORD), role="member"))  # fmt: skip
    [account] = rows(collector_app, Account)
    page = sign_in(collector_app, "ana@shop.example").get(f"/accounts/{account.id}")
    text = page.get_data(as_text=True)
    assert "from an IP address" in text
    assert REFERRER_IP_HOST not in text and "192.168" not in text


def test_a_referrer_host_that_is_a_name_is_kept(collector_app):
    """Names, even ones made of digits and dots, stay as sent."""
    send(collector_app, pageview(referrer="https://192.168.1.20.nip.io/a"))
    send(collector_app, pageview(referrer="https://www.Google.com/search"))
    assert [e.referrer_host for e in rows(collector_app, Event)] == [
        "192.168.1.20.nip.io",
        "www.google.com",
    ]


def log_line(ip: str, target: str, referrer: str) -> str:
    stamp = (utcnow() - timedelta(hours=2)).strftime("%d/%b/%Y:%H:%M:%S +0000")
    return f'{ip} - - [{stamp}] "GET {target} HTTP/1.1" 200 512 "{referrer}" "{CHROME}"\n'


def import_log(app, tmp_path, monkeypatch, mmdb, *lines: str):
    monkeypatch.setenv("VIGIE_MMDB", ",".join(mmdb))
    log = tmp_path / "access.log"
    log.write_text("".join(lines))
    result = cli_for(app, tmp_path)("import-logs", "--site", SITE_KEY, str(log))
    assert result.exit_code == 0, result.output
    return result.output


def test_imported_referrer_hosts_that_are_ip_addresses_are_stored_as_a_placeholder(
    collector_app, tmp_path, monkeypatch, mmdb
):
    """`vigie import-logs` stores the same placeholder as the live collector."""
    import_log(
        collector_app,
        tmp_path,
        monkeypatch,
        mmdb,
        log_line("81.2.69.10", "/pricing", "http://192.168.1.20:8080/x"),
        log_line("81.2.69.11", "/features", "http://[2001:db8::1]/"),
    )
    stored = rows(collector_app, Event)
    assert sorted(e.path for e in stored) == ["/features", "/pricing"]
    assert {e.referrer_host for e in stored} == {REFERRER_IP_HOST}
    assert {v.referrer_host for v in rows(collector_app, Visit)} == {REFERRER_IP_HOST}
    text = database_text(collector_app)
    assert "192.168.1.20" not in text and "2001:db8" not in text


# 2. IPv4-mapped client addresses


@pytest.fixture
def proxied_app(make_app, db_url, mmdb):
    """A collector behind one trusted proxy."""
    app = make_app(db_url, MMDB=mmdb, TRUSTED_PROXIES=1)
    make_site(app, SITE_KEY)
    return app


def test_a_mapped_forwarded_address_is_resolved_as_ipv4(proxied_app):
    """`X-Forwarded-For: ::ffff:81.2.69.77` is Acme's visitor, with the same id as from 81.2.69.77."""
    forwarded = [MAPPED_ACME_IP, MAPPED_ACME_IP.upper(), ACME_IP]
    for address in forwarded:
        response = send(proxied_app, pageview(), ip="127.0.0.1",
                        headers={"X-Forwarded-For": address})  # fmt: skip
        assert response.status_code == 202
    stored = rows(proxied_app, Event)
    assert len(stored) == 3
    assert {e.connection_class for e in stored} == {"business"}
    assert len({e.visitor_hash for e in stored}) == 1
    assert [a.name for a in rows(proxied_app, Account)] == ["Acme SAS"]
    assert "::ffff" not in database_text(proxied_app).lower()


def test_a_mapped_address_in_a_log_is_resolved_as_ipv4(collector_app, tmp_path, monkeypatch, mmdb):
    """`vigie import-logs` reads `::ffff:81.2.69.77` in a log as Acme's 81.2.69.77."""
    import_log(
        collector_app,
        tmp_path,
        monkeypatch,
        mmdb,
        log_line(MAPPED_ACME_IP, "/pricing", "https://www.google.com/"),
        log_line(ACME_IP, "/features", "https://www.google.com/"),
    )
    stored = rows(collector_app, Event)
    assert {e.connection_class for e in stored} == {"business"}
    assert len({e.visitor_hash for e in stored}) == 1
    assert [a.name for a in rows(collector_app, Account)] == ["Acme SAS"]


def test_a_mapped_remote_address_is_resolved_as_ipv4(collector_app):
    """A dual-stack socket's `REMOTE_ADDR` of `::ffff:81.2.69.77` is Acme's, as 81.2.69.77 is."""
    assert send(collector_app, pageview(), ip=MAPPED_ACME_IP).status_code == 202
    assert send(collector_app, pageview(), ip=ACME_IP).status_code == 202
    stored = rows(collector_app, Event)
    assert len(stored) == 2 and len({e.visitor_hash for e in stored}) == 1
    assert stored[0].account_id is not None and stored[0].account_id == stored[1].account_id
    assert [a.name for a in rows(collector_app, Account)] == ["Acme SAS"]


def test_an_ipv6_address_that_is_not_mapped_stays_ipv6(collector_app):
    """Beta's own IPv6 network still resolves: only mapped addresses are rewritten."""
    assert send(collector_app, pageview(), ip="2a01:e0a:100:7::1234").status_code == 202
    assert [a.name for a in rows(collector_app, Account)] == ["Beta GmbH"]


# 3. URLs with user info, backslashes or hosts read otherwise


USER_INFO = "must not contain a user name or password"
BACKSLASH = "must not contain a backslash before its path"
READ_OTHERWISE = "host is read differently by browsers"


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"url": "https://evil.example\\@shop.example/p"}, f"url: {USER_INFO}"),
        ({"url": "https://user:pw@shop.example/p"}, f"url: {USER_INFO}"),
        ({"url": "https://user@shop.example/p"}, f"url: {USER_INFO}"),
        ({"url": "https://:@shop.example/p"}, f"url: {USER_INFO}"),
        ({"url": "https://evil.example\\.shop.example/p"}, f"url: {BACKSLASH}"),
        ({"url": "https://shop.example\\/p"}, f"url: {BACKSLASH}"),
        ({"url": "https://evil.example%2f.shop.example/p"}, "url: not a valid URL"),
        ({"url": "https://evil.example%23.shop.example/p"}, "url: not a valid URL"),
        ({"url": "https://www%2Eshop.example/p"}, f"url: {READ_OTHERWISE}"),
        ({"referrer": "https://user:pw@www.google.com/"}, f"referrer: {USER_INFO}"),
        ({"referrer": "https://evil.example\\@www.google.com/"}, f"referrer: {USER_INFO}"),
        ({"referrer": "https://www.google.com\\@evil.example/"}, f"referrer: {USER_INFO}"),
        ({"referrer": "https://www.google.com\\evil/"}, f"referrer: {BACKSLASH}"),
        ({"referrer": "http://3232235796/"}, f"referrer: {READ_OTHERWISE}"),
        ({"referrer": "http://0x7f.1/"}, f"referrer: {READ_OTHERWISE}"),
        ({"referrer": "http://0300.0250.1.20/"}, f"referrer: {READ_OTHERWISE}"),
        ({"referrer": "https://exa%41mple.com/"}, f"referrer: {READ_OTHERWISE}"),
    ],
)
def test_urls_browsers_read_otherwise_are_refused(collector_app, fields, message):
    """400 naming the field; nothing stored; the next good beacon is stored."""
    response = send(collector_app, pageview(**fields))
    assert response.status_code == 400
    assert response.get_json() == {"error": message}
    assert rows(collector_app, Event) == []
    assert send(collector_app, pageview(url="https://shop.example/after")).status_code == 202
    assert [e.path for e in rows(collector_app, Event)] == ["/after"]


@pytest.mark.parametrize(
    "query",
    [
        "url=https%3A%2F%2Fevil.example%5C%40shop.example%2Fp",
        "url=https%3A%2F%2Fuser%3Apw%40shop.example%2Fp",
        "url=https%3A%2F%2Fshop.example%2Fp&ref=https%3A%2F%2Fuser%40www.google.com%2F",
    ],
)
def test_the_pixel_stores_nothing_for_a_url_with_user_info(collector_app, query):
    """The `<noscript>` pixel still answers its GIF, and stores nothing."""
    response = collector_app.test_client().get(
        f"/p.gif?site={SITE_KEY}&{query}",
        headers={"User-Agent": CHROME},
        environ_base={"REMOTE_ADDR": ACME_IP},
    )
    assert response.status_code == 200 and response.data.startswith(b"GIF")
    assert wait_stored(collector_app)
    assert rows(collector_app, Event) == []


def test_an_origin_with_user_info_belongs_to_no_site(collector_app):
    """A beacon whose Origin names the site only to Python is refused as a foreign origin."""
    response = send(collector_app, pageview(),
                    headers={"Origin": "https://evil.example\\@shop.example"})  # fmt: skip
    assert response.status_code == 403
    assert response.get_json() == {"error": "origin: not a domain of this site"}
    assert rows(collector_app, Event) == []


def test_imported_lines_with_user_info_are_bad_lines(collector_app, tmp_path, monkeypatch, mmdb):
    """A logged referrer with user info is refused as the collector refuses it; a
    download linked from such a "page of the site" is not stored as that page."""
    output = import_log(
        collector_app,
        tmp_path,
        monkeypatch,
        mmdb,
        log_line("81.2.69.10", "/pricing", "https://user:pw@www.google.com/"),
        log_line("81.2.69.11", "/files/report.pdf", "https://evil.example\\\\@shop.example/p"),
        log_line("81.2.69.12", "/features", "https://www.google.com/"),
    )
    assert "Bad lines: 2" in output
    assert f"referrer: {USER_INFO}" in output
    stored = rows(collector_app, Event)
    assert [(e.path, e.referrer_host) for e in stored] == [("/features", "www.google.com")]
    assert "user:pw" not in database_text(collector_app)
