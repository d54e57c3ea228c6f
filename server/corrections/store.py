"""An organisation's network corrections: saved, listed, undone, compiled.

A correction is keyed by one of an ASN, a network organisation name or a
network; saving a second correction with the same key replaces the first, so
an organisation has at most one answer per key. Every change is audited.
The collector compiles each organisation's corrections with its sites
(`server.collect.sites`); a saved correction reaches new beacons at the next
refresh of the site cache.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from enrich.corrections import Correction, CorrectionTable, Effect, Scope, check
from server.audit import Actor, record
from server.storage.models import NetworkCorrection


def correction_of(row: NetworkCorrection) -> Correction:
    """The resolver's view of a stored correction."""
    return Correction(
        scope=Scope(row.scope),
        effect=Effect(row.effect),
        asn=row.asn,
        organisation=row.organisation,
        network=row.network,
        company_name=row.company_name,
        company_domain=row.company_domain,
    )


def correction_tables(session: Session) -> dict[int, CorrectionTable]:
    """Every organisation's corrections, compiled: organisation id → table."""
    grouped: dict[int, list[Correction]] = defaultdict(list)
    for row in session.scalars(select(NetworkCorrection).order_by(NetworkCorrection.id)):
        grouped[row.org_id].append(correction_of(row))
    return {org_id: CorrectionTable.of(items) for org_id, items in grouped.items()}


def list_corrections(session: Session, org_id: int) -> Sequence[NetworkCorrection]:
    """The organisation's corrections, newest first."""
    return session.scalars(
        select(NetworkCorrection)
        .where(NetworkCorrection.org_id == org_id)
        .order_by(NetworkCorrection.created_at.desc(), NetworkCorrection.id.desc())
    ).all()


def get_correction(session: Session, org_id: int, correction_id: int) -> NetworkCorrection | None:
    """The organisation's correction `correction_id`; None if it has none such."""
    return session.scalar(
        select(NetworkCorrection).where(
            NetworkCorrection.id == correction_id, NetworkCorrection.org_id == org_id
        )
    )


def save_correction(
    session: Session,
    org_id: int,
    correction: Correction,
    actor: Actor,
    account_name: str | None = None,
) -> NetworkCorrection:
    """Store `correction` for the organisation, replacing one with the same key.

    The caller commits. :raise CorrectionError: naming the field at fault.
    """
    correction = check(correction)
    key = {
        Scope.ASN: NetworkCorrection.asn == correction.asn,
        Scope.ORGANISATION: NetworkCorrection.organisation == correction.organisation,
        Scope.NETWORK: NetworkCorrection.network == correction.network,
    }[correction.scope]
    for old in session.scalars(
        select(NetworkCorrection).where(
            NetworkCorrection.org_id == org_id,
            NetworkCorrection.scope == correction.scope.value,
            key,
        )
    ):
        session.delete(old)
    row = NetworkCorrection(
        org_id=org_id,
        scope=correction.scope.value,
        asn=correction.asn if correction.scope is Scope.ASN else None,
        organisation=correction.organisation if correction.scope is Scope.ORGANISATION else None,
        network=correction.network if correction.scope is Scope.NETWORK else None,
        effect=correction.effect.value,
        company_name=correction.company_name,
        company_domain=correction.company_domain,
        account_name=account_name,
        retroactive={},
        created_by=actor.label,
        created_by_user_id=actor.user_id,
    )
    session.add(row)
    session.flush()
    record(session, org_id, actor, "correction.added", describe_key(row), **describe(row))
    return row


def remove_correction(session: Session, org_id: int, row: NetworkCorrection, actor: Actor) -> None:
    """Undo a correction: new traffic is resolved as the databases say again.

    What it changed retroactively (events moved or removed) stays so. The caller commits.
    """
    record(session, org_id, actor, "correction.removed", describe_key(row), **describe(row))
    session.delete(row)


def describe_key(row: NetworkCorrection) -> str:
    """The correction's key as the corrections page writes it: `AS3215`, a name, a CIDR."""
    if row.scope == Scope.ASN.value:
        return f"AS{row.asn}"
    return str(row.organisation if row.scope == Scope.ORGANISATION.value else row.network)


def describe(row: NetworkCorrection) -> dict[str, Any]:
    """The audit entry's detail of a correction."""
    detail: dict[str, Any] = {"scope": row.scope, "effect": row.effect}
    if row.effect == Effect.COMPANY.value:
        detail.update(name=row.company_name, domain=row.company_domain)
    return detail
