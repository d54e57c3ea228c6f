"""What follows the storing of events: aggregates, scores, snapshots, enrichment.

Every path that stores events ends here, saying with a `FollowUp` which steps
it needs:

* live ingest, `store_batch(records)`: the batch is ingested and committed;
  enrichment of the accounts it created and rescoring of those it touched are
  queued, sent once the commit is done;
* log import: aggregates slid and accounts rescored inline, batch by batch,
  each batch in a transaction of its own, and enrichment queued for every
  account never enriched (its score history is written by the import);
* demo build: each simulated day's accounts rescored as of the end of that
  day and snapshotted for it; at the end, aggregates slid to now;
* daily pass: aggregates slid and recent accounts rescored (engagement decays
  with age), then every account snapshotted for the day.

`follow_up` runs the steps in the caller's transaction; `follow_up_batch_by_batch`
commits each batch of accounts on its own. The steps run in this order for
each batch: aggregates, inline rescoring, enrichment of the never enriched.
Then, once for all: enrichment of the new accounts, rescoring after the
commit, the day's snapshot.

Accounts whose firmographics enrichment changed are rescored through
`server.hooks` instead: `server.enrichment` sits below the enrichment job
queued here, so it cannot call this module without an import cycle.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import Enum

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from server.batches import batched
from server.jobs import enqueue
from server.jobs.enrichment import enrich_account
from server.jobs.rescoring import rescore_accounts
from server.records import Record
from server.rescoring import RESCORE_BATCH, rescore
from server.storage import close_session, session_scope
from server.storage.ingest import IngestResult, ingest, refresh_aggregates
from server.storage.models import Account, Enrichment
from server.storage.snapshots import record_snapshots
from server.storage.types import utcnow


class Rescore(Enum):
    """When the accounts are rescored."""

    NO = "no"
    INLINE = "inline"  # now, in the transaction, as of the time given
    AFTER_COMMIT = "after commit"  # by a job, sent once the transaction commits


class Enrich(Enum):
    """Which accounts get their enrichment queued (sent once the transaction commits)."""

    NONE = "none"
    NEW_ACCOUNTS = "new accounts"  # those the stored events created
    NEVER_ENRICHED = "never enriched"  # those touched that no provider was ever asked about


@dataclass(frozen=True)
class Snapshot:
    """Store the accounts' scores as their snapshot for `day`: the organisation's
    accounts, or every account when `org_id` is None."""

    day: date
    org_id: int | None = None


@dataclass(frozen=True)
class FollowUp:
    """The steps that follow a store; by default, none."""

    aggregates: bool = False  # slide the 30-day aggregates
    rescore: Rescore = Rescore.NO
    # Accounts that rescoring turns hot are hot since these times, not since then.
    hot_since: Mapping[int, datetime] = field(default_factory=dict)
    enrich: Enrich = Enrich.NONE
    snapshot: Snapshot | None = None
    batch_size: int = RESCORE_BATCH

    @property
    def has_steps_once(self) -> bool:
        """Whether a step runs once for all the accounts rather than per batch."""
        return (
            self.enrich is Enrich.NEW_ACCOUNTS
            or self.rescore is Rescore.AFTER_COMMIT
            or self.snapshot is not None
        )


@dataclass
class FollowUpCounts:
    """What a follow-up did, counted."""

    rescored: int = 0
    enrichment_queued: int = 0
    snapshots: int = 0

    def add(self, other: FollowUpCounts) -> None:
        self.rescored += other.rescored
        self.enrichment_queued += other.enrichment_queued
        self.snapshots += other.snapshots


LIVE = FollowUp(rescore=Rescore.AFTER_COMMIT, enrich=Enrich.NEW_ACCOUNTS)
"""What follows a batch of the live collector."""


def store_batch(records: Sequence[Record]) -> IngestResult:
    """Ingest `records` in the context's session and commit; jobs follow the commit."""
    now = utcnow()
    with session_scope() as session:
        result = ingest(session, records, now)
        follow_up(session, result.touched_account_ids, now, LIVE, created=result.new_account_ids)
    return result


