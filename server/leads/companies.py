"""A lead's company: its e-mail domain joins the organisation's account of that
domain, which is what ties a named lead to the company's web engagement.

An account is created for a domain no visit has shown yet, so that the
company's first visits land on it; it starts with no visit and no score of
its own (nothing is invented). The account key is the registrable domain, as
the resolver makes it (`enrich.identity.account_key`), so both meet.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from enrich.identity import account_key
from server.storage.models import Account


def accounts_by_domain(
    session: Session, org_id: int, domains: Iterable[str | None]
) -> dict[str, int]:
    """The account id of each company domain of `org_id`, creating those missing.

    Flushes new accounts; the caller commits. Domains with no registrable
    part (a bare public suffix) get no account.
    """
    keys = {domain: account_key(domain, None) for domain in set(domains) if domain}
    wanted = {key for key in keys.values() if key}
    found = _existing(session, org_id, wanted)
    for key in sorted(wanted - found.keys()):
        found[key] = _create(session, org_id, key)
    return {domain: found[key] for domain, key in keys.items() if key}


def _existing(session: Session, org_id: int, keys: set[str]) -> dict[str, int]:
    if not keys:
        return {}
    rows = session.execute(
        select(Account.id, Account.key, Account.domain).where(
            Account.org_id == org_id, or_(Account.key.in_(keys), Account.domain.in_(keys))
        )
    )
    found: dict[str, int] = {}
    for account_id, key, domain in rows:
        # The account keyed by the domain wins over another merely showing it.
        for name in (domain, key):
            if name in keys and (name == key or name not in found):
                found[name] = account_id
    return found


def _create(session: Session, org_id: int, key: str) -> int:
    """A new account for the domain `key`; the one stored meanwhile if another
    import or the collector created it first."""
    account = Account(org_id=org_id, key=key, name=key, domain=key)
    try:
        with session.begin_nested():
            session.add(account)
    except IntegrityError:
        return session.scalars(
            select(Account.id).where(Account.org_id == org_id, Account.key == key)
        ).one()
    return account.id
