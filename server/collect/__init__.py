"""The collector: beacons in, company-identified anonymous records out.

`init_app` builds the collector's parts once per app (site cache, user-agent
classifier, salts, sink, rate limit), puts the `POST /e` endpoint in front of
Flask (`endpoint`) and registers the blueprint of the preflight and the pixel.

The blueprint keeps its request path lean too: Flask-Limiter's hooks skip it
(beacons are counted by a `ProcessRateLimit` of their own, see `server.limits`), CSRF
protection skips it (beacons come from other sites, without a session), and
no session is opened for it (`server.collect.session`).
"""

from __future__ import annotations

from flask import Flask

from server.collect import endpoint, session
from server.collect.agents import AgentClassifier
from server.collect.parts import EXTENSION, CollectParts
from server.collect.pipeline import Collector, SaltCache
from server.collect.sites import SiteCache
from server.collect.views import bp
from server.config import ConfigError
from server.limits import ProcessRateLimit, limiter, skip_for_blueprint
from server.resolution import resolver
from server.sink.choose import choose_sink
from server.storage import storage

RATE_LIMIT = "300 per minute"
"""Beacons accepted per client address per minute and serving process (a busy
reader sends a few)."""


def init_app(app: Flask) -> None:
    sessions = storage(app).sessions
    limits = limiter(app)
    limits.exempt(bp)
    skip_for_blueprint(app, bp.name)  # not even Flask-Limiter's bookkeeping
    parts = app.extensions[EXTENSION] = CollectParts(
        sites=SiteCache(sessions),
        pipeline=Collector(AgentClassifier(), resolver(app), SaltCache(sessions)),
        sink=choose_sink(app),
        rate_limit=beacon_rate_limit(app),
    )
    app.extensions["csrf"].exempt(bp)
    app.register_blueprint(bp)
    session.init_app(app, bp.name)
    endpoint.install(app, parts)


def beacon_rate_limit(app: Flask) -> ProcessRateLimit:
    """:raise ConfigError: for a `COLLECT_RATE_LIMIT` that is not a rate ("300 per minute")."""
    setting = app.config.get("COLLECT_RATE_LIMIT") or RATE_LIMIT
    try:
        return ProcessRateLimit(str(setting))
    except ValueError:
        raise ConfigError("COLLECT_RATE_LIMIT", f"not a rate such as {RATE_LIMIT!r}") from None
