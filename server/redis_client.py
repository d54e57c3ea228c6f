"""The app's Redis client, in scale mode only (`VIGIE_REDIS_URL` set).

One client per app, made by `init_app` and read with `redis_of(app)`: the job
queues, the beacon stream, the readiness probe and the commands share it
rather than each opening their own. `None` means embedded mode.
"""

from __future__ import annotations

from flask import Flask, current_app
from redis import Redis

EXTENSION = "vigie.redis"

CONNECT_TIMEOUT_SECONDS = 3
"""How long connecting may take, so a dead Redis fails fast."""

SOCKET_TIMEOUT_SECONDS = 10
"""How long one command may wait for its answer."""

HEALTH_CHECK_SECONDS = 30
"""How long an idle connection is trusted before it is pinged again."""


def init_app(app: Flask) -> None:
    """Make the app's client when `REDIS_URL` is set (no connection is opened yet)."""
    url = app.config["REDIS_URL"]
    app.extensions[EXTENSION] = redis_connection(url) if url else None


def redis_of(app: Flask | None = None) -> Redis | None:
    """The Redis client of `app` (default: the current app); None in embedded mode."""
    return (app or current_app).extensions[EXTENSION]


def redis_connection(url: str) -> Redis:
    """A Redis client with short timeouts, so a dead Redis fails fast."""
    return Redis.from_url(
        url,
        socket_connect_timeout=CONNECT_TIMEOUT_SECONDS,
        socket_timeout=SOCKET_TIMEOUT_SECONDS,
        health_check_interval=HEALTH_CHECK_SECONDS,
    )
