"""The overview: how many accounts are hot, warm and cold, what turned hot this
week, how much of the traffic could be tied to a company, and the
identification funnel of the organisation's sites."""

from __future__ import annotations

from datetime import timedelta

from flask import render_template

from server.accounts.lookup import count_hot_since, hot_since
from server.accounts.query import tier_counts
from server.auth import current_org_id
from server.sites.funnel import DEFAULT_FUNNEL_DAYS, Period, period_funnel
from server.sites.traffic import traffic_mix
from server.storage import get_session
from server.storage.tenancy import count_sites
from server.storage.types import utcnow
from server.web.roles import members

NEW_HOT_DAYS = 7
"""How far back an account that turned hot counts as new."""

NEW_HOT_SHOWN = 10
"""New hot accounts listed (the count says how many there are)."""


@members.route("/")
def overview() -> str:
    session = get_session()
    org_id = current_org_id()
    now = utcnow()
    tiers = tier_counts(session, org_id)
    week = now - timedelta(days=NEW_HOT_DAYS)
    new_hot = hot_since(session, org_id, week, NEW_HOT_SHOWN)
    new_hot_count = count_hot_since(session, org_id, week)
    return render_template(
        "overview.html",
        tiers=tiers,
        new_hot=new_hot,
        new_hot_count=new_hot_count,
        traffic=traffic_mix(session, org_id, now),
        funnel=period_funnel(session, org_id, Period.last_days(DEFAULT_FUNNEL_DAYS, now)),
        funnel_days=DEFAULT_FUNNEL_DAYS,
        sites_count=count_sites(session, org_id),
    )
