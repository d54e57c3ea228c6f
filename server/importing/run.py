"""The import: kept log lines through the collector's pipeline into storage.

Per batch of lines (in time order): lines already imported are skipped (by
line id), each other line becomes the beacon the snippet would have sent and
goes through `Collector.process` with the line's address, user agent and
time, and the records are stored in one transaction with the batch's line
ids (`store_events`, `add_counts`): a checkpoint, so an interrupted import
run again carries on where it stopped. Nothing is rescored per batch: at the
end each imported day's score history is rebuilt, then the accounts'
aggregates are slid and the accounts rescored once, now, batch by batch
(`server.after_store`). Enrichment is queued then too, for every account touched that was never enriched (those an
interrupted run created included): run alongside the import, it would fight
it for the database and rescore accounts the import rescores anyway.

The salts of past days are made for the import and deleted at its end; those
of today and yesterday stay for the live collector. An interrupted import
leaves them for its rerun, and the hourly salt rotation deletes them anyway.

So a later import hashes a past day's visitors with another salt. Where its
file overlaps one imported before (log rotation), the lines met again say
which new id is which stored one: the import maps each visitor seen there to
the id already stored, in memory for the run only, and a visit going on where
the files meet carries on as if both had been imported at once. Nothing links
the two ids once the run ends; a visitor the overlap does not show gets a new
id, as the day's salt is gone.
"""

from __future__ import annotations

import re
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

import msgspec
from flask import current_app
from sqlalchemy.orm import Session

from server.after_store import Enrich, FollowUp, Rescore, follow_up_batch_by_batch
from server.batches import batched
from server.collect.beacon import MAX_URL_LENGTH, Beacon, BeaconError
from server.collect.parts import collect_parts
from server.collect.pipeline import Collector, SaltCache
from server.collect.sites import SiteInfo
from server.importing.filters import Kind, request_target
from server.importing.history import days_between, rebuild_history
from server.importing.reader import BAD_EXAMPLES, Entry, LogReader, LogSource
from server.records import CollectedEvent, Record, TrafficCountDelta
from server.storage import close_session, session_scope, storage
from server.storage.imported_lines import (
    first_snippet_event,
    forget_lines_before,
    imported_line_ids,
    remember_lines,
    stored_visitors,
)
from server.storage.ingest import add_counts, store_events
from server.storage.salts import rotate_salts

BATCH_LINES = 5_000
"""Kept lines per transaction (the checkpoint)."""

Progress = Callable[[int], None]
"""Told the bytes read so far after each batch."""


@dataclass
class ImportSummary:
    """What an import did."""

    lines: int = 0
    pageviews: int = 0
    downloads: int = 0
    already_imported: int = 0
    bots: int = 0
    too_old: int = 0
    after_snippet: int = 0  # logged once the snippet was sending the same page views
    snippet_from: datetime | None = None
    left_out: Counter[str] = field(default_factory=Counter)  # assets, statuses…
    networks: Counter[str] = field(default_factory=Counter)  # non-business, by class
    bad: int = 0
    bad_examples: list[str] = field(default_factory=list)
    accounts_created: int = 0
    accounts_updated: int = 0
    enrichment_queued: int = 0
    snapshots: int = 0
    first_day: date | None = None
    last_day: date | None = None
    seconds: float = 0.0


class ImportSalts(SaltCache):
    """The salts of every day an import meets, each read (or created) once."""

    def __init__(self, open_session: Callable[[], Session]) -> None:
        super().__init__(open_session)
        self._days: dict[date, bytes] = {}

    def salt(self, day: date) -> bytes:
        # Kept for the whole import: were the hourly rotation to delete a past
        # day's salt meanwhile, that day's visitors still hash the same.
        salt = self._days.get(day)
        if salt is None:
            salt = self._days[day] = SaltCache.salt(self, day)
        return salt


