"""Hostile beacons never reach the database, on SQLite and PostgreSQL.

A value that no column can hold (a NUL or another control character once
percent-decoded) answers 400 naming the field; a value that only grows too
long once redacted is stored cut to its column. Either way the collector
keeps storing the good beacons that follow.
"""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from server.storage import session_scope
from server.storage.models import Event, Visit
from tests.support.collector import ACME_IP, CHROME, ORANGE_IP, SITE_KEY, pageview, send

EMAIL = "a@b.io"
"""Six characters that redaction turns into the seven of `[email]`."""

LONG_HOST = "h" * 250 + ".example"


def events(app):
    with app.app_context(), session_scope() as session:
        found = session.scalars(select(Event).order_by(Event.id)).all()
        session.expunge_all()
        return found


def visits(app):
    with app.app_context(), session_scope() as session:
        found = session.scalars(select(Visit)).all()
        session.expunge_all()
        return found


def assert_good_beacon_still_stored(app):
    response = send(app, pageview(url="https://shop.example/after"))
    assert response.status_code == 202
    assert [event.path for event in events(app)] == ["/after"]


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (pageview(url="https://shop.example/a%00b"), "url: contains a NUL character"),
        (pageview(url="https://shop.example/a%07b"), "url: contains a control character"),
        (pageview(url="https://shop.example/a%0Ab"), "url: contains a control character"),
        (pageview(url="https://shop.example/a%7Fb"), "url: contains a control character"),
        (pageview(url="https://shop.example/a%C2%85b"), "url: contains a control character"),
        (pageview(url="https://shop.example/a\x85b"), "url: contains a control character"),
        (
            pageview(url="https://shop.example/?utm_campaign=%00"),
            "utm_campaign: contains a NUL character",
        ),
        (
            pageview(url="https://shop.example/?UTM_Source=a%1Bb"),
            "utm_source: contains a control character",
        ),
        (
            pageview(referrer="https://www.google.com/a%00b"),
            "referrer: contains a NUL character",
        ),
        (
            pageview(referrer="https://www.google.com/a%C2%9Bb"),
            "referrer: contains a control character",
        ),
        (pageview(referrer=f"https://{LONG_HOST}/"), "referrer: host too long"),
        (pageview(title="a\x07b"), "title: contains a control character"),
        (pageview(title="a\tb"), "title: contains a control character"),
        (pageview(title="a\x9fb"), "title: contains a control character"),
        (pageview(site="a\x01b"), "site: contains a control character"),
        (pageview(props={"k": "a\x1bb"}), "props.k: contains a control character"),
        (pageview(props={"k": "a\x00b"}), "props.k: contains a NUL character"),
        (pageview(props={"a\x00b": 1}), "props: key contains a NUL character"),
        (pageview(props={"a\x85b": 1}), "props: key contains a control character"),
    ],
)
def test_poison_beacon_is_refused_naming_the_field(collector_app, body, message):
    response = send(collector_app, body)
    assert response.status_code == 400
    assert response.json == {"error": message}
    assert_good_beacon_still_stored(collector_app)


@pytest.mark.parametrize(
    "query",
    [
        "url=https://shop.example/a%2500b",
        "url=https://shop.example/%3Futm_campaign%3D%2500",
        "url=https://shop.example/&ref=https://www.google.com/a%2500b",
        f"url=https://shop.example/&ref=https://{LONG_HOST}/",
        "url=https://shop.example/a%00b",
    ],
)
def test_poison_pixel_is_a_silent_gif_and_stores_nothing(collector_app, query):
    client = collector_app.test_client()
    response = client.get(
        f"/p.gif?site={SITE_KEY}&{query}",
        headers={"User-Agent": CHROME},
        environ_base={"REMOTE_ADDR": ACME_IP},
    )
    assert response.status_code == 200 and response.mimetype == "image/gif"
    assert_good_beacon_still_stored(collector_app)  # and nothing before it


def test_redacted_title_longer_than_its_column_is_stored_cut(collector_app):
    title = (EMAIL + " ") * 42 + "x" * (300 - 7 * 42)
    assert len(title) == 300
    assert send(collector_app, pageview(title=title)).status_code == 202
    [event] = events(collector_app)
    column = Event.__table__.c.title.type.length
    assert len(event.title) == column
    assert event.title.startswith("[email] [email] ") and EMAIL not in event.title


def test_redacted_page_and_referrer_paths_are_stored_cut(collector_app):
    url = "https://shop.example/" + f"{EMAIL}/" * 280
    referrer = "https://www.google.com/" + f"{EMAIL}/" * 280
    assert len(url) <= 2048 and len(referrer) <= 2048
    assert send(collector_app, pageview(url=url, referrer=referrer)).status_code == 202
    [event] = events(collector_app)
    [visit] = visits(collector_app)
    length = Event.__table__.c.path.type.length
    assert len(event.path) == len(event.referrer_path) == len(visit.entry_path) == length
    assert event.path.startswith("/[email]/") and EMAIL not in event.path + event.referrer_path


def test_redacted_utm_values_are_stored_cut(collector_app):
    campaign = f"{EMAIL}/" * 40
    url = f"https://shop.example/?utm_campaign={campaign}&utm_term=t%C3%A9{'é' * 300}"
    assert send(collector_app, pageview(url=url)).status_code == 202
    [event] = events(collector_app)
    [visit] = visits(collector_app)
    length = Event.__table__.c.utm_campaign.type.length
    assert len(event.utm_campaign) == len(visit.utm_campaign) == length
    assert event.utm_campaign.startswith("[email]/[email]/")
    assert event.utm_term == "té" + "é" * (length - 2)


def test_redacted_props_are_stored_within_the_beacon_limits(collector_app):
    key = f"{EMAIL}/" * 8 + "abcd"  # 60 characters, 68 once redacted
    value = f"{EMAIL}/" * 36 + "abcd"  # 256 characters, 292 once redacted
    assert send(collector_app, pageview(props={key: value, "n": 3})).status_code == 202
    [event] = events(collector_app)
    [(stored_key, stored_value), number] = event.props.items()
    assert len(stored_key) == 64 and stored_key.startswith("[email]")
    assert len(stored_value) == 256 and stored_value.startswith("[email]")
    assert number == ("n", 3)


def test_a_host_of_253_characters_is_a_referrer_still(collector_app):
    host = ".".join(["a" * 63] * 4)[:253]
    assert send(collector_app, pageview(referrer=f"https://{host}/x")).status_code == 202
    [event] = events(collector_app)
    assert event.referrer_host == host


def test_tab_and_newline_encoded_in_a_dropped_parameter_are_harmless(collector_app):
    body = pageview(url="https://shop.example/search?q=a%09b%0Ac%00&plan=x%00y")
    assert send(collector_app, None, raw=json.dumps(body)).status_code == 202
    [event] = events(collector_app)
    assert event.path == "/search?plan=x%00y"


@pytest.mark.parametrize(
    ("ip", "user_agent"), [(ORANGE_IP, CHROME), (ACME_IP, "python-requests/2.32.3")]
)
def test_poison_is_refused_whoever_sends_it(collector_app, ip, user_agent):
    body = pageview(url="https://shop.example/?utm_campaign=%00")
    response = send(collector_app, body, ip=ip, user_agent=user_agent)
    assert response.status_code == 400
    assert response.json == {"error": "utm_campaign: contains a NUL character"}
