"""The jobs facade: `enqueue(func, *args, queue=…)`, the same call in both modes.

* Scale mode (`VIGIE_REDIS_URL` set): the call goes to an RQ queue.
* Embedded mode: the call runs in this process, in a background thread.

Either way, a call made while the context's database transaction is open waits
for that transaction: it is sent after `COMMIT` and forgotten on `ROLLBACK`, so
a job never sees rows that do not exist and never runs for work undone.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from flask import Flask, current_app
from redis.exceptions import RedisError
from sqlalchemy import event
from sqlalchemy.orm import Session, SessionTransaction

from server.jobs.defaults import RETRY_INTERVALS
from server.jobs.inprocess import InProcessRunner, JobCall
from server.jobs.redisqueue import RedisQueueBackend
from server.jobs.task import check_arguments, queue_of
from server.redis_client import redis_of
from server.storage import current_session, storage

log = logging.getLogger(__name__)

EXTENSION = "vigie.jobs"
_PENDING = "vigie.pending_jobs"


class Jobs:
    """The jobs backends of one app: RQ when configured, in-process always.

    The in-process runner also takes over when Redis refuses a job, so work
    committed in the database is never dropped for want of a queue.
    """

    def __init__(self, app: Flask) -> None:
        intervals = app.config.get("JOBS_RETRY_INTERVALS", RETRY_INTERVALS)
        redis = redis_of(app)
        self.rq: RedisQueueBackend | None = None
        if redis is not None:
            self.rq = RedisQueueBackend(redis, intervals)
        self.local = InProcessRunner(app, intervals, app.config["JOBS_MERGE_SECONDS"])

    @property
    def mode(self) -> str:
        return "rq" if self.rq else "in-process"

    def dispatch(self, call: JobCall) -> None:
        """Send `call` to its backend now."""
        if self.rq is not None:
            try:
                self.rq.submit(call)
                return
            except RedisError as error:
                log.warning(
                    "Redis refused job %s (%s); running it in this process",
                    call.name,
                    type(error).__name__,
                )
        self.local.submit(call)


def init_app(app: Flask) -> None:
    """Create the app's job backends and hook them to its sessions' commits."""
    app.extensions[EXTENSION] = jobs = Jobs(app)
    sessions = storage(app).sessions
    event.listen(sessions, "after_commit", lambda session: _flush(jobs, session))
    event.listen(sessions, "after_transaction_end", _forget_if_outer)


def jobs_of(app: Flask | None = None) -> Jobs:
    """The jobs backends of `app` (default: the current app)."""
    return (app or current_app).extensions[EXTENSION]


def enqueue(func: Callable[..., Any], *args: Any, queue: str | None = None) -> None:
    """Run `func(*args)` as a job on `queue` (default: the one its `@task` names).

    Deferred until the current transaction commits, if one is open.

    :raise TypeError: for an argument that is not a plain value.
    :raise ValueError: for an unknown queue.
    """
    check_arguments(func, args)
    call = JobCall(func, args, queue_of(func, queue))
    session = current_session()
    if session is not None and session.in_transaction():
        session.info.setdefault(_PENDING, []).append(call)
    else:
        jobs_of().dispatch(call)


def drain(app: Flask | None = None, timeout: float = 60.0) -> bool:
    """Wait for the in-process jobs of `app` to finish; False on timeout."""
    return jobs_of(app).local.drain(timeout)


def _flush(jobs: Jobs, session: Session) -> None:
    for call in session.info.pop(_PENDING, []):
        jobs.dispatch(call)


def _forget_if_outer(session: Session, transaction: SessionTransaction) -> None:
    """Drop calls left when the outermost transaction ends without a commit."""
    if transaction.parent is None:
        dropped = session.info.pop(_PENDING, [])
        if dropped:
            log.info("transaction rolled back; %d job(s) not sent", len(dropped))
