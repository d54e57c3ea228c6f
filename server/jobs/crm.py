"""CRM jobs: push one account to the organisation's CRMs, resync the changed ones.

`push_account_to_crm` reads what to push, releases the database, calls each
enabled CRM through the guarded client (`server/outbound.py`) with retries on
429 and 5xx, then records each outcome in the sync log. A CRM that still fails
after its retries is logged "failed" with its status; the job does not raise,
so a push is never logged twice. `push_hot_account` is what an account
crossing into hot queues; `resync_crm_accounts` runs daily.
"""

from __future__ import annotations

import logging

from flask import current_app
from sqlalchemy import select

from enrich.outbound import GuardedSession
from server.crm.connections import enabled_connections
from server.crm.push import TRIGGERS, accounts_to_resync, plan_push, record_push, send
from server.jobs.queue import enqueue
from server.jobs.task import task
from server.outbound import outbound_policy
from server.storage import get_session, session_scope
from server.storage.models import Account, CrmConnection, CrmSync
from server.storage.types import utcnow

log = logging.getLogger(__name__)

RESYNC_BATCH = 1_000
"""Accounts queued per organisation and CRM by one daily resync."""


@task(queue="alerts")
def push_account_to_crm(account_id: int, trigger: str = "manual", crm: str | None = None) -> int:
    """Push the account to each enabled CRM (or to `crm` only); return how many were written."""
    if trigger not in TRIGGERS:
        raise ValueError(f"trigger: {trigger!r} is not one of {', '.join(TRIGGERS)}")
    session = get_session()
    try:
        account = session.get(Account, account_id)
        rows = enabled_connections(session, account.org_id) if account is not None else []
        rows = [row for row in rows if crm is None or row.crm == crm]
        if account is not None and trigger == "warm":
            rows = [row for row in rows if row.push_warm]
        public_url = current_app.config.get("PUBLIC_URL")
        plans = (
            [(plan_push(session, account, row, trigger, public_url), row) for row in rows]
            if account is not None
            else []  # no account, no connection to push to
        )
        for _, row in plans:
            session.expunge(row)  # read after the transaction ends
    finally:
        session.rollback()  # no lock held while the CRMs are called
    outcomes = []
    with GuardedSession(outbound_policy()) as http:
        outcomes = [(plan, row, send(plan, row, http)) for plan, row in plans]
    written = 0
    with session_scope() as session:
        now = utcnow()
        for plan, row, sent in outcomes:
            sync = record_push(session, plan, row, sent, now)
            written += sync.outcome == "pushed"
            _log(sync, plan.account_id)
    return written


@task(queue="alerts")
def push_hot_account(account_id: int) -> int:
    """An account just became hot: push it where a CRM is connected."""
    return push_account_to_crm(account_id, "hot")


@task(queue="alerts")
def resync_crm_accounts() -> int:
    """Queue a push of every account whose score changed since its last push
    (and, where the setting asks, of warm accounts never pushed); return how many."""
    session = get_session()
    try:
        queued: dict[int, str] = {}
        for row in session.scalars(select(CrmConnection).where(CrmConnection.enabled)).all():
            for account_id in accounts_to_resync(
                session, row.org_id, row.crm, row.push_warm, RESYNC_BATCH
            ):
                queued.setdefault(account_id, row.crm)
    finally:
        session.rollback()
    for account_id in queued:
        enqueue(push_account_to_crm, account_id, "resync")
    log.info("CRM resync: %d account(s) queued", len(queued))
    return len(queued)


def _log(sync: CrmSync, account_id: int) -> None:
    # Ids and the CRM's one-line reason only: no token, no URL, no address.
    log.info(
        "CRM %s: account %d %s%s",
        sync.crm,
        account_id,
        sync.outcome,
        f" ({sync.reason})" if sync.reason else "",
    )
