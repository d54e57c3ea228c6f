"""Storing collected events: sessionisation, account upsert, aggregates, counts.

`ingest(session, records)` is the one write path, used by the embedded sink
(in the request) and by `vigie ingest` (batches from the Redis Stream). It is
idempotent by event id, so a batch delivered twice stores nothing twice.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import Session

from server.records import CollectedEvent, CompanyFacts, Record, TrafficCountDelta
from server.storage.models import Account, Event, Site, TrafficCount, Visit

SITE_MARK_STEP = timedelta(minutes=1)
"""How stale a site's `last_event_at` may get before a batch writes it again."""

VISIT_GAP = timedelta(minutes=30)
"""Inactivity that ends a visit."""

AGGREGATE_WINDOW = timedelta(days=30)
"""Visits and active days are counted over this window."""

TOP_PAGES = 5
"""Paths kept in an account's `top_pages`."""


@dataclass
class IngestResult:
    stored: int = 0
    duplicates: int = 0
    new_account_ids: list[int] = field(default_factory=list)
    touched_account_ids: list[int] = field(default_factory=list)


def ingest(session: Session, records: Iterable[Record], now: datetime) -> IngestResult:
    """Store `records` in the session's transaction; the caller commits.

    Records of a site deleted since they were collected (another collector
    process may have known the site a little longer) are left out, so they
    cannot fail the rest of the batch.
    """
    records = of_existing_sites(session, list(records))
    events = [r for r in records if isinstance(r, CollectedEvent)]
    counts = [r for r in records if isinstance(r, TrafficCountDelta)]
    add_counts(session, counts)
    mark_sites_receiving(session, events, counts, now)
    result, started = store_events(session, events)
    # Visits, active days and top pages change when a visit starts; recounting
    # them on every event would read the account's whole history each time.
    refresh_aggregates(session, started, now)
    return result


def of_existing_sites(session: Session, records: list[Record]) -> list[Record]:
    """`records` without those whose site no longer exists."""
    site_ids = {record.site_id for record in records}
    if not site_ids:
        return records
    existing = set(session.scalars(select(Site.id).where(Site.id.in_(site_ids))))
    if existing == site_ids:
        return records
    return [record for record in records if record.site_id in existing]


def store_events(
    session: Session, events: Sequence[CollectedEvent]
) -> tuple[IngestResult, list[int]]:
    """Store `events` (those not stored yet) with their visits and accounts.

    Returns the result and the accounts that started a visit, whose aggregates
    (`refresh_aggregates`) are now out of date. Sites are not marked as
    receiving: `ingest` does that for what the snippet sent.
    """
    result = IngestResult()
    fresh = _without_duplicates(session, events)
    result.duplicates = len(events) - len(fresh)
    if not fresh:
        return result, []
    accounts, created = _upsert_accounts(session, fresh)
    result.new_account_ids = [accounts[key].id for key in created]
    visits, started = _sessionise(session, fresh, accounts)
    pageviews: Counter[int] = Counter()
    rows = []
    for event in fresh:
        account = accounts.get(_account_key(event))
        rows.append(_event_row(event, visits[event.event_id].id, account.id if account else None))
        if account is not None and event.type == "pageview":
            pageviews[account.id] += 1
    for account in accounts.values():
        account.pageviews_total = (account.pageviews_total or 0) + pageviews[account.id]
    session.flush()
    # One Core executemany: event rows are never read back in the same unit of
    # work, so the ORM's bulk path (per-row bookkeeping) is not needed.
    session.execute(Event.__table__.insert(), rows)
    new_visits = {visit.account_id for visit in started}
    result.stored = len(fresh)
    result.touched_account_ids = sorted({account.id for account in accounts.values()})
    return result, sorted(a for a in new_visits if a is not None)


def _account_key(event: CollectedEvent) -> tuple[int, str] | None:
    return (event.org_id, event.company.key) if event.company else None


def _without_duplicates(session: Session, events: Sequence[CollectedEvent]) -> list[CollectedEvent]:
    unique = list({event.event_id: event for event in events}.values())
    ids = [event.event_id for event in unique]
    known = (
        set(session.scalars(select(Event.event_id).where(Event.event_id.in_(ids))))
        if ids
        else set()
    )
    return sorted((e for e in unique if e.event_id not in known), key=lambda e: e.occurred_at)


