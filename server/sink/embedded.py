"""The write path's first hop: the inbox, its sink and its writer.

    request → InboxSink (append, answer 202) → inbox → InboxWriter → database
                                                           └─ scale mode: → Redis Stream

Both modes queue an accepted record in the inbox (its process's spool file)
and answer; in scale mode the writer forwards batches to the Redis Stream
that `vigie ingest` consumers drain (`server.sink.forward`).

The writer is the ingest loop (`server.sink.consumer`) on the inbox. Where it
runs is the `INGEST_WRITER` setting:

* `thread` (the default): a thread of the serving process, started with the
  first accepted record (or at once if records wait from an earlier run).
  Several processes doing so share the inbox safely (entries are claimed).
* `external`: another process runs it; `vigie serve` sets this for its
  gunicorn workers and runs the one writer itself.

The inbox file is named after the database it feeds (beside a SQLite file),
so two apps on two databases never drain into each other's, and every
command on one database finds the same inbox.
"""

from __future__ import annotations

import hashlib
import logging
import threading
import time
from collections.abc import Sequence
from pathlib import Path

from flask import Flask
from sqlalchemy.engine import make_url

from server.records import Record, encode
from server.redis_client import redis_of
from server.sink import SinkError
from server.sink.consumer import BATCH_SIZE, Consumer, ConsumerStats, QueueLoop, store_and_close
from server.sink.forward import Forwarder
from server.sink.inbox import DeadLetter, Entry, Inbox, WriterLock

log = logging.getLogger(__name__)

EXTENSION = "vigie.inbox"
WRITER_EXTENSION = "vigie.inbox_writer"

IDLE_POLL = 0.05
"""Seconds an idle writer first waits before looking at the inbox again, unless woken."""

MAX_IDLE_POLL = 0.5
"""The longest it waits: each look that finds nothing doubles the wait up to
this (a look lists and reads the spool's segments), and an append in this
process, or entries found, bring it back to `IDLE_POLL`."""


def inbox_of(app: Flask) -> Inbox:
    """The app's inbox, opened on first use."""
    inbox = app.extensions.get(EXTENSION)
    if inbox is None:
        inbox = app.extensions[EXTENSION] = Inbox(inbox_path(app))
    return inbox


def inbox_path(app: Flask) -> Path:
    """`INBOX_PATH`; else beside a SQLite database file, named after it; else
    in the instance folder, named after the database URL."""
    configured = app.config.get("INBOX_PATH")
    if configured:
        return Path(configured)
    url = make_url(app.config["DATABASE_URL"])
    if url.get_backend_name() == "sqlite" and url.database not in (None, "", ":memory:"):
        database = Path(url.database)
        return database.with_name(f"{database.name}-inbox.sqlite")
    digest = hashlib.sha256(app.config["DATABASE_URL"].encode()).hexdigest()[:12]
    return Path(app.instance_path) / f"inbox-{digest}.sqlite"


class InboxSink:
    """Append records to the inbox; the writer stores them later."""

    def __init__(self, app: Flask) -> None:
        self.app = app

    def store(self, records: Sequence[Record]) -> None:
        try:
            inbox_of(self.app).append([encode(record) for record in records])
        except OSError as error:
            raise SinkError(f"inbox not writable ({type(error).__name__})") from error
        except Exception as error:  # sqlite3.Error: full disk, a broken file
            raise SinkError(f"inbox refused the records ({type(error).__name__})") from error
        writer = local_writer(self.app)
        if writer is not None:
            writer.wake()


