"""A page of an organisation's accounts, every matching account, and one account's detail.

`list_accounts` serves the dashboard's hot list and `GET /api/accounts`: one
query for the page, one cheap count, then one query each for the page's
latest outcomes and score trends. `iter_accounts` walks every matching account
in chunks for the CSV export. `account_detail` gathers what
`GET /api/accounts/<id>` shows.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import Executable, Row, func, select
from sqlalchemy.orm import Session

from enrich.providers import FIRMOGRAPHIC_FIELDS
from server.accounts.filters import AccountFilters
from server.accounts.query import account_conditions, account_order, latest_outcomes
from server.accounts.reasons import why_text
from server.paging import Page
from server.storage.models import (
    Account,
    Contact,
    Enrichment,
    Event,
    Outcome,
    ScoreSnapshot,
    Site,
    Visit,
)
from server.storage.types import utcnow

TREND_DAYS = 30
"""Days of daily score snapshots in an account's trend (today included)."""

RECENT_VISITS = 20
"""Visits shown in an account's detail, newest first."""

STREAM_CHUNK = 1000
"""Accounts fetched at a time when every matching account is walked."""

ROW_COLUMNS = (
    Account.id,
    Account.name,
    Account.domain,
    Account.score,
    Account.tier,
    Account.fit,
    Account.engagement,
    Account.industry,
    Account.employees,
    Account.country,
    Account.city,
    Account.visits_30d,
    Account.active_days_30d,
    Account.last_seen,
    Account.first_seen,
    Account.top_pages,
    Account.explanation,
    Account.identified_by,
    Account.confidence,
)
"""The columns an `AccountRow` is built from."""

ENRICHMENT_COLUMNS = (
    Enrichment.provider,
    Enrichment.status,
    Enrichment.attempts,
    Enrichment.last_error,
    Enrichment.last_attempt_at,
    Enrichment.last_success_at,
)
"""What an account's detail says of each provider's enrichment (not the data it returned)."""

FIRMOGRAPHIC_ATTRIBUTES = (
    "id",
    *FIRMOGRAPHIC_FIELDS,
    "first_seen",
    "last_seen",
    "visits_30d",
    "active_days_30d",
    "pageviews_total",
    "identified_by",
    "confidence",
    "asn",
    "network_organisation",
    "renamed_at",
)
"""The account's attributes an account's detail gives as they are stored."""

SCORE_ATTRIBUTES = ("score", "tier", "fit", "engagement", "hot_since", "scored_at")
"""The score attributes an account's detail gives as they are stored."""

CONTACT_COLUMNS = (
    Contact.name,
    Contact.title,
    Contact.seniority,
    Contact.department,
    Contact.email,
    Contact.profile_url,
    Contact.provider,
    Contact.found_at,
)
"""What an account's detail says of each contact a provider found."""


@dataclass(frozen=True)
class AccountRow:
    """One line of the accounts list (and of the CSV export)."""

    id: int
    name: str
    domain: str | None
    score: int
    tier: str
    fit: float
    engagement: float
    industry: str | None
    employees: int | None
    country: str | None
    city: str | None
    visits_30d: int
    active_days_30d: int
    last_seen: datetime | None
    first_seen: datetime | None
    top_pages: tuple[str, ...]
    why: str
    """The largest contributions to the score, e.g. "Pricing page +20; Visits +6"."""
    outcome: str | None
    """The latest sales outcome (accepted, rejected, won, lost), if any."""
    trend: tuple[int, ...]
    """Daily snapshot scores of the last 30 days, oldest first (empty in exports)."""
    identified_by: str | None = None
    """The signal that identified the company (`server.corrections.provenance`)."""
    confidence: str | None = None
    """How surely: high, medium or low; None for an account older than provenance."""


AccountPage = Page[AccountRow]
"""One page of the accounts list and how many accounts match in all."""


