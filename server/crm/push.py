"""Pushing an account to a CRM: whether it may go, what is written, the sync log.

A push runs in three steps so that no database lock is held while a CRM is
called (a 429 may make it wait): `plan_push` reads the account and the
connection, `send` calls the CRM (no database), `record_push` writes the
outcome in one short transaction.

Never pushed, whatever asked: an account with no domain, with a free-mail
domain, or whose latest visit came through an ISP, a mobile carrier or a data
centre (its network is an operator's, not the company's). A push whose values
are those of the last successful one sends nothing and is logged "unchanged".
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from enum import StrEnum
from typing import Any

import requests
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from enrich.connection import ConnectionClass
from enrich.crm import Change, Company, CrmError, CrmResult, CrmStatus, Failure
from enrich.crm.http import RetryPolicy
from enrich.crm.mapping import company
from server.crm.connections import connector_for, note_check
from server.storage.models import Account, Contact, CrmConnection, CrmSync, Visit

TRIGGERS = ("hot", "warm", "manual", "list", "resync")
"""What asked for a push: becoming hot, the warm setting, an account page, a
filtered accounts list, the daily resync."""

FREE_MAIL_DOMAINS = frozenset(
    {
        "gmail.com", "googlemail.com", "yahoo.com", "yahoo.fr", "hotmail.com", "hotmail.fr",
        "outlook.com", "live.com", "msn.com", "aol.com", "icloud.com", "me.com", "gmx.com",
        "gmx.de", "gmx.net", "web.de", "orange.fr", "wanadoo.fr", "free.fr", "laposte.net",
        "sfr.fr", "mail.ru", "yandex.ru", "proton.me", "protonmail.com", "qq.com", "163.com",
    }
)  # fmt: skip
"""Domains of personal mailboxes: a company there is nobody's company."""

OPERATOR_CLASSES = {
    ConnectionClass.ISP.value: "ISP",
    ConnectionClass.MOBILE.value: "ISP",
    ConnectionClass.HOSTING.value: "data centre",
}
"""Connection classes of a visit that make its account an operator's network."""

WHY_REASONS = 3
TOP_PAGES = 5
DECISION_MAKERS = 5


class Outcome(StrEnum):
    """What became of a push, as the sync log shows it."""

    PUSHED = "pushed"
    UNCHANGED = "unchanged"
    REFUSED = "refused"
    FAILED = "failed"


@dataclass(frozen=True)
class Write:
    """What a push writes: the company as the connection's mapping shapes it, and
    its fingerprint."""

    company: Company
    fingerprint: str


@dataclass(frozen=True)
class Plan:
    """What pushing one account through a connection will do, read before the CRM
    is called: nothing when refused (`refusal` says why), else `write`, which is
    not sent when `unchanged` since the last successful push."""

    org_id: int
    account_id: int
    trigger: str
    score: int
    refusal: str | None = None
    write: Write | None = None
    unchanged: bool = False


@dataclass
class Sent:
    """What the CRM said: the write's result (or error) and the status read back."""

    result: CrmResult | None = None
    error: CrmError | None = None
    status: CrmStatus | None = None
    notes: list[str] = field(default_factory=list)


def refusal(session: Session, account: Account) -> str | None:
    """Why the account is never pushed, or None."""
    domain = (account.domain or "").strip().lower()
    if not domain:
        return "no domain"
    if domain in FREE_MAIL_DOMAINS:
        return "free-mail domain"
    latest = session.scalar(
        select(Visit.connection_class)
        .where(Visit.account_id == account.id)
        .order_by(Visit.started_at.desc())
        .limit(1)
    )
    operator = OPERATOR_CLASSES.get(latest or "")
    return f"classified {operator}" if operator else None


def field_values(session: Session, account: Account, public_url: str | None) -> dict[str, Any]:
    """The account's values for the mapping, by Vigie field name."""
    reasons = [
        f"{item['label']} ({item['points']:+g})"
        for item in (account.explanation or [])[:WHY_REASONS]
        if isinstance(item, dict) and "label" in item
    ]
    contacts = session.scalars(
        select(Contact)
        .where(Contact.account_id == account.id)
        .order_by(Contact.id)
        .limit(DECISION_MAKERS)
    ).all()
    return {
        "score": account.score,
        "tier": account.tier,
        "fit": round(account.fit or 0.0, 1),
        "engagement": round(account.engagement or 0.0, 1),
        "why": "; ".join(reasons) or None,
        "top_pages": ", ".join((account.top_pages or [])[:TOP_PAGES]) or None,
        "last_seen": account.last_seen.date().isoformat() if account.last_seen else None,
        "vigie_url": f"{public_url}/accounts/{account.id}" if public_url else None,
        # Names and titles only: e-mail addresses stay in Vigie.
        "decision_makers": "; ".join(
            f"{c.name} ({c.title})" if c.title else c.name for c in contacts
        )
        or None,
    }


def fingerprint(crm: str, written: Company) -> str:
    """SHA-256 of what a push writes: the same values give the same fingerprint."""
    data = {"crm": crm, "domain": written.domain, "name": written.name, **written.properties}
    return hashlib.sha256(json.dumps(data, sort_keys=True, default=str).encode()).hexdigest()


