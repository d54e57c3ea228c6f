"""The scale-mode jobs backend: RQ queues on Redis, and the worker that runs them.

Each job gets RQ's `Retry` with Vigie's backoff, a timeout and a failure TTL,
so failed jobs stay visible in RQ's failed registry (`vigie jobs`).
`VigieWorker` runs every job inside an app context of the worker's app.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from flask import Flask
from redis import Redis
from rq import Queue, Retry, Worker
from rq.job import Job
from rq.registry import FailedJobRegistry, ScheduledJobRegistry, StartedJobRegistry

from server.jobs.defaults import FAILURE_TTL, JOB_TIMEOUT, QUEUES
from server.jobs.inprocess import JobCall


class RedisQueueBackend:
    """Put job calls on RQ queues."""

    def __init__(self, connection: Redis, retry_intervals: Sequence[int]) -> None:
        self.connection = connection
        self.retry_intervals = [int(seconds) for seconds in retry_intervals]

    def queue(self, name: str) -> Queue:
        return Queue(name, connection=self.connection)

    def submit(self, call: JobCall) -> Job:
        """Enqueue `call`; raise redis' `ConnectionError` when Redis is down."""
        retry = (
            Retry(max=len(self.retry_intervals), interval=self.retry_intervals)
            if self.retry_intervals
            else None
        )
        return self.queue(call.queue).enqueue(
            call.func,
            *call.args,
            retry=retry,
            job_timeout=JOB_TIMEOUT,
            failure_ttl=FAILURE_TTL,
        )

    def status(self) -> list[dict[str, Any]]:
        """Per queue: jobs waiting, running, scheduled for a retry, and failed."""
        rows = []
        for name in QUEUES:
            queue = self.queue(name)
            rows.append(
                {
                    "queue": name,
                    "queued": queue.count,
                    "started": StartedJobRegistry(queue=queue).count,
                    "scheduled": ScheduledJobRegistry(queue=queue).count,
                    "failed": FailedJobRegistry(queue=queue).count,
                }
            )
        return rows

    def failed_jobs(self, limit: int = 20) -> list[dict[str, Any]]:
        """The most recent failed jobs of every queue, with their last error line."""
        failed = []
        for name in QUEUES:
            registry = FailedJobRegistry(queue=self.queue(name))
            for job in Job.fetch_many(registry.get_job_ids(0, limit - 1), self.connection):
                if job is None:
                    continue
                result = job.latest_result()
                assert result is not None  # RQ records it with the failure, kept as long
                last_line = (result.exc_string or "").strip().splitlines()
                failed.append(
                    {
                        "queue": name,
                        "job": job.func_name,
                        "id": job.id,
                        "ended_at": job.ended_at,
                        "error": last_line[-1] if last_line else "",
                    }
                )
        return failed


class VigieWorker(Worker):
    """An RQ worker that runs each job in an app context of `app`."""

    def __init__(self, *args: Any, app: Flask, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.app = app

    def perform_job(self, job: Job, queue: Queue, execution: Any) -> bool:
        with self.app.app_context():
            return super().perform_job(job, queue, execution)
