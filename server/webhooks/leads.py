"""`lead.scored` events: each lead scored or rescored since the last pass.

The lead lists score leads on import and rescore them when the model is
saved; this pass, run with the account changes every 5 minutes, sends one
event per lead scored since the organisation's mark (the last lead's
`scored_at` and id, kept in its settings), at most `LEADS_PER_PASS` at a
time. The first pass after a subscription sets the mark without sending the
leads scored before it. A lead is the organisation's own data, sent only to
the endpoints its admins subscribed.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from server.storage.models import Lead, Organisation, WebhookSubscription
from server.webhooks.events import EventType
from server.webhooks.outbox import emit

LEADS_PER_PASS = 500
"""Leads one pass announces per organisation; the rest wait for the next."""

MARK = "webhooks_leads_mark"
"""The organisation setting holding [scored_at ISO, lead id] of the last lead announced."""


def lead_data(lead: Lead) -> dict[str, Any]:
    return {
        "lead": {
            "id": lead.id,
            "list_id": lead.list_id,
            "email": lead.email,
            "email_class": lead.email_class,
            "phone_class": lead.phone_class,
            "country": lead.country,
            "language": lead.language,
            "company_domain": lead.company_domain,
            "account_id": lead.account_id,
            "score": lead.score,
            "tier": lead.tier,
            "why": lead.explanation,
            "scored_at": lead.scored_at.isoformat() if lead.scored_at else None,
        }
    }


def announce_scored_leads(session: Session, org_id: int, now: datetime) -> int:
    """Emit `lead.scored` for the organisation's leads scored since its mark;
    returns how many. Not committed."""
    subscriptions = session.scalars(
        select(WebhookSubscription).where(
            WebhookSubscription.org_id == org_id, WebhookSubscription.enabled
        )
    ).all()
    subscribed = any(EventType.LEAD_SCORED.value in item.events for item in subscriptions)
    organisation = session.get(Organisation, org_id)
    if not subscribed or organisation is None:
        return 0
    mark = (organisation.settings or {}).get(MARK)
    if mark is None:
        _set_mark(organisation, now, 0)
        return 0
    since, last_id = datetime.fromisoformat(mark[0]), int(mark[1])
    leads = session.scalars(
        select(Lead)
        .where(
            Lead.org_id == org_id,
            Lead.scored_at.is_not(None),
            or_(Lead.scored_at > since, and_(Lead.scored_at == since, Lead.id > last_id)),
        )
        .order_by(Lead.scored_at, Lead.id)
        .limit(LEADS_PER_PASS)
    ).all()
    for lead in leads:
        emit(org_id, EventType.LEAD_SCORED.value, lead_data(lead), session)
    if leads:
        last = leads[-1]
        assert last.scored_at is not None  # the query keeps scored leads only
        _set_mark(organisation, last.scored_at, last.id)
    return len(leads)


def _set_mark(organisation: Organisation, scored_at: datetime, lead_id: int) -> None:
    organisation.settings = {
        **(organisation.settings or {}),
        MARK: [scored_at.isoformat(), lead_id],
    }
