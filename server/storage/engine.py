"""Database engines: SQLite in WAL mode with foreign keys, or PostgreSQL on psycopg 3."""

from __future__ import annotations

import os
import weakref
from pathlib import Path

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url

SQLITE_BUSY_TIMEOUT_MS = 30_000
"""How long a SQLite writer waits for another one before giving up."""

SQLITE_BEGIN = "vigie_sqlite_begin"
"""Execution option: `"immediate"` makes a SQLite transaction take the write lock first."""

_engines: weakref.WeakSet[Engine] = weakref.WeakSet()


def build_engine(url: str) -> Engine:
    """Return an engine for `url`, tuned for its backend.

    The parent folder of a SQLite file is created, so the default database in
    the instance folder works on a fresh machine.
    """
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        engine = _sqlite_engine(url, parsed.database)
    else:
        engine = create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=20)
    _engines.add(engine)
    return engine


def _sqlite_engine(url: str, database: str | None) -> Engine:
    if database and database != ":memory:":
        Path(database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000})
    event.listen(engine, "connect", _sqlite_connect)
    event.listen(engine, "begin", _sqlite_begin)
    return engine


def _sqlite_connect(dbapi_connection, _record) -> None:  # type: ignore[no-untyped-def]
    # pysqlite opens transactions on its own terms, which breaks SAVEPOINTs;
    # hand that job to SQLAlchemy (see _sqlite_begin).
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cursor.close()


def _sqlite_begin(connection) -> None:  # type: ignore[no-untyped-def]
    # A unit of work that will write takes the write lock at once (IMMEDIATE):
    # a deferred transaction that reads, then writes, fails at once with
    # "database is locked" when another writer went first, instead of waiting.
    immediate = connection.get_execution_options().get(SQLITE_BEGIN) == "immediate"
    connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


def _forget_pools_in_child() -> None:
    """A forked process (an RQ work horse) must not reuse its parent's connections."""
    for engine in list(_engines):
        engine.dispose(close=False)


os.register_at_fork(after_in_child=_forget_pools_in_child)
