"""Periodic jobs: declared once, run by RQ's cron or by the embedded scheduler."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from server.jobs import drain, enqueue, jobs_of
from server.jobs.schedule import PERIODIC_JOBS, EmbeddedScheduler, build_cron_scheduler
from server.storage import session_scope
from server.storage.models import DailySalt, Event, Organisation, Site
from server.storage.types import utcnow


def salt_days(app):
    with app.app_context(), session_scope() as session:
        return set(session.scalars(select(DailySalt.day)))


def test_every_periodic_job_is_registered_with_rq_cron(redis_conn):
    scheduler = build_cron_scheduler(redis_conn)
    registered = {(job.func_name, job.queue_name, job.cron) for job in scheduler.get_jobs()}
    assert registered == {
        ("server.jobs.maintenance.rotate_daily_salts", "maintenance", "0 * * * *"),
        ("server.jobs.maintenance.record_daily_scores", "score", "15 0 * * *"),
        ("server.jobs.maintenance.purge_expired_events", "maintenance", "30 3 * * *"),
        ("server.jobs.enrichment.refresh_stale_accounts", "enrich", "0 4 * * *"),
        ("server.jobs.crm.resync_crm_accounts", "alerts", "45 4 * * *"),
        ("server.jobs.alerts.send_held_alerts", "alerts", "*/5 * * * *"),
        ("server.jobs.alerts.check_alert_rules", "alerts", "*/15 * * * *"),
        ("server.jobs.alerts.send_digests", "alerts", "0 7 * * *"),
        ("server.jobs.alerts.announce_account_changes", "alerts", "*/5 * * * *"),
        ("server.jobs.webhooks.retry_webhook_deliveries", "alerts", "* * * * *"),
    }


def test_embedded_scheduler_submits_jobs_when_due(sqlite_app):
    runner = jobs_of(sqlite_app).local
    # The maintenance jobs alone: alert and webhook jobs run every few minutes.
    daily = tuple(job for job in PERIODIC_JOBS if job.queue in ("maintenance", "score", "enrich"))
    scheduler = EmbeddedScheduler(runner, daily)
    start = datetime(2026, 5, 10, 23, 50, tzinfo=UTC)
    scheduler.plan(start)
    assert scheduler.run_due(start) == []
    assert scheduler.seconds_to_next(start) == 600
    assert scheduler.run_due(start + timedelta(minutes=10)) == ["rotate_daily_salts"]
    assert sorted(scheduler.run_due(start + timedelta(hours=4, minutes=10))) == [
        "purge_expired_events",
        "record_daily_scores",
        "refresh_stale_accounts",
        "rotate_daily_salts",
    ]
    assert drain(sqlite_app, timeout=10)
    assert runner.completed == 5 and not runner.failures
    today = utcnow().date()
    assert salt_days(sqlite_app) == {today, today + timedelta(days=1)}


def test_embedded_scheduler_rotates_salts_at_start(sqlite_app):
    scheduler = EmbeddedScheduler(jobs_of(sqlite_app).local)
    scheduler.start()
    scheduler.stop()
    assert drain(sqlite_app, timeout=10)
    assert utcnow().date() in salt_days(sqlite_app)


def test_maintenance_jobs_run_on_a_real_rq_worker(make_app, db_url, redis_url, rq_worker):
    app = make_app(db_url, REDIS_URL=redis_url, SECRET_KEY="s", RETENTION_DAYS=30)
    old = utcnow() - timedelta(days=31)
    with app.app_context(), session_scope() as session:
        organisation = Organisation(name="Acme")
        session.add(organisation)
        session.flush()
        site = Site(org_id=organisation.id, name="a", public_key="k", domains=["a.com"])
        session.add(site)
        session.flush()
        session.add(
            Event(
                event_id="old",
                site_id=site.id,
                occurred_at=old,
                type="pageview",
                path="/",
                visitor_hash="h",
            )
        )
    with app.app_context():
        for job in PERIODIC_JOBS:
            enqueue(job.func)
    rq_worker(app)
    with app.app_context(), session_scope() as session:
        assert session.scalars(select(Event.event_id)).all() == []
    assert utcnow().date() in salt_days(app)
