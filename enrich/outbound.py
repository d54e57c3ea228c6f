"""The guarded HTTP client every outgoing request of Vigie goes through.

Webhook URLs and provider URLs are typed by users, so without a guard the
server would make requests on their behalf to its own loopback ports, to the
cloud metadata service (169.254.169.254) or to the private network behind it,
and tell them whether something answered. `GuardedSession` is a
`requests.Session` that:

* speaks http and https only, with a timeout on every call and no proxy or
  `.netrc` taken from the environment (a proxy would connect in our place);
* resolves each host name once, refuses the connection if *any* of its
  addresses is forbidden (`Refusal`), and connects to the very addresses it
  checked, so a second DNS answer cannot swap in a private one; the Host
  header, TLS SNI and certificate check still use the name;
* does the same on every redirect hop (each hop opens its own connection),
  and follows at most `MAX_REDIRECTS` of them.

`OutboundPolicy` carries the operator's exceptions (networks and host names
that may be reached anyway); cloud metadata addresses are refused even then.
The library reads no setting: the policy and the resolver are arguments.
"""

from __future__ import annotations

import socket
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from enum import StrEnum
from ipaddress import IPv4Address, IPv4Network, IPv6Address, IPv6Network, ip_address, ip_network
from typing import Any
from urllib.parse import urlsplit

import requests
from requests.adapters import HTTPAdapter
from urllib3 import PoolManager
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.exceptions import ConnectTimeoutError, NameResolutionError, NewConnectionError
from urllib3.util import connection

IPAddress = IPv4Address | IPv6Address
IPNetwork = IPv4Network | IPv6Network
Resolver = Callable[[str, int], Iterable[str]]
"""`resolve(host, port)` → the addresses of `host`, as strings."""

DEFAULT_TIMEOUT = 10.0
"""Seconds a call may wait to connect or between two reads, when the caller gives none."""

MAX_REDIRECTS = 5
"""Redirects followed before giving up; each hop is checked like the first URL."""

SCHEMES = ("http", "https")

METADATA_ADDRESSES = frozenset(
    ip_address(address)
    for address in ("169.254.169.254", "169.254.170.2", "100.100.100.200", "fd00:ec2::254")
)
"""Cloud metadata services (AWS/GCP/Azure, ECS tasks, Alibaba, AWS over IPv6):
they hand out credentials, so no operator setting opens them."""

PRIVATE_NETWORKS = tuple(
    ip_network(network)
    for network in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10")
) + tuple(ip_network(network) for network in ("fc00::/7", "fec0::/10"))
"""RFC 1918, carrier-grade NAT (RFC 6598), unique local and site-local IPv6."""

THIS_NETWORK = ip_network("0.0.0.0/8")
NAT64 = ip_network("64:ff9b::/96")


class Refusal(StrEnum):
    """Why an outgoing request was not made."""

    SCHEME = "not an http(s) URL"
    METADATA = "a cloud metadata address"
    UNSPECIFIED = "an unspecified address"
    LOOPBACK = "a loopback address"
    LINK_LOCAL = "a link-local address"
    MULTICAST = "a multicast address"
    PRIVATE = "a private address"
    RESERVED = "a reserved address"
    NO_ADDRESS = "a name with no address"


class OutboundRefused(Exception):
    """The request would reach a forbidden address; nothing was sent.

    The message names the host and the reason, never the whole URL (which may
    carry a token). Not a `requests.RequestException` (an `OSError`, which
    urllib3 would wrap into a connection error to retry): callers tell a
    refusal, never worth retrying, from a network failure.
    """

    def __init__(self, host: str, reason: Refusal) -> None:
        super().__init__(f"{host}: {reason.value}")
        self.host = host
        self.reason = reason


def embedded_ipv4(address: IPAddress) -> IPv4Address | None:
    """The IPv4 address an IPv6 one stands for (IPv4-mapped, IPv4-compatible,
    6to4, NAT64), or None. The socket ends up talking to that IPv4 address."""
    if isinstance(address, IPv4Address):
        return None
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    if address in NAT64 or (int(address) >> 32 == 0 and int(address) > 1):
        return IPv4Address(int(address) & 0xFFFFFFFF)
    return None


