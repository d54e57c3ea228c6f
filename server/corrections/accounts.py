"""Merging two accounts that are one company, and renaming an account.

A merge moves the merged account's events, visits, sales feedback and
contacts to the account kept, adds up what ingestion counts, fills the kept
account's empty company facts from the other's, and remembers the merged
key: later events of either key land on the account kept. Its enrichment
answers and score history go with it (the kept account is rescored).

A rename sets the name and, if given, the domain; enrichment then leaves both
alone. A new domain's key becomes an alias of the account, so visits found
by that domain later land on it too.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from enrich.identity import account_key, registrable_domain
from enrich.providers import FIRMOGRAPHIC_FIELDS
from server.audit import Actor, record
from server.storage.ingest import refresh_aggregates
from server.storage.models import Account, AccountAlias, Contact, Event, Outcome, Visit
from server.validation import InvalidInput

FILLED_FROM_MERGED = (
    *(name for name in FIRMOGRAPHIC_FIELDS if name != "name"),
    "network",
    "asn",
    "network_organisation",
)
"""Company facts the kept account takes from the merged one when it has none: the
firmographics but the name (the kept account keeps its own), and the network's facts."""


def merge_accounts(
    session: Session,
    kept: Account,
    merged: Account,
    now: datetime,
    actor: Actor | None = None,
    remember_key: bool = True,
) -> None:
    """Move everything of `merged` to `kept` and delete `merged`; the caller
    commits and rescores `kept`.

    :raise InvalidInput: for an account merged into itself or another organisation's.
    """
    if kept.id == merged.id or kept.org_id != merged.org_id:
        raise InvalidInput("into", "choose another account of the organisation")
    for model in (Event, Visit, Outcome, Contact, AccountAlias):
        session.execute(
            update(model).where(model.account_id == merged.id).values(account_id=kept.id)
        )
    kept.first_seen = _earliest(kept.first_seen, merged.first_seen)
    kept.last_seen = _latest(kept.last_seen, merged.last_seen)
    kept.pageviews_total += merged.pageviews_total
    for name in FILLED_FROM_MERGED:
        if getattr(kept, name) is None:
            setattr(kept, name, getattr(merged, name))
    kept.firmographics = {**merged.firmographics, **kept.firmographics}
    merged_key, merged_name = merged.key, merged.name
    session.execute(delete(Account).where(Account.id == merged.id))
    session.expunge(merged)
    if remember_key:
        session.add(AccountAlias(org_id=kept.org_id, key=merged_key, account_id=kept.id))
    session.flush()
    refresh_aggregates(session, [kept.id], now)
    if actor is not None:
        record(
            session,
            kept.org_id,
            actor,
            "account.merged",
            kept.name,
            merged=merged_name,
            key=merged_key,
        )


def rename_account(
    session: Session,
    account: Account,
    name: str | None,
    domain: str | None,
    now: datetime,
    actor: Actor,
) -> None:
    """Give `account` the name (and domain) a user chose; the caller commits.

    :raise InvalidInput: naming the field: an empty name, a domain that is not
        one, or one another account already has (merge them instead).
    """
    name = (name or "").strip()
    if not name or len(name) > 255:
        raise InvalidInput("name", "give a name of 1 to 255 characters")
    domain = (domain or "").strip().lower() or None
    if domain is not None:
        if len(domain) > 255 or registrable_domain(domain) is None:
            raise InvalidInput("domain", f"{domain!r} is not a domain name")
        key = account_key(domain, name)
        if key and key != account.key:
            owner = owner_of_key(session, account.org_id, key)
            if owner is not None and owner != account.id:
                raise InvalidInput("domain", f"another account has {domain}; merge them instead")
            if owner is None:
                session.add(AccountAlias(org_id=account.org_id, key=key, account_id=account.id))
    before = {"name": account.name, "domain": account.domain}
    account.name, account.domain, account.renamed_at = name, domain, now
    record(
        session, account.org_id, actor, "account.renamed", name, was=before["name"], domain=domain
    )


def owner_of_key(session: Session, org_id: int, key: str) -> int | None:
    """The account that events of `key` land on, if any."""
    owner = session.scalar(select(Account.id).where(Account.org_id == org_id, Account.key == key))
    if owner is None:
        owner = session.scalar(
            select(AccountAlias.account_id).where(
                AccountAlias.org_id == org_id, AccountAlias.key == key
            )
        )
    return owner


def _earliest(a: datetime | None, b: datetime | None) -> datetime | None:
    return min((x for x in (a, b) if x is not None), default=None)


def _latest(a: datetime | None, b: datetime | None) -> datetime | None:
    return max((x for x in (a, b) if x is not None), default=None)
