"""The collector's parts of one app, built once by `server.collect.init_app`."""

from __future__ import annotations

from dataclasses import dataclass

from flask import Flask, current_app

from server.collect.pipeline import Collector
from server.collect.sites import SiteCache
from server.limits import ProcessRateLimit
from server.sink import Sink

EXTENSION = "vigie.collect"


@dataclass
class CollectParts:
    """What a request to `POST /e` uses, besides the request: the sites it may
    come from, the steps that make its record, where the record goes, and the
    rate limit it counts against."""

    sites: SiteCache
    pipeline: Collector
    sink: Sink
    rate_limit: ProcessRateLimit  # beacons per client, in this process


def collect_parts() -> CollectParts:
    """The collector's parts of the current app."""
    return current_app.extensions[EXTENSION]


def warm_up_collector(app: object) -> None:
    """Warm `app`'s collector if it is a Vigie app (a serving process calls
    this before taking requests; any other WSGI app is left alone)."""
    if isinstance(app, Flask) and EXTENSION in app.extensions:
        app.extensions[EXTENSION].pipeline.warm_up()
