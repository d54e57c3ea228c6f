"""The client address of a request: `REMOTE_ADDR`, or `X-Forwarded-For` through
exactly `VIGIE_TRUSTED_PROXIES` hops. The value is a local of the collector's
steps; nothing here stores or logs it."""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping


def client_address(environ: Mapping[str, str], trusted_proxies: int) -> str:
    """The address of the client, trusting `trusted_proxies` proxies in front,
    as `plain_address` writes it.

    With N trusted proxies, the client is the N-th address from the right of
    `X-Forwarded-For`; anything further left may be forged by the client.
    """
    return plain_address(_claimed_address(environ, trusted_proxies))


def _claimed_address(environ: Mapping[str, str], trusted_proxies: int) -> str:
    remote = environ.get("REMOTE_ADDR", "")
    if trusted_proxies <= 0:
        return remote
    forwarded = [part.strip() for part in environ.get("HTTP_X_FORWARDED_FOR", "").split(",")]
    forwarded = [part for part in forwarded if part]
    if len(forwarded) < trusted_proxies:
        return forwarded[0] if forwarded else remote
    return forwarded[-trusted_proxies]


def plain_address(address: str) -> str:
    """`address`, or the IPv4 address an IPv4-mapped IPv6 one stands for
    (`::ffff:203.0.113.7` → `203.0.113.7`).

    A dual-stack socket hands IPv4 clients over in the mapped form, and
    proxies forward what they were given: read as IPv6, such an address is in
    no IPv4 network of the address databases, and would give one visitor two
    visitor ids.
    """
    if ":" not in address:
        return address  # IPv4 (or nothing): the common case, no parsing
    try:
        mapped = ipaddress.IPv6Address(address).ipv4_mapped
    except ValueError:
        return address  # not an address: the resolver finds nothing for it either way
    return str(mapped) if mapped else address
