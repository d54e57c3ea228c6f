"""Company website facts as an enrichment provider: opt-in, cached per domain, a job.

An organisation's admins switch it on (`settings["lead_website_facts"]`); it
is off by default, since it makes Vigie call the companies of the list. When
on, each import (and the switch itself) queues `fetch_lead_websites`
(`server/jobs/leads.py`), which
fetches the homepage of every professional lead's company domain not fetched
within `VIGIE_LEAD_WEBSITE_REFRESH_DAYS` (a failure is tried again after a
day), keeps what it said in `lead_websites` and rescores the leads of those
domains: the model's keyword rules read the title, and a lead with no
language of its own takes the homepage's. Free, disposable, role and invalid
addresses are never looked at, and nothing but the domain goes out.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session

from enrich.leads import EmailClass
from server.leads.websites import Status, WebsiteFetch
from server.storage.models import Lead, LeadWebsite, Organisation

SETTING = "lead_website_facts"
"""The organisation setting that opts in (a boolean)."""

FETCH_BATCH = 50
"""Homepages fetched per job run; a run that fills its batch queues the next."""

RETRY_FAILED_AFTER = timedelta(days=1)
"""A homepage that could not be fetched is tried again after this."""

AGENT_VERSION = "0.1"


def opted_in(session: Session, org_id: int) -> bool:
    """Whether the organisation's admins switched website facts on."""
    settings = session.scalar(select(Organisation.settings).where(Organisation.id == org_id))
    return bool((settings or {}).get(SETTING))


def set_opted_in(session: Session, org_id: int, enabled: bool) -> None:
    """Switch website facts on or off (the caller commits, audits and, when
    on, queues `server.jobs.leads.fetch_lead_websites`)."""
    organisation = session.get(Organisation, org_id)
    if organisation is None:
        raise LookupError(f"no organisation {org_id}")
    organisation.settings = {**(organisation.settings or {}), SETTING: enabled}


def website_counts(session: Session, org_id: int) -> dict[str, int]:
    """How many company homepages of the organisation ended in each `Status`."""
    rows = session.execute(
        select(LeadWebsite.status, func.count())
        .where(LeadWebsite.org_id == org_id)
        .group_by(LeadWebsite.status)
    )
    return {status: int(count) for status, count in rows}


def domains_to_fetch(session: Session, org_id: int, now: datetime, limit: int) -> list[str]:
    """Company domains of professional leads with no fresh homepage facts."""
    refresh = timedelta(days=current_app.config["LEAD_WEBSITE_REFRESH_DAYS"])
    stale = or_(
        LeadWebsite.id.is_(None),
        LeadWebsite.fetched_at < now - refresh,
        and_(
            LeadWebsite.status == Status.FAILED.value,
            LeadWebsite.fetched_at < now - RETRY_FAILED_AFTER,
        ),
    )
    query = (
        select(Lead.company_domain)
        .outerjoin(
            LeadWebsite,
            and_(LeadWebsite.org_id == Lead.org_id, LeadWebsite.domain == Lead.company_domain),
        )
        .where(
            Lead.org_id == org_id,
            Lead.email_class == EmailClass.PROFESSIONAL.value,
            Lead.company_domain.is_not(None),
            stale,
        )
        .distinct()
        .order_by(Lead.company_domain)
        .limit(limit)
    )
    return [domain for domain in session.scalars(query) if domain]


def store_fetch(
    session: Session, org_id: int, domain: str, fetched: WebsiteFetch, now: datetime
) -> None:
    """Keep the outcome of fetching `domain`'s homepage, replacing the last one."""
    row = session.scalars(
        select(LeadWebsite).where(LeadWebsite.org_id == org_id, LeadWebsite.domain == domain)
    ).first()
    if row is None:
        row = LeadWebsite(org_id=org_id, domain=domain)
        session.add(row)
    facts = fetched.facts
    row.status = fetched.status.value
    row.title = facts.title if facts else None
    row.html_lang = facts.html_lang[:35] if facts and facts.html_lang else None
    row.detected_language = facts.detected_language if facts else None
    row.truncated = fetched.truncated
    row.error = (fetched.error or "")[:300] or None
    row.fetched_at = now
