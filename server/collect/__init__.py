"""The collector: beacons in, company-identified anonymous records out.

`init_app` builds the collector's parts once per app (site cache, user-agent
classifier, salts, sink) and registers the blueprint with its rate limit.
"""

from __future__ import annotations

import hashlib
import hmac

from flask import Flask, current_app, request
from flask_limiter import Limiter

from server.collect.agents import AgentClassifier
from server.collect.client import client_address
from server.collect.parts import EXTENSION, CollectParts
from server.collect.pipeline import Collector, SaltCache
from server.collect.sites import SiteCache
from server.collect.views import bp
from server.jobs import jobs_of
from server.resolution import resolver
from server.sink import Sink
from server.sink.batching import GroupCommitSink
from server.sink.stream import RedisStreamSink
from server.storage import storage

RATE_LIMIT = "300 per minute"
"""Beacons accepted per client address per minute (a busy reader sends a few)."""


def init_app(app: Flask) -> None:
    sessions = storage(app).sessions
    limiter = Limiter(
        key_func=rate_limit_key,
        app=app,
        storage_uri=app.config["REDIS_URL"] or "memory://",
        strategy="moving-window",
        headers_enabled=False,
        # Redis down must not cost events: limit in memory meanwhile.
        in_memory_fallback_enabled=True,
        swallow_errors=True,
    )
    limiter.limit(lambda: current_app.config.get("COLLECT_RATE_LIMIT", RATE_LIMIT))(bp)
    app.extensions[EXTENSION] = CollectParts(
        sites=SiteCache(sessions),
        pipeline=Collector(AgentClassifier(), resolver(app), SaltCache(sessions)),
        sink=choose_sink(app),
        limiter=limiter,
    )
    app.register_blueprint(bp)


def choose_sink(app: Flask) -> Sink:
    """The Redis Stream in scale mode, the database directly otherwise."""
    redis = jobs_of(app).redis
    direct = GroupCommitSink(app)
    return RedisStreamSink(redis, fallback=direct) if redis is not None else direct


def rate_limit_key() -> str:
    """The client, as a keyed hash: the limiter's storage never holds an address."""
    ip = client_address(request.environ, current_app.config["TRUSTED_PROXIES"])
    secret = current_app.config["SECRET_KEY"].encode()
    return hmac.new(secret, ip.encode(), hashlib.sha256).hexdigest()[:32]
