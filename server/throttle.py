"""Sign-in throttling per e-mail address, shared by every process through the database.

The sign-in form is also limited per client address (Flask-Limiter, see
`server/limits.py`), but an attacker who rotates addresses, through a trusted
proxy or many machines, would still get unlimited tries at one account. So
failed sign-ins are also counted per e-mail, whoever sends them: once
`LOGIN_FREE_FAILURES` failures in a row are used up, every attempt for that
e-mail waits `LOGIN_FIRST_DELAY` seconds, doubling at each further failure up
to `LOGIN_MAX_DELAY`; an attempt during the wait is refused without its password
being checked. A right password clears the count.

Each attempt is counted before its password is checked, in a short writer
transaction holding the e-mail's row: concurrent attempts from many workers see
each other's counts, so a burst cannot slip in under the limit. Rows exist for
any e-mail tried, a user's or not, and keep only a keyed hash of it.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, or_, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from server.storage.models import SignInThrottle
from server.storage.tenancy import normal_email

FORGET_AFTER = timedelta(days=1)
"""Failures older than this, with no wait left, are forgotten: a user who mistypes
now and then never ends up waiting."""

MAX_DOUBLINGS = 32
"""Doublings past which the delay stops growing before `max_delay` caps it
(2^32 first delays is beyond any cap)."""


@dataclass(frozen=True)
class ThrottlePolicy:
    """How many failures are free, and how long sign-ins wait after more."""

    free_failures: int
    first_delay: timedelta
    max_delay: timedelta

    @classmethod
    def of(cls, config: Any) -> ThrottlePolicy:
        """The policy of an app's configuration (delays in seconds)."""
        return cls(
            config["LOGIN_FREE_FAILURES"],
            timedelta(seconds=config["LOGIN_FIRST_DELAY"]),
            timedelta(seconds=config["LOGIN_MAX_DELAY"]),
        )

    def delay_after(self, failures: int) -> timedelta:
        """How long sign-ins wait after `failures` in a row: nothing before the
        free ones are used up, then the first delay, doubled at each further
        failure, capped (5 free: 0 after the 4th, 1 s after the 5th, 2 s after the 6th)."""
        extra = failures - self.free_failures
        if extra < 0:
            return timedelta(0)
        return min(self.first_delay * 2 ** min(extra, MAX_DOUBLINGS), self.max_delay)


def throttle_key(secret: str, email: str) -> str:
    """The e-mail as the throttle stores it: an HMAC-SHA256 of its normal form
    under the app's secret key, so the table holds no address."""
    return hmac.new(secret.encode(), normal_email(email).encode(), hashlib.sha256).hexdigest()


def begin_attempt(
    session: Session, key: str, policy: ThrottlePolicy, now: datetime
) -> timedelta | None:
    """Count a sign-in attempt for `key` as failed until its password is found
    right (`clear`). Call in a writer transaction; the row stays locked until it ends.

    :returns: None when the attempt may go on; else how long until one may, and
        the refused attempt is not counted.
    """
    insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    new = insert(SignInThrottle).values(key=key, failures=0, last_attempt_at=now)
    # An update of the existing row rather than "do nothing": it locks the row at
    # once, so that no concurrent `clear` or `forget_old` deletes it before the select.
    session.execute(
        new.on_conflict_do_update(index_elements=["key"], set_={"key": new.excluded.key})
    )
    row = session.scalars(
        select(SignInThrottle).where(SignInThrottle.key == key).with_for_update()
    ).one()
    if row.blocked_until is not None and row.blocked_until > now:
        return row.blocked_until - now
    if now - row.last_attempt_at > FORGET_AFTER:
        row.failures = 0
    row.failures += 1
    row.last_attempt_at = now
    delay = policy.delay_after(row.failures)
    row.blocked_until = now + delay if delay else None
    return None


def clear(session: Session, key: str) -> None:
    """Forget the failures of `key`: its password was right."""
    session.execute(delete(SignInThrottle).where(SignInThrottle.key == key))


def forget_old(session: Session, now: datetime) -> None:
    """Delete the rows of e-mails tried long ago whose wait is over, so that
    guessed addresses do not pile up."""
    session.execute(
        delete(SignInThrottle).where(
            SignInThrottle.last_attempt_at < now - FORGET_AFTER,
            or_(SignInThrottle.blocked_until.is_(None), SignInThrottle.blocked_until <= now),
        )
    )