def follow_up(
    session: Session,
    touched: Sequence[int],
    at: datetime,
    steps: FollowUp,
    created: Sequence[int] = (),
) -> FollowUpCounts:
    """Run `steps` for the accounts `touched` (and `created`) by a store, as of
    `at`, in the session's transaction; the caller commits."""
    done = FollowUpCounts()
    for batch in batched(touched, steps.batch_size):
        done.add(_follow_up_batch(session, batch, at, steps))
    done.add(_follow_up_once(session, touched, created, steps))
    return done


def follow_up_batch_by_batch(
    touched: Sequence[int],
    at: datetime,
    steps: FollowUp,
    created: Sequence[int] = (),
) -> FollowUpCounts:
    """Run `steps` like `follow_up`, but commit each batch of accounts in a
    transaction of its own, with a fresh session each time (memory stays flat)."""
    done = FollowUpCounts()
    for batch in batched(touched, steps.batch_size):
        with session_scope() as session:
            done.add(_follow_up_batch(session, batch, at, steps))
        close_session()
    if steps.has_steps_once:
        with session_scope() as session:
            done.add(_follow_up_once(session, touched, created, steps))
        close_session()
    return done


def _follow_up_batch(
    session: Session, batch: Sequence[int], at: datetime, steps: FollowUp
) -> FollowUpCounts:
    done = FollowUpCounts()
    if steps.aggregates:
        refresh_aggregates(session, batch, at)
    if steps.rescore is Rescore.INLINE:
        done.rescored = rescore_inline(session, batch, at, steps.hot_since)
    if steps.enrich is Enrich.NEVER_ENRICHED:
        done.enrichment_queued = queue_enrichment(never_enriched(session, batch))
    return done


def _follow_up_once(
    session: Session, touched: Sequence[int], created: Sequence[int], steps: FollowUp
) -> FollowUpCounts:
    done = FollowUpCounts()
    if steps.enrich is Enrich.NEW_ACCOUNTS:
        done.enrichment_queued = queue_enrichment(created)
    if steps.rescore is Rescore.AFTER_COMMIT:
        rescore_after_commit(touched)
    if steps.snapshot is not None:
        done.snapshots = record_snapshots(session, steps.snapshot.day, steps.snapshot.org_id)
    return done


def rescore_inline(
    session: Session, account_ids: Sequence[int], at: datetime, hot_since: Mapping[int, datetime]
) -> int:
    """Rescore the accounts as of `at`; those it turns hot that `hot_since`
    names were hot since then. Returns how many were scored."""
    if not hot_since:
        return rescore(session, account_ids, at)
    hot_before = _hot_ids(session, account_ids)
    scored = rescore(session, account_ids, at)
    _date_hot_since(session, set(account_ids) - hot_before, hot_since)
    return scored


def rescore_after_commit(account_ids: Sequence[int]) -> None:
    """Queue one rescoring job for the accounts, sent once the transaction commits."""
    if account_ids:
        enqueue(rescore_accounts, *account_ids)


def queue_enrichment(account_ids: Sequence[int]) -> int:
    """Queue enrichment of each account (sent after the commit); return how many."""
    for account_id in account_ids:
        enqueue(enrich_account, account_id)
    return len(account_ids)


def never_enriched(session: Session, account_ids: Sequence[int]) -> list[int]:
    """Those of the accounts that no provider was ever asked about."""
    enriched = select(Enrichment.account_id).where(Enrichment.account_id == Account.id)
    query = select(Account.id).where(Account.id.in_(account_ids), ~enriched.exists())
    return list(session.scalars(query))


def _hot_ids(session: Session, ids: Sequence[int]) -> set[int]:
    return set(
        session.scalars(select(Account.id).where(Account.id.in_(ids), Account.tier == "hot"))
    )


def _date_hot_since(
    session: Session, were_not_hot: set[int], hot_since: Mapping[int, datetime]
) -> None:
    """Accounts that were not hot and now are were hot since `hot_since` says."""
    crossed = _hot_ids(session, sorted(were_not_hot & hot_since.keys()))
    changes = [{"id": i, "hot_since": hot_since[i]} for i in sorted(crossed)]
    if changes:
        session.execute(update(Account), changes)
