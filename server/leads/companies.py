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
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from enrich.identity import account_key
from server.storage.models import Account
from server.storage.types import utcnow


def accounts_by_domain(
    session: Session, org_id: int, domains: Iterable[str | None]
) -> dict[str, int]:
    """The account id of each company domain of `org_id`, creating those missing.

    Inserts new accounts in one statement; the caller commits. Domains with no registrable
    part (a bare public suffix) get no account.
    """
    keys = {domain: account_key(domain, None) for domain in set(domains) if domain}
    wanted = {key for key in keys.values() if key}
    found = _existing(session, org_id, wanted)
    missing = wanted - found.keys()
    if missing:
        _create(session, org_id, sorted(missing))
        found.update(_existing(session, org_id, missing))
    return {domain: found[key] for domain, key in keys.items() if key in found}


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


def _create(session: Session, org_id: int, keys: list[str]) -> None:
    """New accounts for the domains `keys`, in one statement; a key another
    import or the collector stored meanwhile is left as it is (it waits for
    that one to commit, then finds it)."""
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    now = utcnow()
    rows = [
        {"org_id": org_id, "key": key, "name": key, "domain": key, "created_at": now,
         "updated_at": now}
        for key in keys
    ]  # fmt: skip
    insert = dialect.insert(Account.__table__).on_conflict_do_nothing(
        index_elements=["org_id", "key"]
    )
    session.execute(insert, rows)
