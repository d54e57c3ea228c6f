"""The model store: each organisation's scoring model versions, and the default.

Each organisation scores with the newest of its stored models (`vigie model
set`, the model page), else with the default: `VIGIE_SCORING_MODEL` or the
shipped model, read once at start by `init_app` (a broken file stops the
start, naming its first problem). Stored versions are parsed once each and
kept for the app's life.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from pathlib import Path
from typing import cast

from flask import Flask, current_app
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from scoring.model import Model, ModelError, default_model_text, parse_model
from server.config import ConfigError
from server.storage.models import ScoringModel

EXTENSION = "vigie.scoring_model"
MODELS_CACHE = "vigie.scoring_models"
DEFAULT_TEXT = "vigie.scoring_model_text"


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


def default_model() -> Model:
    """The model of organisations that have not stored one."""
    return current_app.extensions[EXTENSION]


def default_text() -> str:
    """The default model's TOML, as read at start."""
    return current_app.extensions[DEFAULT_TEXT]


def model_versions(
    session: Session, org_id: int, limit: int | None = None
) -> Sequence[ScoringModel]:
    """The organisation's stored model versions, newest (the one in force)
    first; the `limit` newest only, when given."""
    query = select(ScoringModel).where(ScoringModel.org_id == org_id)
    return session.scalars(query.order_by(ScoringModel.version.desc()).limit(limit)).all()


def newest_model(session: Session, org_id: int) -> ScoringModel | None:
    """The organisation's model version in force, if it stored one."""
    return next(iter(model_versions(session, org_id, limit=1)), None)


def model_text_for(session: Session, org_id: int) -> str:
    """The TOML of the model in force for the organisation."""
    newest = newest_model(session, org_id)
    return newest.text if newest is not None else default_text()


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
    version = cast(  # coalesced: never NULL
        int,
        session.scalar(
            select(func.coalesce(func.max(ScoringModel.version), 0)).where(
                ScoringModel.org_id == org_id
            )
        ),
    )
    row = ScoringModel(org_id=org_id, version=version + 1, text=text, changed_by=changed_by)
    session.add(row)
    session.flush()
    return row


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
