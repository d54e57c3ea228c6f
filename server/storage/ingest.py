"""Storing collected events: sessionisation, account upsert, aggregates, counts.

`ingest(session, records, now)` is the one write path, used by the embedded
sink (one writer) and by `vigie ingest` consumers (several processes, batches
from the Redis Stream, PostgreSQL). It is idempotent: a batch delivered twice
stores nothing twice (events by event id, traffic counts by their receipt).

Safe with several consumers at once:

* every counter is added in the database (`x = x + n`, an upsert for traffic
  counts), never read, changed in Python and written back;
* an account two consumers create at once is inserted by one and found by the
  other (`ON CONFLICT DO NOTHING`);
* on PostgreSQL, a transaction first takes an advisory lock per visitor of its
  batch (site and visitor hash), so one visitor's events taken by two consumers
  are sessionised one batch after the other and cannot split a visit; other
  visitors, on the same site too, are stored in parallel;
* rows are touched in a fixed order (count receipts, lock keys, account keys
  and ids, visit ids, count keys, site ids), so consumers wait for each other,
  never deadlock.

The hot rows (a site's traffic counts, its last-event mark) are written last,
so a transaction holds their locks only for the end of its work.
"""

from __future__ import annotations

import hashlib
import typing
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import msgspec
from sqlalchemy import (
    ColumnElement,
    Insert,
    Integer,
    Select,
    Table,
    TableValuedAlias,
    Text,
    and_,
    any_,
    bindparam,
    case,
    cast,
    column,
    func,
    or_,
    select,
    text,
    true,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Result
from sqlalchemy.orm import InstrumentedAttribute, Session
from sqlalchemy.types import TypeEngine

from server.corrections.provenance import REVERSE_DNS, WEAKEST, confidence_of, signal_of
from server.records import CollectedEvent, CompanyFacts, Record, TrafficCountDelta
from server.storage import begin_write
from server.storage.models import (
    Account,
    AccountAlias,
    CountReceipt,
    Event,
    Site,
    TrafficCount,
    Visit,
    table_of,
)
from server.storage.types import utcnow

SITE_MARK_STEP = timedelta(minutes=1)
"""How stale a site's `last_event_at` may get before a batch writes it again."""

VISIT_GAP = timedelta(minutes=30)
"""Inactivity that ends a visit."""

AGGREGATE_WINDOW = timedelta(days=30)
"""Visits and active days are counted over this window."""

TOP_PAGES = 5
"""Paths kept in an account's `top_pages`."""

ACCOUNTS = table_of(Account)
VISITS = table_of(Visit)
EVENTS = table_of(Event)
COUNTS = table_of(TrafficCount)
RECEIPTS = table_of(CountReceipt)


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
    cannot fail the rest of the batch. A transaction not begun yet begins as
    a writer (SQLite's `BEGIN IMMEDIATE`).
    """
    begin_write(session)
    records = of_existing_sites(session, list(records))
    events = [r for r in records if isinstance(r, CollectedEvent)]
    # Receipts first: they are this batch's own rows, not rows that other
    # consumers write too, so the shared rows stay locked only for the end.
    counts = [r for r in records if isinstance(r, TrafficCountDelta)]
    new_counts = newly_received(session, counts, now)
    lock_visitors(session, events)
    result, started = store_events(session, events)
    # Visits, active days and top pages change when a visit starts; recounting
    # them on every event would read the account's whole history each time.
    refresh_aggregates(session, started, now)
    add_counts(session, new_counts)
    mark_sites_receiving(session, events, counts, now)
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


def visitor_lock_key(site_id: int, visitor_hash: str) -> int:
    """The 64-bit advisory lock key of one visitor of one site (the same in
    every process: not Python's salted `hash`)."""
    digest = hashlib.blake2b(
        f"{site_id}:{visitor_hash}".encode(), digest_size=8, person=b"vigie-visit"
    ).digest()
    return int.from_bytes(digest, "big", signed=True)


_LOCK_VISITORS = text(
    "SELECT pg_advisory_xact_lock(key) FROM unnest(CAST(:keys AS BIGINT[])) AS key"
)


def lock_visitors(session: Session, events: Sequence[CollectedEvent]) -> None:
    """On PostgreSQL, wait for and take (until the transaction ends) the lock of
    each visitor of `events`, in ascending key order, in one statement. SQLite
    needs none: its one writer holds the database's write lock."""
    if not events or _dialect(session) != "postgresql":
        return
    keys = sorted({visitor_lock_key(e.site_id, e.visitor_hash) for e in events})
    session.execute(_LOCK_VISITORS, {"keys": keys}).all()


def store_events(
    session: Session, events: Sequence[CollectedEvent]
) -> tuple[IngestResult, list[int]]:
    """Store `events` (those not stored yet) with their visits and accounts.

    Returns the result and the accounts that started a visit, whose aggregates
    (`refresh_aggregates`) are now out of date. Sites are not marked as
    receiving: `ingest` does that for what the snippet sent. Visitors are not
    locked: `ingest` does that first.
    """
    result = IngestResult()
    fresh = _without_duplicates(session, events)
    result.duplicates = len(events) - len(fresh)
    if not fresh:
        return result, []
    accounts, created = _account_ids(session, fresh)
    result.new_account_ids = sorted(accounts[key] for key in created)
    visit_of, started = _sessionise(session, fresh, accounts)
    rows = []
    for event in fresh:
        key = _account_key(event)
        rows.append(_event_row(event, visit_of[event.event_id], accounts[key] if key else None))
    # Core, in one statement: event rows are never read back in the same unit
    # of work, so the ORM's bulk path (per-row bookkeeping) is not needed.
    _insert_rows(session, EVENTS, rows)
    _touch_accounts(session, fresh, accounts, created)
    result.stored = len(fresh)
    result.touched_account_ids = sorted(set(accounts.values()))
    _expire(session, Account, result.touched_account_ids)
    return result, started


def _dialect(session: Session) -> str:
    return session.get_bind().dialect.name


def _insert(session: Session, table: Table) -> postgresql.Insert | sqlite.Insert:
    """The dialect's INSERT of `table`, which has `ON CONFLICT` clauses."""
    dialect = postgresql if _dialect(session) == "postgresql" else sqlite
    return dialect.insert(table)


def _is_in(
    session: Session,
    column: ColumnElement[Any] | InstrumentedAttribute[Any],
    values: Iterable[Any],
) -> ColumnElement[bool]:
    """`column IN values`; on PostgreSQL `= ANY(array)`, one parameter whatever
    the number of values (a statement prepared once, quickly planned)."""
    if _dialect(session) == "postgresql":
        return column == any_(bindparam(None, list(values), type_=postgresql.ARRAY(column.type)))
    return column.in_(list(values))


def _recordset(columns: dict[str, TypeEngine[Any]]) -> TableValuedAlias:
    """PostgreSQL: a row source `v` read from one JSON parameter, `rows` (the
    rows as a list of objects, `_encoded`), its columns typed as `columns`.

    One parameter for the whole batch, encoded in one call of msgspec's encoder,
    whatever the number of rows and columns: no per-value work in Python."""
    rows = cast(bindparam("rows", type_=Text()), postgresql.JSON)
    names = [column(name, type_) for name, type_ in columns.items()]
    return (
        func.json_to_recordset(rows).table_valued(*names).render_derived(name="v", with_types=True)
    )


_json_encoder = msgspec.json.Encoder()


def _encoded(rows: Sequence[dict[str, Any]]) -> dict[str, str]:
    """The parameter of `_recordset`."""
    return {"rows": _json_encoder.encode(rows).decode()}


def _update_rows(
    session: Session,
    table: Table,
    columns: dict[str, TypeEngine[Any]],
    assign: Callable[[Callable[[str], ColumnElement[Any]]], dict[str, Any]],
    rows: Sequence[dict[str, Any]],
) -> None:
    """Update the rows of `table` whose `id` is in `rows`, with the values
    `assign(value)` gives (`value(name)`: the row's value named so). On
    PostgreSQL, one `UPDATE … FROM json_to_recordset(…)`; elsewhere an executemany."""
    if not rows:
        return
    if _dialect(session) == "postgresql":
        source = _recordset({"id": table.c.id.type, **columns})
        statement = (
            update(table)
            .where(table.c.id == source.c.id)
            .values(assign(lambda name: source.c[name]))
        )
        session.execute(statement, _encoded(rows))
        return
    binds = {name: bindparam(f"b_{name}", type_=type_) for name, type_ in columns.items()}
    bound = typing.cast(Callable[[str], ColumnElement[Any]], binds.get)  # `assign` names columns
    statement = update(table).where(table.c.id == bindparam("b_id")).values(assign(bound))
    session.execute(
        statement, [{f"b_{name}": value for name, value in row.items()} for row in rows]
    )


def _insert_rows(
    session: Session,
    table: Table,
    rows: Sequence[dict[str, Any]],
    insert: Insert | None = None,
    returning: Sequence[ColumnElement[Any]] = (),
) -> Result[*tuple[Any, ...]]:
    """Insert `rows` (dicts with the same keys, at least one) into `table` with
    `insert` (default: a plain INSERT), returning `returning`.

    On PostgreSQL in one `INSERT … SELECT FROM json_to_recordset(…)` (a statement
    whose text does not change with the number of rows, one parameter), the rows
    in their order; elsewhere an executemany."""
    assert rows, "nothing to insert"
    statement = table.insert() if insert is None else insert
    if returning:
        statement = statement.returning(*returning)
    if _dialect(session) != "postgresql":
        return session.execute(statement, rows)
    names = list(rows[0])
    source = _recordset({name: table.c[name].type for name in names})
    statement = statement.from_select(names, select(source), include_defaults=False)
    return session.execute(statement, _encoded(rows))


def _expire(session: Session, model: type[Account], ids: Sequence[int]) -> None:
    """Forget what the session holds of rows updated with Core statements."""
    wanted = set(ids)
    for instance in list(session.identity_map.values()):
        if isinstance(instance, model) and instance.id in wanted:
            session.expire(instance)


def _account_key(event: CollectedEvent) -> tuple[int, str] | None:
    return (event.org_id, event.company.key) if event.company else None


def _without_duplicates(session: Session, events: Sequence[CollectedEvent]) -> list[CollectedEvent]:
    unique = list({event.event_id: event for event in events}.values())
    ids = [event.event_id for event in unique]
    known = (
        set(session.scalars(select(Event.event_id).where(_is_in(session, Event.event_id, ids))))
        if ids
        else set()
    )
    return sorted((e for e in unique if e.event_id not in known), key=lambda e: e.occurred_at)


@dataclass
class _Seen:
    """What a batch says of one account: its company facts, when, how many pageviews."""

    company: CompanyFacts
    first: datetime
    last: datetime
    pageviews: int = 0


def _seen_accounts(events: Sequence[CollectedEvent]) -> dict[tuple[int, str], _Seen]:
    seen: dict[tuple[int, str], _Seen] = {}
    for event in events:
        if event.company is None:
            continue
        key = (event.org_id, event.company.key)
        facts = seen.get(key)
        if facts is None:
            facts = seen[key] = _Seen(event.company, event.occurred_at, event.occurred_at)
        else:
            facts.first = min(facts.first, event.occurred_at)
            facts.last = max(facts.last, event.occurred_at)
        if event.type == "pageview":
            facts.pageviews += 1
    return seen


def _account_ids(
    session: Session, events: Sequence[CollectedEvent]
) -> tuple[dict[tuple[int, str], int], list[tuple[int, str]]]:
    """The id of each account of `events`, creating those missing; and the keys
    of the accounts created here (with their first and last seen and pageviews).

    Two consumers creating one account: one inserts it, the other's insert does
    nothing (it waits for the first to commit) and finds it.
    """
    seen = _seen_accounts(events)
    ids = _find_accounts(session, seen)
    missing = sorted(key for key in seen if key not in ids)
    created: list[tuple[int, str]] = []
    if missing:
        insert = _insert(session, ACCOUNTS).on_conflict_do_nothing(index_elements=["org_id", "key"])
        now = utcnow()
        rows = _insert_rows(
            session,
            ACCOUNTS,
            [_new_account(key, seen[key], now) for key in missing],
            insert,
            returning=(ACCOUNTS.c.id, ACCOUNTS.c.org_id, ACCOUNTS.c.key),
        ).all()
        for account_id, org_id, key in rows:
            ids[(org_id, key)] = account_id
            created.append((org_id, key))
        if len(rows) < len(missing):  # created meanwhile by another consumer
            ids.update(_find_accounts(session, {key: seen[key] for key in missing}))
    return ids, sorted(created)


def _find_accounts(session: Session, keys: Iterable[tuple[int, str]]) -> dict[tuple[int, str], int]:
    groups: dict[int, list[str]] = defaultdict(list)
    for org_id, key in keys:
        groups[org_id].append(key)
    found: dict[tuple[int, str], int] = {}
    for org_id, names in groups.items():
        rows = session.execute(
            select(ACCOUNTS.c.id, ACCOUNTS.c.key).where(
                ACCOUNTS.c.org_id == org_id, _is_in(session, ACCOUNTS.c.key, names)
            )
        )
        found.update({(org_id, key): account_id for account_id, key in rows})
        aliased = [key for key in names if (org_id, key) not in found]
        if aliased:  # the key of an account merged into another, or renamed from
            rows = session.execute(
                select(AccountAlias.account_id, AccountAlias.key).where(
                    AccountAlias.org_id == org_id, _is_in(session, AccountAlias.key, aliased)
                )
            )
            found.update({(org_id, key): account_id for account_id, key in rows})
    return found


def _new_account(key: tuple[int, str], seen: _Seen, now: datetime) -> dict[str, Any]:
    company = seen.company
    return {
        "created_at": now,
        "updated_at": now,
        "score": 0,
        "fit": 0.0,
        "engagement": 0.0,
        "tier": "cold",
        "org_id": key[0],
        "key": company.key,
        "name": company.name,
        "domain": company.domain,
        "industry": company.industry,
        "employees": company.employees,
        "country": company.country,
        "city": company.city,
        "network": company.network,
        **_provenance(company),
        "firmographics": {},
        "top_pages": [],
        "explanation": [],
        "visits_30d": 0,
        "active_days_30d": 0,
        "pageviews_total": seen.pageviews,
        "first_seen": seen.first,
        "last_seen": seen.last,
    }


def _provenance(company: CompanyFacts) -> dict[str, Any]:
    """The account's provenance columns, as `company` gives them."""
    signal = signal_of(company.source)
    return {
        "identified_by": signal,
        "confidence": confidence_of(signal),
        "asn": company.asn,
        "network_organisation": company.network_organisation,
    }


def _earlier(column: ColumnElement[Any], value: ColumnElement[Any]) -> ColumnElement[Any]:
    """`value` if the column is empty or later, else the column (SQL's min, NULL-safe)."""
    return case((or_(column.is_(None), column > value), value), else_=column)


def _later(column: ColumnElement[Any], value: ColumnElement[Any]) -> ColumnElement[Any]:
    """`value` if the column is empty or earlier, else the column (SQL's max, NULL-safe)."""
    return case((or_(column.is_(None), column < value), value), else_=column)


_TOUCH_COLUMNS: dict[str, TypeEngine[Any]] = {
    "first": ACCOUNTS.c.first_seen.type,
    "last": ACCOUNTS.c.last_seen.type,
    "network": ACCOUNTS.c.network.type,
    "pageviews": Integer(),
    "identified_by": ACCOUNTS.c.identified_by.type,
    "confidence": ACCOUNTS.c.confidence.type,
    "asn": ACCOUNTS.c.asn.type,
    "network_organisation": ACCOUNTS.c.network_organisation.type,
}


def _touch(value: Callable[[str], ColumnElement[Any]]) -> dict[str, Any]:
    return {
        "first_seen": _earlier(ACCOUNTS.c.first_seen, value("first")),
        "last_seen": _later(ACCOUNTS.c.last_seen, value("last")),
        "network": func.coalesce(ACCOUNTS.c.network, value("network")),
        "pageviews_total": ACCOUNTS.c.pageviews_total + value("pageviews"),
        # The latest signal, except that an ASN organisation does not undo
        # what reverse DNS found; a record without one changes nothing.
        "identified_by": _keep_provenance(
            ACCOUNTS.c.identified_by, value("identified_by"), value("identified_by")
        ),
        "confidence": _keep_provenance(
            ACCOUNTS.c.confidence, value("confidence"), value("identified_by")
        ),
        "asn": func.coalesce(value("asn"), ACCOUNTS.c.asn),
        "network_organisation": func.coalesce(
            value("network_organisation"), ACCOUNTS.c.network_organisation
        ),
    }


def _keep_provenance(
    column: ColumnElement[Any], value: ColumnElement[Any], signal: ColumnElement[Any]
) -> ColumnElement[Any]:
    """`value`, unless the record has no signal or it would lower a reverse DNS
    identification back to the ASN organisation."""
    kept = or_(
        signal.is_(None),
        and_(ACCOUNTS.c.identified_by == REVERSE_DNS, signal == WEAKEST),
    )
    return case((kept, column), else_=value)


def _touch_accounts(
    session: Session,
    events: Sequence[CollectedEvent],
    ids: dict[tuple[int, str], int],
    created: Sequence[tuple[int, str]],
) -> None:
    """Move the first and last seen and add the pageviews of the accounts not
    created here (those were inserted so), locking them in id order."""
    fresh = set(created)
    rows = [
        {
            "id": ids[key],
            "first": seen.first,
            "last": seen.last,
            "network": seen.company.network,
            "pageviews": seen.pageviews,
            **_provenance(seen.company),
        }
        for key, seen in _seen_accounts(events).items()
        if key not in fresh
    ]
    rows.sort(key=lambda row: row["id"])
    if rows:
        session.execute(_lock_accounts(session, [row["id"] for row in rows])).all()
        _update_rows(session, ACCOUNTS, _TOUCH_COLUMNS, _touch, rows)


def _lock_accounts(session: Session, ids: Sequence[int]) -> Select[int]:
    """The ids of the accounts `ids` that exist, in order; on PostgreSQL they are
    locked in that order, so that writers queue, not deadlock, and what is read
    next sees what the writers before committed. `FOR NO KEY UPDATE`, the lock
    an UPDATE takes: `FOR UPDATE` would also wait for the key share locks that
    inserting events and visits of an account takes (their foreign key), and
    two consumers would deadlock."""
    query = select(ACCOUNTS.c.id).where(_is_in(session, ACCOUNTS.c.id, ids)).order_by(ACCOUNTS.c.id)
    if _dialect(session) == "postgresql":
        return query.with_for_update(key_share=True)
    return query


@dataclass
class _Tally:
    """One visit the batch adds events to: a stored one (`id`), or a new one (`row`)."""

    last_event_at: datetime
    id: int | None = None
    row: dict[str, Any] | None = None
    last_added: datetime | None = None
    events: int = 0
    pageviews: int = 0
    engaged_ms: int = 0

    def count_in(self, event: CollectedEvent) -> None:
        when = event.occurred_at
        self.last_event_at = max(self.last_event_at, when)
        self.last_added = when if self.last_added is None else max(self.last_added, when)
        self.events += 1
        if event.type == "pageview":
            self.pageviews += 1
        if event.engaged_ms:
            self.engaged_ms += event.engaged_ms


_ADD_COLUMNS: dict[str, TypeEngine[Any]] = {
    "events": Integer(),
    "pageviews": Integer(),
    "engaged_ms": VISITS.c.engaged_ms.type,
    "last": VISITS.c.last_event_at.type,
}


def _add_to_visit(value: Callable[[str], ColumnElement[Any]]) -> dict[str, Any]:
    return {
        "events_count": VISITS.c.events_count + value("events"),
        "pageviews": VISITS.c.pageviews + value("pageviews"),
        "engaged_ms": VISITS.c.engaged_ms + value("engaged_ms"),
        "last_event_at": _later(VISITS.c.last_event_at, value("last")),
    }


def _sessionise(
    session: Session, events: Sequence[CollectedEvent], accounts: dict[tuple[int, str], int]
) -> tuple[dict[str, int], list[int]]:
    """Attach each event to its visit: the visitor's last one if it is younger
    than the gap, else a new one. Returns the visit id of each event id, and the
    accounts that started a visit.

    Visits are inserted with their counts; stored visits get theirs added."""
    open_visits = _open_visits(session, events)
    new: list[_Tally] = []
    tally_of: dict[str, _Tally] = {}
    for event in events:
        slot = (event.site_id, event.visitor_hash)
        tally = open_visits.get(slot)
        if tally is None or event.occurred_at - tally.last_event_at > VISIT_GAP:
            key = _account_key(event)
            tally = _Tally(event.occurred_at, row=_new_visit(event, accounts[key] if key else None))
            open_visits[slot] = tally
            new.append(tally)
        tally.count_in(event)
        tally_of[event.event_id] = tally
    if new:
        rows = []
        for tally in new:
            assert tally.row is not None
            tally.row.update(
                last_event_at=tally.last_event_at,
                events_count=tally.events,
                pageviews=tally.pageviews,
                engaged_ms=tally.engaged_ms,
            )
            rows.append(tally.row)
        for tally, visit_id in zip(new, _insert_visits(session, rows), strict=True):
            tally.id = visit_id
    stored = sorted((t for t in open_visits.values() if t.row is None and t.events), key=_id)
    rows = [
        {
            "id": tally.id,
            "events": tally.events,
            "pageviews": tally.pageviews,
            "engaged_ms": tally.engaged_ms,
            "last": tally.last_added,
        }
        for tally in stored
    ]
    _update_rows(session, VISITS, _ADD_COLUMNS, _add_to_visit, rows)
    started = sorted({t.row["account_id"] for t in new if t.row and t.row["account_id"]})
    return {event_id: _id(tally) for event_id, tally in tally_of.items()}, started


def _insert_visits(session: Session, rows: list[dict[str, Any]]) -> Sequence[int]:
    """Insert the visits `rows`; return their ids, in order."""
    if _dialect(session) == "postgresql":
        # Ids taken first, then the rows go in one statement (`_insert_rows`).
        ids = session.scalars(
            select(func.nextval(func.pg_get_serial_sequence(VISITS.name, "id"))).select_from(
                func.generate_series(1, len(rows))
            )
        ).all()
        for row, visit_id in zip(rows, ids, strict=True):
            row["id"] = visit_id
        _insert_rows(session, VISITS, rows)
        return ids
    insert = VISITS.insert().returning(VISITS.c.id, sort_by_parameter_order=True)
    return session.scalars(insert, rows).all()


def _id(tally: _Tally) -> int:
    assert tally.id is not None
    return tally.id


def _open_visits(
    session: Session, events: Sequence[CollectedEvent]
) -> dict[tuple[int, str], _Tally]:
    """Each visitor's latest visit that may still be going on."""
    earliest = min(event.occurred_at for event in events) - VISIT_GAP
    visitors = sorted({(event.site_id, event.visitor_hash) for event in events})
    if _dialect(session) == "postgresql":
        query, parameters = _latest_visits(earliest), _encoded(_visitor_rows(visitors))
    else:
        query, parameters = _visits_since(earliest, visitors), {}
    latest: dict[tuple[int, str], _Tally] = {}
    for site_id, visitor, visit_id, last_event_at in session.execute(query, parameters):
        slot = (site_id, visitor)
        if slot not in latest or last_event_at > latest[slot].last_event_at:
            latest[slot] = _Tally(last_event_at, id=visit_id)
    return latest


def _visitor_rows(visitors: Sequence[tuple[int, str]]) -> list[dict[str, Any]]:
    return [{"site_id": site_id, "visitor_hash": visitor} for site_id, visitor in visitors]


def _latest_visits(earliest: datetime) -> Select[int, str, int, datetime]:
    """PostgreSQL: each visitor's (`_visitor_rows`) latest visit since
    `earliest`, in one statement: one look in the visits' index per visitor
    (a visitor hash lives one day, so it finds a handful of visits), whatever
    the table's statistics say (a table that grew since it was last analysed
    made the planner scan it for every batch)."""
    visitor = _recordset(
        {"site_id": VISITS.c.site_id.type, "visitor_hash": VISITS.c.visitor_hash.type}
    )
    visit = (
        select(VISITS.c.id, VISITS.c.last_event_at)
        .where(
            VISITS.c.site_id == visitor.c.site_id,
            VISITS.c.visitor_hash == visitor.c.visitor_hash,
            VISITS.c.last_event_at >= earliest,
        )
        .order_by(VISITS.c.last_event_at.desc())
        .limit(1)
        .lateral("visit")
    )
    return select(
        visitor.c.site_id, visitor.c.visitor_hash, visit.c.id, visit.c.last_event_at
    ).select_from(visitor.join(visit, true()))


def _visits_since(
    earliest: datetime, visitors: Sequence[tuple[int, str]]
) -> Select[int, str, int, datetime]:
    """SQLite: the visits of `visitors` that went on since `earliest`."""
    by_site: dict[int, list[str]] = defaultdict(list)
    for site_id, visitor in visitors:
        by_site[site_id].append(visitor)
    return select(
        VISITS.c.site_id, VISITS.c.visitor_hash, VISITS.c.id, VISITS.c.last_event_at
    ).where(
        or_(
            *(
                and_(VISITS.c.site_id == site_id, VISITS.c.visitor_hash.in_(hashes))
                for site_id, hashes in by_site.items()
            )
        ),
        VISITS.c.last_event_at >= earliest,
    )


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


def _new_visit(event: CollectedEvent, account_id: int | None) -> dict[str, Any]:
    return dict(
        **_shared_fields(event),
        account_id=account_id,
        started_at=event.occurred_at,
        entry_path=event.path,
    )


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


_AGGREGATE_COLUMNS: dict[str, TypeEngine[Any]] = {
    "visits": Integer(),
    "days": Integer(),
    "top_pages": ACCOUNTS.c.top_pages.type,
}


def _set_aggregates(value: Callable[[str], ColumnElement[Any]]) -> dict[str, Any]:
    return {
        "visits_30d": value("visits"),
        "active_days_30d": value("days"),
        "top_pages": value("top_pages"),
    }


def refresh_aggregates(session: Session, account_ids: Sequence[int], now: datetime) -> None:
    """Recompute visits and active days over 30 days, and the top pages, of `account_ids`.

    The accounts are locked first (PostgreSQL), so what is counted includes
    what another transaction that was writing them committed."""
    if not account_ids:
        return
    ids = session.scalars(_lock_accounts(session, sorted(set(account_ids)))).all()
    if not ids:
        return
    since = now - AGGREGATE_WINDOW
    starts = typing.cast(  # visits of accounts `ids`: their account is not NULL
        Sequence[tuple[int, datetime]],
        session.execute(
            select(Visit.account_id, Visit.started_at).where(
                _is_in(session, Visit.account_id, ids), Visit.started_at >= since
            )
        ).all(),
    )
    visits: Counter[int] = Counter()
    days: dict[int, set[date]] = defaultdict(set)
    for account_id, started in starts:
        visits[account_id] += 1
        days[account_id].add(started.date())
    pages = typing.cast(  # events of accounts `ids`: their account is not NULL
        Sequence[tuple[int, str, int]],
        session.execute(
            select(Event.account_id, Event.path, func.count())
            .where(
                _is_in(session, Event.account_id, ids),
                Event.type == "pageview",
                Event.occurred_at >= since,
            )
            .group_by(Event.account_id, Event.path)
        ).all(),
    )
    top: dict[int, Counter] = defaultdict(Counter)
    for account_id, path, count in pages:
        top[account_id][path] = count
    rows = []
    for account_id in ids:
        ranked = sorted(top[account_id].items(), key=lambda item: (-item[1], item[0]))
        rows.append(
            {
                "id": account_id,
                "visits": visits[account_id],
                "days": len(days.get(account_id, ())),
                "top_pages": [path for path, _ in ranked[:TOP_PAGES]],
            }
        )
    _update_rows(session, ACCOUNTS, _AGGREGATE_COLUMNS, _set_aggregates, rows)
    _expire(session, Account, ids)


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
    for site_id, when in sorted(latest.items()):
        session.execute(
            update(Site)
            .where(
                Site.id == site_id,
                or_(Site.last_event_at.is_(None), Site.last_event_at < when - SITE_MARK_STEP),
            )
            .values(last_event_at=when)
        )


def newly_received(
    session: Session, counts: Sequence[TrafficCountDelta], now: datetime
) -> list[TrafficCountDelta]:
    """`counts` whose receipt was not stored yet, their receipts stored (at `now`).

    A count delivered again, or by two consumers at once, is added once: the
    second insert of its receipt waits for the first transaction and does nothing.
    """
    if not counts:
        return []
    by_receipt = {count.receipt: count for count in counts}
    insert = (
        _insert(session, RECEIPTS)
        .on_conflict_do_nothing(index_elements=["id"])
        .returning(RECEIPTS.c.id)
    )
    rows = [{"id": receipt, "received_at": now} for receipt in sorted(by_receipt)]
    new = set(session.scalars(insert, rows))
    return [count for receipt, count in by_receipt.items() if receipt in new]


def add_counts(session: Session, counts: Sequence[TrafficCountDelta]) -> None:
    """Add traffic counts, merging those of one site, day, kind and reason, each
    with one upsert that adds in the database (another consumer may add at once)."""
    totals: Counter = Counter()
    for count in counts:
        totals[(count.site_id, count.day, count.kind, count.reason)] += count.count
    if not totals:
        return
    insert = _insert(session, COUNTS)
    upsert = insert.on_conflict_do_update(
        index_elements=["site_id", "day", "kind", "reason"],
        set_={"count": COUNTS.c.count + insert.excluded.count},
    )
    session.execute(
        upsert,
        [
            {"site_id": site_id, "day": day, "kind": kind, "reason": reason, "count": number}
            for (site_id, day, kind, reason), number in sorted(totals.items())
        ],
    )
    _expire_counts(session)


def _expire_counts(session: Session) -> None:
    for instance in list(session.identity_map.values()):
        if isinstance(instance, TrafficCount):
            session.expire(instance)