def _upsert_accounts(
    session: Session, events: Sequence[CollectedEvent]
) -> tuple[dict[tuple[int, str], Account], list[tuple[int, str]]]:
    wanted: dict[tuple[int, str], CompanyFacts] = {}
    seen: dict[tuple[int, str], list[datetime]] = defaultdict(list)
    for event in events:
        key = _account_key(event)
        if key and event.company:
            wanted.setdefault(key, event.company)
            seen[key].append(event.occurred_at)
    accounts: dict[tuple[int, str], Account] = {}
    for org_id, keys in _group_by_org(wanted):
        rows = session.scalars(
            select(Account).where(Account.org_id == org_id, Account.key.in_(keys))
        )
        accounts.update({(org_id, row.key): row for row in rows})
    created = []
    for key, company in wanted.items():
        account = accounts.get(key)
        if account is None:
            account = _new_account(key[0], company)
            session.add(account)
            accounts[key] = account
            created.append(key)
        _touch(account, company, seen[key])
    session.flush()
    return accounts, created


def _group_by_org(wanted: dict[tuple[int, str], CompanyFacts]) -> list[tuple[int, list[str]]]:
    groups: dict[int, list[str]] = defaultdict(list)
    for org_id, key in wanted:
        groups[org_id].append(key)
    return list(groups.items())


def _new_account(org_id: int, company: CompanyFacts) -> Account:
    return Account(
        org_id=org_id,
        key=company.key,
        name=company.name,
        domain=company.domain,
        industry=company.industry,
        employees=company.employees,
        country=company.country,
        city=company.city,
        network=company.network,
        firmographics={},
        top_pages=[],
        explanation=[],
        visits_30d=0,
        active_days_30d=0,
        pageviews_total=0,
    )


def _touch(account: Account, company: CompanyFacts, times: list[datetime]) -> None:
    first, last = min(times), max(times)
    if account.first_seen is None or first < account.first_seen:
        account.first_seen = first
    if account.last_seen is None or last > account.last_seen:
        account.last_seen = last
    if account.network is None and company.network:
        account.network = company.network


def _sessionise(
    session: Session, events: Sequence[CollectedEvent], accounts: dict[tuple[int, str], Account]
) -> tuple[dict[str, Visit], list[Visit]]:
    """Attach each event to its visit: the visitor's last one if it is younger
    than the gap, else a new one. Returns the visit of each event id, and the
    visits started."""
    open_visits: dict[tuple[int, str], Visit] = {}
    open_visits = _open_visits(session, events)
    started: list[Visit] = []
    by_event: dict[str, Visit] = {}
    for event in events:
        slot = (event.site_id, event.visitor_hash)
        visit = open_visits.get(slot)
        if visit is None or event.occurred_at - visit.last_event_at > VISIT_GAP:
            account = accounts.get(_account_key(event))
            visit = _new_visit(event, account.id if account else None)
            session.add(visit)
            open_visits[slot] = visit
            started.append(visit)
        _count_in(visit, event)
        by_event[event.event_id] = visit
    session.flush()
    return by_event, started


def _open_visits(
    session: Session, events: Sequence[CollectedEvent]
) -> dict[tuple[int, str], Visit]:
    """Each visitor's latest visit that may still be going on, in one query."""
    earliest = min(event.occurred_at for event in events) - VISIT_GAP
    latest: dict[tuple[int, str], Visit] = {}
    for site_id in {event.site_id for event in events}:
        visitors = {event.visitor_hash for event in events if event.site_id == site_id}
        query = select(Visit).where(
            Visit.site_id == site_id,
            Visit.visitor_hash.in_(visitors),
            Visit.last_event_at >= earliest,
        )
        with session.no_autoflush:
            for visit in session.scalars(query):
                slot = (site_id, visit.visitor_hash)
                if slot not in latest or visit.last_event_at > latest[slot].last_event_at:
                    latest[slot] = visit
    return latest


def _shared_fields(event: CollectedEvent) -> dict[str, Any]:
    """What a visit takes from its first event and every event row carries."""
    return {
        "site_id": event.site_id,
        "visitor_hash": event.visitor_hash,
        "referrer_host": event.referrer_host,
        "utm_source": event.utm.get("utm_source"),
        "utm_medium": event.utm.get("utm_medium"),
        "utm_campaign": event.utm.get("utm_campaign"),
        "country": event.country,
        "connection_class": event.connection_class,
        "device_class": event.device_class,
        "browser_family": event.browser_family,
    }


