"""Erasure: remove a company's account and everything kept about it, or a
person's leads.

Deleting an account cascades to its events, contacts, enrichment states,
score snapshots and outcomes (foreign keys); its visits are deleted first,
since they only point at the account; its leads stay, unlinked. A lead is a
person: erasing an address deletes its lead from every list (the lead's row
holds all that is kept of it, its original columns included).
"""

from __future__ import annotations

from typing import Any, cast

from sqlalchemy import CursorResult, delete, or_, select
from sqlalchemy.orm import Session

from enrich.identity import registrable_domain
from enrich.leads import classify_email
from server.storage.models import Account, Lead, LeadList, Outcome, Visit


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


def erase_email(session: Session, email: str, org_id: int | None = None) -> dict[int, int]:
    """Delete the leads of the address `email` (normalised as imports key them)
    in every list of any organisation, or only `org_id`'s.

    Returns the number of leads deleted per organisation id.
    """
    keys = {classify_email(email)[0], email.strip().lower()}
    query = select(Lead.id, Lead.org_id).where(Lead.email.in_(keys))
    if org_id is not None:
        query = query.where(Lead.org_id == org_id)
    found = session.execute(query).all()
    counts: dict[int, int] = {}
    for _, owner in found:
        counts[owner] = counts.get(owner, 0) + 1
    if found:
        session.execute(delete(Lead).where(Lead.id.in_([lead_id for lead_id, _ in found])))
    return counts


def erase_lead_list(session: Session, org_id: int, list_id: int) -> int | None:
    """Delete a list of `org_id` and its leads. Returns how many leads went,
    None when the organisation has no such list."""
    lead_list = session.scalar(
        select(LeadList).where(LeadList.id == list_id, LeadList.org_id == org_id)
    )
    if lead_list is None:
        return None
    result = cast(  # a DELETE's result is a cursor's, with a row count
        CursorResult[Any],
        session.execute(delete(Lead).where(Lead.list_id == list_id, Lead.org_id == org_id)),
    )
    session.delete(lead_list)
    return int(result.rowcount or 0)
