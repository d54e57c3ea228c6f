"""The organisation's leads as the Leads page, the API and the export read them.

`parse_lead_filters(args)` reads a query string (or the CLI's options) into
`LeadFilters`, raising `InvalidInput(field, reason)` for a value that cannot
be used. Each lead comes with its company's account (score, tier), so the
default order puts the leads whose company is hot on the web first, then by
the lead's own score. Every query is filtered by organisation.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, fields
from datetime import datetime
from typing import Any

from sqlalchemy import Select, case, func, select
from sqlalchemy.orm import Session

from enrich.leads import EmailClass
from scoring.tiers import Tier

# The leads list pages, and bounds `min_score`, as the accounts list does.
from server.accounts.filters import DEFAULT_PER_PAGE, MAX_PAGE, MAX_PER_PAGE, MAX_SCORE
from server.paging import Page
from server.storage.models import Account, Lead, LeadList
from server.validation import InvalidInput

EMAIL_CLASSES = tuple(kind.value for kind in EmailClass)
TIERS = tuple(tier.value for tier in reversed(Tier))
"""Lead tiers (the model's tier names), hottest first."""

SORTS = ("company", "-score", "score", "email")
"""`company`: leads whose company is hottest on the web first, then by score."""

STREAM_CHUNK = 1_000
"""Leads fetched at a time when every matching lead is walked (export)."""

_COUNTRY = re.compile(r"^[A-Za-z]{2}$")
_INTEGER = re.compile(r"^-?[0-9]{1,19}$")


@dataclass(frozen=True)
class LeadFilters:
    """What the leads list shows; the defaults show every lead, hot companies first."""

    email_class: str | None = None
    """One of `EMAIL_CLASSES`, matched exactly."""
    tier: str | None = None
    """The lead's own tier, not its company's."""
    country: str | None = None
    """ISO 3166-1 alpha-2, upper case: the lead's country, however it was found."""
    list_id: int | None = None
    """The lead list's id (`list` in a query string)."""
    min_score: int | None = None
    """Leads whose own score is at least this."""
    sort: str = "company"
    """One of `SORTS`; ties go by lead id."""
    page: int = 1
    per_page: int = DEFAULT_PER_PAGE

    def query_args(self, **changes: Any) -> dict[str, Any]:
        """The filters as query arguments (defaults left out), with `changes`."""
        defaults = LeadFilters()
        values = {f.name: getattr(self, f.name) for f in fields(self)} | changes
        names = {"list_id": "list"}
        return {
            names.get(name, name): value
            for name, value in values.items()
            if value is not None and value != getattr(defaults, name)
        }


def parse_lead_filters(args: Mapping[str, Any]) -> LeadFilters:
    """`args` (field → text) as filters.

    :raise InvalidInput: naming the first argument that cannot be used.
    """

    def text(name: str) -> str | None:
        value = args.get(name)
        return str(value).strip() if value is not None and str(value).strip() else None

    email_class = _one_of(text("email_class"), EMAIL_CLASSES, "email_class")
    tier = _one_of(text("tier"), TIERS, "tier")
    country = text("country")
    if country is not None and not _COUNTRY.match(country):
        raise InvalidInput("country", f"{country!r} is not a two-letter country code")
    return LeadFilters(
        email_class=email_class,
        tier=tier,
        country=country.upper() if country else None,
        list_id=_integer(text("list"), "list", 1, 2**31 - 1),
        min_score=_integer(text("min_score"), "min_score", -MAX_SCORE, MAX_SCORE),
        sort=_one_of(text("sort"), SORTS, "sort") or "company",
        page=_integer(text("page"), "page", 1, MAX_PAGE) or 1,
        per_page=_integer(text("per_page"), "per_page", 1, MAX_PER_PAGE) or DEFAULT_PER_PAGE,
    )


def _one_of(value: str | None, allowed: tuple[str, ...], name: str) -> str | None:
    if value is not None and value not in allowed:
        raise InvalidInput(name, f"{value!r} is not one of {', '.join(allowed)}")
    return value


def _integer(value: str | None, name: str, low: int, high: int) -> int | None:
    if value is None:
        return None
    if not _INTEGER.match(value) or not low <= int(value) <= high:
        raise InvalidInput(name, f"{value!r} is not a whole number from {low} to {high}")
    return int(value)


@dataclass(frozen=True)
class LeadRow:
    """One lead with its list's name and its company's account."""

    id: int
    list_id: int
    list_name: str
    email: str
    phone: str | None
    email_class: str | None
    phone_class: str | None
    country: str | None
    country_source: str | None
    language: str | None
    company_domain: str | None
    score: int
    tier: str
    explanation: list[Any]
    scored_at: datetime | None
    imported_at: datetime
    account_id: int | None
    account_name: str | None
    account_score: int | None
    account_tier: str | None

    @property
    def why(self) -> str:
        """The explanation in one line: `+20 professional e-mail; -1000 country US`."""
        return "; ".join(
            f"{item.get('points', 0):+g} {item.get('label', '')}".strip()
            for item in self.explanation
            if isinstance(item, dict)
        )


LeadPage = Page[LeadRow]
"""One page of the leads list and how many leads match in all."""


_COLUMNS = (
    Lead.id, Lead.list_id, LeadList.name, Lead.email, Lead.phone, Lead.email_class,
    Lead.phone_class, Lead.country, Lead.country_source, Lead.language, Lead.company_domain,
    Lead.score, Lead.tier, Lead.explanation, Lead.scored_at, Lead.imported_at, Lead.account_id,
    Account.name, Account.score, Account.tier,
)  # fmt: skip


def _query(org_id: int, filters: LeadFilters) -> Select[Any]:
    query = (
        select(*_COLUMNS)
        .join(LeadList, LeadList.id == Lead.list_id)
        .outerjoin(Account, (Account.id == Lead.account_id) & (Account.org_id == org_id))
        .where(Lead.org_id == org_id)
    )
    conditions = {
        Lead.email_class: filters.email_class,
        Lead.tier: filters.tier,
        Lead.country: filters.country,
        Lead.list_id: filters.list_id,
    }
    for column, value in conditions.items():
        if value is not None:
            query = query.where(column == value)
    if filters.min_score is not None:
        query = query.where(Lead.score >= filters.min_score)
    return query


def _ordered(query: Select[Any], sort: str) -> Select[Any]:
    if sort == "company":
        hot_first = case({tier: rank for rank, tier in enumerate(TIERS)}, value=Account.tier,
                         else_=len(TIERS))  # fmt: skip
        return query.order_by(hot_first, Account.score.desc(), Lead.score.desc(), Lead.id)
    if sort == "email":
        return query.order_by(Lead.email, Lead.id)
    descending = sort.startswith("-")
    return query.order_by(Lead.score.desc() if descending else Lead.score, Lead.id)


def list_leads(session: Session, org_id: int, filters: LeadFilters) -> LeadPage:
    """The page of leads `filters` asks for, and how many match."""
    query = _query(org_id, filters)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = session.execute(
        _ordered(query, filters.sort)
        .offset((filters.page - 1) * filters.per_page)
        .limit(filters.per_page)
    )
    return LeadPage([LeadRow(*row) for row in rows], total, filters.page, filters.per_page)


def iter_leads(session: Session, org_id: int, filters: LeadFilters) -> Iterator[LeadRow]:
    """Every lead matching `filters` (page ignored), in order, read in chunks."""
    query = _ordered(_query(org_id, filters), filters.sort)
    for row in session.execute(query.execution_options(yield_per=STREAM_CHUNK)):
        yield LeadRow(*row)


def account_leads(session: Session, org_id: int, account_id: int, limit: int = 50) -> list[LeadRow]:
    """The leads known at an account, best first (the account page's list)."""
    query = _query(org_id, LeadFilters()).where(Lead.account_id == account_id)
    rows = session.execute(query.order_by(Lead.score.desc(), Lead.id).limit(limit))
    return [LeadRow(*row) for row in rows]


def lead_lists(session: Session, org_id: int) -> list[tuple[LeadList, int]]:
    """The organisation's lists with their number of leads, by name."""
    counts = (
        select(Lead.list_id, func.count().label("leads"))
        .where(Lead.org_id == org_id)
        .group_by(Lead.list_id)
        .subquery()
    )
    rows = session.execute(
        select(LeadList, func.coalesce(counts.c.leads, 0))
        .outerjoin(counts, counts.c.list_id == LeadList.id)
        .where(LeadList.org_id == org_id)
        .order_by(LeadList.name)
    )
    return [(lead_list, int(count)) for lead_list, count in rows]


def lead_countries(session: Session, org_id: int) -> list[str]:
    """The countries the organisation's leads are in, for the filter."""
    query = select(Lead.country).where(Lead.org_id == org_id, Lead.country.is_not(None))
    return list(session.scalars(query.distinct().order_by(Lead.country)))


def remembered_mapping(session: Session, org_id: int, name: str) -> dict[str, Any] | None:
    """The column mapping last used for the organisation's list `name`, if any."""
    return session.scalar(
        select(LeadList.mapping).where(LeadList.org_id == org_id, LeadList.name == name)
    )
