"""Scale mode: the Redis Stream sink and `vigie ingest`, on a real Redis and database."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from server.records import TrafficCountDelta, encode
from server.sink.embedded import InboxSource, inbox_of
from server.sink.stream import DEAD_LETTERS, FIELD, GROUP, STREAM, StreamSource, append
from server.storage import session_scope
from server.storage.models import Account, Event, TrafficCount, Visit
from server.storage.types import utcnow
from tests.support.collector import (
    ACME_IP,
    SITE_KEY,
    company_pageview,
    consume_stream,
    pageview,
    send,
    wait_stored,
)
from tests.support.factories import make_site
from tests.support.processes import VIGIE

SECRET = {"SECRET_KEY": "test-secret"}


@pytest.fixture
def scale_app(make_app, db_url, redis_url, mmdb):
    app = make_app(db_url, REDIS_URL=redis_url, MMDB=mmdb, **SECRET)
    make_site(app, SITE_KEY)
    return app


def stored_events(app):
    with app.app_context(), session_scope() as session:
        return session.scalar(select(func.count()).select_from(Event))


def consume(app, redis_conn, name="c1", claim_idle_ms=0, batch=100):
    return consume_stream(app, redis_conn, name, claim_idle_ms, batch)


def fill_stream(app, redis_conn, count, bots=0, visitors=13):
    """`count` company pageviews of `visitors` visitors, then `bots` bot counts
    mixed in; returns (org id, site id)."""
    ids = make_site(app)
    now = utcnow()
    records = [
        company_pageview(
            *ids,
            number,
            occurred_at=now - timedelta(milliseconds=10 * (count - number)),
            visitor_hash=f"v{number % visitors}",
        )
        for number in range(count)
    ]
    for number in range(bots):
        bot = TrafficCountDelta(site_id=ids[1], day=now.date(), kind="bot")
        records.insert((number * 7) % (len(records) + 1), bot)
    with redis_conn.pipeline(transaction=False) as pipe:
        for record in records:
            pipe.xadd(STREAM, {FIELD: encode(record)})
        pipe.execute()
    return ids


def what_is_stored(app):
    """Events, distinct event ids, visits, pageviews counted in visits and on the
    account, and the bot count."""
    with app.app_context(), session_scope() as session:
        return {
            "events": session.scalar(select(func.count()).select_from(Event)),
            "distinct": session.scalar(select(func.count(func.distinct(Event.event_id)))),
            "visits": session.scalar(select(func.count()).select_from(Visit)),
            "visit_pageviews": session.scalar(select(func.sum(Visit.pageviews))),
            "account_pageviews": session.scalar(select(func.sum(Account.pageviews_total))),
            "bots": session.scalar(
                select(func.sum(TrafficCount.count)).where(TrafficCount.kind == "bot")
            ),
        }


def ingest_env(db_url, redis_url, tmp_path):
    return {
        **os.environ,
        "VIGIE_DATABASE_URL": db_url,
        "VIGIE_REDIS_URL": redis_url,
        "VIGIE_SECRET_KEY": "test-secret",
        "VIGIE_INSTANCE_PATH": str(tmp_path / "i"),
    }


def test_collector_appends_to_the_stream_and_ingest_stores(scale_app, redis_conn):
    assert send(scale_app, pageview()).status_code == 202
    assert redis_conn.xlen(STREAM) == 1 and stored_events(scale_app) == 0
    stats = consume(scale_app, redis_conn)
    assert stats.stored == 1 and stored_events(scale_app) == 1
    with scale_app.app_context(), session_scope() as session:
        assert session.scalar(select(Account.name)) == "Acme SAS"
    raw = b"".join(fields[FIELD] for _, fields in redis_conn.xrange(STREAM))
    assert ACME_IP.encode() not in raw


def test_redis_down_means_a_direct_write(make_app, db_url, mmdb):
    app = make_app(db_url, REDIS_URL="redis://127.0.0.1:1/0", MMDB=mmdb, **SECRET)
    make_site(app, SITE_KEY)
    assert send(app, pageview()).status_code == 202
    assert stored_events(app) == 1


def test_entries_of_a_dead_consumer_are_claimed_and_stored_once(
    make_app, db_url, redis_url, redis_conn
):
    app = make_app(db_url, REDIS_URL=redis_url, **SECRET)
    fill_stream(app, redis_conn, 300)
    StreamSource(redis_conn, "dead")
    taken = redis_conn.xreadgroup(GROUP, "dead", {STREAM: ">"}, count=200)[0][1]
    # It had committed its first 100 before it died, without acknowledging them.
    from server.after_store import store_batch
    from server.records import decode

    with app.app_context():
        store_batch([decode(fields[FIELD]) for _, fields in taken[:100]])
    assert stored_events(app) == 100
    stats = consume(app, redis_conn, name="heir")
    assert stored_events(app) == 300
    assert stats.duplicates == 100
    assert redis_conn.xpending(STREAM, GROUP)["pending"] == 0


def test_undecodable_entry_goes_to_dead_letters(make_app, db_url, redis_url, redis_conn):
    app = make_app(db_url, REDIS_URL=redis_url, **SECRET)
    fill_stream(app, redis_conn, 3)
    redis_conn.xadd(STREAM, {FIELD: b"{not a record"})
    stats = consume(app, redis_conn)
    assert (stats.stored, stats.dead) == (3, 1)
    [(_, fields)] = redis_conn.xrange(DEAD_LETTERS)
    assert fields[b"reason"].startswith(b"undecodable: ")
    assert redis_conn.xpending(STREAM, GROUP)["pending"] == 0


@pytest.mark.slow
def test_killing_ingest_mid_batch_loses_nothing(make_app, db_url, redis_url, redis_conn, tmp_path):
    """SIGKILL a real `vigie ingest` while it works; a second one finishes: exactly
    once, events and counts."""
    app = make_app(db_url, REDIS_URL=redis_url, **SECRET)
    fill_stream(app, redis_conn, 4000, bots=600)
    env = ingest_env(db_url, redis_url, tmp_path)
    first = subprocess.Popen(
        [*VIGIE, "ingest", "--name", "victim", "--batch", "5", "--block-ms", "50"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + 60
    while stored_events(app) < 50 and time.monotonic() < deadline and first.poll() is None:
        time.sleep(0.02)  # polling the database while the consumer works
    first.send_signal(signal.SIGKILL)
    first.wait(timeout=10)
    assert 0 < stored_events(app) < 4000
    heir = subprocess.run(
        [*VIGIE, "ingest", "--name", "heir", "--burst", "--claim-idle-ms", "0", "--block-ms", "50"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert heir.returncode == 0, heir.stderr
    stored = what_is_stored(app)
    assert (stored["events"], stored["distinct"], stored["bots"]) == (4000, 4000, 600)
    assert stored["visit_pageviews"] == stored["account_pageviews"] == 4000
    assert stored["visits"] == 13
    assert redis_conn.xpending(STREAM, GROUP)["pending"] == 0


@pytest.mark.slow
def test_two_ingest_processes_store_what_one_stores(
    make_app, db_url, redis_url, redis_conn, tmp_path
):
    """Two real `vigie ingest` on one stream, small batches so that they interleave:
    every event, count and visit exactly as one consumer stores them."""
    app = make_app(db_url, REDIS_URL=redis_url, **SECRET)
    fill_stream(app, redis_conn, 2000, bots=2000, visitors=40)
    env = ingest_env(db_url, redis_url, tmp_path)
    consumers = [
        subprocess.Popen(
            [*VIGIE, "ingest", "--name", name, "--batch", "20", "--burst", "--block-ms", "50"],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for name in ("one", "two")
    ]
    outputs = [consumer.communicate(timeout=240) for consumer in consumers]
    assert [consumer.returncode for consumer in consumers] == [0, 0], outputs
    assert all("0 to dead letters" in out for out, _ in outputs), outputs
    stored = what_is_stored(app)
    assert stored == {
        "events": 2000,
        "distinct": 2000,
        "visits": 40,
        "visit_pageviews": 2000,
        "account_pageviews": 2000,
        "bots": 2000,
    }
    assert redis_conn.xlen(STREAM) <= 1


def test_a_batch_forwarded_twice_after_a_crash_is_stored_once(scale_app, redis_conn):
    """The forwarder sent a batch to the stream and died before marking it done:
    the next one sends it again, and `vigie ingest` stores each event once."""
    inbox = inbox_of(scale_app)
    ids = make_site(scale_app, "forwardedkey", organisation="Forwarded")
    records = [encode(company_pageview(*ids, n)) for n in range(5)]
    inbox.append(records)
    crashed = InboxSource(inbox)
    taken = crashed.take(100)
    append(redis_conn, [entry.payload for entry in taken])  # sent, never marked done
    crashed.release()
    assert wait_stored(scale_app)  # the serving process's forwarder sends them again
    assert redis_conn.xlen(STREAM) == 10
    stats = consume(scale_app, redis_conn)
    assert stats.stored == 5 and stats.duplicates == 5
    assert what_is_stored(scale_app)["distinct"] == what_is_stored(scale_app)["events"] == 5
