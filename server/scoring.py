"""Scoring in the server: the models in force, and rescoring of touched accounts.

Each organisation scores with the newest of its stored models
(`vigie model set`), else with the default: `VIGIE_SCORING_MODEL` or the
shipped model, read once at start (a broken file stops the start, naming its
first problem). Stored events queue `rescore_accounts` for the accounts they
touched (`server.after_store`); enrichment asks for it through the rescoring
hook (`server.hooks`), which `init_app` registers. It runs
`scoring.engine.score` on each account's visits and events in the model's
window and stores the result. An account crossing into hot enqueues one
`alert_hot_account` job.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, NamedTuple

from flask import Flask, current_app
from sqlalchemy import Row, func, select, update
from sqlalchemy.orm import Session

from scoring.engine import EventFacts, ScoreResult, VisitFacts, reached_at, score
from scoring.model import Model, ModelError, default_model_text, parse_model
from scoring.tiers import Tier
from server.config import ConfigError
from server.hooks import on_accounts_touched
from server.jobs import enqueue, task
from server.jobs.alerts import alert_hot_account
from server.jobs.crm import push_hot_account
from server.storage import get_session, session_scope
from server.storage.models import Account, Event, ScoringModel, Visit
from server.storage.types import utcnow

EXTENSION = "vigie.scoring_model"
MODELS_CACHE = "vigie.scoring_models"
DEFAULT_TEXT = "vigie.scoring_model_text"
RESCORE_BATCH = 500
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


def init_app(app: Flask) -> None:
    path = app.config["SCORING_MODEL"]
    text = Path(path).read_text("utf-8") if path else default_model_text()
    try:
        app.extensions[EXTENSION] = parse_model(text)
        app.extensions[DEFAULT_TEXT] = text
        app.extensions[MODELS_CACHE] = {}
    except ModelError as error:
        line, message = error.problems[0]
        where = f"line {line}: " if line else ""
        raise ConfigError("SCORING_MODEL", f"{path}: {where}{message}") from None
    on_accounts_touched(app, _enqueue_rescore)


def default_model() -> Model:
    """The model of organisations that have not stored one."""
    return current_app.extensions[EXTENSION]


def model_text_for(session: Session, org_id: int) -> str:
    """The TOML of the model in force for the organisation."""
    newest = newest_model(session, org_id)
    return newest.text if newest is not None else current_app.extensions[DEFAULT_TEXT]


def model_versions(session: Session, org_id: int) -> Sequence[ScoringModel]:
    """The organisation's stored model versions, newest (the one in force) first."""
    query = select(ScoringModel).where(ScoringModel.org_id == org_id)
    return session.scalars(query.order_by(ScoringModel.version.desc())).all()


def newest_model(session: Session, org_id: int) -> ScoringModel | None:
    """The organisation's model version in force, if it stored one."""
    query = select(ScoringModel).where(ScoringModel.org_id == org_id)
    return session.scalars(query.order_by(ScoringModel.version.desc()).limit(1)).first()


def model_for(session: Session, org_id: int) -> Model:
    """The organisation's newest stored model, else the default (parsed once per version)."""
    newest = newest_model(session, org_id)
    if newest is None:
        return default_model()
    cache: dict[int, Model] = current_app.extensions[MODELS_CACHE]
    if newest.id not in cache:
        cache[newest.id] = parse_model(newest.text)
    return cache[newest.id]


def store_model(session: Session, org_id: int, text: str, changed_by: str) -> ScoringModel:
    """Check `text` and keep it as the organisation's newest model version.

    :raise ModelError: and nothing is stored, when the model has a problem.
    """
    parse_model(text)
    version = session.scalar(
        select(func.coalesce(func.max(ScoringModel.version), 0)).where(
            ScoringModel.org_id == org_id
        )
    )
    row = ScoringModel(org_id=org_id, version=version + 1, text=text, changed_by=changed_by)
    session.add(row)
    session.flush()
    return row


def _enqueue_rescore(account_ids: Sequence[int]) -> None:
    enqueue(rescore_accounts, *account_ids)


@task(queue="score", merges_arguments=True)
def rescore_accounts(*account_ids: int) -> int:
    """Rescore the given accounts now; returns how many were scored.

    Calls waiting to run in-process are merged: under a flood of beacons the
    touched accounts are rescored together every few seconds, not per batch."""
    return rescore_apart(account_ids, utcnow())


@task(queue="score")
def rescore_organisation(org_id: int) -> int:
    """Rescore every account of the organisation, in batches (after a model change)."""
    ids = (
        get_session()
        .scalars(select(Account.id).where(Account.org_id == org_id).order_by(Account.id))
        .all()
    )
    now = utcnow()
    for start in range(0, len(ids), RESCORE_BATCH):
        rescore_apart(ids[start : start + RESCORE_BATCH], now)
    return len(ids)


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


def active_window(model: Model) -> timedelta:
    """How far back an account's activity still counts (engagement and frequency
    windows, at least the 30 days of the aggregates), plus a day."""
    frequency = model.frequency.window_days if model.frequency else 0
    return timedelta(days=max(model.window_days, frequency, 30) + 1)


def widest_window(session: Session) -> timedelta:
    """The longest activity window of the models in force (the daily pass covers it)."""
    org_ids = session.scalars(select(ScoringModel.org_id).distinct()).all()
    models = [default_model(), *(model_for(session, org_id) for org_id in org_ids)]
    return max(active_window(model) for model in models)


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
        became_hot = session.execute(
            update(Account)
            .where(Account.id == item.account.id, Account.tier != Tier.HOT.value)
            .values(values)
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


def account_facts(account: Row[Any]) -> dict[str, Any]:
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
        visits[account_id].append(VisitFacts._make(fields))
    events: dict[int, list[EventFacts]] = defaultdict(list)
    for account_id, visit_id, *fields in session.execute(
        select(
            Event.account_id, Event.visit_id, Event.occurred_at, Event.type, Event.path, Event.name
        ).where(
            Event.account_id.in_(account_ids),
            Event.occurred_at >= since,
            Event.type.in_(("pageview", "event")),
        )
    ):
        events[account_id].append(EventFacts(visit_id or 0, *fields))
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
