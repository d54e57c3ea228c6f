"""One organisation's accounts looked up by id or name, and the few counts and
lists the dashboard's pages show beside the accounts list.

Every function takes `org_id` first: another organisation's id finds nothing
(a 404 in `get_account_or_404`), never its row.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Row, func, or_, select
from sqlalchemy.orm import InstrumentedAttribute, Session
from werkzeug.exceptions import NotFound

from server.accounts.filters import AccountFilters
from server.accounts.query import account_conditions, account_order
from server.storage.models import Account

MAX_ACCOUNT_ID_DIGITS = 18
"""A number longer than this cannot be an account id (keeps it within SQL integers)."""


def find_account(session: Session, org_id: int, account_id: int) -> Account | None:
    """The organisation's account `account_id`, or None (missing, or another's)."""
    return session.scalar(select(Account).where(Account.id == account_id, Account.org_id == org_id))


def get_account_or_404(session: Session, org_id: int, account_id: int) -> Account:
    """The organisation's account `account_id`, for a view acting on it.

    :raise NotFound: (404) for a missing id or another organisation's account,
        the same answer for both so ids of others cannot be probed.
    """
    account = find_account(session, org_id, account_id)
    if account is None:
        raise NotFound()
    return account


def find_account_by_name(session: Session, org_id: int, text: str) -> Account | None:
    """The organisation's account whose domain, key or id is `text` (the oldest
    if several), or None."""
    if not text:
        return None
    match = [Account.domain == text.lower(), Account.key == text.lower()]
    if text.isdigit() and len(text) <= MAX_ACCOUNT_ID_DIGITS:
        match.append(Account.id == int(text))
    return session.scalar(
        select(Account).where(Account.org_id == org_id, or_(*match)).order_by(Account.id).limit(1)
    )


def distinct_values(
    session: Session, org_id: int, column: InstrumentedAttribute[Any]
) -> Sequence[Any]:
    """The values of an account column the organisation's accounts hold
    (None left out), sorted: the choices of a filter."""
    return session.scalars(
        select(column)
        .where(Account.org_id == org_id, column.is_not(None))
        .distinct()
        .order_by(column)
    ).all()


def hot_since(session: Session, org_id: int, since: datetime, limit: int) -> Sequence[Account]:
    """The organisation's accounts that turned hot since `since` (and still
    are), most recent first, `limit` at most."""
    return session.scalars(
        select(Account)
        .where(Account.org_id == org_id, Account.hot_since >= since)
        .order_by(Account.hot_since.desc())
        .limit(limit)
    ).all()


def count_hot_since(session: Session, org_id: int, since: datetime) -> int:
    """How many of the organisation's accounts turned hot since `since` (and still are)."""
    return (
        session.scalar(
            select(func.count()).where(Account.org_id == org_id, Account.hot_since >= since)
        )
        or 0
    )


def matching_account_ids(
    session: Session, org_id: int, filters: AccountFilters, now: datetime, limit: int
) -> Sequence[int]:
    """The ids of the organisation's accounts matching `filters`, in the list's
    order, `limit` at most.

    :raise InvalidInput: for a filter that cannot be used.
    """
    conditions = account_conditions(session, org_id, filters, now)
    return session.scalars(
        select(Account.id).where(*conditions).order_by(*account_order(filters.sort)).limit(limit)
    ).all()


def crm_status(
    session: Session, org_id: int, account_id: int
) -> Row[str | None, bool | None, bool | None, datetime | None] | None:
    """What the CRMs said of the account when last read back (lifecycle,
    customer, open opportunity, when), or None for another's account."""
    return session.execute(
        select(
            Account.crm_lifecycle,
            Account.crm_customer,
            Account.crm_open_opportunity,
            Account.crm_checked_at,
        ).where(Account.id == account_id, Account.org_id == org_id)
    ).first()
