"""Real HTTP servers on 127.0.0.1 for WSGI apps, in a thread of the test."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from werkzeug.serving import make_server

Wsgi = Callable[..., Any]


@contextmanager
def served(app: Wsgi) -> Iterator[str]:
    """Serve `app` on a free loopback port; yield its base URL."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()


def behind_proxy(app: Wsgi, client_ip: str) -> Wsgi:
    """`app` as a reverse proxy would pass it a request from `client_ip`."""

    def proxied(environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        environ["HTTP_X_FORWARDED_FOR"] = client_ip
        return app(environ, start_response)

    return proxied
