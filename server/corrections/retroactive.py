"""A correction applied, on request, to what is stored already.

The accounts a correction covers are those its key matches by what their
provenance recorded (ASN, network organisation name, network), plus the
account it was made from.

* Company X: their events, visits, feedback and contacts move to X's account
  (created if missing, identified by the correction), as a merge would move
  them, and they are deleted. X's account is then rescored.
* ISP or data centre: their events and visits are deleted with the accounts,
  and each event is added to the site's traffic counts of that day as a visit
  of that kind, exactly what the collector would have counted had the
  correction existed. Events are deleted rather than kept without an account:
  Vigie keeps events of business visits only.

Undoing the correction later changes new traffic only; what was moved or
removed stays so.
"""

from __future__ import annotations

import ipaddress
from collections import Counter
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from enrich.corrections import Effect, Scope
from enrich.identity import account_key, fold
from server.corrections.accounts import merge_accounts, owner_of_key
from server.corrections.provenance import HIGH
from server.records import TrafficCountDelta
from server.storage.ingest import add_counts
from server.storage.models import Account, Event, NetworkCorrection, Visit
from server.storage.types import utcnow


def apply_retroactively(
    session: Session, row: NetworkCorrection, account: Account | None, now: datetime
) -> tuple[dict[str, Any], list[int]]:
    """Apply the correction `row` to the stored accounts it covers; the caller
    commits, then rescores the ids returned.

    :returns: what was done (kept on the correction, shown on its page) and the
        ids of the accounts to rescore.
    """
    covered = covered_accounts(session, row, account)
    if row.effect == Effect.COMPANY.value:
        target = company_account(session, row, now)
        covered = [item for item in covered if item.id != target.id]
        events = _event_count(session, [item.id for item in covered])
        for item in covered:
            merge_accounts(session, target, item, now, remember_key=False)
        summary = {"accounts": len(covered), "events": events, "into": target.name}
        rescore = [target.id]
    else:
        events = remove_accounts(session, covered, row.effect)
        summary = {"accounts": len(covered), "events": events}
        rescore = []
    row.retroactive = {**summary, "at": now.isoformat()}
    return summary, rescore


def covered_accounts(
    session: Session, row: NetworkCorrection, account: Account | None
) -> list[Account]:
    """The organisation's accounts the correction's key matches, and `account`."""
    query = select(Account).where(Account.org_id == row.org_id)
    if row.scope == Scope.ASN.value:
        found = list(session.scalars(query.where(Account.asn == row.asn)))
    elif row.scope == Scope.ORGANISATION.value:
        name = fold(row.organisation or "")
        candidates = session.scalars(query.where(Account.network_organisation.is_not(None)))
        found = [item for item in candidates if fold(item.network_organisation or "") == name]
    else:
        network = ipaddress.ip_network(str(row.network))
        candidates = session.scalars(query.where(Account.network.is_not(None)))
        found = [item for item in candidates if _overlaps(item.network, network)]
    if account is not None and all(item.id != account.id for item in found):
        found.append(account)
    return sorted(found, key=lambda item: item.id)


def company_account(session: Session, row: NetworkCorrection, now: datetime) -> Account:
    """Company X's account, created (identified by the correction) if missing."""
    key = account_key(row.company_domain, row.company_name) or str(row.company_name)
    owner = owner_of_key(session, row.org_id, key)
    if owner is not None:
        return session.get_one(Account, owner)
    target = Account(
        org_id=row.org_id,
        key=key,
        name=row.company_name or key,
        domain=row.company_domain,
        identified_by="correction",
        confidence=HIGH,
        created_at=now,
        updated_at=utcnow(),
    )
    session.add(target)
    session.flush()
    return target


def remove_accounts(session: Session, accounts: list[Account], kind: str) -> int:
    """Delete `accounts` with their events and visits, counting each event as
    traffic of `kind` on its site and day; returns how many events went."""
    ids = [item.id for item in accounts]
    if not ids:
        return 0
    per_day: Counter[tuple[int, Any]] = Counter()
    for site_id, occurred_at in session.execute(
        select(Event.site_id, Event.occurred_at)
        .where(Event.account_id.in_(ids))
        .execution_options(yield_per=1000)
    ):
        per_day[(site_id, occurred_at.date())] += 1
    add_counts(
        session,
        [
            TrafficCountDelta(site_id=site_id, day=when, kind=kind, count=number)
            for (site_id, when), number in sorted(per_day.items())
        ],
    )
    session.execute(delete(Event).where(Event.account_id.in_(ids)))
    session.execute(delete(Visit).where(Visit.account_id.in_(ids)))
    session.execute(delete(Account).where(Account.id.in_(ids)))
    for item in accounts:
        session.expunge(item)
    return sum(per_day.values())


def _event_count(session: Session, ids: list[int]) -> int:
    if not ids:
        return 0
    return session.scalar(select(func.count()).where(Event.account_id.in_(ids))) or 0


def _overlaps(stored: str | None, network: ipaddress.IPv4Network | ipaddress.IPv6Network) -> bool:
    try:
        own = ipaddress.ip_network(str(stored), strict=False)
    except ValueError:
        return False
    return own.version == network.version and own.overlaps(network)
