"""Queueing webhook events: a delivery row per subscription, sent after commit.

`emit` records an event for each of the organisation's subscriptions to it and
queues the first attempt of each (`server.jobs.webhooks.deliver_webhook`);
`redeliver` queues a delivery again. Attempts are `server.webhooks.delivery`'s.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from server.jobs import enqueue
from server.jobs.webhooks import deliver_webhook
from server.storage import session_scope
from server.storage.models import WebhookDelivery, WebhookSubscription
from server.storage.types import utcnow
from server.webhooks.delivery import Status, new_delivery, retry_window
from server.webhooks.events import EventType


def emit(
    org_id: int, event_type: str, data: dict[str, Any], session: Session | None = None
) -> list[int]:
    """Record event `event_type` with `data` for each of the organisation's
    subscriptions to it, and send them once the transaction commits.

    With `session`, the caller commits; without, a unit of work of its own
    does. Returns the new deliveries' ids.

    :raise ValueError: for an unknown event type.
    """
    event = EventType(event_type)
    if session is None:
        with session_scope() as own:
            return emit(org_id, event.value, data, own)
    now = utcnow()
    subscriptions = session.scalars(
        select(WebhookSubscription).where(
            WebhookSubscription.org_id == org_id, WebhookSubscription.enabled
        )
    ).all()
    envelope = {
        "id": str(uuid.uuid4()),
        "type": event.value,
        "created": now.isoformat(),
        "organisation_id": org_id,
        "data": data,
    }
    ids = []
    for subscription in subscriptions:
        if event.value not in subscription.events:
            continue
        delivery = new_delivery(subscription, envelope, now)
        session.add(delivery)
        session.flush()
        ids.append(delivery.id)
    for delivery_id in ids:
        enqueue(deliver_webhook, delivery_id)
    return ids


def redeliver(session: Session, org_id: int, delivery_id: int, now: datetime) -> bool:
    """Send a delivery of `org_id` again, with a fresh retry window (the same
    event id, so receivers can tell). False if it is not the organisation's."""
    delivery = session.get(WebhookDelivery, delivery_id)
    if delivery is None or delivery.org_id != org_id:
        return False
    delivery.status = Status.PENDING
    delivery.next_attempt_at = now
    delivery.retry_until = now + retry_window()
    enqueue(deliver_webhook, delivery.id)
    return True
