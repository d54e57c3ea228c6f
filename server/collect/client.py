"""The client address of a request: `REMOTE_ADDR`, or `X-Forwarded-For` through
exactly `VIGIE_TRUSTED_PROXIES` hops. The value is a local of the collector's
steps; nothing here stores or logs it."""

from __future__ import annotations

from collections.abc import Mapping


def client_address(environ: Mapping[str, str], trusted_proxies: int) -> str:
    """The address of the client, trusting `trusted_proxies` proxies in front.

    With N trusted proxies, the client is the N-th address from the right of
    `X-Forwarded-For`; anything further left may be forged by the client.
    """
    remote = environ.get("REMOTE_ADDR", "")
    if trusted_proxies <= 0:
        return remote
    forwarded = [part.strip() for part in environ.get("HTTP_X_FORWARDED_FOR", "").split(",")]
    forwarded = [part for part in forwarded if part]
    if len(forwarded) < trusted_proxies:
        return forwarded[0] if forwarded else remote
    return forwarded[-trusted_proxies]
