"""The SQL behind the accounts list: which accounts match the filters, in which order.

Shared by the paginated list and the CSV export, so both show the same rows.
Every condition starts with the organisation, so a page never reaches
another organisation's accounts.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, exists, func, or_, select
from sqlalchemy.orm import Session

from server.accounts.filters import TIERS, AccountFilters
from server.storage.models import Account, Outcome, Site, Visit
from server.validation import InvalidInput

MAX_SITE_ID_DIGITS = 9
"""A numeric `site` longer than this cannot be a site id (keeps it within SQL integers)."""

_SORT_COLUMNS = {"score": Account.score, "last_seen": Account.last_seen, "name": Account.name}


def account_conditions(
    session: Session, org_id: int, filters: AccountFilters, now: datetime
) -> list[ColumnElement[bool]]:
    """The WHERE conditions of `filters` for `org_id`'s accounts.

    :raise InvalidInput: when `site` names no site of the organisation.
    """
    conditions: list[ColumnElement[bool]] = [Account.org_id == org_id]
    if filters.tiers and set(filters.tiers) != set(TIERS):
        conditions.append(Account.tier.in_(filters.tiers))
    if filters.min_score is not None:
        conditions.append(Account.score >= filters.min_score)
    if filters.q:
        conditions.append(
            or_(
                Account.name.icontains(filters.q, autoescape=True),
                Account.domain.icontains(filters.q, autoescape=True),
            )
        )
    if filters.country:
        # Countries are stored upper-case, as `parse_filters` gives them.
        conditions.append(Account.country == filters.country)
    if filters.industry:
        conditions.append(func.lower(Account.industry) == filters.industry.lower())
    cutoff = filters.since_cutoff(now)
    if cutoff is not None:
        conditions.append(Account.last_seen >= cutoff)
    if filters.outcome:
        conditions.append(_outcome_condition(org_id, filters.outcome))
    if filters.lane:
        customer = Account.crm_customer.is_(True)
        conditions.append(customer if filters.lane == "expansion" else ~customer)
    if filters.confidence:
        conditions.append(Account.confidence == filters.confidence)
    if filters.site:
        site_id = find_site_id(session, org_id, filters.site)
        conditions.append(exists().where(Visit.account_id == Account.id, Visit.site_id == site_id))
    return conditions


def account_order(sort: str) -> tuple[ColumnElement[Any], ...]:
    """ORDER BY for a sort name (`-score`, `name`…); ties go by id the same way,
    so that the order is stable from page to page and an index can serve it."""
    column = _SORT_COLUMNS[sort.lstrip("-")]
    if sort.startswith("-"):
        return column.desc(), Account.id.desc()
    return column.asc(), Account.id.asc()


def find_site_id(session: Session, org_id: int, site: str) -> int:
    """The id of the organisation's site with this public key or id.

    :raise InvalidInput: when the organisation has no such site.
    """
    condition = Site.public_key == site
    if site.isdigit() and len(site) <= MAX_SITE_ID_DIGITS:
        condition = or_(condition, Site.id == int(site))
    site_id = session.scalar(select(Site.id).where(Site.org_id == org_id, condition).limit(1))
    if site_id is None:
        raise InvalidInput("site", f"no site {site!r} in this organisation")
    return site_id


def latest_outcomes(session: Session, org_id: int, account_ids: Sequence[int]) -> dict[int, str]:
    """Each of these accounts' latest sales outcome, for those that have one."""
    if not account_ids:
        return {}
    latest = _latest_outcome_query(org_id, account_ids)
    return {account_id: outcome for account_id, outcome in session.execute(latest)}


def _latest_outcome_query(org_id: int, account_ids: Sequence[int] | None = None) -> Select:
    """(account_id, outcome) of each account's newest outcome row."""
    rank = func.row_number().over(
        partition_by=Outcome.account_id,
        order_by=(Outcome.recorded_at.desc(), Outcome.id.desc()),
    )
    ranked = select(Outcome.account_id, Outcome.outcome, rank.label("rank")).where(
        Outcome.org_id == org_id, Outcome.account_id.is_not(None)
    )
    if account_ids is not None:
        ranked = ranked.where(Outcome.account_id.in_(account_ids))
    ranked_rows = ranked.subquery()
    return select(ranked_rows.c.account_id, ranked_rows.c.outcome).where(ranked_rows.c.rank == 1)


def _outcome_condition(org_id: int, outcome: str) -> ColumnElement[bool]:
    if outcome == "none":
        return ~exists().where(Outcome.org_id == org_id, Outcome.account_id == Account.id)
    latest = _latest_outcome_query(org_id).subquery()
    return Account.id.in_(select(latest.c.account_id).where(latest.c.outcome == outcome))


def tier_counts(session: Session, org_id: int) -> dict[str, int]:
    """How many of the organisation's accounts are in each tier (every tier listed)."""
    counts = dict(
        session.execute(
            select(Account.tier, func.count())
            .where(Account.org_id == org_id)
            .group_by(Account.tier)
        ).all()
    )
    return {tier: int(counts.get(tier, 0)) for tier in TIERS}
