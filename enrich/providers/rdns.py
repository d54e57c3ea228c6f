"""Reverse DNS of a company's network: the PTR name of its representative address.

Only for a network (/24 for IPv4, /48 for IPv6), never for a visitor's own
address: the representative is the network's first host (x.y.z.1). A name
under a registrable domain gives the company's domain, unless it reads like an
operator's generic naming (`static`, `dsl`, `pool`, `dynamic`, `cust`, …).
"""

from __future__ import annotations

import ipaddress
import re
import socket
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout

from enrich.identity import registrable_domain
from enrich.providers import Firmographics, ProviderError, Query

GENERIC_PTR = re.compile(
    r"(^|[.-])(static|dynamic|dyn|dsl|adsl|vdsl|cable|pool|dhcp|cust|customer|client|host|"
    r"ip|broadband|fibre|fiber|ftth|mobile|ppp|res|user|unknown|rev|reverse|in-addr)[.\d-]"
)
"""PTR names that describe an operator's address pool, not a company."""

Reverse = Callable[[str], tuple[str, list[str], list[str]]]


class ReverseDnsProvider:
    """Find a company's domain from the PTR record of its network."""

    name = "rdns"

    def __init__(self, timeout: float = 2.0, reverse: Reverse = socket.gethostbyaddr) -> None:
        self.timeout = timeout
        self.reverse = reverse
        self._pool = ThreadPoolExecutor(max_workers=2, thread_name_prefix="vigie-rdns")

    def lookup(self, query: Query) -> Firmographics | None:
        if not query.network:
            return None
        address = representative(query.network)
        future = self._pool.submit(self.reverse, address)
        try:
            host, _aliases, _addresses = future.result(timeout=self.timeout)
        except FutureTimeout:
            raise ProviderError(self.name, f"no PTR answer within {self.timeout:g}s") from None
        except (socket.herror, socket.gaierror):
            return None
        host = host.lower().rstrip(".")
        if GENERIC_PTR.search(host):
            return None
        domain = registrable_domain(host)
        return Firmographics(domain=domain) if domain else None


def representative(network: str) -> str:
    """The first host address of `network`, which must be a /24 (IPv4) or /48 (IPv6) at most.

    :raise ValueError: for a malformed network or one narrower than that.
    """
    parsed = ipaddress.ip_network(network, strict=False)
    widest = 24 if parsed.version == 4 else 48
    if parsed.prefixlen > widest:
        raise ValueError(f"network: {network} is narrower than /{widest}")
    return str(parsed.network_address + 1)
