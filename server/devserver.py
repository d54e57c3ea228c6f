"""`vigie serve` and `vigie demo`: Werkzeug's threaded server, without client
addresses nor query strings in its log.

Production runs gunicorn (`server/gunicorn_conf.py`); this is for one machine.
In embedded mode the periodic jobs run on a thread of this process.

`listen(host, port)` takes the address first, so that a command can learn that
the port is busy before it changes anything; `serve` then uses that socket, and
no other process can take the port in between.
"""

from __future__ import annotations

import errno
import re
import socket

from flask import Flask
from werkzeug.serving import WSGIRequestHandler, make_server, select_address_family

from server.jobs import jobs_of
from server.jobs.schedule import EmbeddedScheduler
from server.validation import InvalidInput

SUGGESTED_PORTS = 20
"""How many ports after a busy one are tried for a free one to suggest."""


_QUERY = re.compile(r"\?[^\s\"'\x1b]*")
"""A query string in a logged request line, up to the space, quote or colour code after it."""


class AnonymousRequestHandler(WSGIRequestHandler):
    """Werkzeug's handler, logging `-` where it would log the client address,
    and request targets without their query string (the pixel's `url=` and
    `ref=` may carry an e-mail address the collector only redacts later)."""

    def address_string(self) -> str:
        return "-"

    def log(self, type: str, message: str, *args: object) -> None:
        # Request lines (also bad ones, quoted in error messages) all pass here.
        text = message % args if args else message
        super().log(type, "%s", _QUERY.sub("", text))


class PortInUse(InvalidInput):
    """Another process listens on the address; the message suggests a free port."""

    def __init__(self, host: str, port: int) -> None:
        address = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
        free = next_free_port(host, port)
        hint = f"choose another with --port {free}" if free else "choose another with --port"
        super().__init__("--port", f"{address} is already in use (another Vigie?); {hint}")
        self.host = host
        self.port = port


def listen(host: str, port: int) -> socket.socket:
    """Bind `host:port` and listen on it; return the socket for `serve`.

    :raise PortInUse: when another process listens there.
    :raise OSError: when the address cannot be bound for another reason.
    """
    family = select_address_family(host, port)
    try:
        # create_server sets SO_REUSEADDR as Werkzeug does; a live listener still refuses.
        return socket.create_server((host, port), family=family)
    except OSError as error:
        if error.errno == errno.EADDRINUSE:
            raise PortInUse(host, port) from None
        raise


def next_free_port(host: str, port: int) -> int | None:
    """The first port after `port` that `host` can bind now, or None."""
    family = select_address_family(host, port)
    for candidate in range(port + 1, min(port + SUGGESTED_PORTS, 65535) + 1):
        try:
            with socket.create_server((host, candidate), family=family):
                return candidate
        except OSError:
            continue
    return None


def start_embedded_scheduler(app: Flask) -> EmbeddedScheduler | None:
    """Start the periodic jobs thread when jobs run in this process."""
    jobs = jobs_of(app)
    if jobs.rq is not None or not app.config.get("JOBS_START_CRON", True):
        return None
    scheduler = EmbeddedScheduler(jobs.local)
    scheduler.start()
    return scheduler


def serve(app: Flask, host: str, port: int, listener: socket.socket | None = None) -> None:
    """Serve `app` until interrupted, on `listener` (from `listen(host, port)`)
    or on a socket bound now.

    :raise PortInUse: when no `listener` is given and another process listens there.
    """
    if listener is None:
        listener = listen(host, port)
    with listener:
        # Werkzeug duplicates the descriptor; this one is closed once it has.
        server = make_server(
            host,
            port,
            app,
            threaded=True,
            request_handler=AnonymousRequestHandler,
            fd=listener.fileno(),
        )
    start_embedded_scheduler(app)
    server.log_startup()
    server.serve_forever()
