"""Sessionisation, account aggregates and idempotence of the one write path."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from server.records import CollectedEvent, CompanyFacts, TrafficCountDelta
from server.storage import session_scope
from server.storage.ingest import ingest
from server.storage.models import Account, Event, Site, TrafficCount, Visit
from tests.support.factories import make_site

T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
ACME = CompanyFacts(key="acme.fr", name="Acme", domain="acme.fr", network="81.2.69.0/24")


def setup_site(app):
    return make_site(app, "k", domains=("s.fr",))


def event(ids, number, minutes, path="/", visitor="v1", company=ACME, **fields):
    org_id, site_id = ids
    return CollectedEvent(
        event_id=f"e{number}",
        site_id=site_id,
        org_id=org_id,
        occurred_at=T0 + timedelta(minutes=minutes),
        type=fields.pop("type", "pageview"),
        path=path,
        visitor_hash=visitor,
        connection_class="business",
        device_class="desktop",
        browser_family="Chrome",
        company=company,
        **fields,
    )


def store(app, records, now=T0 + timedelta(days=1)):
    with app.app_context(), session_scope() as session:
        return ingest(session, records, now)


def all_rows(app, model):
    with app.app_context(), session_scope() as session:
        found = session.scalars(select(model)).all()
        session.expunge_all()
        return found


def test_thirty_minutes_of_inactivity_ends_a_visit(app):
    ids = setup_site(app)
    store(app, [event(ids, 1, 0), event(ids, 2, 29, "/pricing")])
    store(app, [event(ids, 3, 58, "/demo")])
    store(app, [event(ids, 4, 89, "/later")])
    visits = sorted(all_rows(app, Visit), key=lambda v: v.started_at)
    assert [(v.pageviews, v.entry_path) for v in visits] == [(3, "/"), (1, "/later")]


def test_visitors_are_visits_of_their_own(app):
    ids = setup_site(app)
    store(app, [event(ids, 1, 0, visitor="a"), event(ids, 2, 1, visitor="b")])
    assert len(all_rows(app, Visit)) == 2


def test_account_aggregates(app):
    ids = setup_site(app)
    store(
        app,
        [
            event(ids, 1, 0, "/pricing"),
            event(ids, 2, 5, "/pricing"),
            event(ids, 3, 6, "/demo"),
            event(ids, 4, 60 * 24 * 3, "/pricing", visitor="v2"),
            event(ids, 5, 60 * 24 * 3 + 1, type="engagement", engaged_ms=1200, visitor="v2"),
            event(ids, 6, -60 * 24 * 40, "/old"),
        ],
        now=T0 + timedelta(days=4),
    )
    [account] = all_rows(app, Account)
    assert account.visits_30d == 2 and account.active_days_30d == 2
    assert account.pageviews_total == 5
    assert account.top_pages == ["/pricing", "/demo"]
    assert account.first_seen == T0 - timedelta(days=40)
    assert account.last_seen == T0 + timedelta(days=3, minutes=1)


def test_same_batch_twice_stores_nothing_twice(app):
    ids = setup_site(app)
    batch = [event(ids, 1, 0), event(ids, 2, 1), TrafficCountDelta(ids[1], T0.date(), "isp", 3)]
    first = store(app, batch)
    second = store(app, batch[:2])
    assert (first.stored, second.stored, second.duplicates) == (2, 0, 2)
    assert len(all_rows(app, Event)) == 2 and len(all_rows(app, Visit)) == 1
    assert first.new_account_ids == [all_rows(app, Account)[0].id] and second.new_account_ids == []


def test_events_without_a_company_have_no_account(app):
    ids = setup_site(app)
    store(app, [event(ids, 1, 0, company=None)])
    [stored] = all_rows(app, Event)
    assert stored.account_id is None and all_rows(app, Account) == []


def test_counts_add_up(app):
    ids = setup_site(app)
    day = T0.date()
    store(app, [TrafficCountDelta(ids[1], day, "bot"), TrafficCountDelta(ids[1], day, "bot")])
    store(app, [TrafficCountDelta(ids[1], day, "bot", 5)])
    [count] = all_rows(app, TrafficCount)
    assert count.count == 7


def test_a_site_knows_when_its_snippet_last_sent_something(app):
    ids = setup_site(app)
    assert all_rows(app, Site)[0].last_event_at is None
    store(app, [TrafficCountDelta(site_id=ids[1], day=T0.date(), kind="isp")], now=T0)
    assert all_rows(app, Site)[0].last_event_at == T0  # a home visitor proves the snippet too
    store(app, [event(ids, 1, 30)])
    assert all_rows(app, Site)[0].last_event_at == T0 + timedelta(minutes=30)
    store(app, [event(ids, 2, 5)])  # a late beacon does not move it back
    assert all_rows(app, Site)[0].last_event_at == T0 + timedelta(minutes=30)


def test_records_of_a_deleted_site_do_not_fail_the_batch(app):
    """A collector that still knew a deleted site cannot make the others' events fail."""
    ids = setup_site(app)
    gone = make_site(app, "gone", domains=("gone.fr",), organisation="Gone")
    with app.app_context(), session_scope() as session:
        session.delete(session.get(Site, gone[1]))
    day = T0.date()
    store(app, [event(gone, 1, 0), TrafficCountDelta(gone[1], day, "bot"), event(ids, 2, 1)])
    assert [row.event_id for row in all_rows(app, Event)] == ["e2"]
    assert all_rows(app, TrafficCount) == []
