"""The one ingest loop: take accepted records from a queue, store them in batches.

`vigie ingest` runs it on the Redis Stream (scale mode) or on the inbox file
(embedded); the embedded writer thread of `vigie serve` runs the same loop.

A batch is stored in one transaction and removed from its queue only after
the commit. When the database refuses a batch:

* for a passing reason (the database is down, busy or a deadlock chose this
  transaction), the same batch is tried again after `RETRY_PAUSE`;
* for a reason of the data (a value the column cannot hold, a broken record),
  the batch is split in halves until the entries at fault are alone; those go
  to the dead letters with their reason, everything else is stored.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

import msgspec
from sqlalchemy.exc import DBAPIError, DisconnectionError, OperationalError, TimeoutError

from server.after_store import store_batch
from server.records import Record, decode
from server.sink.inbox import DeadLetter, Entry
from server.storage import close_session
from server.storage.ingest import IngestResult

log = logging.getLogger(__name__)

BATCH_SIZE = 500
"""Entries stored per transaction at most by the embedded writer: on SQLite a
batch holds the write lock, which a dashboard form may be waiting for."""

RETRY_PAUSE = 1.0
"""Seconds to wait after the database refused a batch for a passing reason."""

PASSING_ERRORS = (OperationalError, DisconnectionError, TimeoutError)
"""Database errors that say nothing about the data: retry the same batch."""

Store = Callable[[Sequence[Record]], IngestResult]


class Source(Protocol):
    """A queue of encoded records that the ingest loop drains."""

    def take(self, limit: int) -> list[Entry]:
        """Up to `limit` entries to store, oldest first; may wait a little for some."""

    def done(self, ids: Sequence[str]) -> None:
        """Forget entries that are stored."""

    def bury(self, entries: Sequence[tuple[Entry, str]]) -> None:
        """Move entries that cannot be stored to the dead letters, with a reason."""

    def drained(self) -> bool:
        """Whether nothing is waiting, taken or not."""

    def dead_letters(self, limit: int = 100) -> list[DeadLetter]: ...

    def dead_count(self) -> int: ...

    def replay_dead(self, ids: Sequence[str] | None = None) -> int: ...

    def drop_dead(self, ids: Sequence[str] | None = None) -> int: ...


@dataclass
class ConsumerStats:
    """What a queue loop did: batches handled, events stored, duplicates
    skipped, entries sent to the dead letters, batches tried again."""

    batches: int = 0
    stored: int = 0
    duplicates: int = 0
    dead: int = 0
    retries: int = 0


class PassingFailure(Exception):
    """The database refused a batch for a reason that is not the data's."""


class QueueLoop:
    """Steps over a queue (`source`) that another thread may stop, counting
    what they did in `stats`: the ingest loop, and scale mode's forwarder."""

    def __init__(self, source: Source) -> None:
        self.source = source
        self.stats = ConsumerStats()
        self._stop = threading.Event()

    def stop(self) -> None:
        self._stop.set()

    @property
    def stopping(self) -> bool:
        return self._stop.is_set()

    def run(self, burst: bool = False) -> ConsumerStats:
        """Step until stopped (or, with `burst`, until nothing is left)."""
        while not self._stop.is_set():
            if not self.step() and burst and self.source.drained():
                break
        return self.stats

    def step(self) -> bool:
        """Handle one batch if there is one; return whether there was."""
        raise NotImplementedError


class Consumer(QueueLoop):
    """Drain `source` into the database through `store` (inside an app context)."""

    def __init__(
        self,
        source: Source,
        store: Store,
        batch_size: int = BATCH_SIZE,
        retry_pause: float = RETRY_PAUSE,
    ) -> None:
        super().__init__(source)
        self.store = store
        self.batch_size = batch_size
        self.retry_pause = retry_pause

    def step(self) -> bool:
        """Store one batch if there is one; return whether there was."""
        entries = self.source.take(self.batch_size)
        if not entries:
            return False
        try:
            self.handle(entries)
        except PassingFailure as failure:
            self.stats.retries += 1
            log.error("batch of %d not stored (%s); will retry", len(entries), failure)
            self._stop.wait(self.retry_pause)
        return True

    def handle(self, entries: Sequence[Entry]) -> None:
        """Store `entries`, burying those that cannot be decoded or stored."""
        decoded: list[tuple[Entry, Record]] = []
        undecodable: list[tuple[Entry, str]] = []
        for entry in entries:
            try:
                decoded.append((entry, decode(entry.payload)))
            except (msgspec.DecodeError, msgspec.ValidationError) as error:
                undecodable.append((entry, f"undecodable: {error}"))
        if undecodable:
            self._bury(undecodable)
        if decoded:
            self._store_or_split(decoded)

    def _store_or_split(self, batch: Sequence[tuple[Entry, Record]]) -> None:
        try:
            result = self.store([record for _, record in batch])
        except PASSING_ERRORS as error:
            raise PassingFailure(type(error).__name__) from error
        except Exception as error:  # noqa: BLE001 - the data's fault: find the entries at fault
            if len(batch) == 1:
                self._bury([(batch[0][0], describe(error))])
                return
            middle = len(batch) // 2
            self._store_or_split(batch[:middle])
            self._store_or_split(batch[middle:])
            return
        self.source.done([entry.id for entry, _ in batch])
        self.stats.batches += 1
        self.stats.stored += result.stored
        self.stats.duplicates += result.duplicates

    def _bury(self, entries: Sequence[tuple[Entry, str]]) -> None:
        self.source.bury(entries)
        self.stats.dead += len(entries)
        log.warning(
            "%d entr(ies) moved to the dead letters: %s",
            len(entries),
            "; ".join(sorted({reason for _, reason in entries}))[:300],
        )


def store_and_close(records: Sequence[Record]) -> IngestResult:
    """Store one batch in the app context's session, then close that session."""
    try:
        return store_batch(records)
    finally:
        close_session()


def describe(error: BaseException) -> str:
    """The reason a record was refused, short and without the statement's values."""
    if isinstance(error, DBAPIError) and error.orig is not None:
        first_line = str(error.orig).strip().splitlines()[0] if str(error.orig).strip() else ""
        return f"{type(error.orig).__name__}: {first_line}"[:300]
    text = str(error).strip().splitlines()
    return f"{type(error).__name__}: {text[0] if text else ''}"[:300]
