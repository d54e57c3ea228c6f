"""The collector: beacons in, company-identified anonymous records out.

`init_app` builds the collector's parts once per app (site cache, user-agent
classifier, salts, sink) and registers the blueprint with its rate limit.
"""

from __future__ import annotations

from flask import Flask, current_app

from server.collect.agents import AgentClassifier
from server.collect.parts import EXTENSION, CollectParts
from server.collect.pipeline import Collector, SaltCache
from server.collect.sites import SiteCache
from server.collect.views import bp
from server.limits import limiter
from server.resolution import resolver
from server.sink.choose import choose_sink
from server.storage import storage

RATE_LIMIT = "300 per minute"
"""Beacons accepted per client address per minute (a busy reader sends a few)."""


def init_app(app: Flask) -> None:
    sessions = storage(app).sessions
    limits = limiter(app)
    limits.limit(lambda: current_app.config.get("COLLECT_RATE_LIMIT", RATE_LIMIT))(bp)
    app.extensions[EXTENSION] = CollectParts(
        sites=SiteCache(sessions),
        pipeline=Collector(AgentClassifier(), resolver(app), SaltCache(sessions)),
        sink=choose_sink(app),
        limiter=limits,
    )
    app.extensions["csrf"].exempt(bp)  # beacons come from other sites, without a session
    app.register_blueprint(bp)