def list_accounts(
    session: Session, org_id: int, filters: AccountFilters, now: datetime | None = None
) -> AccountPage:
    """The page of `org_id`'s accounts that `filters` asks for, and the total.

    :raise InvalidInput: when `filters.site` names no site of the organisation.
    """
    now = now or utcnow()
    conditions = account_conditions(session, org_id, filters, now)
    total = session.scalar(select(func.count()).select_from(Account).where(*conditions)) or 0
    # The page's ids first, then their rows: skipping to a far page then walks
    # an index only, not the rows of every account before it.
    ids = session.scalars(
        select(Account.id)
        .where(*conditions)
        .order_by(*account_order(filters.sort))
        .limit(filters.per_page)
        .offset(filters.offset)
    ).all()
    found = {
        row.id: row for row in session.execute(select(*ROW_COLUMNS).where(Account.id.in_(ids)))
    }
    rows = [found[account_id] for account_id in ids]
    outcomes = latest_outcomes(session, org_id, ids)
    trends = score_trends(session, ids, now.date())
    items = [row_of(row, outcomes.get(row.id), trends.get(row.id, ())) for row in rows]
    return AccountPage(items, total, filters.page, filters.per_page)


def iter_accounts(
    session: Session, org_id: int, filters: AccountFilters, now: datetime | None = None
) -> Iterator[AccountRow]:
    """Every account matching `filters` (page and per_page ignored), in its sort
    order, fetched in chunks so that memory stays flat. Rows carry no trend.

    The filters are checked at once, before the first row is asked for.

    :raise InvalidInput: when `filters.site` names no site of the organisation.
    """
    conditions = account_conditions(session, org_id, filters, now or utcnow())
    query = select(*ROW_COLUMNS).where(*conditions).order_by(*account_order(filters.sort))

    def rows() -> Iterator[AccountRow]:
        result = session.execute(query.execution_options(yield_per=STREAM_CHUNK))
        for chunk in result.partitions():
            outcomes = latest_outcomes(session, org_id, [row.id for row in chunk])
            for row in chunk:
                yield row_of(row, outcomes.get(row.id), ())

    return rows()


def score_trends(
    session: Session, account_ids: Sequence[int], today: date
) -> dict[int, tuple[int, ...]]:
    """Each account's daily snapshot scores of the last `TREND_DAYS` days, oldest first."""
    if not account_ids:
        return {}
    trends: dict[int, list[int]] = defaultdict(list)
    snapshots = (
        select(ScoreSnapshot.account_id, ScoreSnapshot.score)
        .where(
            ScoreSnapshot.account_id.in_(account_ids),
            ScoreSnapshot.day > today - timedelta(days=TREND_DAYS),
        )
        .order_by(ScoreSnapshot.account_id, ScoreSnapshot.day)
    )
    for account_id, score in session.execute(snapshots):
        trends[account_id].append(score)
    return {account_id: tuple(scores) for account_id, scores in trends.items()}


def row_of(row: Row[Any], outcome: str | None, trend: tuple[int, ...]) -> AccountRow:
    """An `AccountRow` from the `ROW_COLUMNS` of one account."""
    return AccountRow(
        id=row.id,
        name=row.name,
        domain=row.domain,
        score=row.score,
        tier=row.tier,
        fit=row.fit,
        engagement=row.engagement,
        industry=row.industry,
        employees=row.employees,
        country=row.country,
        city=row.city,
        visits_30d=row.visits_30d,
        active_days_30d=row.active_days_30d,
        last_seen=row.last_seen,
        first_seen=row.first_seen,
        top_pages=tuple(row.top_pages or ()),
        why=why_text(row.explanation or []),
        outcome=outcome,
        trend=trend,
        identified_by=row.identified_by,
        confidence=row.confidence,
    )


