"""The rescoring service: scores computed from stored activity, and written.

`rescore(session, account_ids, now)` runs `scoring.engine.score` on each
account's visits and events in its model's windows (three reads for a whole
batch) and stores the results in one batched write. An account crossing into
hot enqueues one `alert_hot_account` job and one CRM push. The jobs that call
it for touched accounts and whole organisations are in `server/jobs/rescoring.py`;
the ingest follow-up, the log import, site removal and `vigie rescore` call it
directly.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any, NamedTuple, cast

from sqlalchemy import CursorResult, Row, select, update
from sqlalchemy.orm import Session

from scoring.engine import EventFacts, ScoreResult, VisitFacts, reached_at, score
from scoring.model import Model
from scoring.tiers import Tier
from server.batches import batched
from server.jobs import enqueue
from server.jobs.alerts import alert_hot_account
from server.jobs.crm import push_hot_account
from server.scoring_models import active_window, model_for
from server.storage import get_session, session_scope
from server.storage.models import Account, Event, Visit

RESCORE_BATCH = 500
"""Accounts read, scored and written per transaction when many are rescored."""

FIRMOGRAPHIC_FIELDS = ("industry", "employees", "revenue_band", "country", "city", "domain", "name")
ACCOUNT_COLUMNS = [
    getattr(Account, name)
    for name in (
        "id",
        "org_id",
        "tier",
        "hot_since",
        "scored_at",
        "firmographics",
        "crm_customer",
        *FIRMOGRAPHIC_FIELDS,
    )
]


def organisation_account_ids(session: Session, org_id: int | None) -> list[int]:
    """The ids of the organisation's accounts (of every organisation for None), in order."""
    query = select(Account.id).order_by(Account.id)
    if org_id is not None:
        query = query.where(Account.org_id == org_id)
    return list(session.scalars(query))


def rescore_in_batches(
    account_ids: Sequence[int],
    now: datetime,
    on_batch: Callable[[int], None] | None = None,
) -> int:
    """Rescore `account_ids` a batch per transaction (`rescore_apart`), telling
    `on_batch` how many each batch held; returns how many were scored."""
    for batch in batched(account_ids, RESCORE_BATCH):
        rescore_apart(batch, now)
        if on_batch is not None:
            on_batch(len(batch))
    return len(account_ids)


def rescore_apart(account_ids: Sequence[int], now: datetime) -> int:
    """Score `account_ids` in a read transaction, then write the scores in a
    short one: on SQLite the write lock is held for the update only, not while
    activity is read and scored (ingestion and dashboard forms wait for it)."""
    session = get_session()
    try:
        scored = _score_batch(session, account_ids, now)
    finally:
        session.rollback()  # ends the read; the write below begins afresh
    with session_scope() as session:
        return write_scores(session, scored, now)


def rescore(session: Session, account_ids: Sequence[int], now: datetime) -> int:
    """Score `account_ids`, each with its organisation's model, from their visits
    and events in the model's windows: three reads and one batched write for the
    whole batch."""
    return write_scores(session, _score_batch(session, account_ids, now), now)


def write_scores(session: Session, scored: Sequence[_Scored], now: datetime) -> int:
    """Store new scores. An account crossing into hot gets one alert: its row is
    updated only if it is not hot already, so of two rescorings that both saw
    it below hot, one alerts."""
    if not scored:
        return 0
    changes = []
    for item in scored:
        change = score_change(item.account, item.result, now)
        if not crossed_into_hot(item.account, item.result):
            changes.append(change)
            continue
        change["hot_since"] = hot_moment(item, now)
        values = {name: value for name, value in change.items() if name != "id"}
        became_hot = cast(  # an UPDATE's result is a cursor's, with a row count
            CursorResult[Any],
            session.execute(
                update(Account)
                .where(Account.id == item.account.id, Account.tier != Tier.HOT.value)
                .values(values)
            ),
        )
        if became_hot.rowcount:
            enqueue(alert_hot_account, item.account.id)  # sent once the scores are committed
            enqueue(push_hot_account, item.account.id)  # to the CRMs connected, if any
    if changes:
        session.execute(update(Account), changes)
    return len(scored)


def crossed_into_hot(account: Row[Any], result: ScoreResult) -> bool:
    return result.tier is Tier.HOT and account.tier != Tier.HOT.value


