"""Database engines: SQLite in WAL mode with foreign keys, or PostgreSQL on psycopg 3."""

from __future__ import annotations

import fcntl
import os
import sqlite3
import threading
import time
import weakref
from collections import deque
from functools import partial
from pathlib import Path

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import make_url

SQLITE_BUSY_TIMEOUT_MS = 30_000
"""How long a SQLite writer waits for another one before giving up."""

SQLITE_BEGIN = "vigie_sqlite_begin"
"""Execution option: `"immediate"` makes a SQLite transaction take the write lock first."""

FILE_TURN_POLL = 0.001
"""Seconds between two looks at the writers' file lock of a SQLite database."""

DEFAULT_POOL_SIZE = 10
"""PostgreSQL connections an engine keeps open between uses (`VIGIE_DATABASE_POOL_SIZE`)."""

DEFAULT_MAX_OVERFLOW = 20
"""Connections an engine may open beyond its pool at a busy moment, closed after use
(`VIGIE_DATABASE_MAX_OVERFLOW`)."""

_engines: weakref.WeakSet[Engine] = weakref.WeakSet()


def build_engine(
    url: str, pool_size: int = DEFAULT_POOL_SIZE, max_overflow: int = DEFAULT_MAX_OVERFLOW
) -> Engine:
    """Return an engine for `url`, tuned for its backend.

    The parent folder of a SQLite file is created, so the default database in
    the instance folder works on a fresh machine. `pool_size` and `max_overflow`
    bound a PostgreSQL engine's connections (SQLite opens one file per thread).
    """
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        engine = _sqlite_engine(url, parsed.database)
    else:
        engine = create_engine(
            url, pool_pre_ping=True, pool_size=pool_size, max_overflow=max_overflow
        )
    _engines.add(engine)
    return engine


def _sqlite_engine(url: str, database: str | None) -> Engine:
    if database and database != ":memory:":
        Path(database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000})
    lock_path = None if not database or database == ":memory:" else f"{database}-writer.lock"
    turns = WriterTurns(lock_path=lock_path)
    event.listen(engine, "connect", _sqlite_connect)
    event.listen(engine, "begin", partial(_sqlite_begin, turns))
    event.listen(engine, "commit", partial(_sqlite_end, turns))
    event.listen(engine, "rollback", partial(_sqlite_end, turns))
    return engine


class WriterTurns:
    """The writers of one SQLite engine take the write lock in turn, in the order
    they asked for it.

    SQLite's own wait for a busy database polls (sleeps of up to 100 ms): a
    dashboard request waiting so could find the lock free only in the instant
    between two of the beacon writer's transactions, and wait for seconds.
    Writers of this process queue here first; then the turn holder takes a file
    lock beside the database (`lock_path`) that the writers of every process
    share, checked every millisecond, so that the dashboard's gunicorn workers
    and the beacon writer of `vigie serve` alternate instead of one starving.
    A writer that waited the whole busy timeout goes on to SQLite anyway, so a
    transaction never ended cannot stop the others.
    """

    def __init__(
        self, timeout: float = SQLITE_BUSY_TIMEOUT_MS / 1000, lock_path: str | None = None
    ) -> None:
        self.timeout = timeout
        self.lock_path = lock_path
        self._mutex = threading.Lock()
        self._held = False
        self._waiting: deque[threading.Event] = deque()
        self._file: int | None = None
        self._file_pid = 0  # the process that opened `_file` (a fork must open its own)

    def take(self) -> bool:
        """Wait for this process's turn to write; False if it never came in time."""
        deadline = time.monotonic() + self.timeout
        if not self._take_in_process():
            return False
        if self._take_file(deadline):
            return True
        self.give_back()
        return False

    def _take_in_process(self) -> bool:
        with self._mutex:
            if not self._held and not self._waiting:
                self._held = True
                return True
            turn = threading.Event()
            self._waiting.append(turn)
        if turn.wait(self.timeout):
            return True
        with self._mutex:
            if turn.is_set():  # given just as the wait ended
                return True
            self._waiting.remove(turn)
            return False

    def _take_file(self, deadline: float) -> bool:
        if self.lock_path is None:
            return True
        if self._file is None or self._file_pid != os.getpid():
            self._file = os.open(self.lock_path, os.O_RDWR | os.O_CREAT, 0o600)
            self._file_pid = os.getpid()
        while True:
            try:
                fcntl.flock(self._file, fcntl.LOCK_EX | fcntl.LOCK_NB)
                return True
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    return False
                time.sleep(FILE_TURN_POLL)

    def give_back(self) -> None:
        """End this writer's turn: the next one in line writes."""
        if self._file is not None and self._file_pid == os.getpid():
            fcntl.flock(self._file, fcntl.LOCK_UN)
        with self._mutex:
            if self._waiting:
                self._waiting.popleft().set()  # handed over
            else:
                self._held = False


def _sqlite_connect(dbapi_connection: sqlite3.Connection, _record: object) -> None:
    # pysqlite opens transactions on its own terms, which breaks SAVEPOINTs;
    # hand that job to SQLAlchemy (see _sqlite_begin).
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cursor.close()


_TURN = "vigie_writer_turn"
"""Key of a DBAPI connection's `info`: its transaction holds a writer's turn."""


def _sqlite_begin(turns: WriterTurns, connection: Connection) -> None:
    # A unit of work that will write takes the write lock at once (IMMEDIATE):
    # a deferred transaction that reads, then writes, fails at once with
    # "database is locked" when another writer went first, instead of waiting.
    if connection.get_execution_options().get(SQLITE_BEGIN) != "immediate":
        connection.exec_driver_sql("BEGIN")
        return
    if turns.take():
        connection.info[_TURN] = True
    try:
        connection.exec_driver_sql("BEGIN IMMEDIATE")
    except BaseException:
        _sqlite_end(turns, connection)
        raise


def _sqlite_end(turns: WriterTurns, connection: Connection) -> None:
    if connection.info.pop(_TURN, False):
        turns.give_back()


def _forget_pools_in_child() -> None:
    """A forked process (an RQ work horse) must not reuse its parent's connections."""
    for engine in list(_engines):
        engine.dispose(close=False)


os.register_at_fork(after_in_child=_forget_pools_in_child)