def classify(address: IPAddress) -> Refusal | None:
    """The reason `address` may not be reached, or None for a public address."""
    inner = embedded_ipv4(address)
    if inner is not None:
        return classify(inner)
    if address in METADATA_ADDRESSES:
        return Refusal.METADATA
    if address.is_unspecified or address in THIS_NETWORK:
        return Refusal.UNSPECIFIED
    if address.is_loopback:
        return Refusal.LOOPBACK
    if address.is_link_local:
        return Refusal.LINK_LOCAL
    if address.is_multicast:
        return Refusal.MULTICAST
    if any(address in network for network in PRIVATE_NETWORKS):
        return Refusal.PRIVATE
    if not address.is_global:
        return Refusal.RESERVED
    return None


@dataclass(frozen=True)
class OutboundPolicy:
    """The operator's exceptions: networks and host names that may be reached
    although private. The default policy allows no exception."""

    networks: tuple[IPNetwork, ...] = ()
    hosts: frozenset[str] = field(default_factory=frozenset)

    @classmethod
    def parse(cls, entries: str | Iterable[str]) -> OutboundPolicy:
        """A policy from CIDRs, addresses and host names (a list, or one
        comma-separated string).

        :raise ValueError: naming the entry that is none of those.
        """
        items = entries.split(",") if isinstance(entries, str) else list(entries)
        networks: list[IPNetwork] = []
        hosts: set[str] = set()
        for raw in items:
            entry = str(raw).strip().lower()
            if not entry:
                continue
            try:
                networks.append(ip_network(entry.strip("[]"), strict=False))
                continue
            except ValueError:
                pass
            if not _is_host_name(entry):
                raise ValueError(f"{raw!r} is not a CIDR, an IP address or a host name")
            hosts.add(entry.rstrip("."))
        return cls(tuple(networks), frozenset(hosts))

    def refusal(self, host: str, address: IPAddress) -> Refusal | None:
        """Why `address` (an address of `host`) may not be reached, or None."""
        reason = classify(address)
        if reason is None or reason is Refusal.METADATA:
            return reason
        if host.lower().rstrip(".") in self.hosts:
            return None
        candidates = [ip for ip in (address, embedded_ipv4(address)) if ip is not None]
        for network in self.networks:
            if any(ip.version == network.version and ip in network for ip in candidates):
                return None
        return reason


def _is_host_name(entry: str) -> bool:
    labels = entry.rstrip(".").split(".")
    return all(
        label and len(label) <= 63 and label.replace("-", "").isalnum() and label[0] != "-"
        for label in labels
    )


def system_resolve(host: str, port: int) -> list[str]:
    """The addresses the system resolver gives for `host`.

    :raise socket.gaierror: when the name does not resolve.
    """
    answers = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return [str(sockaddr[0]).split("%", 1)[0] for *_, sockaddr in answers]


class AddressGuard:
    """Resolve a host once and check every address against a policy."""

    def __init__(self, policy: OutboundPolicy, resolve: Resolver = system_resolve) -> None:
        self.policy = policy
        self.resolve = resolve

    def addresses(self, host: str, port: int) -> list[IPAddress]:
        """The addresses to connect to, in the resolver's order.

        :raise OutboundRefused: if any address of `host` is forbidden.
        :raise socket.gaierror: when the name does not resolve.
        """
        name = host.strip("[]").rstrip(".")
        try:
            found = [ip_address(name)]
        except ValueError:
            found = list(dict.fromkeys(ip_address(item) for item in self.resolve(name, port)))
        if not found:
            raise OutboundRefused(name, Refusal.NO_ADDRESS)
        for address in found:
            reason = self.policy.refusal(name, address)
            if reason is not None:
                raise OutboundRefused(name, reason)
        return found