def _new_visit(event: CollectedEvent, account_id: int | None) -> Visit:
    return Visit(
        **_shared_fields(event),
        account_id=account_id,
        started_at=event.occurred_at,
        last_event_at=event.occurred_at,
        pageviews=0,
        events_count=0,
        engaged_ms=0,
        entry_path=event.path,
    )


def _count_in(visit: Visit, event: CollectedEvent) -> None:
    visit.last_event_at = max(visit.last_event_at, event.occurred_at)
    visit.events_count += 1
    if event.type == "pageview":
        visit.pageviews += 1
    if event.engaged_ms:
        visit.engaged_ms += event.engaged_ms


def _event_row(event: CollectedEvent, visit_id: int, account_id: int | None) -> dict[str, Any]:
    return dict(
        **_shared_fields(event),
        event_id=event.event_id,
        visit_id=visit_id,
        account_id=account_id,
        occurred_at=event.occurred_at,
        type=event.type,
        name=event.name,
        path=event.path,
        title=event.title,
        referrer_path=event.referrer_path,
        utm_term=event.utm.get("utm_term"),
        utm_content=event.utm.get("utm_content"),
        props=dict(event.props),
        engaged_ms=event.engaged_ms,
    )


def refresh_aggregates(session: Session, account_ids: Sequence[int], now: datetime) -> None:
    """Recompute visits and active days over 30 days, and the top pages, of `account_ids`."""
    if not account_ids:
        return
    since = now - AGGREGATE_WINDOW
    starts = session.execute(
        select(Visit.account_id, Visit.started_at).where(
            Visit.account_id.in_(account_ids), Visit.started_at >= since
        )
    ).all()
    visits: Counter[int] = Counter()
    days: dict[int, set[date]] = defaultdict(set)
    for account_id, started in starts:
        visits[account_id] += 1
        days[account_id].add(started.date())
    pages = session.execute(
        select(Event.account_id, Event.path, func.count())
        .where(
            Event.account_id.in_(account_ids), Event.type == "pageview", Event.occurred_at >= since
        )
        .group_by(Event.account_id, Event.path)
    ).all()
    top: dict[int, Counter] = defaultdict(Counter)
    for account_id, path, count in pages:
        top[account_id][path] = count
    for account in session.scalars(select(Account).where(Account.id.in_(account_ids))):
        account.visits_30d = visits[account.id]
        account.active_days_30d = len(days.get(account.id, ()))
        ranked = sorted(top[account.id].items(), key=lambda item: (-item[1], item[0]))
        account.top_pages = [path for path, _ in ranked[:TOP_PAGES]]


def mark_sites_receiving(
    session: Session,
    events: Sequence[CollectedEvent],
    counts: Sequence[TrafficCountDelta],
    now: datetime,
) -> None:
    """Keep each site's `last_event_at`: its snippet works, whoever visited (a
    beacon counted as home internet or a bot proves it as well as a company's).

    To the minute: a busy site's row is written once a minute, not per batch."""
    latest: dict[int, datetime] = {}
    for event in events:
        latest[event.site_id] = max(event.occurred_at, latest.get(event.site_id, event.occurred_at))
    for count in counts:
        end_of_day = datetime.combine(count.day, time.max, tzinfo=UTC)
        when = min(now, end_of_day)
        latest[count.site_id] = max(when, latest.get(count.site_id, when))
    for site_id, when in latest.items():
        session.execute(
            update(Site)
            .where(
                Site.id == site_id,
                or_(Site.last_event_at.is_(None), Site.last_event_at < when - SITE_MARK_STEP),
            )
            .values(last_event_at=when)
        )


def add_counts(session: Session, counts: Sequence[TrafficCountDelta]) -> None:
    """Add traffic counts, merging those of one site, day and kind."""
    totals: Counter = Counter()
    for count in counts:
        totals[(count.site_id, count.day, count.kind)] += count.count
    for (site_id, day, kind), number in totals.items():
        row = session.get(TrafficCount, (site_id, day, kind))
        if row is None:
            session.add(TrafficCount(site_id=site_id, day=day, kind=kind, count=number))
        else:
            row.count += number
    session.flush()
