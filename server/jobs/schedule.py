"""Periodic jobs, declared once for both modes.

Scale mode: `vigie cron` runs RQ's own `CronScheduler` with these entries.
Embedded mode: `EmbeddedScheduler`, a thread of `vigie serve`, submits them to
the in-process runner at the same times. Times are cron expressions in UTC.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from croniter import croniter
from redis import Redis
from rq.cron import CronScheduler

from server.jobs.alerts import (
    announce_account_changes,
    check_alert_rules,
    send_digests,
    send_held_alerts,
)
from server.jobs.crm import resync_crm_accounts
from server.jobs.enrichment import refresh_stale_accounts
from server.jobs.inprocess import InProcessRunner, JobCall
from server.jobs.maintenance import purge_expired_events, record_daily_scores, rotate_daily_salts
from server.jobs.task import queue_of
from server.jobs.webhooks import retry_webhook_deliveries
from server.storage.types import utcnow

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Periodic:
    """A job function and when it runs (a cron expression, UTC)."""

    func: Callable[..., Any]
    cron: str

    @property
    def queue(self) -> str:
        return queue_of(self.func)

    @property
    def name(self) -> str:
        return self.func.__name__


PERIODIC_JOBS: tuple[Periodic, ...] = (
    # Hourly, so a missed midnight never leaves a day without its salt.
    Periodic(rotate_daily_salts, "0 * * * *"),
    Periodic(record_daily_scores, "15 0 * * *"),
    Periodic(purge_expired_events, "30 3 * * *"),
    Periodic(refresh_stale_accounts, "0 4 * * *"),
    # Alerts and signed webhooks (server/alerts, server/webhooks).
    Periodic(send_held_alerts, "*/5 * * * *"),
    Periodic(check_alert_rules, "*/15 * * * *"),
    Periodic(send_digests, "0 7 * * *"),
    Periodic(announce_account_changes, "*/5 * * * *"),
    Periodic(retry_webhook_deliveries, "* * * * *"),
    # Accounts whose score changed since their last push to a CRM.
    Periodic(resync_crm_accounts, "45 4 * * *"),
)


def build_cron_scheduler(connection: Redis) -> CronScheduler:
    """RQ's cron scheduler with every periodic job registered."""
    scheduler = CronScheduler(connection=connection, name="vigie-cron")
    for job in PERIODIC_JOBS:
        scheduler.register(job.func, job.queue, cron=job.cron, name=job.name)
    return scheduler


class EmbeddedScheduler:
    """Submit periodic jobs to the in-process runner when they fall due."""

    def __init__(self, runner: InProcessRunner, jobs: tuple[Periodic, ...] = PERIODIC_JOBS):
        self.runner = runner
        self.jobs = jobs
        self._next: dict[str, datetime] = {}
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self, now: datetime | None = None) -> None:
        """Run salt rotation at once, then every job on its schedule, in a thread."""
        self.plan(now or utcnow())
        self.runner.submit(JobCall(rotate_daily_salts, (), queue_of(rotate_daily_salts)))
        self._thread = threading.Thread(target=self._loop, name="vigie-cron", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()

    def plan(self, now: datetime) -> None:
        """Compute the next run of every job after `now`."""
        for job in self.jobs:
            self._next[job.name] = croniter(job.cron, now).get_next(datetime)

    def run_due(self, now: datetime) -> list[str]:
        """Submit every job due at `now`, plan its next run; return their names."""
        due = [job for job in self.jobs if self._next[job.name] <= now]
        for job in due:
            self.runner.submit(JobCall(job.func, (), job.queue))
            self._next[job.name] = croniter(job.cron, now).get_next(datetime)
        return [job.name for job in due]

    def seconds_to_next(self, now: datetime) -> float:
        return max(0.0, min((when - now).total_seconds() for when in self._next.values()))

    def _loop(self) -> None:
        while not self._stop.wait(min(self.seconds_to_next(utcnow()), 60.0)):
            for name in self.run_due(utcnow()):
                log.info("periodic job %s submitted", name)
