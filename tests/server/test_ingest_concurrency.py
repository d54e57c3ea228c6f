"""The one write path with several writers: `vigie ingest` consumers storing
batches at the same time (PostgreSQL), a batch delivered again after a crash,
and dashboard writes while beacons are being stored (SQLite)."""

from __future__ import annotations

import re
import shutil
import threading
import time
from collections import Counter
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select
from werkzeug.serving import make_server

from server.records import CollectedEvent, CompanyFacts, Record, TrafficCountDelta, decode
from server.storage import session_scope, storage
from server.storage.ingest import IngestResult, ingest
from server.storage.models import (
    Account,
    CountReceipt,
    Event,
    Site,
    TrafficCount,
    Visit,
)
from server.storage.tenancy import SiteSettings, create_organisation, create_site, create_user
from tests.support.factories import make_site
from tests.support.signin import signs_in

T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
NOW = T0 + timedelta(hours=2)
COMPANIES = [
    CompanyFacts(key=f"c{n}.fr", name=f"Company {n}", domain=f"c{n}.fr", network=f"10.{n}.0.0/24")
    for n in range(3)
]
VISITORS = 30
EVENTS_PER_VISITOR = 12
BOTS = 300
EVEN_STEPS = tuple(f"-{step}" for step in range(0, EVENTS_PER_VISITOR, 2))


def beacons(ids: tuple[int, int], prefix: str = "e") -> list[CollectedEvent]:
    """Each visitor's pageviews and engagements, all within one visit (under 30
    minutes from first to last), in the order they were collected."""
    org_id, site_id = ids
    events = []
    for step in range(EVENTS_PER_VISITOR):
        for visitor in range(VISITORS):
            engagement = step % 3 == 2
            events.append(
                CollectedEvent(
                    event_id=f"{prefix}{visitor}-{step}",
                    site_id=site_id,
                    org_id=org_id,
                    occurred_at=T0 + timedelta(minutes=2 * step, seconds=visitor),
                    type="engagement" if engagement else "pageview",
                    path=f"/page{step % 4}",
                    visitor_hash=f"visitor{visitor}",
                    connection_class="business",
                    device_class="desktop",
                    browser_family="Firefox",
                    engaged_ms=1_000 if engagement else None,
                    company=COMPANIES[visitor % len(COMPANIES)] if visitor % 5 else None,
                )
            )
    return events


def bots(site_id: int) -> list[TrafficCountDelta]:
    return [TrafficCountDelta(site_id=site_id, day=T0.date(), kind="bot") for _ in range(BOTS)]


def in_batches(records: Sequence[Record], size: int) -> list[list[Record]]:
    return [list(records[start : start + size]) for start in range(0, len(records), size)]


def consume(app, batches: Sequence[Sequence[Record]], start: threading.Barrier) -> list:
    """A consumer: each batch in a transaction of its own, in a session of its own."""
    results: list[IngestResult] = []
    start.wait(timeout=30)
    for batch in batches:
        with storage(app).sessions() as session:
            results.append(ingest(session, batch, NOW))
            session.commit()
    return results


def run_consumers(app, *work: Sequence[Sequence[Record]]) -> list[IngestResult]:
    """Run one thread per batch list, all at once; return every batch's result."""
    start = threading.Barrier(len(work))
    outcomes: list[list[IngestResult] | BaseException] = [[] for _ in work]

    def worker(index: int) -> None:
        try:
            outcomes[index] = consume(app, work[index], start)
        except BaseException as error:  # noqa: BLE001 - raised again in the test's thread
            outcomes[index] = error

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(len(work))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    results: list[IngestResult] = []
    for outcome in outcomes:
        if isinstance(outcome, BaseException):
            raise outcome
        results.extend(outcome)
    return results


def stored_state(app) -> dict:
    """Everything ingest writes, in a form two runs can be compared by."""
    with app.app_context(), session_scope() as session:
        visits = session.execute(
            select(
                Visit.visitor_hash,
                Visit.id,
                Visit.events_count,
                Visit.pageviews,
                Visit.engaged_ms,
                Visit.last_event_at,
            )
        ).all()
        accounts = session.execute(
            select(
                Account.key,
                Account.pageviews_total,
                Account.first_seen,
                Account.last_seen,
                Account.visits_30d,
                Account.active_days_30d,
                Account.network,
            )
        ).all()
        return {
            "events": session.scalar(select(func.count()).select_from(Event)),
            "events per visit": dict(
                session.execute(select(Event.visit_id, func.count()).group_by(Event.visit_id)).all()
            ),
            "visits": sorted(tuple(row) for row in visits),
            "accounts": sorted(tuple(row) for row in accounts),
            "counts": sorted(
                tuple(row)
                for row in session.execute(
                    select(
                        TrafficCount.site_id,
                        TrafficCount.day,
                        TrafficCount.kind,
                        TrafficCount.count,
                    )
                )
            ),
        }


