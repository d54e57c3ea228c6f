"""The embedded queue: accepted records in a SQLite file of their own.

The collector appends each accepted record here and answers; the ingest
writer (`server.sink.consumer`) takes them out in batches and stores them in
the main database. The inbox does not share the main database's write lock,
so a request never waits for sessionisation, aggregates or a dashboard form.

The file is in WAL mode with `synchronous=NORMAL`: an append is committed when
the request answers and survives the process being killed; only a power loss
can take the last commits that the operating system had not written yet.

Entries are claimed, not removed, when a writer takes them: a claim lasts
`CLAIM_SECONDS`, so a writer killed mid-batch leaves its entries to be taken
again (the main database skips events it already has, and counts carry a
receipt). An entry that cannot be stored goes to the dead letters with its
reason, where `vigie ingest --dead` lists it and `--replay-dead` or
`--drop-dead` act on it.
"""

from __future__ import annotations

import os
import sqlite3
import threading
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

BUSY_TIMEOUT_S = 30.0
"""How long an append waits for another one holding the inbox's write lock."""

CLAIM_SECONDS = 60.0
"""How long a writer's claim on entries lasts before another writer may take them."""

SCHEMA = """
CREATE TABLE IF NOT EXISTS entries (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    payload BLOB NOT NULL,
    claimed_by TEXT,
    claimed_until REAL
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

    def _connection(self) -> sqlite3.Connection:
        connection = getattr(self._local, "connection", None)
        if connection is None or getattr(self._local, "pid", None) != os.getpid():
            connection = sqlite3.connect(
                self.path, timeout=BUSY_TIMEOUT_S, isolation_level=None, check_same_thread=False
            )
            connection.execute("PRAGMA journal_mode=WAL")
            connection.execute("PRAGMA synchronous=NORMAL")
            self._local.connection = connection
            self._local.pid = os.getpid()
        return connection

    def _transaction(self) -> _Transaction:
        return _Transaction(self._connection())

    def append(self, payloads: Sequence[bytes]) -> None:
        """Queue `payloads` in one transaction; they are durable when this returns."""
        with self._transaction() as connection:
            connection.executemany(
                "INSERT INTO entries (payload) VALUES (?)", [(p,) for p in payloads]
            )

    def claim(self, owner: str, limit: int, now: float | None = None) -> list[Entry]:
        """Claim up to `limit` of the oldest entries nobody holds (or whose claim
        ran out, or that `owner` already holds), oldest first."""
        now = time.time() if now is None else now
        with self._transaction() as connection:
            rows = connection.execute(
                "UPDATE entries SET claimed_by = ?, claimed_until = ? WHERE id IN ("
                " SELECT id FROM entries"
                " WHERE claimed_by IS NULL OR claimed_by = ? OR claimed_until < ?"
                " ORDER BY id LIMIT ?) RETURNING id, payload",
                (owner, now + CLAIM_SECONDS, owner, now, limit),
            ).fetchall()
        return sorted((Entry(str(row[0]), bytes(row[1])) for row in rows), key=_numeric_id)

    def release(self, owner: str) -> None:
        """Give up `owner`'s claims (a writer stopping before it stored them)."""
        with self._transaction() as connection:
            connection.execute(
                "UPDATE entries SET claimed_by = NULL, claimed_until = NULL WHERE claimed_by = ?",
                (owner,),
            )

    def owners(self) -> list[str]:
        """Writers holding claims now."""
        rows = self._connection().execute(
            "SELECT DISTINCT claimed_by FROM entries WHERE claimed_by IS NOT NULL"
        )
        return [row[0] for row in rows]

    def done(self, ids: Iterable[str]) -> None:
        """Remove entries that were stored."""
        with self._transaction() as connection:
            connection.executemany("DELETE FROM entries WHERE id = ?", [(int(i),) for i in ids])

    def bury(self, entries: Sequence[tuple[Entry, str]]) -> None:
        """Move entries that cannot be stored to the dead letters, with their reason."""
        now = time.time()
        with self._transaction() as connection:
            connection.executemany(
                "INSERT OR REPLACE INTO dead (id, payload, reason, buried_at) VALUES (?, ?, ?, ?)",
                [(int(entry.id), entry.payload, reason, now) for entry, reason in entries],
            )
            connection.executemany(
                "DELETE FROM entries WHERE id = ?", [(int(entry.id),) for entry, _ in entries]
            )

    def waiting(self) -> int:
        """Entries not stored yet, claimed or not."""
        return self._connection().execute("SELECT count(*) FROM entries").fetchone()[0]

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


class _Transaction:
    """`BEGIN IMMEDIATE … COMMIT` on one connection, rolled back on error."""

    def __init__(self, connection: sqlite3.Connection) -> None:
        self.connection = connection

    def __enter__(self) -> sqlite3.Connection:
        self.connection.execute("BEGIN IMMEDIATE")
        return self.connection

    def __exit__(self, kind, _value, _traceback) -> None:  # type: ignore[no-untyped-def]
        self.connection.execute("COMMIT" if kind is None else "ROLLBACK")


def _numeric_id(entry: Entry) -> int:
    return int(entry.id)


def _id_filter(ids: Sequence[str] | None) -> tuple[str, tuple[int, ...]]:
    if ids is None:
        return "", ()
    numbers = tuple(int(i) for i in ids)
    return f"WHERE id IN ({', '.join('?' * len(numbers))})", numbers