def plan_push(
    session: Session,
    account: Account,
    connection: CrmConnection,
    trigger: str,
    public_url: str | None,
) -> Plan:
    """Decide what pushing `account` through `connection` does (reads only)."""
    base = Plan(org_id=account.org_id, account_id=account.id, trigger=trigger, score=account.score)
    why_not = refusal(session, account)
    if why_not:
        return replace(base, refusal=why_not)
    values = field_values(session, account, public_url)
    domain = (account.domain or "").strip().lower()
    written = company(domain, account.name, values, connection.mapping or {})
    digest = fingerprint(connection.crm, written)
    last = last_written(session, account.id, connection.crm)
    return replace(base, write=Write(written, digest), unchanged=last == digest)


def last_written(session: Session, account_id: int, crm: str) -> str | None:
    """The fingerprint of the account's last successful push to `crm`."""
    return session.scalar(
        select(CrmSync.fingerprint)
        .where(
            CrmSync.account_id == account_id,
            CrmSync.crm == crm,
            CrmSync.outcome.in_((Outcome.PUSHED.value, Outcome.UNCHANGED.value)),
        )
        .order_by(CrmSync.id.desc())
        .limit(1)
    )


def send(
    plan: Plan, connection: CrmConnection, http: requests.Session, policy: RetryPolicy | None = None
) -> Sent:
    """Write the company and read its status back (no database); nothing for a
    refused or unchanged plan."""
    sent = Sent()
    if plan.write is None or plan.unchanged:
        return sent
    company = plan.write.company
    try:
        connector = connector_for(connection, http, policy)
        sent.result = connector.upsert_company(company)
    except CrmError as error:
        sent.error = error
        return sent
    try:
        sent.status = connector.read_status(company.domain)
    except CrmError as error:
        sent.notes.append(f"status not read: {error.reason}")
    return sent


def record_push(
    session: Session, plan: Plan, connection: CrmConnection, sent: Sent, now: datetime
) -> CrmSync:
    """Write the outcome of the push through `connection` to the sync log, and the
    CRM status to the account."""
    row = CrmSync(
        org_id=plan.org_id,
        account_id=plan.account_id,
        crm=connection.crm,
        trigger=plan.trigger,
        score=plan.score,
        at=now,
    )
    digest = plan.write.fingerprint if plan.write is not None else None
    if plan.refusal:
        row.outcome, row.reason = Outcome.REFUSED.value, plan.refusal
    elif plan.unchanged:
        row.outcome, row.change, row.fingerprint = (
            Outcome.UNCHANGED.value,
            Change.UNCHANGED.value,
            digest,
        )
    elif sent.error is not None:
        row.outcome, row.reason, row.http_status = (
            Outcome.FAILED.value,
            sent.error.reason,
            sent.error.status,
        )
        if sent.error.failure in (Failure.AUTH, Failure.SETTINGS, Failure.REFUSED):
            stored = session.get(CrmConnection, connection.id)
            if stored is not None:
                note_check(stored, sent.error.reason, ok=False)
    elif sent.result is not None:
        row.outcome, row.change, row.http_status, row.crm_id = (
            Outcome.PUSHED.value,
            sent.result.change.value,
            sent.result.status,
            sent.result.id[:64] or None,
        )
        row.fingerprint = digest
        row.reason = "; ".join(sent.notes)[:300] or None
        if sent.status is not None:
            store_status(session, plan.account_id, sent.status, now)
    session.add(row)
    session.flush()
    return row


def store_status(session: Session, account_id: int, status: CrmStatus, now: datetime) -> None:
    account = session.get(Account, account_id)
    if account is None:
        return
    account.crm_lifecycle = (status.lifecycle or "")[:60] or None
    account.crm_customer = status.customer
    account.crm_open_opportunity = status.open_opportunity
    account.crm_checked_at = now


def sync_log(
    session: Session, org_id: int, account_id: int | None = None, limit: int = 100
) -> Sequence[tuple[CrmSync, str | None]]:
    """The newest pushes of the organisation (or of one account), with account names."""
    query = (
        select(CrmSync, Account.name)
        .join(Account, Account.id == CrmSync.account_id, isouter=True)
        .where(CrmSync.org_id == org_id)
    )
    if account_id is not None:
        query = query.where(CrmSync.account_id == account_id)
    rows = session.execute(query.order_by(CrmSync.id.desc()).limit(limit)).all()
    return [(sync, name) for sync, name in rows]


def accounts_to_resync(
    session: Session, org_id: int, crm: str, push_warm: bool, limit: int
) -> list[int]:
    """Accounts pushed to `crm` whose score changed since their last push, then
    (with `push_warm`) warm and hot accounts never pushed to it."""
    last = (
        select(CrmSync.account_id, func.max(CrmSync.id).label("sync_id"))
        .where(
            CrmSync.org_id == org_id,
            CrmSync.crm == crm,
            CrmSync.outcome.in_((Outcome.PUSHED.value, Outcome.UNCHANGED.value)),
        )
        .group_by(CrmSync.account_id)
        .subquery()
    )
    changed = session.scalars(
        select(Account.id)
        .join(last, last.c.account_id == Account.id)
        .join(CrmSync, CrmSync.id == last.c.sync_id)
        .where(Account.org_id == org_id, Account.score != CrmSync.score)
        .order_by(Account.id)
        .limit(limit)
    ).all()
    ids = list(changed)
    if push_warm and len(ids) < limit:
        tried = select(CrmSync.account_id).where(CrmSync.org_id == org_id, CrmSync.crm == crm)
        ids += session.scalars(
            select(Account.id)
            .where(
                Account.org_id == org_id,
                Account.tier.in_(("hot", "warm")),
                Account.id.not_in(tried.where(CrmSync.account_id.is_not(None))),
            )
            .order_by(Account.score.desc(), Account.id)
            .limit(limit - len(ids))
        ).all()
    return ids