class _GuardedConnectionMixin:
    """Open the socket to an address the guard checked, never to a fresh lookup."""

    def __init__(self, *args: Any, guard: AddressGuard | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.guard = guard or AddressGuard(OutboundPolicy())

    def _new_conn(self) -> socket.socket:
        this: Any = self  # an HTTPConnection: host, port, timeout, options
        try:
            addresses = self.guard.addresses(this._dns_host, this.port)
        except socket.gaierror as error:
            raise NameResolutionError(this.host, this, error) from error
        failure: OSError | None = None
        for address in addresses:
            try:
                return connection.create_connection(
                    (str(address), this.port),
                    this.timeout,
                    source_address=this.source_address,
                    socket_options=this.socket_options,
                )
            except TimeoutError as error:
                raise ConnectTimeoutError(
                    this, f"Connection to {this.host} timed out (timeout={this.timeout})"
                ) from error
            except OSError as error:
                failure = error
        raise NewConnectionError(this, f"Failed to establish a new connection: {failure}")


class _GuardedHTTPConnection(_GuardedConnectionMixin, HTTPConnection):
    pass


class _GuardedHTTPSConnection(_GuardedConnectionMixin, HTTPSConnection):
    pass


class _GuardedHTTPPool(HTTPConnectionPool):
    ConnectionCls = _GuardedHTTPConnection


class _GuardedHTTPSPool(HTTPSConnectionPool):
    ConnectionCls = _GuardedHTTPSConnection


class _GuardedPoolManager(PoolManager):
    """A pool manager whose pools open guarded connections."""

    def __init__(self, guard: AddressGuard, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.guard = guard
        self.pool_classes_by_scheme = {"http": _GuardedHTTPPool, "https": _GuardedHTTPSPool}

    def _new_pool(self, *args: Any, **kwargs: Any) -> HTTPConnectionPool:
        pool = super()._new_pool(*args, **kwargs)
        pool.conn_kw["guard"] = self.guard
        return pool


class _GuardedAdapter(HTTPAdapter):
    def __init__(self, guard: AddressGuard) -> None:
        self.guard = guard  # before the base class builds its pool manager
        super().__init__()

    def init_poolmanager(
        self, connections: int, maxsize: int, block: bool = False, **pool_kwargs: Any
    ) -> None:
        self.poolmanager = _GuardedPoolManager(
            self.guard, num_pools=connections, maxsize=maxsize, block=block, **pool_kwargs
        )

    def proxy_manager_for(self, proxy: str, **proxy_kwargs: Any) -> Any:
        raise ValueError("proxies: the guarded client connects itself, through no proxy")


KEPT_ACROSS_ORIGINS = frozenset(
    {"accept", "accept-encoding", "accept-language", "user-agent", "content-type"}
)
"""Headers a redirect to another origin keeps. Every other one may carry a
credential (`Authorization`, a provider's `X-Api-Key`, a cookie) and stays
with the origin it was meant for."""


def _origin(url: str | None) -> tuple[str, str, int | None]:
    parts = urlsplit(url or "")
    default = {"http": 80, "https": 443}.get(parts.scheme.lower())
    return parts.scheme.lower(), (parts.hostname or "").lower(), parts.port or default


class GuardedSession(requests.Session):
    """A `requests.Session` that only reaches addresses `policy` allows.

    A redirect to another origin (scheme, host or port) drops every header but
    the few in `KEPT_ACROSS_ORIGINS`: `requests` itself only drops `Authorization`.

    :raise OutboundRefused: (from any request) when the URL's scheme is not
        http(s) or a host of the URL or of a redirect is forbidden.
    """

    def __init__(
        self,
        policy: OutboundPolicy | None = None,
        resolve: Resolver = system_resolve,
        timeout: float = DEFAULT_TIMEOUT,
        max_redirects: int = MAX_REDIRECTS,
    ) -> None:
        super().__init__()
        self.trust_env = False  # an environment proxy would make the connection for us
        self.max_redirects = max_redirects
        self.timeout = timeout
        adapter = _GuardedAdapter(AddressGuard(policy or OutboundPolicy(), resolve))
        for prefix in ("http://", "https://"):
            self.mount(prefix, adapter)

    def rebuild_auth(
        self, prepared_request: requests.PreparedRequest, response: requests.Response
    ) -> None:
        super().rebuild_auth(prepared_request, response)  # type: ignore[no-untyped-call]  # types-requests leaves Session.rebuild_auth unannotated
        if _origin(response.request.url) == _origin(prepared_request.url):
            return
        for name in list(prepared_request.headers):
            if name.lower() not in KEPT_ACROSS_ORIGINS:
                del prepared_request.headers[name]

    def request(self, method: str | bytes, url: str | bytes, *args: Any, **kwargs: Any) -> Any:
        text = url.decode() if isinstance(url, bytes) else str(url)
        parts = urlsplit(text)
        if parts.scheme.lower() not in SCHEMES:
            raise OutboundRefused(parts.hostname or "?", Refusal.SCHEME)
        if kwargs.get("timeout") is None:
            kwargs["timeout"] = self.timeout
        verb = method.decode() if isinstance(method, bytes) else method
        return super().request(verb, url, *args, **kwargs)
