"""The webhook jobs: the first attempt of a delivery, and the periodic retry pass.

The attempts themselves are `server.webhooks.delivery`'s.
"""

from __future__ import annotations

from server.jobs.task import task
from server.storage import session_scope
from server.storage.types import utcnow
from server.webhooks.delivery import attempt, due_deliveries


@task(queue="alerts")
def deliver_webhook(delivery_id: int) -> str | None:
    """Attempt one delivery now, if it is still due; its status after."""
    with session_scope() as session:
        return attempt(session, delivery_id)


@task(queue="alerts")
def retry_webhook_deliveries() -> int:
    """Attempt every delivery whose next attempt is due; returns how many."""
    now = utcnow()
    with session_scope() as session:
        due = due_deliveries(session, now)
        for delivery_id in due:
            attempt(session, delivery_id, now)
    return len(due)
