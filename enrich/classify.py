"""Connection classes: is a network a company, or a home, a phone, a data centre?

Signals are weighed from the most to the least specific:

1. Vigie's own company database: a listed network is a `business`.
2. Anonymous-IP flags (VPN, proxy, Tor, hosting): `hosting`.
3. MaxMind's `user_type` (Enterprise): business, residential, cellular, …
4. The shipped list of ISP, mobile-carrier and hosting networks
   (`enrich/data/networks.toml`, extended per site), by ASN or organisation name.
5. MaxMind's connection type: Cellular → `mobile`, Cable/DSL… → `isp`,
   Corporate → `business`.
6. An organisation the ISP database names apart from the ISP itself (a company
   with its own block at that ISP): `business`.
7. An ASN organisation alone (GeoLite2 / DB-IP ASN): `business`, unless its
   name reads like a telecom or hosting operator.
"""

from __future__ import annotations

import fnmatch
import re
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from enrich.connection import ConnectionClass
from enrich.identity import fold

USER_TYPES: Mapping[str, ConnectionClass] = {
    "business": ConnectionClass.BUSINESS,
    "residential": ConnectionClass.ISP,
    "dialup": ConnectionClass.ISP,
    "cafe": ConnectionClass.ISP,
    "library": ConnectionClass.ISP,
    "traveler": ConnectionClass.ISP,
    "router": ConnectionClass.ISP,
    "cellular": ConnectionClass.MOBILE,
    "college": ConnectionClass.EDUCATION,
    "school": ConnectionClass.EDUCATION,
    "government": ConnectionClass.GOVERNMENT,
    "military": ConnectionClass.GOVERNMENT,
    "hosting": ConnectionClass.HOSTING,
    "content_delivery_network": ConnectionClass.HOSTING,
    "consumer_privacy_network": ConnectionClass.HOSTING,
    "search_engine_spider": ConnectionClass.HOSTING,
}
"""MaxMind Enterprise `traits.user_type` values."""

CONNECTION_TYPES: Mapping[str, ConnectionClass] = {
    "Cellular": ConnectionClass.MOBILE,
    "Cable/DSL": ConnectionClass.ISP,
    "Dialup": ConnectionClass.ISP,
    "Satellite": ConnectionClass.ISP,
    "Corporate": ConnectionClass.BUSINESS,
}
"""MaxMind `connection_type` values."""

ANONYMOUS_FLAGS = (
    "is_anonymous",
    "is_anonymous_vpn",
    "is_hosting_provider",
    "is_public_proxy",
    "is_residential_proxy",
    "is_tor_exit_node",
)
"""Anonymous-IP flags; any one of them makes the visit `hosting`."""

OPERATOR_WORDS = re.compile(
    r"\b(telecom\w*|telekom\w*|broadband|cable|mobile|wireless|cellular|isp|internet|"
    r"hosting|host|cloud|datacenter|data center|colo\w*|server\w*|vps|networks?|"
    r"communications?|telco|fibre|fiber|dsl|backbone|transit)\b"
)
"""Words that make an ASN organisation an operator rather than a customer."""

NAME_CACHE_SIZE = 100_000
"""Organisation names whose match is remembered (there are far fewer operators)."""

CLASSES_IN_FILE = (ConnectionClass.ISP, ConnectionClass.MOBILE, ConnectionClass.HOSTING)


class NetworkListError(ValueError):
    """A networks file is malformed; the message names the entry and field."""


@dataclass(frozen=True)
class NetworkEntry:
    """One known operator: its class, ASNs and name patterns."""

    connection: ConnectionClass
    name: str
    asns: frozenset[int] = frozenset()
    patterns: tuple[str, ...] = ()

    def matches_name(self, folded_name: str) -> bool:
        return any(fnmatch.fnmatchcase(folded_name, pattern) for pattern in self.patterns)


@dataclass(frozen=True)
class NetworkList:
    """Known operators, looked up by ASN or by organisation name."""

    entries: tuple[NetworkEntry, ...]
    by_asn: Mapping[int, NetworkEntry] = field(default_factory=dict)
    _name_cache: dict[str, NetworkEntry | None] = field(
        default_factory=dict, compare=False, repr=False
    )

    @classmethod
    def of(cls, entries: Iterable[NetworkEntry]) -> NetworkList:
        items = tuple(entries)
        by_asn = {asn: entry for entry in items for asn in entry.asns}
        return cls(items, by_asn)

    def extended(self, entries: Iterable[NetworkEntry]) -> NetworkList:
        """This list with `entries` added; theirs win on a shared ASN."""
        return NetworkList.of((*self.entries, *entries))

    def find(self, asn: int | None, names: Iterable[str | None]) -> NetworkEntry | None:
        if asn is not None and asn in self.by_asn:
            return self.by_asn[asn]
        for name in names:
            entry = self.find_name(name) if name else None
            if entry is not None:
                return entry
        return None

    def find_name(self, name: str) -> NetworkEntry | None:
        """The first entry whose patterns match `name`; remembered per name."""
        cache = self._name_cache
        if name not in cache:
            if len(cache) >= NAME_CACHE_SIZE:
                cache.clear()
            folded = fold(name)
            cache[name] = next((e for e in self.entries if e.matches_name(folded)), None)
        return cache[name]


