"""Vigie's server: the Flask app factory, wiring every part together.

    beacon → collect → sink → storage → scoring → jobs → dashboard / api

`create_app()` is the only place where parts meet: configuration, logging,
storage, jobs and blueprints each offer an `init_app(app)`. Production runs
`gunicorn 'server:create_app()'`.
"""

from __future__ import annotations

import os
from typing import Any

from flask import Flask

from server import (
    api,
    auth,
    collect,
    health,
    hooks,
    i18n,
    ids,
    jobs,
    limits,
    openapi,
    redis_client,
    resolution,
    scoring_models,
    security_headers,
    storage,
    tracker_script,
    web,
)
from server.after_store import rescore_after_commit
from server.config import load_config
from server.logs import configure_logging

INSTANCE_PATH_VARIABLE = "VIGIE_INSTANCE_PATH"
"""Where the default SQLite file and the generated secret key live."""


def create_app(overrides: dict[str, Any] | None = None) -> Flask:
    """Build a Vigie app from the environment, then `overrides` (tests, tools).

    :raise server.config.ConfigError: for a setting that cannot be used.
    """
    overrides = dict(overrides or {})
    instance_path = overrides.pop("INSTANCE_PATH", None) or os.environ.get(INSTANCE_PATH_VARIABLE)
    app = Flask(__name__, instance_path=instance_path, instance_relative_config=True)
    load_config(app, overrides)
    ids.init_app(app)
    configure_logging()
    storage.init_app(app)
    resolution.init_app(app)
    redis_client.init_app(app)
    jobs.init_app(app)
    scoring_models.init_app(app)
    hooks.on_accounts_touched(app, rescore_after_commit)
    limits.init_app(app)
    auth.init_app(app)
    security_headers.init_app(app)
    i18n.init_app(app)
    app.register_blueprint(health.bp)
    collect.init_app(app)
    tracker_script.init_app(app)
    web.init_app(app)
    api.init_app(app)
    app.register_blueprint(openapi.bp)
    return app