def expected_state(ids: tuple[int, int], events: Sequence[CollectedEvent]) -> dict:
    """What storing `events` and the bots must leave, worked out by hand."""
    by_visitor: dict[str, list[CollectedEvent]] = {}
    for event in events:
        by_visitor.setdefault(event.visitor_hash, []).append(event)
    pageviews: Counter[str] = Counter()
    seen: dict[str, list[datetime]] = {}
    visits: Counter[str] = Counter()
    for visitor_events in by_visitor.values():
        company = visitor_events[0].company
        if company is not None:
            visits[company.key] += 1
        for event in visitor_events:
            if company is not None:
                pageviews[company.key] += event.type == "pageview"
                seen.setdefault(company.key, []).append(event.occurred_at)
    return {
        "events": len(events),
        "visits": len(by_visitor),
        "pageviews": dict(pageviews),
        "first and last seen": {key: (min(times), max(times)) for key, times in seen.items()},
        "visits_30d": dict(visits),
        "bots": BOTS,
    }


def check_against(state: dict, expected: dict) -> None:
    assert state["events"] == expected["events"]
    assert len(state["visits"]) == expected["visits"], "a visit was split"
    assert sum(row[2] for row in state["visits"]) == expected["events"]  # events_count
    assert {key: row for key, row, *_ in state["accounts"]} == expected["pageviews"]
    assert {row[0]: (row[2], row[3]) for row in state["accounts"]} == expected[
        "first and last seen"
    ]
    assert {row[0]: row[4] for row in state["accounts"]} == expected["visits_30d"]
    assert [row[3] for row in state["counts"]] == [expected["bots"]]


def test_two_consumers_store_what_one_would(app):
    """Two consumers taking interleaved halves of the same visitors' events and
    of the bots' counts: every count is added, no visit is split, each account
    is created once."""
    ids = make_site(app, "k", domains=("s.fr",))
    events = beacons(ids)
    counts = bots(ids[1])
    # Every other event of each visitor: both consumers see every visitor at once.
    first_half = [e for e in events if e.event_id.endswith(EVEN_STEPS)] + counts[0::2]
    second_half = [e for e in events if not e.event_id.endswith(EVEN_STEPS)] + counts[1::2]
    results = run_consumers(app, in_batches(first_half, 10), in_batches(second_half, 10))

    state = stored_state(app)
    check_against(state, expected_state(ids, events))
    created = [account_id for result in results for account_id in result.new_account_ids]
    assert len(created) == len(set(created)) == len(COMPANIES)
    assert sum(result.stored for result in results) == len(events)
    # Each visit counts the events it has.
    assert {row[1]: row[2] for row in state["visits"]} == state["events per visit"]


def test_one_consumer_stores_the_same(app):
    """The reference the concurrent test is held to: everything in one batch."""
    ids = make_site(app, "k", domains=("s.fr",))
    events = beacons(ids)
    run_consumers(app, [[*events, *bots(ids[1])]])
    check_against(stored_state(app), expected_state(ids, events))


def test_a_batch_delivered_again_changes_nothing(app):
    """A batch stored but not acknowledged is delivered again after a crash:
    events, counts, visits and accounts stay as the first delivery left them."""
    ids = make_site(app, "k", domains=("s.fr",))
    batch = [*beacons(ids)[:200], *bots(ids[1])[:50]]
    [first] = run_consumers(app, [batch])
    before = stored_state(app)
    [again] = run_consumers(app, [batch])
    assert stored_state(app) == before
    assert (first.stored, again.stored, again.duplicates) == (200, 0, 200)
    assert again.new_account_ids == []
    assert before["counts"][0][3] == 50


def test_a_batch_taken_by_two_consumers_at_once_is_stored_once(app):
    """A consumer claims a batch another one is still storing: one stores it,
    the other finds it stored (it waits for the first one's transaction)."""
    ids = make_site(app, "k", domains=("s.fr",))
    events = beacons(ids)[:120]
    batch = [*events, *bots(ids[1])]
    results = run_consumers(app, [batch], [batch])
    assert sorted(result.stored for result in results) == [0, len(events)]
    state = stored_state(app)
    assert state["events"] == len(events)
    assert [row[3] for row in state["counts"]] == [BOTS]
    assert sum(row[2] for row in state["visits"]) == len(events)


def test_each_count_keeps_its_receipt(app):
    ids = make_site(app, "k", domains=("s.fr",))
    counts = bots(ids[1])[:3]
    run_consumers(app, [counts])
    with app.app_context(), session_scope() as session:
        receipts = set(session.scalars(select(CountReceipt.id)))
        received = set(session.scalars(select(CountReceipt.received_at)))
    assert receipts == {count.receipt for count in counts}
    assert received == {NOW}


