"""Rate limits of the collector and the sign-in form.

Clients are keyed by a keyed hash of their address (`rate_limit_key`), so no
limiter's storage ever holds an IP address.

* The sign-in form goes through Flask-Limiter (memory, or Redis in scale mode,
  so all nodes count together).
* Beacons do not: each one would pay Flask-Limiter's request check and, in
  scale mode, a Redis round trip. `ProcessRateLimit` counts them in a fixed
  window in the serving process's own memory instead. The limit therefore
  applies per serving process: behind N gunicorn workers (or N collectors) a
  client may send up to N times `COLLECT_RATE_LIMIT` before all refuse it.
"""

from __future__ import annotations

import hashlib
import hmac
import threading
from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import Flask, current_app, request
from flask_limiter import Limiter
from limits import RateLimitItem, parse
from limits.storage import MemoryStorage
from limits.strategies import FixedWindowRateLimiter

from server.client_address import client_address

EXTENSION = "vigie.limiter"

EXPIRY_SWEEP_SECONDS = 5.0
"""How often forgotten clients' counters are swept from memory."""


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


def skip_for_blueprint(app: Flask, blueprint_name: str) -> None:
    """Let Flask-Limiter's request hooks return at once for `blueprint_name`.

    Exempting a blueprint spares it the limits, not the bookkeeping: the hooks
    still resolve exemptions, meta limits and their own request context on
    every request (a fifth of a beacon's time in `bench/request_path.py`).
    Other requests, the sign-in form's included, keep the hooks whole.
    """
    owner = limiter(app)
    hook_lists: tuple[tuple[dict[Any, list[Any]], Callable[..., Any]], ...] = (
        (app.before_request_funcs, _skipped_before),
        (app.after_request_funcs, _skipped_after),
        (app.teardown_request_funcs, _skipped_after),
    )
    for registry, skipped in hook_lists:
        hooks = registry.get(None, [])
        hooks[:] = [
            skipped(hook, blueprint_name) if _made_by(hook, owner) else hook for hook in hooks
        ]


def _made_by(hook: Callable[..., Any], owner: Limiter) -> bool:
    """Whether `hook` is a method of `owner` (bound, or a partial taking it first)."""
    partial_args = getattr(hook, "args", ())
    return getattr(hook, "__self__", None) is owner or (partial_args[:1] == (owner,))


def _skipped_before(hook: Callable[[], Any], blueprint_name: str) -> Callable[[], Any]:
    @wraps(hook)
    def unless_blueprint() -> Any:
        return None if request.blueprint == blueprint_name else hook()

    return unless_blueprint


def _skipped_after(hook: Callable[[Any], Any], blueprint_name: str) -> Callable[[Any], Any]:
    """For after-request hooks (which hand back the response) and teardown ones."""

    @wraps(hook)
    def unless_blueprint(value: Any) -> Any:
        return value if request.blueprint == blueprint_name else hook(value)

    return unless_blueprint


def rate_limit_key() -> str:
    """The client of the current request, as `client_key` writes it."""
    ip = client_address(request.environ, current_app.config["TRUSTED_PROXIES"])
    return client_key(ip, current_app.config["SECRET_KEY"])


def client_key(ip: str, secret: str) -> str:
    """The client at `ip`, as a keyed hash: the limiter's storage never holds an address."""
    return hmac.new(secret.encode(), ip.encode(), hashlib.sha256).hexdigest()[:32]


class ProcessRateLimit:
    """A fixed-window rate limit counted in this process's memory.

    :raise ValueError: for a limit `limits.parse` cannot read ("300 per minute").
    """

    def __init__(self, limit: str) -> None:
        self.item: RateLimitItem = parse(limit)
        self._window = FixedWindowRateLimiter(_SweepingMemoryStorage())

    def allows(self, key: str) -> bool:
        """Count one request of `key`; False once it is past the limit."""
        return self._window.hit(self.item, key)


class _SweepingMemoryStorage(MemoryStorage):
    """`limits`' memory storage, sweeping expired counters every few seconds.

    The stock storage starts a timer thread 10 ms after any hit, so a busy
    collector started a hundred threads a second, each taking the GIL from the
    request threads. Counters are still checked for expiry when read; the sweep
    only frees those of clients that went away. (This overrides a private
    method: should `limits` rename it, the stock behaviour simply comes back.)
    """

    def _MemoryStorage__schedule_expiry(self) -> None:
        if not self.timer.is_alive():
            sweep = self._MemoryStorage__expire_events  # type: ignore[attr-defined]  # mypy does not mangle private names: this is MemoryStorage.__expire_events
            self.timer = threading.Timer(EXPIRY_SWEEP_SECONDS, sweep)
            self.timer.daemon = True  # a pending sweep never holds the process open
            self.timer.start()
