"""Attempting webhook deliveries: one delivery row per event and
subscription (made by `server.webhooks.outbox`), attempted at once, retried
with exponential backoff until `retry_until` (24 hours by default), then
dead-lettered.

An attempt first claims its row (a conditional UPDATE that moves
`next_attempt_at` past the attempt's own time limit), so the job sent at
`emit` and the periodic retry never post the same delivery twice at once.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any, cast

from flask import current_app
from sqlalchemy import CursorResult, select, update
from sqlalchemy.orm import Session

from server.alerts.posting import POST_TIMEOUT, WebhookFailed, WebhookRefused, host_of, post_json
from server.storage import begin_write
from server.storage.models import WebhookDelivery, WebhookSubscription
from server.storage.types import utcnow
from server.webhooks.signing import SIGNATURE_HEADER, signature

log = logging.getLogger(__name__)

MAX_BACKOFF = timedelta(hours=2)
"""Longest wait between two attempts."""

CLAIM = timedelta(seconds=POST_TIMEOUT * 6)
"""How long a claimed delivery is left to its attempt before another may try."""

RETRY_BATCH = 100
"""Deliveries one periodic pass attempts at most."""


class Status:
    PENDING = "pending"
    DELIVERED = "delivered"
    DEAD = "dead"


def new_delivery(
    subscription: WebhookSubscription, envelope: dict[str, Any], now: datetime
) -> WebhookDelivery:
    return WebhookDelivery(
        org_id=subscription.org_id,
        subscription_id=subscription.id,
        event_id=envelope["id"],
        event_type=envelope["type"],
        payload=envelope,
        status=Status.PENDING,
        attempts=0,
        next_attempt_at=now,
        retry_until=now + retry_window(),
        created_at=now,
    )


def retry_window() -> timedelta:
    return timedelta(hours=current_app.config["WEBHOOK_RETRY_HOURS"])


def backoff(attempts: int) -> timedelta:
    """The wait after the `attempts`-th failed attempt: the base, doubled each time."""
    base = current_app.config["WEBHOOK_RETRY_BASE_SECONDS"]
    return min(timedelta(seconds=base * 2 ** (attempts - 1)), MAX_BACKOFF)


def claim(session: Session, delivery_id: int, now: datetime) -> WebhookDelivery | None:
    """The delivery if it is due and this attempt got it, else None."""
    claimed = cast(  # an UPDATE's result is a cursor's, with a row count
        CursorResult[Any],
        session.execute(
            update(WebhookDelivery)
            .where(
                WebhookDelivery.id == delivery_id,
                WebhookDelivery.status == Status.PENDING,
                WebhookDelivery.next_attempt_at <= now,
            )
            .values(next_attempt_at=now + CLAIM)
        ),
    )
    session.commit()
    if not claimed.rowcount:
        return None
    return session.get(WebhookDelivery, delivery_id)


def attempt(session: Session, delivery_id: int, now: datetime | None = None) -> str | None:
    """Post a due delivery once, signed, and record what came of it (committed).

    No transaction is open while the receiver answers: on SQLite a read that
    turned into a write after another writer committed would fail.

    :returns: its status after the attempt, or None if it was not due or taken.
    """
    now = now or utcnow()
    delivery = claim(session, delivery_id, now)
    if delivery is None:
        return None
    subscription = session.get(WebhookSubscription, delivery.subscription_id)
    if subscription is None or not subscription.enabled:
        return record(session, delivery_id, now, WebhookFailed("subscription disabled"), dead=True)
    url = subscription.url
    body = json.dumps(delivery.payload, separators=(",", ":")).encode()
    headers = {
        SIGNATURE_HEADER: signature(subscription.secret, int(now.timestamp()), body),
        "Vigie-Event": delivery.event_type,
        "Vigie-Delivery": str(delivery.id),
    }
    session.rollback()
    try:
        status = post_json(url, body, headers)
    except WebhookFailed as failure:
        log.info("webhook %s to %s: %s", delivery_id, host_of(url), failure)
        return record(session, delivery_id, now, failure)
    return record(session, delivery_id, now, status)


def record(
    session: Session,
    delivery_id: int,
    now: datetime,
    outcome: int | WebhookFailed,
    dead: bool = False,
) -> str:
    """Count an attempt that got `outcome` (a 2xx status or a failure); committed."""
    begin_write(session)
    delivery = session.get(WebhookDelivery, delivery_id)
    if delivery is None:  # its subscription was removed meanwhile
        session.commit()
        return Status.DEAD
    delivery.attempts += 1
    if isinstance(outcome, WebhookFailed):
        failed(delivery, outcome, now)
        if dead:
            delivery.status = Status.DEAD
    else:
        delivery.response_code, delivery.last_error = outcome, None
        delivery.status, delivery.delivered_at = Status.DELIVERED, now
    session.commit()
    return delivery.status


def failed(delivery: WebhookDelivery, failure: WebhookFailed, now: datetime) -> None:
    """Plan the next attempt, or dead-letter the delivery past its window or
    when its address is refused."""
    delivery.response_code = failure.status
    delivery.last_error = str(failure)[:200]
    next_attempt = now + backoff(delivery.attempts)
    if isinstance(failure, WebhookRefused) or next_attempt > delivery.retry_until:
        delivery.status = Status.DEAD
        delivery.next_attempt_at = now
    else:
        delivery.next_attempt_at = next_attempt


def due_deliveries(session: Session, now: datetime) -> Sequence[int]:
    return session.scalars(
        select(WebhookDelivery.id)
        .where(WebhookDelivery.status == Status.PENDING, WebhookDelivery.next_attempt_at <= now)
        .order_by(WebhookDelivery.next_attempt_at)
        .limit(RETRY_BATCH)
    ).all()
