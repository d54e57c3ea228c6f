"""Accept, then ingest: the inbox, the stream, poison entries and dead letters.

Real SQLite inbox files, a real Redis stream, both databases, and the real
`vigie ingest` command for the dead-letter listing.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from sqlalchemy import func, select

from server.records import TrafficCountDelta, encode
from server.sink.consumer import Consumer, store_and_close
from server.sink.embedded import InboxSource, inbox_of
from server.sink.inbox import Inbox
from server.sink.stream import DEAD_LETTERS, FIELD, STREAM, append
from server.storage import session_scope
from server.storage.models import Event, TrafficCount
from server.storage.types import utcnow
from tests.support.cli import cli_for
from tests.support.collector import ACME_IP, CHROME, company_pageview, consume_stream, pageview
from tests.support.factories import make_site


def poison(org_id, site_id, number):
    """A record no database stores: its account belongs to no organisation."""
    return company_pageview(org_id + 1000, site_id, number)


def stored(app, model=Event):
    with app.app_context(), session_scope() as session:
        return session.scalar(select(func.count()).select_from(model))


def drain_inbox(app):
    source = InboxSource(inbox_of(app))
    try:
        with app.app_context():
            return Consumer(source, store_and_close, batch_size=100).run(burst=True)
    finally:
        source.release()


def test_one_writer_at_a_time_drains_an_inbox_and_a_dead_one_lets_go(tmp_path):
    inbox = Inbox(tmp_path / "inbox.sqlite")
    inbox.append([b"a", b"b", b"c"])
    first, second = InboxSource(inbox), InboxSource(inbox)
    assert [e.payload for e in first.take(2)] == [b"a", b"b"]
    assert second.take(10) == []  # the first one holds the inbox
    first.done([e.id for e in first.take(2)])
    assert inbox.waiting() == 1
    # A writer in another process is killed: the system releases its lock.
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD_LOCK, str(inbox.lock_path)], stdout=subprocess.PIPE
    )
    first.release()
    assert holder.stdout.readline().strip() == b"holding"
    assert second.take(10) == []
    holder.kill()
    holder.wait()
    assert [e.payload for e in second.take(10)] == [b"c"]


HOLD_LOCK = """
import fcntl, os, sys, time
fd = os.open(sys.argv[1], os.O_RDWR | os.O_CREAT)
while True:
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        break
    except OSError:
        time.sleep(0.01)