class InboxSource:
    """The inbox as the ingest loop takes from it: only while this process
    holds the inbox's writer lock (one writer at a time)."""

    def __init__(self, inbox: Inbox, wake: threading.Event | None = None) -> None:
        self.inbox = inbox
        self.lock = WriterLock(inbox)
        self.wake = wake or threading.Event()
        self._idle = IDLE_POLL

    def take(self, limit: int) -> list[Entry]:
        entries = self.inbox.oldest(limit) if self.lock.acquire() else []
        if entries:
            self._idle = IDLE_POLL
            return entries
        woken = self.wake.wait(self._idle)
        self.wake.clear()
        self._idle = IDLE_POLL if woken else min(2 * self._idle, MAX_IDLE_POLL)
        return entries

    def done(self, ids: Sequence[str]) -> None:
        self.inbox.done(ids)

    def bury(self, entries: Sequence[tuple[Entry, str]]) -> None:
        self.inbox.bury(entries)

    def drained(self) -> bool:
        return self.inbox.waiting() == 0

    def dead_letters(self, limit: int = 100) -> list[DeadLetter]:
        return self.inbox.dead_letters(limit)

    def dead_count(self) -> int:
        return self.inbox.dead_count()

    def replay_dead(self, ids: Sequence[str] | None = None) -> int:
        return self.inbox.replay_dead(ids)

    def drop_dead(self, ids: Sequence[str] | None = None) -> int:
        return self.inbox.drop_dead(ids)

    def release(self) -> None:
        self.lock.release()


class InboxWriter:
    """The ingest loop on the app's inbox, in a thread of this process; in
    scale mode, the forwarder to the Redis Stream (`server.sink.forward`)."""

    def __init__(self, app: Flask, batch_size: int = BATCH_SIZE) -> None:
        self.app = app
        self.source = InboxSource(inbox_of(app))
        direct = Consumer(self.source, store_and_close, batch_size=batch_size)
        redis = redis_of(app)
        self.consumer: QueueLoop = (
            direct if redis is None else Forwarder(self.source, redis, direct)
        )
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    def start(self) -> None:
        with self._lock:
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name="vigie-ingest", daemon=True)
                self._thread.start()

    def wake(self) -> None:
        """Tell the writer records are waiting (called per beacon: no lock once running).

        A writer on standby (another process holds the inbox) is not woken: it
        looks for the lock on its own, every `MAX_IDLE_POLL` at the most, instead
        of once per beacon this process accepts."""
        if self._thread is None or not self._thread.is_alive():
            self.start()
        if self.source.lock.held:
            self.source.wake.set()

    def stop(self, timeout: float = 30.0) -> ConsumerStats:
        """Store what is waiting (for at most `timeout` seconds), then stop."""
        deadline = time.monotonic() + timeout
        while not self.source.drained() and time.monotonic() < deadline:
            self.wake()
            time.sleep(IDLE_POLL)
        self.consumer.stop()
        self.source.wake.set()
        if self._thread is not None:
            self._thread.join(timeout=max(0.0, deadline - time.monotonic()) + 5)
        self.source.release()
        return self.consumer.stats

    def _run(self) -> None:
        with self.app.app_context():
            while not self.consumer.stopping:
                try:
                    self.consumer.step()
                except Exception:
                    log.exception("ingest writer step failed; retrying")
                    time.sleep(1.0)


WRITER_STOP_TIMEOUT = 20.0
"""Seconds a serving process that stops gives its writer to drain the inbox
(within gunicorn's 30 s graceful timeout)."""


def stop_local_writer(app: object) -> None:
    """Drain and stop `app`'s writer thread, if this process started one (a
    gunicorn worker calls this as it exits): what it accepted is stored, or in
    scale mode on the stream, before it ends."""
    if isinstance(app, Flask):
        writer = app.extensions.get(WRITER_EXTENSION)
        if writer is not None:
            writer.stop(WRITER_STOP_TIMEOUT)


def local_writer(app: Flask) -> InboxWriter | None:
    """This process's writer thread, unless another process writes (`external`)."""
    if app.config.get("INGEST_WRITER", "thread") != "thread":
        return None
    writer = app.extensions.get(WRITER_EXTENSION)
    if writer is None:
        writer = app.extensions.setdefault(WRITER_EXTENSION, InboxWriter(app))
    return writer
