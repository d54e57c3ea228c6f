"""Writing the records of concurrent requests together.

Each request hands its records to one writer thread of its process and waits
until they are written (so a 202 still means "queued durably", and a failure
still answers 503). The writer takes everything waiting, up to `MAX_BATCH`
records, and writes it in one go: one pipelined round trip to Redis, or one
transaction in the inbox file. It never waits for company: alone, a request
is written at once; under load, the batches grow by themselves.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from server.records import Record
from server.sink import SinkError

log = logging.getLogger(__name__)

MAX_BATCH = 500
"""Records written together at most."""

STORE_TIMEOUT = 30.0
"""A request gives up (503) if its records are not written by then."""

Write = Callable[[Sequence[Record]], None]


@dataclass
class _Ticket:
    records: Sequence[Record]
    done: threading.Event = field(default_factory=threading.Event)
    error: str | None = None


class GroupWriter:
    """A sink that writes the records of concurrent requests with one `write` call."""

    def __init__(self, write: Write, name: str, max_batch: int = MAX_BATCH) -> None:
        self.write = write
        self.name = name
        self.max_batch = max_batch
        self._waiting: queue.SimpleQueue[_Ticket] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._start_lock = threading.Lock()

    def store(self, records: Sequence[Record]) -> None:
        ticket = _Ticket(records)
        self._ensure_thread()
        self._waiting.put(ticket)
        if not ticket.done.wait(STORE_TIMEOUT):
            raise SinkError(f"{self.name}: write timed out")
        if ticket.error:
            raise SinkError(ticket.error)

    def _ensure_thread(self) -> None:
        if self._thread is not None and self._thread.is_alive():
            return
        with self._start_lock:
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name=self.name, daemon=True)
                self._thread.start()

    def _run(self) -> None:
        while True:
            self._write(self._collect())

    def _collect(self) -> list[_Ticket]:
        batch = [self._waiting.get()]
        size = len(batch[0].records)
        while size < self.max_batch:
            try:
                ticket = self._waiting.get_nowait()
            except queue.Empty:
                break
            batch.append(ticket)
            size += len(ticket.records)
        return batch

    def _write(self, batch: list[_Ticket]) -> None:
        error = None
        try:
            self.write([record for ticket in batch for record in ticket.records])
        except SinkError as problem:
            error = str(problem)
        except Exception as problem:  # the writer must outlive any batch: 503, not a hang
            error = f"{self.name}: unexpected {type(problem).__name__}"
            log.exception("%d record(s) not written", sum(len(t.records) for t in batch))
        for ticket in batch:
            ticket.error = error
            ticket.done.set()
