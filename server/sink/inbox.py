"""The embedded queue: accepted records kept apart from the main database.

The collector appends each accepted record to the inbox's spool (a segment
file per serving process, `server.sink.spool`) and answers; the ingest writer
(`server.sink.consumer`) takes them out in batches and stores them in the
main database. Neither shares a lock with the other or with the main
database, so a request never waits for sessionisation, aggregates, the writer
or a dashboard form.

The inbox's SQLite file (WAL mode, `synchronous=NORMAL`) belongs to the
writer: how far each spool segment is stored, the dead letters, and the
dead letters queued again (`replay_dead`), which are taken first.

One writer at a time drains an inbox: it holds an exclusive lock on a file
beside it (`flock`), which the system releases when the writer's process
ends, however it ends. The writer reads the oldest entries, stores them and
only then marks them stored, so a writer killed mid-batch leaves them for
the next one (the main database skips events it already has, and counts
carry a receipt). An entry
that cannot be stored goes to the dead letters with its reason, where
`vigie ingest --dead` lists it and `--replay-dead` or `--drop-dead` act on it.
"""

from __future__ import annotations

import fcntl
import os
import sqlite3
import threading
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType

from server.sink.spool import SpoolAppender, SpoolReader, parse_id

BUSY_TIMEOUT_S = 30.0
"""How long an append waits for another one holding the inbox's write lock."""

SCHEMA = """
CREATE TABLE IF NOT EXISTS entries (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    payload BLOB NOT NULL
);
CREATE TABLE IF NOT EXISTS spool_offsets (
    segment TEXT PRIMARY KEY,
    stored INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS dead (
    id INTEGER PRIMARY KEY,
    payload BLOB NOT NULL,
    reason TEXT NOT NULL,
    buried_at REAL NOT NULL
);
"""


@dataclass(frozen=True)
class Entry:
    """One queued record as its encoded bytes, with the queue's id for it."""

    id: str
    payload: bytes


@dataclass(frozen=True)
class DeadLetter:
    id: str
    payload: bytes
    reason: str
    buried_at: float


class Inbox:
    """A durable queue of encoded records in one SQLite file.

    Safe to share between threads (one connection per thread) and between
    processes on one machine (SQLite's file locks).
    """

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._local = threading.local()
        self._connection().executescript(SCHEMA)
        spool = self.path.with_name(self.path.name + ".spool")
        self._appender = SpoolAppender(spool)
        self._spool = SpoolReader(spool, self)

    def _connection(self) -> sqlite3.Connection:
        connection = getattr(self._local, "connection", None)
        if connection is None or getattr(self._local, "pid", None) != os.getpid():
            connection = sqlite3.connect(
                self.path, timeout=BUSY_TIMEOUT_S, isolation_level=None, check_same_thread=False
            )
            connection.execute("PRAGMA journal_mode=WAL")
            # Requests append to the spool, not to this file: only the writer
            # writes here (offsets, requeued and dead entries), and SQLite folds
            # its log back into the file every thousand pages, as by default.
            connection.execute("PRAGMA synchronous=NORMAL")
            self._local.connection = connection
            self._local.pid = os.getpid()
        return connection

    def _transaction(self) -> _Transaction:
        return _Transaction(self._connection())

    def append(self, payloads: Sequence[bytes]) -> None:
        """Queue `payloads`: durable against this process being killed when
        this returns (see `server.sink.spool`).

        :raise OSError: when the spool cannot be written (disk full…).
        """
        self._appender.append(payloads)

    @property
    def lock_path(self) -> Path:
        return self.path.with_name(self.path.name + ".lock")

    def oldest(self, limit: int) -> list[Entry]:
        """The `limit` oldest entries (for the writer): requeued ones first,
        then the spool's."""
        rows = self._connection().execute(
            "SELECT id, payload FROM entries ORDER BY id LIMIT ?", (limit,)
        )
        entries = [Entry(str(row[0]), bytes(row[1])) for row in rows]
        if len(entries) < limit:
            spooled = self._spool.read(limit - len(entries))
            entries += [Entry(entry.id, entry.payload) for entry in spooled]
        return entries

    def done(self, ids: Iterable[str]) -> None:
        """Forget entries that were stored, then remove spool segments stored to their end."""
        offsets, rows = _split_ids(ids)
        with self._transaction() as connection:
            connection.executemany("DELETE FROM entries WHERE id = ?", rows)
            _store_offsets(connection, offsets)
        if offsets:
            self._spool.remove_finished()

    def bury(self, entries: Sequence[tuple[Entry, str]]) -> None:
        """Move entries that cannot be stored to the dead letters, with their reason."""
        now = time.time()
        offsets, _ = _split_ids(entry.id for entry, _ in entries)
        with self._transaction() as connection:
            for entry, reason in entries:
                number = int(entry.id) if entry.id.isdigit() else _new_id(connection, entry)
                connection.execute(
                    "INSERT OR REPLACE INTO dead (id, payload, reason, buried_at) VALUES (?, ?, ?, ?)",
                    (number, entry.payload, reason, now),
                )
                connection.execute("DELETE FROM entries WHERE id = ?", (number,))
            _store_offsets(connection, offsets)
        if offsets:
            self._spool.remove_finished()

    # Offsets: how far each spool segment is stored (read by `SpoolReader`).

    def stored_offsets(self) -> dict[str, int]:
        rows = self._connection().execute("SELECT segment, stored FROM spool_offsets")
        return {segment: stored for segment, stored in rows}

    def forget_offset(self, segment: str) -> None:
        with self._transaction() as connection:
            connection.execute("DELETE FROM spool_offsets WHERE segment = ?", (segment,))

    def waiting(self) -> int:
        """Entries not stored yet."""
        requeued = self._connection().execute("SELECT count(*) FROM entries").fetchone()[0]
        return int(requeued) + self._spool.waiting()

    def dead_letters(self, limit: int = 100) -> list[DeadLetter]:
        rows = self._connection().execute(
            "SELECT id, payload, reason, buried_at FROM dead ORDER BY id LIMIT ?", (limit,)
        )
        return [DeadLetter(str(r[0]), bytes(r[1]), r[2], r[3]) for r in rows]

    def dead_count(self) -> int:
        return self._connection().execute("SELECT count(*) FROM dead").fetchone()[0]

    def replay_dead(self, ids: Sequence[str] | None = None) -> int:
        """Queue dead letters again (all, or those of `ids`); return how many."""
        where, args = _id_filter(ids)
        with self._transaction() as connection:
            moved = connection.execute(
                f"INSERT INTO entries (payload) SELECT payload FROM dead {where} ORDER BY id", args
            ).rowcount
            connection.execute(f"DELETE FROM dead {where}", args)
        return moved

    def drop_dead(self, ids: Sequence[str] | None = None) -> int:
        """Delete dead letters (all, or those of `ids`); return how many."""
        where, args = _id_filter(ids)
        with self._transaction() as connection:
            return connection.execute(f"DELETE FROM dead {where}", args).rowcount

    def close(self) -> None:
        connection = getattr(self._local, "connection", None)
        if connection is not None:
            connection.close()
            self._local.connection = None


