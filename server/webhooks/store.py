"""The Webhooks page's reads and writes: subscriptions and their deliveries."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from server.alerts.posting import host_of
from server.audit import Actor, record
from server.storage.models import WebhookDelivery, WebhookSubscription
from server.validation import InvalidInput, webhook_url
from server.webhooks.events import EventType
from server.webhooks.signing import new_secret

DELIVERIES_SHOWN = 50
"""Deliveries the page lists, newest first."""


def subscriptions(session: Session, org_id: int) -> Sequence[WebhookSubscription]:
    return session.scalars(
        select(WebhookSubscription)
        .where(WebhookSubscription.org_id == org_id)
        .order_by(WebhookSubscription.id)
    ).all()


def subscription_of(
    session: Session, org_id: int, subscription_id: int
) -> WebhookSubscription | None:
    found = session.get(WebhookSubscription, subscription_id)
    return found if found is not None and found.org_id == org_id else None


def subscribe(
    session: Session, org_id: int, actor: Actor, url: str, events: Sequence[str]
) -> WebhookSubscription:
    """A new subscription with a fresh secret; audited (the host only), not committed.

    :raise InvalidInput: for a URL that is not http(s), or no known event.
    """
    checked = webhook_url(url, "url")
    if not checked:
        raise InvalidInput("url", "give the URL that receives the events")
    known = {event.value for event in EventType}
    chosen = [event for event in dict.fromkeys(events) if event]
    unknown = [event for event in chosen if event not in known]
    if unknown:
        raise InvalidInput("events", f"{unknown[0]!r} is not an event type")
    if not chosen:
        raise InvalidInput("events", "choose at least one event")
    subscription = WebhookSubscription(
        org_id=org_id, url=checked, events=chosen, secret=new_secret(), enabled=True
    )
    session.add(subscription)
    session.flush()
    host = host_of(checked)
    record(session, org_id, actor, "webhook.subscribed", host, events=chosen)
    return subscription


def unsubscribe(
    session: Session, org_id: int, actor: Actor, subscription: WebhookSubscription
) -> None:
    host = host_of(subscription.url)
    record(session, org_id, actor, "webhook.removed", host)
    session.delete(subscription)


def recent_deliveries(
    session: Session, org_id: int, status: str | None = None
) -> Sequence[tuple[WebhookDelivery, str]]:
    """The latest deliveries, with their subscription's URL host."""
    query = (
        select(WebhookDelivery, WebhookSubscription.url)
        .join(WebhookSubscription, WebhookSubscription.id == WebhookDelivery.subscription_id)
        .where(WebhookDelivery.org_id == org_id)
    )
    if status:
        query = query.where(WebhookDelivery.status == status)
    rows = session.execute(query.order_by(WebhookDelivery.id.desc()).limit(DELIVERIES_SHOWN)).all()
    return [(delivery, host_of(url)) for delivery, url in rows]