def import_logs(
    site_key: str,
    sources: Sequence[LogSource],
    reader: LogReader,
    now: datetime,
    progress: Progress | None = None,
) -> ImportSummary:
    """Import `sources` for the site, in the current app's context.

    :raise LookupError: for an unknown site key.
    """
    started = time.perf_counter()
    parts = collect_parts()
    site = parts.sites.get(site_key)
    if site is None:
        raise LookupError(f"--site: no site with key {site_key}")
    salts = ImportSalts(storage().sessions)
    collector = Collector(parts.pipeline.agents, parts.pipeline.resolver, salts)
    run = _Run(site, collector, now, current_app.config["RETENTION_DAYS"])
    run.forget_expired_lines()
    for batch in batched(reader.entries(sources), BATCH_LINES):
        run.store(batch)
        if progress:
            progress(sum(source.position() for source in sources))
    run.finish()
    summary = run.summary
    summary.lines = reader.stats.lines
    summary.bad += reader.stats.bad
    summary.bad_examples = [*reader.stats.bad_examples, *summary.bad_examples][:BAD_EXAMPLES]
    summary.left_out.update(reader.stats.left_out)
    summary.seconds = time.perf_counter() - started
    return summary


class _Run:
    """One import's state: the site, the collector, the accounts touched."""

    def __init__(self, site: SiteInfo, collector: Collector, now: datetime, retention: int) -> None:
        self.site = site
        self.collector = collector
        self.now = now
        self.oldest = now - timedelta(days=retention)
        self.summary = ImportSummary()
        self.touched: set[int] = set()
        self.created: set[int] = set()
        self.known_visitors: dict[str, str] = {}  # this run's visitor id → the stored one

    def forget_expired_lines(self) -> None:
        """Line ids of days past the retention period go, as their events did;
        and the snippet's first event, from when the logs repeat it, is found."""
        with session_scope() as session:
            site = self.site
            forget_lines_before(session, site.org_id, site.id, self.oldest.date())
            self.summary.snippet_from = first_snippet_event(
                session, site.org_id, site.id, self.oldest
            )
        close_session()

    def store(self, batch: Sequence[Entry]) -> None:
        fresh, again = self._fresh(batch)
        self._recognise_visitors(again)
        records: list[Record] = []
        for entry in fresh:
            record = self._record(entry)
            if record is not None:
                records.append(record)
        events = [r for r in records if isinstance(r, CollectedEvent)]
        counts = [r for r in records if isinstance(r, TrafficCountDelta)]
        with session_scope() as session:
            add_counts(session, counts)
            result, _ = store_events(session, events)
            remember_lines(session, self.site.id, [(e.line_id, e.time.date()) for e in fresh])
        close_session()  # a fresh session per batch keeps memory flat
        self.summary.already_imported += result.duplicates
        self.touched.update(result.touched_account_ids)
        self.created.update(result.new_account_ids)
        self._count(events, counts)

    def _fresh(self, batch: Sequence[Entry]) -> tuple[list[Entry], list[Entry]]:
        """The batch's entries not imported yet (nor older than the retention
        period), and those an earlier import stored."""
        ids = [entry.line_id for entry in batch]
        with storage().sessions() as session:
            known = imported_line_ids(session, self.site.org_id, self.site.id, ids)
        fresh, again = [], []
        for entry in batch:
            if entry.line_id in known:
                self.summary.already_imported += 1
                again.append(entry)
            elif entry.time < self.oldest:
                self.summary.too_old += 1
            elif self.summary.snippet_from and entry.time >= self.summary.snippet_from:
                self.summary.after_snippet += 1
            else:
                known.add(entry.line_id)  # the same line twice in one batch (overlapping files)
                fresh.append(entry)
        return fresh, again

    def _recognise_visitors(self, entries: Sequence[Entry]) -> None:
        """Map the visitor id this run gives each line stored before to the id
        stored with it (they differ when the day's salt was made anew)."""
        if not entries:
            return
        line_ids = [entry.line_id for entry in entries]
        with storage().sessions() as session:
            stored = stored_visitors(session, self.site.org_id, self.site.id, line_ids)
        for entry in entries:
            before = stored.get(entry.line_id)
            if before is None:
                continue
            line = entry.line
            now = self.collector.visitor(self.site, line.ip, line.user_agent, entry.time)
            if now != before:
                self.known_visitors[now] = before

    def _record(self, entry: Entry) -> Record | None:
        line = entry.line
        try:
            beacon = beacon_for(entry, self.site)
            record = self.collector.process(beacon, self.site, line.ip, line.user_agent, entry.time)
        except BeaconError as error:  # a field the database could not hold, say
            self.summary.bad += 1
            if len(self.summary.bad_examples) < BAD_EXAMPLES:
                self.summary.bad_examples.append(f"a line of {entry.time:%Y-%m-%d %H:%M}: {error}")
            return None
        if isinstance(record, CollectedEvent):
            visitor = self.known_visitors.get(record.visitor_hash, record.visitor_hash)
            # the line's id is the event's: a line imported again is found stored
            return msgspec.structs.replace(record, event_id=entry.line_id, visitor_hash=visitor)
        return record

    def _count(self, events: Sequence[CollectedEvent], counts: Sequence[TrafficCountDelta]) -> None:
        for event in events:
            if event.type == "pageview":
                self.summary.pageviews += 1
            else:
                self.summary.downloads += 1
            day = event.occurred_at.date()
            first, last = self.summary.first_day, self.summary.last_day
            self.summary.first_day = min(first, day) if first else day
            self.summary.last_day = max(last, day) if last else day
        for count in counts:
            if count.kind == "bot":
                self.summary.bots += count.count
            else:
                self.summary.networks[count.kind] += count.count

    def finish(self) -> None:
        """Forget past salts, rebuild history, then slide aggregates and rescore once."""
        with session_scope() as session:
            rotate_salts(session, self.now.date())
        touched = sorted(self.touched)
        self.summary.accounts_created = len(self.created)
        self.summary.accounts_updated = len(self.touched - self.created)
        if not touched:
            close_session()
            return
        first, last = self.summary.first_day, self.summary.last_day
        days = days_between(first, last) if first and last else []
        with session_scope() as session:
            written, hot_from = rebuild_history(session, self.site.org_id, days, self.now)
            self.summary.snapshots = written
        close_session()
        steps = FollowUp(
            aggregates=True,
            rescore=Rescore.INLINE,
            hot_since=hot_from,
            enrich=Enrich.NEVER_ENRICHED,
        )
        done = follow_up_batch_by_batch(touched, self.now, steps)
        self.summary.enrichment_queued += done.enrichment_queued


