"""An organisation's corrections of what resolution found, precompiled for the hot path.

A user who knows better ("this network is an ISP", "this is a data centre",
"this is company X") saves a correction for an ASN, a network organisation
name or a network (CIDR). The resolver applies an organisation's table to the
`Resolution` of every address of its sites before anything else is weighed:
a correction beats the company database, the cloud ranges, MaxMind and the
operator lists.

When several corrections match one address the most specific wins: the
network (longest prefix first), then the ASN, then the organisation name.
Lookups cost a dict access per prefix length and per name; names are folded
once and remembered.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from enum import StrEnum

from enrich.connection import ConnectionClass
from enrich.identity import account_key, fold

NAME_CACHE_SIZE = 10_000
"""Organisation names whose fold is remembered per table."""

DECIDED_BY = "correction"
"""`Resolution.decided_by` and `company_source` of a corrected answer."""


class Effect(StrEnum):
    """What a correction says the network is."""

    ISP = "isp"
    HOSTING = "hosting"
    COMPANY = "company"


class Scope(StrEnum):
    """What a correction is keyed by."""

    ASN = "asn"
    ORGANISATION = "organisation"
    NETWORK = "network"


@dataclass(frozen=True)
class Correction:
    """One correction: its key (one of asn, organisation, network) and its effect."""

    scope: Scope
    """Which of `asn`, `organisation` and `network` is the key; the other two are ignored."""
    effect: Effect
    asn: int | None = None
    """The key of an `asn` correction: an autonomous system number, 1 to 4294967295."""
    organisation: str | None = None
    """The key of an `organisation` correction: a network organisation's name, matched
    folded (`enrich.identity.fold`: case, accents and punctuation do not count)."""
    network: str | None = None
    """The key of a `network` correction: an IPv4 or IPv6 network in CIDR, host bits
    cleared by `check`; the longest matching prefix wins."""
    company_name: str | None = None
    """Company X's name, required by the `company` effect and ignored by the others."""
    company_domain: str | None = None
    """Company X's domain, lower case; its account key comes from it before the name."""

    @property
    def company_key(self) -> str | None:
        """The account key company X's visits land on."""
        if self.effect is not Effect.COMPANY:
            return None
        return account_key(self.company_domain, self.company_name)


class CorrectionError(ValueError):
    """A correction that cannot be used; the message names the field."""


def check(correction: Correction) -> Correction:
    """`correction` with its key and company normalised.

    :raise CorrectionError: naming the field at fault.
    """
    checked = correction
    if correction.scope is Scope.ASN:
        if not isinstance(correction.asn, int) or not 0 < correction.asn < 2**32:
            raise CorrectionError("asn: must be a number between 1 and 4294967295")
    elif correction.scope is Scope.ORGANISATION:
        if not correction.organisation or not fold(correction.organisation):
            raise CorrectionError("organisation: give the network organisation's name")
        checked = replace(checked, organisation=correction.organisation.strip())
    else:
        try:
            network = ipaddress.ip_network(str(correction.network), strict=False)
        except ValueError:
            raise CorrectionError(f"network: {correction.network!r} is not a network") from None
        checked = replace(checked, network=str(network))
    if correction.effect is Effect.COMPANY:
        name = (correction.company_name or "").strip()
        domain = (correction.company_domain or "").strip().lower() or None
        if not name:
            raise CorrectionError("name: give the company's name")
        if not account_key(domain, name):
            raise CorrectionError("domain: neither the domain nor the name gives an account key")
        checked = replace(checked, company_name=name, company_domain=domain)
    return checked


@dataclass(frozen=True)
class CorrectionTable:
    """An organisation's corrections, indexed by ASN, folded name and network."""

    by_asn: Mapping[int, Correction] = field(default_factory=dict)
    by_name: Mapping[str, Correction] = field(default_factory=dict)
    """Keyed by the organisation name folded (`enrich.identity.fold`)."""
    by_network: tuple[tuple[int, int, Mapping[int, Correction]], ...] = ()
    """(IP version, prefix length, network address as an int → correction),
    longest prefixes first."""
    _folded: dict[str, str] = field(default_factory=dict, compare=False, repr=False)

    @classmethod
    def of(cls, corrections: Iterable[Correction]) -> CorrectionTable:
        by_asn: dict[int, Correction] = {}
        by_name: dict[str, Correction] = {}
        networks: dict[tuple[int, int], dict[int, Correction]] = {}
        for item in corrections:
            if item.scope is Scope.ASN and item.asn is not None:
                by_asn[item.asn] = item
            elif item.scope is Scope.ORGANISATION and item.organisation:
                by_name[fold(item.organisation)] = item
            elif item.scope is Scope.NETWORK and item.network:
                net = ipaddress.ip_network(item.network, strict=False)
                networks.setdefault((net.version, net.prefixlen), {})[int(net.network_address)] = (
                    item
                )
        ordered = tuple(
            (version, prefix, table)
            for (version, prefix), table in sorted(networks.items(), key=lambda i: -i[0][1])
        )
        return cls(by_asn, by_name, ordered)

    def __bool__(self) -> bool:
        return bool(self.by_asn or self.by_name or self.by_network)

    def find(
        self, address: str | None, asn: int | None, names: Iterable[str | None]
    ) -> Correction | None:
        """The most specific correction for an address and its network's facts."""
        if self.by_network and address:
            found = self._find_network(address)
            if found is not None:
                return found
        if asn is not None and asn in self.by_asn:
            return self.by_asn[asn]
        if self.by_name:
            for name in names:
                if name:
                    found = self.by_name.get(self._fold(name))
                    if found is not None:
                        return found
        return None

    def _find_network(self, address: str) -> Correction | None:
        # inet_pton and an int: a fifth of what parsing with `ipaddress` costs.
        packed = socket.inet_pton(socket.AF_INET6 if ":" in address else socket.AF_INET, address)
        bits = len(packed) * 8
        number = int.from_bytes(packed, "big")
        address_version = 4 if bits == 32 else 6
        for version, prefix, table in self.by_network:
            if version == address_version:
                found = table.get(number >> (bits - prefix) << (bits - prefix))
                if found is not None:
                    return found
        return None

    def _fold(self, name: str) -> str:
        cache = self._folded
        if name not in cache:
            if len(cache) >= NAME_CACHE_SIZE:
                cache.clear()
            cache[name] = fold(name)
        return cache[name]


EFFECT_CLASSES: Mapping[Effect, ConnectionClass] = {
    Effect.ISP: ConnectionClass.ISP,
    Effect.HOSTING: ConnectionClass.HOSTING,
    Effect.COMPANY: ConnectionClass.BUSINESS,
}
"""The connection class each effect gives the address."""
