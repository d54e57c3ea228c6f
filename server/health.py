"""Liveness and readiness probes for load balancers and orchestrators.

`/healthz` says the process answers. `/readyz` checks what a request needs:
the database and, in scale mode, Redis; the JSON body says which is down.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app
from redis.exceptions import RedisError
from sqlalchemy.exc import SQLAlchemyError

from server.redis_client import redis_of
from server.storage import storage

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz() -> tuple[dict[str, Any], int]:
    return {"status": "ok"}, 200


@bp.get("/readyz")
def readyz() -> tuple[dict[str, Any], int]:
    checks = {"database": database_status(), "redis": redis_status()}
    ready = all(state in ("ok", "not configured") for state in checks.values())
    return {"status": "ok" if ready else "unavailable", **checks}, 200 if ready else 503


def database_status() -> str:
    try:
        storage().ping()
    except SQLAlchemyError as error:
        current_app.logger.warning("readiness: database down (%s)", type(error).__name__)
        return "down"
    return "ok"


def redis_status() -> str:
    redis = redis_of()
    if redis is None:
        return "not configured"
    try:
        redis.ping()
    except RedisError as error:
        current_app.logger.warning("readiness: redis down (%s)", type(error).__name__)
        return "down"
    return "ok"