def beacon_for(entry: Entry, site: SiteInfo) -> Beacon:
    """The beacon the snippet would have sent for the logged request.

    A page view is the page's URL on the site's first domain with the logged
    referrer. A download is a `download` event with the file's URL as its
    `url` prop, sent from the page that linked it (the referrer, when on the
    site). The URL is made here on the site's own domain, so the beacon
    parser's checks reduce to length and control characters.

    :raise BeaconError: for a request the collector would refuse.
    """
    line = entry.line
    url = f"https://{site.domains[0]}{request_target(line.path)}"
    if len(url) > MAX_URL_LENGTH or _CONTROL.search(url):
        raise BeaconError("url", "too long or with control characters")
    referrer = line.referrer
    if referrer and (
        not referrer.startswith(("http://", "https://"))
        or len(referrer) > MAX_URL_LENGTH
        or _CONTROL.search(referrer)
    ):
        referrer = None
    if entry.kind is not Kind.DOWNLOAD:
        return Beacon(site=site.key, type="pageview", url=url, referrer=referrer)
    file_url = url.split("?", 1)[0]
    if referrer is not None and site.owns_url(referrer):
        return Beacon(site=site.key, type="event", name="download", url=referrer,
                      props={"url": file_url})  # fmt: skip
    return Beacon(site=site.key, type="event", name="download", url=file_url,
                  referrer=referrer, props={"url": file_url})  # fmt: skip


_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
