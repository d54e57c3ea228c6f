"""The overview: how many accounts are hot, warm and cold, what turned hot this
week, how much of the traffic could be tied to a company, and the
identification funnel of the organisation's sites."""

from __future__ import annotations

from datetime import timedelta

from flask import render_template
from flask_login import login_required
from sqlalchemy import func, select

from server.accounts.query import tier_counts
from server.auth import current_org_id
from server.sites.funnel import DEFAULT_FUNNEL_DAYS, Period, period_funnel
from server.sites.traffic import traffic_mix
from server.storage import get_session
from server.storage.models import Account, Site
from server.storage.types import utcnow
from server.web.blueprint import bp

NEW_HOT_DAYS = 7


@bp.route("/")
@login_required
def overview() -> str:
    session = get_session()
    org_id = current_org_id()
    now = utcnow()
    tiers = tier_counts(session, org_id)
    new_hot = session.scalars(
        select(Account)
        .where(Account.org_id == org_id, Account.hot_since >= now - timedelta(days=NEW_HOT_DAYS))
        .order_by(Account.hot_since.desc())
        .limit(10)
    ).all()
    new_hot_count = session.scalar(
        select(func.count()).where(
            Account.org_id == org_id, Account.hot_since >= now - timedelta(days=NEW_HOT_DAYS)
        )
    )
    return render_template(
        "overview.html",
        tiers=tiers,
        new_hot=new_hot,
        new_hot_count=new_hot_count,
        traffic=traffic_mix(session, org_id, now),
        funnel=period_funnel(session, org_id, Period.last_days(DEFAULT_FUNNEL_DAYS, now)),
        funnel_days=DEFAULT_FUNNEL_DAYS,
        sites_count=session.scalar(select(func.count()).where(Site.org_id == org_id)),
    )
