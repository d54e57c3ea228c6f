"""Group commit for the embedded sink: many requests, one transaction.

Each request hands its records to a writer thread and waits until they are
committed (so a 202 still means "stored", and a failure still answers 503).
The writer takes what is waiting, up to `MAX_BATCH` records or `MAX_WAIT`
seconds after the first, and stores it all in one transaction. Under load the
cost of a transaction is shared by a whole batch; alone, a request waits at
most `MAX_WAIT`.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field

from flask import Flask
from sqlalchemy.exc import SQLAlchemyError

from server.records import Record
from server.sink import SinkError
from server.sink.direct import store_records
from server.storage import close_session

log = logging.getLogger(__name__)

MAX_BATCH = 500
"""Records stored per transaction at most."""

MAX_WAIT = 0.005
"""Seconds the writer waits for company after the first waiting request."""

STORE_TIMEOUT = 30.0
"""A request gives up (503) if its records are not committed by then."""


@dataclass
class _Ticket:
    records: Sequence[Record]
    done: threading.Event = field(default_factory=threading.Event)
    error: str | None = None


class GroupCommitSink:
    """The embedded sink, with requests' records committed together."""

    def __init__(self, app: Flask, max_batch: int = MAX_BATCH, max_wait: float = MAX_WAIT) -> None:
        self.app = app
        self.max_batch = max_batch
        self.max_wait = max_wait
        self._waiting: queue.Queue[_Ticket] = queue.Queue()
        self._thread: threading.Thread | None = None
        self._start_lock = threading.Lock()

    def store(self, records: Sequence[Record]) -> None:
        ticket = _Ticket(records)
        self._ensure_writer()
        self._waiting.put(ticket)
        if not ticket.done.wait(STORE_TIMEOUT):
            raise SinkError("database write timed out")
        if ticket.error:
            raise SinkError(ticket.error)

    def _ensure_writer(self) -> None:
        if self._thread is not None and self._thread.is_alive():
            return
        with self._start_lock:
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name="vigie-writer", daemon=True)
                self._thread.start()

    def _run(self) -> None:
        while True:
            batch = self._collect()
            self._write(batch)

    def _collect(self) -> list[_Ticket]:
        batch = [self._waiting.get()]
        size = len(batch[0].records)
        deadline = time.monotonic() + self.max_wait
        while size < self.max_batch:
            remaining = deadline - time.monotonic()
            try:
                ticket = (
                    self._waiting.get(timeout=remaining)
                    if remaining > 0
                    else self._waiting.get_nowait()
                )
            except queue.Empty:
                break
            batch.append(ticket)
            size += len(ticket.records)
        return batch

    def _write(self, batch: list[_Ticket]) -> None:
        records = [record for ticket in batch for record in ticket.records]
        error = None
        with self.app.app_context():
            try:
                store_records(records)
            except SQLAlchemyError as problem:
                error = f"database write failed ({type(problem).__name__})"
                log.error("batch of %d record(s) not stored: %s", len(records), error)
            except Exception as problem:  # the writer must outlive any batch: 503, not a hang
                error = f"unexpected {type(problem).__name__}"
                log.exception("batch of %d record(s) not stored: %s", len(records), error)
            finally:
                close_session()
        for ticket in batch:
            ticket.error = error
            ticket.done.set()
