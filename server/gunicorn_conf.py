"""Gunicorn settings for Vigie: `gunicorn -c python:server.gunicorn_conf 'server:create_app()'`.

The access log leaves out the client address and the query string (which may
carry e-mails before the collector redacts them); every gunicorn handler gets
the address-redacting filter.
"""

from typing import Any

from server.collect.parts import warm_up_collector
from server.logs import protect_handlers
from server.sink.embedded import stop_local_writer

# No control socket in the user's home (gunicorn 25+; older ones ignore the name):
# several Vigie servers on one machine would fight over its one path.
control_socket_disable = True

# The access log on standard output (without addresses, see above); another
# file with `--access-logfile PATH` or GUNICORN_CMD_ARGS.
accesslog = "-"

access_log_format = '- %(t)s "%(m)s %(U)s %(H)s" %(s)s %(B)s %(M)sms'


def on_starting(server: Any) -> None:
    protect_handlers()


def post_worker_init(worker: Any) -> None:
    protect_handlers()
    warm_up_collector(worker.wsgi)


def worker_exit(server: Any, worker: Any) -> None:
    """A worker that stops drains what it accepted (its writer thread, if any)."""
    stop_local_writer(worker.wsgi)
