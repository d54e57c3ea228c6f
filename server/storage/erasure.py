"""Erasure: remove a company's account and everything kept about it.

Deleting an account cascades to its events, contacts, enrichment states,
score snapshots and outcomes (foreign keys); its visits are deleted first,
since they only point at the account.
"""

from __future__ import annotations

from sqlalchemy import delete, or_, select
from sqlalchemy.orm import Session

from enrich.identity import registrable_domain
from server.storage.models import Account, Outcome, Visit


def erase_domain(session: Session, domain: str, org_id: int | None = None) -> list[str]:
    """Erase the accounts of `domain` (any organisation, or only `org_id`'s).

    Returns the names of the accounts erased.
    """
    registrable = registrable_domain(domain) or domain.strip().lower()
    query = select(Account).where(or_(Account.domain == registrable, Account.key == registrable))
    if org_id is not None:
        query = query.where(Account.org_id == org_id)
    accounts = list(session.scalars(query))
    ids = [account.id for account in accounts]
    if ids:
        session.execute(delete(Visit).where(Visit.account_id.in_(ids)))
        session.execute(delete(Account).where(Account.id.in_(ids)))
    outcomes = delete(Outcome).where(Outcome.domain == registrable)
    if org_id is not None:
        outcomes = outcomes.where(Outcome.org_id == org_id)
    session.execute(outcomes)
    return [account.name for account in accounts]
