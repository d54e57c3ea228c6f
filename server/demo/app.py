"""The app `vigie demo` serves: the configured one, resolving with the demo's
IP databases, so that the collector and the dataset know the same networks."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Flask

from server import create_app
from server.demo.companies import demo_companies
from server.demo.networks import ensure_databases
from server.storage import storage


def create_demo_app(overrides: dict[str, Any] | None = None) -> Flask:
    """Create the app from the environment and `overrides`, with `VIGIE_MMDB`
    replaced by the demo's databases (written into the instance folder first).

    :raise server.config.ConfigError: for a setting that cannot be used.
    """
    settings = dict(overrides or {})
    probe = create_app(settings)  # only to learn the instance folder
    folder = probe.instance_path
    storage(probe).engine.dispose()
    databases = ensure_databases(Path(folder), demo_companies())
    return create_app({**settings, "INSTANCE_PATH": folder, "MMDB": [str(p) for p in databases]})
