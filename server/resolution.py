"""The app's resolver: the `.mmdb` files of `VIGIE_MMDB`, opened once at start.

A file that cannot be used (unreadable, unknown `database_type`, two of one
kind) stops the start with `VIGIE_MMDB: <file>: <why>`.
"""

from __future__ import annotations

from flask import Flask, current_app

from enrich.classify import NetworkListError
from enrich.resolver import Resolver, ResolverError
from server.config import ConfigError

EXTENSION = "vigie.resolver"


def init_app(app: Flask) -> None:
    try:
        app.extensions[EXTENSION] = Resolver(app.config["MMDB"])
    except (ResolverError, NetworkListError) as error:
        raise ConfigError("MMDB", str(error)) from None


def resolver(app: Flask | None = None) -> Resolver:
    """The resolver of `app` (default: the current app)."""
    return (app or current_app).extensions[EXTENSION]