def test_a_count_encoded_before_receipts_still_decodes():
    """Counts waiting in the stream from before an upgrade are still read."""
    old = b'{"record":"count","site_id":3,"day":"2026-11-02","kind":"bot","count":2}'
    record = decode(old)
    assert isinstance(record, TrafficCountDelta)
    assert (record.site_id, record.count) == (3, 2)
    assert len(record.receipt) == 32
    assert TrafficCountDelta(3, T0.date(), "bot").receipt != record.receipt


# Dashboard writes while beacons are being stored (the embedded default).

PASSWORD = "correct horse battery"
ADMIN = "boss@acme.example"
CSRF = re.compile(r'<meta name="csrf-token" content="([^"]+)"')


class BeaconFlood:
    """A thread storing beacons through `ingest` in short transactions, each
    holding the write lock a little while, until stopped."""

    def __init__(self, app, ids: tuple[int, int], hold: float = 0.03) -> None:
        self.app, self.ids, self.hold = app, ids, hold
        self.stop = threading.Event()
        self.batches = 0
        self.errors: list[BaseException] = []
        self.thread = threading.Thread(target=self.run, daemon=True)

    def run(self) -> None:
        number = 0
        while not self.stop.is_set():
            try:
                with storage(self.app).sessions() as session:
                    records: list[Record] = []
                    for _ in range(10):
                        number += 1
                        records.append(self.event(number))
                        records.append(TrafficCountDelta(self.ids[1], T0.date(), "isp"))
                    ingest(session, records, NOW)
                    time.sleep(self.hold)  # the write lock is held meanwhile
                    session.commit()
                self.batches += 1
            except BaseException as error:  # noqa: BLE001 - the test reports it
                self.errors.append(error)
                return

    def event(self, number: int) -> CollectedEvent:
        return CollectedEvent(
            event_id=f"flood{number}",
            site_id=self.ids[1],
            org_id=self.ids[0],
            occurred_at=T0 + timedelta(seconds=number),
            type="pageview",
            path="/",
            visitor_hash=f"v{number % 50}",
            connection_class="business",
            device_class="desktop",
            browser_family="Chrome",
            company=COMPANIES[number % len(COMPANIES)],
        )

    def __enter__(self) -> BeaconFlood:
        self.thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.stop.set()
        self.thread.join(timeout=30)


def served(app) -> Callable[[], None]:
    """Serve `app` on a loopback port in a thread; returns (url, stop)."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    return f"http://127.0.0.1:{server.server_port}", server.shutdown


def csrf(client, path: str) -> str:
    match = CSRF.search(client.get(path).get_data(as_text=True))
    assert match, f"no CSRF token on {path}"
    return match.group(1)


@pytest.mark.slow
def test_dashboard_writes_succeed_while_beacons_are_stored(make_app, tmp_path, sqlite_template):
    """On the embedded default, signing in and adding sites never fail with
    "database is locked" while a writer keeps storing beacons: a request that
    may write waits its turn as a writer instead."""
    path = tmp_path / "flooded.db"
    shutil.copy(sqlite_template, path)
    # 40 sign-ins from one address in a few seconds: not what is tested here.
    app = make_app(f"sqlite:///{path}", RATELIMIT_ENABLED=False)
    with app.app_context(), session_scope() as session:
        acme = create_organisation(session, "Acme")
        create_user(session, acme, ADMIN, PASSWORD, role="admin")
        flooded = create_site(session, acme, SiteSettings("Flooded", ["flooded.example"]))
        ids = (acme.id, flooded.id)
    url, stop = served(app)
    try:
        with BeaconFlood(app, ids) as flood:
            for number in range(20):
                assert signs_in(url, ADMIN, PASSWORD), f"sign-in {number} failed"
                client = app.test_client()
                answer = client.post(
                    "/login",
                    data={
                        "email": ADMIN,
                        "password": PASSWORD,
                        "csrf_token": csrf(client, "/login"),
                    },
                )
                assert answer.status_code == 302, f"sign-in {number} failed"
                answer = client.post(
                    "/sites",
                    data={
                        "name": f"Site {number}",
                        "domains": f"site{number}.example",
                        "csrf_token": csrf(client, "/sites"),
                    },
                )
                assert answer.status_code == 302, answer.get_data(as_text=True)[:2000]
            batches = flood.batches
    finally:
        stop()
    assert flood.errors == []
    assert batches >= 20, "the beacons were not stored meanwhile"
    with app.app_context(), session_scope() as session:
        assert session.scalar(select(func.count()).select_from(Site)) == 21