def account_detail(session: Session, org_id: int, account_id: int) -> dict[str, Any] | None:
    """Everything about one of `org_id`'s accounts, or None for a missing id or
    another organisation's (they look the same).

    Firmographics, score, tier, explanation, score history, the newest visits
    with their pages and events, sales outcomes, enrichment state and contacts.
    Times are aware UTC datetimes.
    """
    account = session.scalar(
        select(Account).where(Account.id == account_id, Account.org_id == org_id)
    )
    if account is None:
        return None
    outcomes = _outcomes(session, org_id, account_id)
    return {
        **_firmographics(account),
        **_score(account),
        "outcome": outcomes[0]["outcome"] if outcomes else None,
        "outcomes": outcomes,
        "score_history": _score_history(session, account_id),
        "visits": _recent_visits(session, account_id),
        "enrichments": _enrichments(session, account_id),
        "contacts": _contacts(session, account_id),
    }


def _firmographics(account: Account) -> dict[str, Any]:
    return {
        **_attributes(account, FIRMOGRAPHIC_ATTRIBUTES),
        "firmographics": dict(account.firmographics or {}),
        "top_pages": list(account.top_pages or []),
    }


def _score(account: Account) -> dict[str, Any]:
    return {
        **_attributes(account, SCORE_ATTRIBUTES),
        "explanation": list(account.explanation or []),
        "why": why_text(account.explanation or []),
    }


def _attributes(account: Account, names: Sequence[str]) -> dict[str, Any]:
    return {name: getattr(account, name) for name in names}


def _score_history(session: Session, account_id: int) -> list[dict[str, Any]]:
    snapshots = (
        select(ScoreSnapshot.day, ScoreSnapshot.score, ScoreSnapshot.tier)
        .where(ScoreSnapshot.account_id == account_id)
        .order_by(ScoreSnapshot.day)
    )
    return _dicts(session, snapshots)


def _recent_visits(session: Session, account_id: int) -> list[dict[str, Any]]:
    visits = session.execute(
        select(
            Visit.id,
            Site.name.label("site"),
            Visit.started_at,
            Visit.last_event_at,
            Visit.pageviews,
            Visit.engaged_ms,
            Visit.entry_path,
            Visit.referrer_host,
            Visit.utm_source,
            Visit.utm_medium,
            Visit.utm_campaign,
            Visit.device_class,
        )
        .join(Site, Site.id == Visit.site_id)
        .where(Visit.account_id == account_id)
        .order_by(Visit.started_at.desc(), Visit.id.desc())
        .limit(RECENT_VISITS)
    ).all()
    events: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for event in session.execute(
        select(Event.visit_id, Event.path, Event.title, Event.type, Event.name, Event.occurred_at)
        .where(Event.account_id == account_id, Event.visit_id.in_([v.id for v in visits]))
        .order_by(Event.occurred_at, Event.id)
    ):
        fields = event._asdict()
        events[fields.pop("visit_id")].append(fields)
    return [{**visit._asdict(), "events": events.get(visit.id, [])} for visit in visits]


def _outcomes(session: Session, org_id: int, account_id: int) -> list[dict[str, Any]]:
    return _dicts(
        session,
        select(Outcome.outcome, Outcome.reason, Outcome.recorded_at)
        .where(Outcome.org_id == org_id, Outcome.account_id == account_id)
        .order_by(Outcome.recorded_at.desc(), Outcome.id.desc()),
    )


def _enrichments(session: Session, account_id: int) -> list[dict[str, Any]]:
    return _dicts(
        session,
        select(*ENRICHMENT_COLUMNS)
        .where(Enrichment.account_id == account_id)
        .order_by(Enrichment.provider),
    )


def _contacts(session: Session, account_id: int) -> list[dict[str, Any]]:
    return _dicts(
        session,
        select(*CONTACT_COLUMNS)
        .where(Contact.account_id == account_id)
        .order_by(Contact.name, Contact.id),
    )


def _dicts(session: Session, statement: Executable) -> list[dict[str, Any]]:
    """The rows `statement` selects, each as a dict of its columns."""
    return [row._asdict() for row in session.execute(statement)]
