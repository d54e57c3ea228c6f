"""The embedded jobs backend: one background thread of the serving process.

Jobs run one at a time (SQLite has one writer anyway), each in a fresh app
context, with the same retry schedule as on RQ. A job that still fails after
its last retry is logged with its name and error and kept in `failures`.
"""

from __future__ import annotations

import heapq
import itertools
import logging
import threading
import time
import traceback
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from flask import Flask

from server.jobs.defaults import RECENT_FAILURES_KEPT
from server.storage.types import utcnow

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class JobCall:
    """A function, its plain arguments and the queue it belongs to."""

    func: Callable[..., Any]
    args: tuple[Any, ...]
    queue: str

    @property
    def name(self) -> str:
        return f"{self.func.__module__}.{self.func.__qualname__}"


@dataclass(frozen=True)
class JobFailure:
    """A job that failed for good, for display."""

    name: str
    queue: str
    error: str
    attempts: int
    failed_at: datetime


@dataclass(order=True)
class _Scheduled:
    due: float
    seq: int
    call: JobCall = field(compare=False)
    attempt: int = field(compare=False, default=1)


class InProcessRunner:
    """Run jobs in a daemon thread of this process, with retries."""

    def __init__(
        self, app: Flask, retry_intervals: Sequence[float], merge_window: float = 0.0
    ) -> None:
        self.app = app
        self.retry_intervals = tuple(retry_intervals)
        self.merge_window = merge_window
        self.failures: deque[JobFailure] = deque(maxlen=RECENT_FAILURES_KEPT)
        self.completed = 0
        self._heap: list[_Scheduled] = []
        self._seq = itertools.count()
        self._running = 0
        self._cond = threading.Condition()
        self._thread: threading.Thread | None = None

    def submit(self, call: JobCall) -> None:
        """Queue `call` to run as soon as the thread is free.

        A call of a job that merges its arguments (`@task(merges_arguments=True)`)
        joins a call of the same job still waiting, if any (the union of their
        ids, in order); else it waits `merge_window` seconds for others to join.
        """
        if getattr(call.func, "vigie_merges_arguments", False):
            with self._cond:
                for item in self._heap:
                    if item.call.func is call.func and item.attempt == 1:
                        merged = dict.fromkeys((*item.call.args, *call.args))
                        item.call = JobCall(call.func, tuple(merged), call.queue)
                        return
            due = time.monotonic() + self.merge_window
        else:
            due = time.monotonic()
        self._push(_Scheduled(due, next(self._seq), call))

    def drain(self, timeout: float = 60.0) -> bool:
        """Wait until no job is queued, running or waiting for a retry.

        Returns False if `timeout` passed first.
        """
        deadline = time.monotonic() + timeout
        with self._cond:
            while self._heap or self._running:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return False
                self._cond.wait(remaining)
        return True

    def pending(self) -> int:
        """Jobs queued or waiting for a retry."""
        with self._cond:
            return len(self._heap)

    def _push(self, item: _Scheduled) -> None:
        with self._cond:
            heapq.heappush(self._heap, item)
            self._ensure_thread()
            self._cond.notify_all()

    def _ensure_thread(self) -> None:
        if self._thread is None or not self._thread.is_alive():
            self._thread = threading.Thread(target=self._loop, name="vigie-jobs", daemon=True)
            self._thread.start()

    def _loop(self) -> None:
        while True:
            item = self._next_due()
            try:
                self._run(item)
            finally:
                with self._cond:
                    self._running -= 1
                    self._cond.notify_all()

    def _next_due(self) -> _Scheduled:
        with self._cond:
            while True:
                if self._heap:
                    wait = self._heap[0].due - time.monotonic()
                    if wait <= 0:
                        self._running += 1
                        return heapq.heappop(self._heap)
                    self._cond.wait(wait)
                else:
                    self._cond.wait()

    def _run(self, item: _Scheduled) -> None:
        call = item.call
        try:
            with self.app.app_context():
                call.func(*call.args)
        except Exception as error:  # noqa: BLE001 - a job's failure must not kill the runner
            self._failed(item, error)
        else:
            self.completed += 1

    def _failed(self, item: _Scheduled, error: Exception) -> None:
        call, attempt = item.call, item.attempt
        if attempt <= len(self.retry_intervals):
            delay = self.retry_intervals[attempt - 1]
            log.warning(
                "job %s failed (attempt %d, %s); retrying in %ss",
                call.name,
                attempt,
                type(error).__name__,
                delay,
            )
            self._push(_Scheduled(time.monotonic() + delay, next(self._seq), call, attempt + 1))
            return
        summary = "".join(traceback.format_exception_only(error)).strip()
        log.error("job %s failed after %d attempts: %s", call.name, attempt, summary)
        self.failures.append(JobFailure(call.name, call.queue, summary, attempt, utcnow()))