print("holding", flush=True)
time.sleep(60)
"""


def test_dead_letters_can_be_replayed_or_dropped(tmp_path):
    inbox = Inbox(tmp_path / "inbox.sqlite")
    inbox.append([b"one", b"two"])
    entries = inbox.oldest(10)
    inbox.bury([(entries[0], "broken"), (entries[1], "broken too")])
    assert inbox.waiting() == 0 and inbox.dead_count() == 2
    letters = inbox.dead_letters()
    assert [d.reason for d in letters] == ["broken", "broken too"]
    assert inbox.replay_dead([letters[0].id]) == 1
    assert [e.payload for e in inbox.oldest(10)] == [b"one"]
    assert inbox.drop_dead() == 1 and inbox.dead_count() == 0


def test_a_poison_record_in_the_inbox_goes_to_dead_letters_and_the_rest_is_stored(app):
    org_id, site_id = make_site(app)
    records = [company_pageview(org_id, site_id, n) for n in range(40)]
    records[17] = poison(org_id, site_id, 17)
    records.append(TrafficCountDelta(site_id=site_id, day=utcnow().date(), kind="bot"))
    inbox_of(app).append([encode(r) for r in records])
    stats = drain_inbox(app)
    assert (stats.stored, stats.dead) == (39, 1)
    assert stored(app) == 39
    with app.app_context(), session_scope() as session:
        assert session.scalar(select(TrafficCount.count)) == 1
    [letter] = inbox_of(app).dead_letters()
    assert "ev000017" in letter.payload.decode()
    assert "IntegrityError" in letter.reason or "ForeignKeyViolation" in letter.reason


def test_ingest_lists_replays_and_drops_dead_letters(sqlite_app, tmp_path):
    org_id, site_id = make_site(sqlite_app)
    inbox_of(sqlite_app).append([encode(poison(org_id, site_id, 3))])
    drain_inbox(sqlite_app)
    vigie = cli_for(sqlite_app, tmp_path)
    listing = vigie("ingest", "--dead")
    assert listing.exit_code == 0, listing.output
    assert "Dead letters (1)" in listing.output and "pageview on site" in listing.output
    replayed = vigie("ingest", "--replay-dead")
    assert "1 dead letter(s) queued again" in replayed.output
    assert inbox_of(sqlite_app).waiting() == 1
    drain_inbox(sqlite_app)
    dropped = vigie("ingest", "--drop-dead")
    assert "1 dead letter(s) deleted" in dropped.output
    assert vigie("ingest", "--dead").output.strip() == "No dead letters."


def test_postgresql_refuses_a_nul_and_only_that_entry_is_buried(
    make_app, postgres_url, redis_url, redis_conn
):
    app = make_app(postgres_url, REDIS_URL=redis_url, SECRET_KEY="s")
    org_id, site_id = make_site(app, "nulsite", organisation="Refuses a NUL")
    records = [company_pageview(org_id, site_id, n) for n in range(30)]
    records[11] = company_pageview(org_id, site_id, 11, path="/pricing\x00")
    records[12] = poison(org_id, site_id, 12)
    append(redis_conn, [encode(r) for r in records])
    stats = consume_stream(app, redis_conn, batch=30)
    assert stats.stored == 28 and stats.dead == 2
    assert stored(app) == 28
    reasons = [fields[b"reason"].decode() for _, fields in redis_conn.xrange(DEAD_LETTERS)]
    assert len(reasons) == 2 and all(reason for reason in reasons)


def test_the_stream_is_trimmed_once_every_entry_is_acknowledged(app, redis_url, redis_conn):
    org_id, site_id = make_site(app)
    append(redis_conn, [encode(company_pageview(org_id, site_id, n)) for n in range(600)])
    assert redis_conn.xlen(STREAM) == 600
    consume_stream(app, redis_conn, batch=100)
    assert stored(app) == 600
    assert redis_conn.xlen(STREAM) <= 1


def test_entries_not_yet_acknowledged_are_not_trimmed(app, redis_url, redis_conn):
    from server.sink.stream import GROUP, StreamSource

    org_id, site_id = make_site(app)
    append(redis_conn, [encode(company_pageview(org_id, site_id, n)) for n in range(10)])
    source = StreamSource(redis_conn, "slow")
    taken = source.take(4)
    source.trim()
    assert redis_conn.xlen(STREAM) == 10  # 4 pending, 6 not delivered
    source.done([e.id for e in taken[:2]])
    source.trim()
    assert redis_conn.xlen(STREAM) == 8
    assert redis_conn.xpending(STREAM, GROUP)["pending"] == 2


def test_a_beacon_accepted_by_the_collector_waits_in_the_inbox_until_stored(collector_app):
    app = collector_app
    app.config["INGEST_WRITER"] = "external"  # no writer in this process: nothing drains
    answer = app.test_client().post(
        "/e",
        data=json.dumps(pageview()),
        content_type="text/plain",
        environ_base={"REMOTE_ADDR": ACME_IP},
        headers={"User-Agent": CHROME},
    )
    assert answer.status_code == 202
    assert inbox_of(app).waiting() == 1 and stored(app) == 0
    drain_inbox(app)
    assert stored(app) == 1 and inbox_of(app).waiting() == 0


@pytest.fixture
def redis_stream_clean(redis_conn):
    redis_conn.delete(STREAM, DEAD_LETTERS)
    yield redis_conn


def test_a_stream_entry_without_a_record_field_is_buried(app, redis_url, redis_stream_clean):
    redis_conn = redis_stream_clean
    org_id, site_id = make_site(app)
    redis_conn.xadd(STREAM, {b"other": b"x"})
    append(redis_conn, [encode(company_pageview(org_id, site_id, 1))])
    stats = consume_stream(app, redis_conn)
    assert (stats.stored, stats.dead) == (1, 1)
    [(_, fields)] = redis_conn.xrange(DEAD_LETTERS)
    assert fields[b"reason"].startswith(b"undecodable") and FIELD in fields
