"""The lead jobs: rescoring an organisation's leads, reading their companies' homepages.

The work itself is in `server/leads/`: `scoring.py` scores, `website_facts.py`
chooses the domains and keeps what their homepages said.
"""

from __future__ import annotations

from collections.abc import Iterable

from flask import current_app

from enrich.outbound import GuardedSession
from enrich.providers.website import user_agent
from server.jobs.queue import enqueue
from server.jobs.task import task
from server.leads.scoring import rescore_organisation_leads
from server.leads.website_facts import (
    AGENT_VERSION,
    FETCH_BATCH,
    domains_to_fetch,
    opted_in,
    store_fetch,
)
from server.leads.websites import MAX_REDIRECTS, fetch_website, homepage_url
from server.outbound import outbound_policy
from server.storage import get_session, session_scope
from server.storage.types import utcnow


@task(queue="score")
def rescore_leads(org_id: int) -> int:
    """Rescore every lead of the organisation (after a model change), a batch
    per transaction; returns how many were scored."""
    return rescore_organisation_leads(get_session(), org_id, utcnow())


@task(queue="enrich")
def fetch_lead_websites(org_id: int) -> int:
    """Fetch the homepages of up to `FETCH_BATCH` of the organisation's lead
    domains and rescore their leads; returns how many were fetched."""
    config = current_app.config
    with session_scope() as session:
        if not opted_in(session, org_id):
            return 0
        domains = domains_to_fetch(session, org_id, utcnow(), FETCH_BATCH)
    if not domains:
        return 0
    agent = user_agent(AGENT_VERSION, config["PUBLIC_URL"])
    timeout = float(config["LEAD_WEBSITE_TIMEOUT"])
    with GuardedSession(outbound_policy(), timeout=timeout, max_redirects=MAX_REDIRECTS) as http:
        for domain in domains:
            url = homepage_url(config["LEAD_WEBSITE_URL"], domain)
            fetched = fetch_website(http, url, agent, timeout)
            with session_scope() as session:
                store_fetch(session, org_id, domain, fetched, utcnow())
    rescore_domains(org_id, domains)
    if len(domains) == FETCH_BATCH:
        enqueue(fetch_lead_websites, org_id)
    return len(domains)


def rescore_domains(org_id: int, domains: Iterable[str]) -> int:
    """Rescore the organisation's leads at `domains` with what their homepages said."""
    return rescore_organisation_leads(get_session(), org_id, utcnow(), domains=list(domains))