def load_network_list(path: Path | None = None) -> NetworkList:
    """Read a networks TOML file (default: the shipped one).

    :raise NetworkListError: naming the entry and field at fault.
    """
    if path is None:
        source = resources.files("enrich.data").joinpath("networks.toml")
    else:
        source = Path(path)
    try:
        document = tomllib.loads(source.read_text("utf-8"))
        return NetworkList.of(parse_entries(document.get("network", [])))
    except (tomllib.TOMLDecodeError, NetworkListError) as error:
        raise NetworkListError(f"{source}: {error}") from None


def read_network_entries(path: Path) -> list[dict[str, Any]]:
    """The raw `[[network]]` tables of a file, checked (for storing as site settings).

    :raise NetworkListError: naming the file, the entry and the field at fault.
    """
    try:
        raw: list[dict[str, Any]] = tomllib.loads(Path(path).read_text("utf-8")).get("network", [])
        parse_entries(raw)
    except (tomllib.TOMLDecodeError, UnicodeDecodeError, NetworkListError) as error:
        raise NetworkListError(f"{path}: {error}") from None
    return raw


def parse_entries(raw_entries: Iterable[Mapping[str, Any]]) -> list[NetworkEntry]:
    """Check and convert `[[network]]` tables (also used for site extensions)."""
    entries = []
    for index, raw in enumerate(raw_entries):
        where = f"network[{index}]"
        try:
            connection = ConnectionClass(str(raw.get("class")))
        except ValueError:
            raise NetworkListError(f"{where}.class: must be isp, mobile or hosting") from None
        if connection not in CLASSES_IN_FILE:
            raise NetworkListError(f"{where}.class: must be isp, mobile or hosting")
        asns = raw.get("asn", [])
        if not isinstance(asns, list) or not all(isinstance(a, int) and a > 0 for a in asns):
            raise NetworkListError(f"{where}.asn: must be a list of positive integers")
        patterns = raw.get("match", [])
        if not isinstance(patterns, list) or not all(isinstance(p, str) and p for p in patterns):
            raise NetworkListError(f"{where}.match: must be a list of name patterns")
        if not asns and not patterns:
            raise NetworkListError(f"{where}: give asn or match")
        entries.append(
            NetworkEntry(
                connection=connection,
                name=str(raw.get("name", "")),
                asns=frozenset(asns),
                patterns=tuple(fold_pattern(pattern) for pattern in patterns),
            )
        )
    return entries


def fold_pattern(pattern: str) -> str:
    """Fold a name pattern like a name, keeping its `*` wildcards."""
    return "*".join(fold(part) for part in pattern.split("*"))


@dataclass(frozen=True)
class Signals:
    """What the databases said about one address, before any decision."""

    own_company: bool = False
    anonymous: Mapping[str, Any] = field(default_factory=dict)
    user_type: str | None = None
    connection_type: str | None = None
    asn: int | None = None
    asn_organisation: str | None = None
    isp: str | None = None
    organisation: str | None = None


def classify(signals: Signals, networks: NetworkList) -> tuple[ConnectionClass, str]:
    """Return the connection class and the signal that decided it."""
    if signals.own_company:
        return ConnectionClass.BUSINESS, "company database"
    if any(signals.anonymous.get(flag) for flag in ANONYMOUS_FLAGS):
        return ConnectionClass.HOSTING, "anonymous IP"
    by_user_type = USER_TYPES.get(signals.user_type or "")
    if by_user_type is not None:
        return by_user_type, "user type"
    known = networks.find(signals.asn, (signals.asn_organisation, signals.isp))
    if known is not None:
        return known.connection, f"known network: {known.name}"
    by_connection_type = CONNECTION_TYPES.get(signals.connection_type or "")
    if by_connection_type is not None:
        return by_connection_type, "connection type"
    if signals.organisation and (
        not signals.isp or fold(signals.organisation) != fold(signals.isp)
    ):
        return ConnectionClass.BUSINESS, "organisation"
    operator = signals.isp or signals.asn_organisation
    if operator:
        if signals.isp or OPERATOR_WORDS.search(fold(operator)):
            return ConnectionClass.ISP, "operator name"
        return ConnectionClass.BUSINESS, "ASN organisation"
    return ConnectionClass.UNKNOWN, "no data"
