"""Daily salts for visitor hashes (SPEC.md privacy rule 2).

A salt belongs to one UTC day. Today's and tomorrow's exist ahead of time;
salts older than yesterday are deleted, so a visitor hash can never be
recomputed, nor linked across days, once its day is over.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Iterable
from datetime import date, timedelta
from typing import Any, cast

from sqlalchemy import CursorResult, delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from server.storage.models import DailySalt

log = logging.getLogger(__name__)

SALT_BYTES = 32
"""Length of a daily salt."""

SALT_KEEP_DAYS = 2
"""A salt lives on its own day and the next, then it is deleted."""


def salt_for(session: Session, day: date) -> bytes:
    """Return the salt of `day`, creating it if no process has yet.

    Safe when several collectors race to create the same day's salt.
    """
    salt = session.scalar(select(DailySalt.salt).where(DailySalt.day == day))
    if salt is not None:
        return salt
    try:
        with session.begin_nested():
            session.add(DailySalt(day=day, salt=secrets.token_bytes(SALT_BYTES)))
    except IntegrityError:
        log.debug("salt of %s was created by another process", day)
    salt = session.scalar(select(DailySalt.salt).where(DailySalt.day == day))
    assert salt is not None
    return salt


def rotate_salts(session: Session, today: date, made: Iterable[date] | None = None) -> int:
    """Make sure the salts of the days in `made` exist (by default today's and
    tomorrow's, made before midnight needs it) and delete the expired ones,
    older than yesterday.

    Returns the number of salts deleted.
    """
    for day in (today, today + timedelta(days=1)) if made is None else made:
        salt_for(session, day)
    oldest_kept = today - timedelta(days=SALT_KEEP_DAYS - 1)
    result = cast(  # a DELETE's result is a cursor's, with a row count
        CursorResult[Any], session.execute(delete(DailySalt).where(DailySalt.day < oldest_kept))
    )
    return result.rowcount or 0
