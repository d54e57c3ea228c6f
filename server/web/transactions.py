"""Writes from the dashboard's views: a request's session restarted as a
writer, and a change run in it and committed, or rolled back when refused."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from sqlalchemy.orm import Session

from server.storage import begin_write, get_session
from server.validation import InvalidInput

T = TypeVar("T")


def write_transaction() -> Session:
    """The request's session, restarted as a writer: on SQLite a read that turns
    into a write fails at once if a job committed in between; a writer waits."""
    session = get_session()
    session.rollback()
    return begin_write(session)


def committed(change: Callable[[Session], T]) -> T:
    """Run `change(session)` in a write transaction and commit it.

    Returns what `change` returns.
    :raise InvalidInput: when `change` refuses a value; nothing is written.
    """
    session = write_transaction()
    try:
        result = change(session)
    except InvalidInput:
        session.rollback()
        raise
    session.commit()
    return result