class WriterLock:
    """The right to drain an inbox: an exclusive `flock` on the file beside it,
    released when `release()` is called or the process ends, however it ends."""

    def __init__(self, inbox: Inbox) -> None:
        self.path = inbox.lock_path
        self._descriptor: int | None = None

    @property
    def held(self) -> bool:
        """Whether this holder has the lock (no system call)."""
        return self._descriptor is not None

    def acquire(self) -> bool:
        """Take the lock if nobody holds it; return whether this holder has it."""
        if self._descriptor is not None:
            return True
        descriptor = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(descriptor)
            return False
        self._descriptor = descriptor
        return True

    def release(self) -> None:
        if self._descriptor is not None:
            os.close(self._descriptor)  # closing the descriptor releases the lock
            self._descriptor = None


class _Transaction:
    """`BEGIN IMMEDIATE … COMMIT` on one connection, rolled back on error."""

    def __init__(self, connection: sqlite3.Connection) -> None:
        self.connection = connection

    def __enter__(self) -> sqlite3.Connection:
        self.connection.execute("BEGIN IMMEDIATE")
        return self.connection

    def __exit__(
        self,
        kind: type[BaseException] | None,
        _value: BaseException | None,
        _traceback: TracebackType | None,
    ) -> None:
        self.connection.execute("COMMIT" if kind is None else "ROLLBACK")


def _split_ids(ids: Iterable[str]) -> tuple[dict[str, int], list[tuple[int]]]:
    """The spool's entries as the offset each segment is stored to; the table's as rows."""
    offsets: dict[str, int] = {}
    rows: list[tuple[int]] = []
    for entry_id in ids:
        spooled = parse_id(entry_id)
        if spooled is None:
            rows.append((int(entry_id),))
        else:
            segment, end = spooled
            offsets[segment] = max(end, offsets.get(segment, 0))
    return offsets, rows


def _store_offsets(connection: sqlite3.Connection, offsets: dict[str, int]) -> None:
    connection.executemany(
        "INSERT INTO spool_offsets (segment, stored) VALUES (?, ?) "
        "ON CONFLICT (segment) DO UPDATE SET stored = max(stored, excluded.stored)",
        list(offsets.items()),
    )


def _new_id(connection: sqlite3.Connection, entry: Entry) -> int:
    """An id for a spool entry that goes to the dead letters, from the table's
    own sequence (so no dead letter's id is ever given twice)."""
    cursor = connection.execute("INSERT INTO entries (payload) VALUES (?)", (entry.payload,))
    assert cursor.lastrowid is not None
    return cursor.lastrowid


def _id_filter(ids: Sequence[str] | None) -> tuple[str, tuple[int, ...]]:
    if ids is None:
        return "", ()
    numbers = tuple(int(i) for i in ids)
    return f"WHERE id IN ({', '.join('?' * len(numbers))})", numbers
