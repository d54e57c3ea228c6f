"""Rate limits shared by the collector and the sign-in form.

Clients are keyed by a keyed hash of their address, so the limiter's storage
(memory, or Redis in scale mode) never holds an IP address.
"""

from __future__ import annotations

import hashlib
import hmac

from flask import Flask, current_app, request
from flask_limiter import Limiter

from server.collect.client import client_address

EXTENSION = "vigie.limiter"


def init_app(app: Flask) -> None:
    app.extensions[EXTENSION] = Limiter(
        key_func=rate_limit_key,
        app=app,
        storage_uri=app.config["REDIS_URL"] or "memory://",
        strategy="moving-window",
        headers_enabled=False,
        # Redis down must not cost events: limit in memory meanwhile.
        in_memory_fallback_enabled=True,
        swallow_errors=True,
    )


def limiter(app: Flask | None = None) -> Limiter:
    return (app or current_app).extensions[EXTENSION]


def rate_limit_key() -> str:
    """The client, as a keyed hash: the limiter's storage never holds an address."""
    ip = client_address(request.environ, current_app.config["TRUSTED_PROXIES"])
    secret = current_app.config["SECRET_KEY"].encode()
    return hmac.new(secret, ip.encode(), hashlib.sha256).hexdigest()[:32]
