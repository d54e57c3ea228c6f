"""Storage: schema, migrations, SQLite settings, and the periodic data chores."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import func, inspect, select, text
from sqlalchemy.exc import IntegrityError

from server.storage import session_scope, storage
from server.storage.migrate import current_revision, head_revision, upgrade
from server.storage.models import (
    Account,
    CountReceipt,
    DailySalt,
    Event,
    Organisation,
    ScoreSnapshot,
    Site,
    Visit,
)
from server.storage.retention import purge_before
from server.storage.salts import rotate_salts, salt_for
from server.storage.snapshots import record_snapshots


def test_models_and_migrations_agree(app):
    """Autogenerate finds no difference between the models and the migrated schema."""
    engine = storage(app).engine
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        differences = compare_metadata(context, _metadata())
    assert differences == []
    assert current_revision(engine) == head_revision()


def _metadata():
    from server.storage.models import Base

    return Base.metadata


def test_upgrade_twice_is_a_no_op(app):
    """Running the migrations on an up-to-date database changes nothing."""
    before, after = upgrade(storage(app).engine)
    assert before == after == head_revision()


def test_dashboard_indexes_exist(app):
    """The accounts list is served by (organisation, score) and (organisation, last seen)."""
    indexes = {
        tuple(index["column_names"])
        for index in inspect(storage(app).engine).get_indexes("accounts")
    }
    assert ("org_id", "score") in indexes
    assert ("org_id", "last_seen") in indexes


def test_sqlite_runs_in_wal_mode_with_foreign_keys(sqlite_app):
    with storage(sqlite_app).engine.connect() as connection:
        assert connection.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert connection.execute(text("PRAGMA foreign_keys")).scalar() == 1


def test_foreign_keys_are_enforced(app):
    """A site of a missing organisation is refused on both backends."""
    with (
        app.app_context(),
        pytest.raises(IntegrityError, match="(?i)foreign key"),
        session_scope() as session,
    ):
        session.add(Site(org_id=999, name="x", public_key="k", domains=["x.com"]))


def test_times_come_back_as_aware_utc(app):
    paris = datetime(2026, 3, 1, 12, 0, tzinfo=UTC).astimezone()
    with app.app_context(), session_scope() as session:
        session.add(Organisation(name="Acme", created_at=paris))
    with app.app_context(), session_scope() as session:
        stored = session.scalar(select(Organisation.created_at))
    assert stored == paris
    assert stored.tzinfo is not None and stored.utcoffset() == timedelta(0)


def test_salts_rotate_and_expire(app):
    """Today's and tomorrow's salts exist; salts older than yesterday are gone."""
    today = date(2026, 5, 10)
    with app.app_context(), session_scope() as session:
        old = salt_for(session, today - timedelta(days=2))
        yesterday = salt_for(session, today - timedelta(days=1))
        deleted = rotate_salts(session, today)
    with app.app_context(), session_scope() as session:
        days = set(session.scalars(select(DailySalt.day)))
        assert salt_for(session, today - timedelta(days=1)) == yesterday
    assert deleted == 1
    assert days == {today - timedelta(days=1), today, today + timedelta(days=1)}
    assert old != yesterday and len(old) == 32


def _site_with_events(session, times):
    organisation = Organisation(name="Acme")
    session.add(organisation)
    session.flush()
    site = Site(org_id=organisation.id, name="acme", public_key="k1", domains=["acme.com"])
    session.add(site)
    session.flush()
    for number, when in enumerate(times):
        visit = Visit(site_id=site.id, visitor_hash="h", started_at=when, last_event_at=when)
        session.add(visit)
        session.flush()
        session.add(
            Event(
                event_id=f"e{number}",
                site_id=site.id,
                visit_id=visit.id,
                occurred_at=when,
                type="pageview",
                path="/",
                visitor_hash="h",
            )
        )
    return organisation


def test_retention_purge_keeps_recent_rows(app):
    now = datetime(2026, 6, 1, tzinfo=UTC)
    times = [now - timedelta(days=400), now - timedelta(days=396), now - timedelta(days=10)]
    with app.app_context(), session_scope() as session:
        _site_with_events(session, times)
    with app.app_context(), session_scope() as session:
        events, visits = purge_before(session, now - timedelta(days=395))
        remaining = session.scalars(select(Event.occurred_at)).all()
    assert (events, visits) == (2, 2)
    assert remaining == [times[2]]


def test_retention_purge_forgets_old_count_receipts(app):
    """A count's receipt is kept a couple of days, long enough to recognise it
    delivered again, then goes with the periodic purge."""
    now = datetime(2026, 6, 1, tzinfo=UTC)
    with app.app_context(), session_scope() as session:
        for receipt, age in (("old", timedelta(days=3)), ("recent", timedelta(hours=30))):
            session.add(CountReceipt(id=receipt, received_at=now - age))
    with app.app_context(), session_scope() as session:
        purge_before(session, now - timedelta(days=395), now)
        assert session.scalars(select(CountReceipt.id)).all() == ["recent"]


def test_snapshots_record_each_account_once_per_day(app):
    day = date(2026, 6, 1)
    with app.app_context(), session_scope() as session:
        organisation = _site_with_events(session, [])
        for key, score in (("a.com", 70), ("b.com", 10)):
            session.add(
                Account(
                    org_id=organisation.id,
                    key=key,
                    name=key,
                    score=score,
                    fit=score / 2,
                    engagement=score / 2,
                    tier="hot" if score > 60 else "cold",
                )
            )
    with app.app_context(), session_scope() as session:
        assert record_snapshots(session, day) == 2
        session.execute(Account.__table__.update().values(score=99))
        assert record_snapshots(session, day) == 2
    with app.app_context(), session_scope() as session:
        rows = session.execute(select(ScoreSnapshot.day, ScoreSnapshot.score)).all()
        count = session.scalar(select(func.count()).select_from(ScoreSnapshot))
    assert count == 2
    assert {tuple(row) for row in rows} == {(day, 99)}


def test_the_pool_keeps_the_configured_connections_open(make_app, postgres_url):
    """VIGIE_DATABASE_POOL_SIZE connections stay open between uses; those opened
    beyond it at a busy moment (VIGIE_DATABASE_MAX_OVERFLOW) are closed after use."""
    app = make_app(postgres_url, DATABASE_POOL_SIZE=1, DATABASE_MAX_OVERFLOW=2)
    engine = storage(app).engine
    connections = [engine.connect() for _ in range(3)]
    assert engine.pool.checkedout() == 3
    for connection in connections:
        connection.close()
    assert engine.pool.checkedin() == 1
