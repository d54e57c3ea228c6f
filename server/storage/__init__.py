"""Storage: the engine and sessions of one app, in the shape of flaskr's `db.py`.

`get_session()` gives the session of the current app context (cached on `g`,
closed at teardown). `session_scope()` gives a unit of work for code that runs
outside a request: CLI commands and jobs.

On SQLite every transaction that writes begins as a writer (`BEGIN IMMEDIATE`):
it then waits its turn (the busy timeout) instead of failing at once with
"database is locked" when it reads, then writes, after another writer went
first. A request whose method may write (not GET, HEAD or OPTIONS) gets a
session whose every transaction begins so; read-only requests stay deferred,
so they never wait for beacons being stored.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from flask import Flask, current_app, g, has_app_context, has_request_context, request
from sqlalchemy import Engine, text
from sqlalchemy.orm import Session, sessionmaker

from server.storage.engine import (
    DEFAULT_MAX_OVERFLOW,
    DEFAULT_POOL_SIZE,
    SQLITE_BEGIN,
    build_engine,
)

EXTENSION = "vigie.storage"


class Storage:
    """The engine and session factory of one app."""

    def __init__(
        self, url: str, pool_size: int = DEFAULT_POOL_SIZE, max_overflow: int = DEFAULT_MAX_OVERFLOW
    ) -> None:
        self.engine: Engine = build_engine(url, pool_size, max_overflow)
        self.sessions: sessionmaker[Session] = sessionmaker(self.engine, expire_on_commit=False)
        # The same engine (pool and events), its transactions beginning as writers.
        self.writer: Engine = (
            self.engine.execution_options(**{SQLITE_BEGIN: "immediate"})
            if self.engine.dialect.name == "sqlite"
            else self.engine
        )

    def writer_session(self) -> Session:
        """A session whose every transaction begins as a writer (on SQLite)."""
        return self.sessions(bind=self.writer)

    def ping(self) -> None:
        """Run a trivial query; raise the driver's error when the database is down."""
        with self.engine.connect() as connection:
            connection.execute(text("SELECT 1"))


def init_app(app: Flask) -> None:
    """Create the app's storage and close the request session at teardown."""
    app.extensions[EXTENSION] = Storage(
        app.config["DATABASE_URL"],
        app.config["DATABASE_POOL_SIZE"],
        app.config["DATABASE_MAX_OVERFLOW"],
    )
    app.teardown_appcontext(close_session)


def storage(app: Flask | None = None) -> Storage:
    """Return the storage of `app` (default: the current app)."""
    return (app or current_app).extensions[EXTENSION]


READ_ONLY_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
"""Request methods whose session stays a deferred reader on SQLite."""


def get_session() -> Session:
    """Return the session of the current app context, opening it on first use.

    In a request that may write (POST, PUT, PATCH, DELETE), every transaction
    of the session begins as a writer on SQLite (see the module's docstring).
    """
    if "db_session" not in g:
        store = storage()
        writes = has_request_context() and request.method not in READ_ONLY_METHODS
        g.db_session = store.writer_session() if writes else store.sessions()
    return g.db_session


def current_session() -> Session | None:
    """Return the app context's session if one was opened, else None."""
    return g.get("db_session") if has_app_context() else None


def close_session(_exc: BaseException | None = None) -> None:
    """Close the app context's session; what was not committed is rolled back."""
    session = g.pop("db_session", None)
    if session is not None:
        session.close()


def begin_write(session: Session) -> Session:
    """Start `session`'s transaction as a writer: on SQLite it takes the write lock
    at once, so that it waits for other writers instead of failing when a read
    turns into a write after another writer committed. No-op if already begun."""
    if not session.in_transaction():
        session.connection(execution_options={SQLITE_BEGIN: "immediate"})
    return session


@contextmanager
def session_scope() -> Iterator[Session]:
    """Yield the context's session for a unit of work that writes; commit on
    success, roll back on error. On SQLite the write lock is taken up front."""
    session = begin_write(get_session())
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
