"""Enrichment jobs: enrich one account, refresh the stale ones.

`enrich_account` commits what the providers said (answers and errors) before
it raises for a retryable failure, so the error is visible at once and RQ (or
the in-process runner) retries with backoff. HTTP providers share one guarded
session per job (`server/outbound.py`).
"""

from __future__ import annotations

import logging

from enrich.providers import ProviderError
from server.enrichment import (
    build_providers,
    enrich,
    organisation_settings,
    record_failure,
    stale_account_ids,
)
from server.jobs.queue import enqueue
from server.jobs.task import task
from server.outbound import outbound_session
from server.scoring_models import model_for
from server.storage import session_scope
from server.storage.models import Account
from server.storage.types import utcnow

log = logging.getLogger(__name__)


class EnrichmentFailed(RuntimeError):
    """A provider could not answer now; the job is retried."""


@task(queue="enrich")
def enrich_account(account_id: int) -> int:
    """Run the organisation's providers for one account; return the errors met."""
    now = utcnow()
    with session_scope() as session:
        account = session.get(Account, account_id)
        if account is None:
            return 0
        settings = organisation_settings(session, account.org_id)
        with outbound_session() as http:
            try:
                providers = build_providers(settings, http)
            except ProviderError as error:
                record_failure(session, account_id, error, now)
                return 1
            roles = model_for(session, account.org_id).roles  # its personas' decision makers
            errors = enrich(session, account, providers, now, roles)
    retryable = [error for error in errors if error.retryable]
    if retryable:
        raise EnrichmentFailed("; ".join(str(error) for error in retryable))
    return len(errors)


@task(queue="enrich")
def refresh_stale_accounts() -> int:
    """Queue enrichment of accounts not enriched for 30 days; return how many."""
    with session_scope() as session:
        account_ids = stale_account_ids(session, utcnow())
    for account_id in account_ids:
        enqueue(enrich_account, account_id)
    log.info("enrichment refresh: %d account(s) queued", len(account_ids))
    return len(account_ids)
