"""Storage: the engine and sessions of one app, in the shape of flaskr's `db.py`.

`get_session()` gives the session of the current app context (cached on `g`,
closed at teardown). `session_scope()` gives a unit of work for code that runs
outside a request: CLI commands and jobs.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from flask import Flask, current_app, g, has_app_context
from sqlalchemy import Engine, text
from sqlalchemy.orm import Session, sessionmaker

from server.storage.engine import SQLITE_BEGIN, build_engine

EXTENSION = "vigie.storage"


class Storage:
    """The engine and session factory of one app."""

    def __init__(self, url: str) -> None:
        self.engine: Engine = build_engine(url)
        self.sessions: sessionmaker[Session] = sessionmaker(self.engine, expire_on_commit=False)

    def ping(self) -> None:
        """Run a trivial query; raise the driver's error when the database is down."""
        with self.engine.connect() as connection:
            connection.execute(text("SELECT 1"))


def init_app(app: Flask) -> None:
    """Create the app's storage and close the request session at teardown."""
    app.extensions[EXTENSION] = Storage(app.config["DATABASE_URL"])
    app.teardown_appcontext(close_session)


def storage(app: Flask | None = None) -> Storage:
    """Return the storage of `app` (default: the current app)."""
    return (app or current_app).extensions[EXTENSION]


def get_session() -> Session:
    """Return the session of the current app context, opening it on first use."""
    if "db_session" not in g:
        g.db_session = storage().sessions()
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
