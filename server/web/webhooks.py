"""The Webhooks page (admins): subscriptions to signed events, their
deliveries (status, response code, attempts) and a redeliver button; and the
public JSON Schema of each event at /schemas/<event>.json.

A subscription's secret is on the answer to the creating POST only, never
flashed (the session cookie is signed, not encrypted).
"""

from __future__ import annotations

from flask import abort, flash, jsonify, redirect, request, url_for
from flask_babel import gettext as _
from sqlalchemy.orm import Session
from werkzeug.wrappers import Response

from server.alerts.posting import host_of
from server.auth import current_org_id
from server.storage import get_session
from server.storage.models import WebhookSubscription
from server.storage.types import utcnow
from server.validation import InvalidInput
from server.web.blueprint import bp
from server.web.forms import EmptyForm
from server.web.pages import private_page
from server.web.roles import admins, current_actor
from server.web.transactions import committed
from server.webhooks import store
from server.webhooks.delivery import Status
from server.webhooks.events import EventType, schema
from server.webhooks.outbox import redeliver

SCHEMA_MAX_AGE = 3600
"""Seconds a client may keep a schema."""


@bp.get("/schemas/<string:event>.json")
def webhook_schema(event: str) -> Response:
    """The JSON Schema of an event's delivery body (public).

    :raise 404: for an unknown event type.
    """
    try:
        kind = EventType(event)
    except ValueError:
        abort(404)
    response = jsonify(schema(kind))
    response.mimetype = "application/schema+json"
    response.headers["Cache-Control"] = f"public, max-age={SCHEMA_MAX_AGE}"
    return response


@admins.page("/webhooks")
def webhooks(error: str | None = None, status: int = 200, secret: str | None = None) -> Response:
    """The Webhooks page; with `error` (and `status`) as the answer to a refused
    change, or with the `secret` of a subscription just made, shown this once."""
    session = get_session()
    shown = request.args.get("status") if request.method == "GET" else None
    shown = shown if shown in (Status.PENDING, Status.DELIVERED, Status.DEAD) else None
    return private_page(  # the secret stays out of caches
        "webhooks.html",
        status,
        subscriptions=[(s, host_of(s.url)) for s in store.subscriptions(session, current_org_id())],
        deliveries=store.recent_deliveries(session, current_org_id(), shown),
        shown=shown,
        events=[event.value for event in EventType],
        form=request.form if status != 200 else {},
        error=error,
        secret=secret,
    )


@admins.post("/webhooks")
def webhooks_add() -> Response:
    if not EmptyForm().validate_on_submit():
        return webhooks(error=_("The form expired: try again."), status=400)
    try:
        secret = committed(
            lambda session: (
                store.subscribe(
                    session,
                    current_org_id(),
                    current_actor(),
                    request.form.get("url", ""),
                    request.form.getlist("events"),
                ).secret
            )
        )
    except InvalidInput as problem:
        return webhooks(error=str(problem), status=400)
    return webhooks(secret=secret)


@admins.post("/webhooks/<id(bits=32):subscription_id>/delete")
def webhooks_remove(subscription_id: int) -> Response:
    if not EmptyForm().validate_on_submit():
        return webhooks(error=_("The form expired: try again."), status=400)
    committed(
        lambda session: store.unsubscribe(
            session,
            current_org_id(),
            current_actor(),
            subscription_or_404(session, subscription_id),
        )
    )
    flash(_("Subscription removed."), "success")
    return redirect(url_for("web.webhooks"), code=303)


@admins.post("/webhooks/deliveries/<id:delivery_id>/redeliver")
def webhooks_redeliver(delivery_id: int) -> Response:
    if not EmptyForm().validate_on_submit():
        return webhooks(error=_("The form expired: try again."), status=400)
    if not committed(lambda session: redeliver(session, current_org_id(), delivery_id, utcnow())):
        abort(404)
    flash(_("Delivery %(id)s sent again.", id=delivery_id), "success")
    return redirect(url_for("web.webhooks"), code=303)


def subscription_or_404(session: Session, subscription_id: int) -> WebhookSubscription:
    """The organisation's subscription `subscription_id`.

    :raise 404: for a subscription that does not exist or is another organisation's.
    """
    subscription = store.subscription_of(session, current_org_id(), subscription_id)
    if subscription is None:
        abort(404)
    return subscription
