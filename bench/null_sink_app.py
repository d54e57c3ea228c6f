"""Vigie's collector with a sink that keeps nothing, for `bench/collector.py --breakdown`:
what the request path costs under gunicorn before any queue."""

from flask import Flask

from server import create_app as create_vigie
from server.collect.parts import EXTENSION
from server.records import Record


class NullSink:
    """Takes records and keeps none."""

    def store(self, records: list[Record]) -> None:
        return None


def create_app() -> Flask:
    app = create_vigie()
    app.extensions[EXTENSION].sink = NullSink()
    return app
