"""Which addresses are worth a lookup: public unicast ones only.

`public_address` is on the hot path of every uncached lookup, so it parses
with `socket.inet_pton` (C) and checks a sorted table of the special-purpose
ranges (IANA registries: private, loopback, link-local, shared, documentation,
benchmarking, multicast, reserved) instead of `ipaddress.is_global`, which
costs several times more.
"""

from __future__ import annotations

import bisect
import ipaddress
import socket

NOT_PUBLIC_V4 = (
    "0.0.0.0/8",
    "10.0.0.0/8",
    "100.64.0.0/10",
    "127.0.0.0/8",
    "169.254.0.0/16",
    "172.16.0.0/12",
    "192.0.0.0/24",
    "192.0.2.0/24",
    "192.168.0.0/16",
    "198.18.0.0/15",
    "198.51.100.0/24",
    "203.0.113.0/24",
    "224.0.0.0/4",
    "240.0.0.0/4",
)
NOT_PUBLIC_V6 = (
    "::/127",
    "::ffff:0:0/96",
    "64:ff9b:1::/48",
    "100::/64",
    "2001::/23",
    "2001:db8::/32",
    "2002::/16",
    "3fff::/20",
    "5f00::/16",
    "fc00::/7",
    "fe80::/10",
    "ff00::/8",
)
"""IPv4-mapped addresses are unwrapped first; 6to4 and Teredo carry no own owner."""

_V4_MAPPED_PREFIX = bytes(10) + b"\xff\xff"


def _table(cidrs: tuple[str, ...]) -> tuple[list[int], list[int]]:
    networks = sorted(ipaddress.ip_network(cidr) for cidr in cidrs)
    starts = [int(network.network_address) for network in networks]
    ends = [int(network.broadcast_address) for network in networks]
    return starts, ends


_V4 = _table(NOT_PUBLIC_V4)
_V6 = _table(NOT_PUBLIC_V6)


def _inside(value: int, table: tuple[list[int], list[int]]) -> bool:
    starts, ends = table
    index = bisect.bisect_right(starts, value) - 1
    return index >= 0 and value <= ends[index]


def public_address(ip: str) -> str | None:
    """The address in canonical text (IPv4-mapped IPv6 unwrapped), or None when
    it is malformed or not a public unicast address."""
    text = ip.strip() if isinstance(ip, str) else ""
    try:
        packed = socket.inet_pton(socket.AF_INET6 if ":" in text else socket.AF_INET, text)
    except (OSError, ValueError):
        return None
    if len(packed) == 16 and packed.startswith(_V4_MAPPED_PREFIX):
        packed = packed[12:]
    if len(packed) == 4:
        if _inside(int.from_bytes(packed, "big"), _V4):
            return None
        return socket.inet_ntop(socket.AF_INET, packed)
    if _inside(int.from_bytes(packed, "big"), _V6):
        return None
    return socket.inet_ntop(socket.AF_INET6, packed)
