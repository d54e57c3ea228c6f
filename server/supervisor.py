"""`vigie serve` and `vigie demo` on one machine: gunicorn for HTTP, one writer.

    vigie serve ─┬─ gunicorn (child process): N workers × T threads serve HTTP;
                 │    the collector appends accepted records to the inbox file
                 └─ this process: the ingest writer drains the inbox into the
                      database, and the periodic jobs run here, exactly once

The listening socket is bound here first (a busy port stops the command before
anything starts) and handed to gunicorn as `fd://N`. Gunicorn's workers are
told that another process writes (`VIGIE_INGEST_WRITER=external`).

On SIGTERM or SIGINT: gunicorn stops gracefully (it stops accepting and lets
requests in flight finish), then the writer stores everything still in the
inbox, then the command exits. A record accepted with 202 is in the inbox
file, so even a kill -9 loses nothing: the next start stores it.
"""

from __future__ import annotations

import ctypes
import logging
import os
import signal
import socket
import subprocess
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass

from flask import Flask

from server.devserver import start_embedded_scheduler
from server.sink.embedded import InboxWriter

log = logging.getLogger(__name__)

DEFAULT_WORKERS = 2
"""Gunicorn worker processes: the request path is CPU-bound Python, one per core."""

DEFAULT_THREADS = 8
"""Threads per worker: requests mostly wait on the inbox file or a socket."""

PR_SET_PDEATHSIG = 1
"""prctl option: the signal a child gets when its parent dies."""

_prctl: Callable[..., int] | None
try:  # resolved here: between fork and exec the child must not load anything
    _prctl = ctypes.CDLL(None).prctl
except (OSError, AttributeError):  # not Linux: a killed parent leaves its child
    _prctl = None

WRITER_NICENESS = 10
"""How much lower than gunicorn's the writer's CPU priority is: when the cores
are saturated, requests are answered first and the inbox takes up the slack."""

STOP_TIMEOUT = 60.0
"""Seconds the writer gets, after gunicorn stopped, to store what is left."""


@dataclass(frozen=True)
class ServerPlan:
    """What gunicorn runs: the app factory as gunicorn names it, and its sizing."""

    app_spec: str
    workers: int = DEFAULT_WORKERS
    threads: int = DEFAULT_THREADS
    environment: tuple[tuple[str, str], ...] = ()


def gunicorn_command(plan: ServerPlan, fd: int) -> list[str]:
    return [
        sys.executable,
        "-m",
        "gunicorn",
        "--config",
        "python:server.gunicorn_conf",
        "--bind",
        f"fd://{fd}",
        "--worker-class",
        "gthread",
        "--workers",
        str(plan.workers),
        "--threads",
        str(plan.threads),
        plan.app_spec,
    ]


def stop_with_parent() -> None:
    """In the child: be sent SIGTERM if this process dies (Linux), so a killed
    `vigie serve` leaves no gunicorn behind holding the port."""
    if _prctl is not None:
        _prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


def serve(app: Flask, listener: socket.socket, plan: ServerPlan) -> int:
    """Serve until SIGTERM or SIGINT; return gunicorn's exit status (0 on a clean stop)."""
    fd = listener.fileno()
    environment = {**os.environ, **dict(plan.environment), "VIGIE_INGEST_WRITER": "external"}
    server = subprocess.Popen(
        gunicorn_command(plan, fd), pass_fds=(fd,), env=environment, preexec_fn=stop_with_parent
    )
    listener.close()  # gunicorn holds its own copy
    os.nice(WRITER_NICENESS)  # under saturation, answering beacons goes first
    writer = InboxWriter(app)
    writer.start()
    scheduler = start_embedded_scheduler(app)
    stopping = threading.Event()

    def stop(signum: int, _frame: object) -> None:
        stopping.set()
        if server.poll() is None:
            server.send_signal(signal.SIGTERM)

    previous = {sig: signal.signal(sig, stop) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        status = server.wait()
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        if scheduler is not None:
            scheduler.stop()
        stats = writer.stop(STOP_TIMEOUT)
        log.info("stopped; the writer stored %d event(s)", stats.stored)
    return 0 if stopping.is_set() else status
