"""The rescoring jobs: touched accounts, and every account of an organisation.

The work itself is the rescoring service's (`server/rescoring.py`).
"""

from __future__ import annotations

from server.jobs.task import task
from server.rescoring import organisation_account_ids, rescore_apart, rescore_in_batches
from server.storage import get_session
from server.storage.types import utcnow


@task(queue="score", merges_arguments=True)
def rescore_accounts(*account_ids: int) -> int:
    """Rescore the given accounts now; returns how many were scored.

    Calls waiting to run in-process are merged: under a flood of beacons the
    touched accounts are rescored together every few seconds, not per batch."""
    return rescore_apart(account_ids, utcnow())


@task(queue="score")
def rescore_organisation(org_id: int) -> int:
    """Rescore every account of the organisation, in batches (after a model change)."""
    return rescore_in_batches(organisation_account_ids(get_session(), org_id), utcnow())