class _Scored(NamedTuple):
    """An account's stored columns, its new score, and what the score was made from."""

    account: Row[Any]
    result: ScoreResult
    model: Model
    facts: dict[str, Any]
    visits: list[VisitFacts]
    events: list[EventFacts]


def hot_moment(scored: _Scored, now: datetime) -> datetime:
    """When an account hot as of `now`, and not when last scored, became hot: the
    time of the visit or event that took its score over the threshold, else `now`
    (made hot by its fit alone, or by a model change)."""
    moment = reached_at(
        scored.model,
        scored.facts,
        scored.visits,
        scored.events,
        scored.model.hot,
        scored.account.scored_at,
        now,
    )
    return moment or now


def score_accounts(
    session: Session, account_ids: Sequence[int], now: datetime, model: Model | None = None
) -> list[tuple[Row[Any], ScoreResult]]:
    """Each account's stored columns and its new score (with `model`, else its
    organisation's), computed and not written."""
    return [(item.account, item.result) for item in _score_batch(session, account_ids, now, model)]


def _score_batch(
    session: Session, account_ids: Sequence[int], now: datetime, model: Model | None = None
) -> list[_Scored]:
    accounts = session.execute(select(*ACCOUNT_COLUMNS).where(Account.id.in_(account_ids))).all()
    if not accounts:
        return []
    models = {
        org_id: model or model_for(session, org_id) for org_id in {a.org_id for a in accounts}
    }
    since = now - max(active_window(model) for model in models.values())
    visits, events = account_activity(session, [account.id for account in accounts], since)
    scored = []
    for account in accounts:
        facts = account_facts(account)
        used = models[account.org_id]
        result = score(used, facts, visits[account.id], events[account.id], now)
        scored.append(_Scored(account, result, used, facts, visits[account.id], events[account.id]))
    return scored


def account_facts(account: Row[*tuple[Any, ...]]) -> dict[str, Any]:
    """What fit rules and personas read of an account: its firmographic columns,
    then what enrichment added."""
    facts = {name: getattr(account, name) for name in FIRMOGRAPHIC_FIELDS}
    facts.update(account.firmographics or {})
    facts["crm_customer"] = account.crm_customer  # read by `[tiers] customers_hot`
    return facts


def account_activity(
    session: Session, account_ids: Sequence[int], since: datetime
) -> tuple[dict[int, list[VisitFacts]], dict[int, list[EventFacts]]]:
    """The accounts' visits and scored events since `since`, as the engine takes
    them: two queries for the whole batch."""
    visits: dict[int, list[VisitFacts]] = defaultdict(list)
    for account_id, *fields in session.execute(
        select(
            Visit.account_id,
            Visit.id,
            Visit.started_at,
            Visit.utm_source,
            Visit.utm_medium,
            Visit.utm_campaign,
            Visit.referrer_host,
        ).where(Visit.account_id.in_(account_ids), Visit.started_at >= since)
    ):
        visits[cast(int, account_id)].append(VisitFacts._make(fields))  # in account_ids: not NULL
    events: dict[int, list[EventFacts]] = defaultdict(list)
    for account_id, visit_id, occurred_at, type_, path, name in session.execute(
        select(
            Event.account_id, Event.visit_id, Event.occurred_at, Event.type, Event.path, Event.name
        ).where(
            Event.account_id.in_(account_ids),
            Event.occurred_at >= since,
            Event.type.in_(("pageview", "event")),
        )
    ):
        facts = EventFacts(visit_id or 0, occurred_at, type_, path, name)
        events[cast(int, account_id)].append(facts)  # in account_ids: not NULL
    return visits, events


def score_change(account: Row[Any], result: ScoreResult, now: datetime) -> dict[str, Any]:
    """The account's columns to write for a new score. `hot_since` marks when it
    last crossed into hot: `now` when it just did (`hot_moment` tells more
    precisely), kept while it stays hot."""
    if result.tier is not Tier.HOT:
        hot_since = None
    elif crossed_into_hot(account, result):
        hot_since = now
    else:
        hot_since = account.hot_since
    return {
        "id": account.id,
        "score": result.score,
        "fit": result.fit,
        "engagement": result.engagement,
        "tier": result.tier.value,
        "hot_since": hot_since,
        "explanation": [c.as_dict() for c in result.contributions],
        "scored_at": now,
    }
