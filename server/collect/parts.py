"""The collector's parts of one app, built once by `server.collect.init_app`."""

from __future__ import annotations

from dataclasses import dataclass

from flask import current_app
from flask_limiter import Limiter

from server.collect.pipeline import Collector
from server.collect.sites import SiteCache
from server.sink import Sink

EXTENSION = "vigie.collect"


@dataclass
class CollectParts:
    sites: SiteCache
    pipeline: Collector
    sink: Sink
    limiter: Limiter


def collect_parts() -> CollectParts:
    """The collector's parts of the current app."""
    return current_app.extensions[EXTENSION]
