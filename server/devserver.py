"""`vigie serve`: Werkzeug's threaded server, without client addresses in its log.

Production runs gunicorn (`server/gunicorn_conf.py`); this is for one machine.
In embedded mode the periodic jobs run on a thread of this process.
"""

from __future__ import annotations

from flask import Flask
from werkzeug.serving import WSGIRequestHandler, run_simple

from server.jobs import jobs_of
from server.jobs.schedule import EmbeddedScheduler


class AnonymousRequestHandler(WSGIRequestHandler):
    """Werkzeug's handler, logging `-` where it would log the client address."""

    def address_string(self) -> str:
        return "-"


def start_embedded_scheduler(app: Flask) -> EmbeddedScheduler | None:
    """Start the periodic jobs thread when jobs run in this process."""
    jobs = jobs_of(app)
    if jobs.rq is not None or not app.config.get("JOBS_START_CRON", True):
        return None
    scheduler = EmbeddedScheduler(jobs.local)
    scheduler.start()
    return scheduler


def serve(app: Flask, host: str, port: int) -> None:
    """Serve `app` until interrupted."""
    start_embedded_scheduler(app)
    run_simple(host, port, app, threaded=True, request_handler=AnonymousRequestHandler)
