"""IP → company: read every `.mmdb` once, answer `resolve(ip)` in microseconds.

Each file is recognised by its `database_type` metadata and read memory-mapped.
An address inside a network a cloud provider publishes as its own (the range
table of `enrich.cloud_table`) is `hosting`, with the provider as the reason,
before anything else is weighed: a cloud server is never a company.
Otherwise a company comes from the most specific source that names one: Vigie's own
company database, then the Enterprise/ISP organisation, then the Domain
database, then the ASN organisation; and only for networks that `classify`
calls business, education or government. Homes, phones and data centres never
produce a company.

An organisation's corrections (`enrich.corrections`), handed to `resolve`,
override all of this for its sites' traffic.

Private, loopback, link-local, reserved and malformed addresses resolve to
`unknown` without touching a database. Answers are cached per process, keyed
by a keyed hash of the address (the key lives in memory only), so the cache
holds no raw address. Replaced files are picked up without a restart.
"""

from __future__ import annotations

import hashlib
import logging
import os
import secrets
import threading
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import maxminddb
from cachetools import LRUCache

from enrich.addresses import public_address
from enrich.classify import NetworkList, Signals, classify, load_network_list
from enrich.connection import ConnectionClass
from enrich.corrections import DECIDED_BY, EFFECT_CLASSES, CorrectionTable
from enrich.identity import account_key

log = logging.getLogger(__name__)

CACHE_SIZE = 65_536
"""Addresses remembered per process."""

RELOAD_CHECK_SECONDS = 30.0
"""How often the files' modification times are compared, at most."""

READER_MODE = maxminddb.MODE_MMAP_EXT if maxminddb.extension else maxminddb.MODE_MMAP
"""Memory-mapped, with the C extension when installed (ten times faster)."""

DATABASE_KINDS: Mapping[str, str] = {
    "Vigie-Company": "company",
    "Vigie-Cloud-Ranges": "cloud",
    "GeoIP2-Enterprise": "enterprise",
    "GeoIP2-ISP": "isp",
    "GeoLite2-ASN": "asn",
    "GeoIP2-ASN": "asn",
    "GeoIP2-Connection-Type": "connection_type",
    "GeoIP2-City": "city",
    "GeoLite2-City": "city",
    "GeoIP2-Country": "country",
    "GeoLite2-Country": "country",
    "GeoIP2-Domain": "domain",
    "GeoIP2-Anonymous-IP": "anonymous",
}
"""`database_type` → what the resolver reads from it."""

DBIP_KINDS = {"DBIP-ASN-Lite": "asn", "DBIP-City-Lite": "city", "DBIP-Country-Lite": "country"}
"""DB-IP Lite files say e.g. `DBIP-City-Lite (compat=GeoLite2-City)`."""

COMPANY_CLASSES = frozenset(
    {ConnectionClass.BUSINESS, ConnectionClass.EDUCATION, ConnectionClass.GOVERNMENT}
)
"""Classes whose visits may name a company."""


class ResolverError(ValueError):
    """A database file cannot be used; the message names the file."""


@dataclass(frozen=True)
class Company:
    """A company found behind an address, with what the source knows of it."""

    key: str
    """The account key its visits land on (`enrich.identity.account_key`)."""
    name: str
    domain: str | None = None
    """Given by Vigie's company database, the Domain database or a correction only."""
    industry: str | None = None
    """Only from Vigie's company database, as its CSV words it."""
    employees: int | None = None
    """Headcount, only from Vigie's company database."""
    country: str | None = None
    """ISO 3166-1 alpha-2: the company database's, else where the address is located."""


@dataclass(frozen=True)
class Resolution:
    """Everything learnt about one address. Holds no trace of the address."""

    connection: ConnectionClass
    decided_by: str
    """The signal that set `connection`: `classify`'s reason (`user type`, `known
    network: …`), `cloud range: <provider>`, `correction` or `not a public address`."""
    company: Company | None = None
    """Only on business, education and government networks (`COMPANY_CLASSES`)."""
    company_source: str | None = None
    """Where `company` came from: `company database`, `organisation`, `domain`,
    `ASN organisation` or `correction`; None without a company."""
    country: str | None = None
    """ISO 3166-1 alpha-2: Vigie's company database's, else the geolocation's."""
    city: str | None = None
    """English name, from the Enterprise or City database."""
    asn: int | None = None
    """Autonomous system number, from the Enterprise, ISP or ASN database."""
    asn_organisation: str | None = None
    """The organisation the ASN is registered to (`autonomous_system_organization`)."""
    isp: str | None = None
    """From the Enterprise or ISP database."""
    user_type: str | None = None
    """MaxMind's `user_type` (`business`, `residential`, `cellular`…): only the
    Enterprise database gives it."""
    cloud_provider: str | None = None
    """The provider whose published ranges hold the address (`Vigie-Cloud-Ranges`),
    which makes it `hosting`."""

    @property
    def network_organisation(self) -> str | None:
        """The name the network is known by, which corrections may be keyed by:
        the organisation that named the company, else the ASN's or the ISP's."""
        if self.company is not None and self.company_source in NAMED_BY_NETWORK:
            return self.company.name
        return self.asn_organisation or self.isp


NAMED_BY_NETWORK = frozenset({"organisation", "ASN organisation"})
"""Company sources whose name is the network organisation's."""

UNKNOWN = Resolution(ConnectionClass.UNKNOWN, "not a public address")


def database_kind(database_type: str) -> str | None:
    """What Vigie reads from a database of this type; None if unsupported."""
    if database_type in DATABASE_KINDS:
        return DATABASE_KINDS[database_type]
    return DBIP_KINDS.get(database_type.split(" ", 1)[0])


@dataclass(frozen=True)
class _File:
    path: Path
    stamp: tuple[int, int, int]


class Resolver:
    """Open `.mmdb` files once and resolve addresses against all of them."""

    def __init__(
        self,
        paths: Sequence[str | os.PathLike[str]],
        networks: NetworkList | None = None,
        cache_size: int = CACHE_SIZE,
        reload_check_seconds: float = RELOAD_CHECK_SECONDS,
    ) -> None:
        """:raise ResolverError: for a missing, unreadable or unsupported file."""
        self.networks = networks or load_network_list()
        self._files = [_File(Path(p), _stamp(Path(p))) for p in paths]
        self._readers = _open_all(self._files)
        self._cache: LRUCache[bytes, Resolution] = LRUCache(cache_size)
        self._cache_key = secrets.token_bytes(16)
        self._lock = threading.Lock()
        self._reload_every = reload_check_seconds
        self._next_check = time.monotonic() + reload_check_seconds

    @property
    def kinds(self) -> list[str]:
        return list(self._readers)

    def resolve(self, ip: str, corrections: CorrectionTable | None = None) -> Resolution:
        """What is known of `ip`; `unknown` for anything but a public address.

        `corrections` (an organisation's) are applied over what the databases
        say; the cache keeps the databases' answer, shared by every organisation.
        """
        if time.monotonic() >= self._next_check:
            self.reload_if_changed()
        key = hashlib.blake2b(ip.encode(), key=self._cache_key, digest_size=16).digest()
        resolution = self._cache.get(key)
        if resolution is None:
            address = public_address(ip)
            resolution = UNKNOWN if address is None else self._lookup(address)
            with self._lock:
                self._cache[key] = resolution
        if corrections:
            address = public_address(ip) if corrections.by_network else None
            return correct(resolution, address, corrections)
        return resolution

    def reload_if_changed(self) -> bool:
        """Reopen the files if any was replaced on disk; True if they were."""
        self._next_check = time.monotonic() + self._reload_every
        try:
            files = [_File(f.path, _stamp(f.path)) for f in self._files]
            if files == self._files:
                return False
            readers = _open_all(files)
        except ResolverError as error:
            log.warning("keeping the databases already open: %s", error)
            return False
        with self._lock:
            old, self._readers, self._files = self._readers, readers, files
            self._cache.clear()
        for reader in old.values():
            reader.close()
        return True

    def close(self) -> None:
        for reader in self._readers.values():
            reader.close()

    def _lookup(self, ip: str) -> Resolution:
        records = {kind: _as_record(reader.get(ip)) for kind, reader in self._readers.items()}
        return build_resolution(records, self.networks)


def build_resolution(records: Mapping[str, Mapping[str, Any]], networks: NetworkList) -> Resolution:
    """Combine the records of each database kind into one `Resolution`."""
    own = records.get("company", {})
    enterprise = records.get("enterprise", {})
    traits = enterprise.get("traits", {})
    isp_record = records.get("isp", {})
    asn_record = records.get("asn", {})
    asn = _first(traits, isp_record, asn_record, key="autonomous_system_number")
    asn_org = _first(traits, isp_record, asn_record, key="autonomous_system_organization")
    isp = _first(traits, isp_record, key="isp")
    organisation = _first(traits, isp_record, key="organization")
    user_type = traits.get("user_type")
    connection_type = _first(traits, records.get("connection_type", {}), key="connection_type")
    signals = Signals(
        own_company=bool(own.get("name")),
        anonymous=records.get("anonymous", {}),
        user_type=user_type,
        connection_type=connection_type,
        asn=asn,
        asn_organisation=asn_org,
        isp=isp,
        organisation=organisation,
    )
    cloud_provider = records.get("cloud", {}).get("provider")
    if cloud_provider:
        connection, decided_by = ConnectionClass.HOSTING, f"cloud range: {cloud_provider}"
    else:
        connection, decided_by = classify(signals, networks)
    geo = enterprise or records.get("city") or records.get("country") or {}
    country = own.get("country") or geo.get("country", {}).get("iso_code")
    city = geo.get("city", {}).get("names", {}).get("en")
    company, source = None, None
    if connection in COMPANY_CLASSES:
        domain = _first(traits, records.get("domain", {}), key="domain")
        company, source = pick_company(own, organisation, domain, asn_org, country)
    return Resolution(
        connection=connection,
        decided_by=decided_by,
        company=company,
        company_source=source,
        country=country,
        city=city,
        asn=asn,
        asn_organisation=asn_org,
        isp=isp,
        user_type=user_type,
        cloud_provider=cloud_provider,
    )


def correct(
    resolution: Resolution, address: str | None, corrections: CorrectionTable
) -> Resolution:
    """`resolution` as the organisation's corrections say it is (unchanged if none
    matches): an ISP or a data centre names no company; company X is a business."""
    if resolution is UNKNOWN and address is None:
        return resolution
    company = resolution.company
    found = corrections.find(
        address,
        resolution.asn,
        (resolution.asn_organisation, resolution.isp, company.name if company else None),
    )
    if found is None:
        return resolution
    named = None
    key = found.company_key
    if key and found.company_name:
        named = Company(
            key=key,
            name=found.company_name,
            domain=found.company_domain,
            country=resolution.country,
        )
    return replace(
        resolution,
        connection=EFFECT_CLASSES[found.effect],
        decided_by=DECIDED_BY,
        company=named,
        company_source=DECIDED_BY if named else None,
    )


def pick_company(
    own: Mapping[str, Any],
    organisation: str | None,
    domain: str | None,
    asn_org: str | None,
    country: str | None,
) -> tuple[Company | None, str | None]:
    """The most specific company: own database, organisation, domain, ASN organisation."""
    if own.get("name"):
        key = account_key(own.get("domain"), own["name"])
        return Company(
            key=key or own["name"],
            name=own["name"],
            domain=own.get("domain"),
            industry=own.get("industry"),
            employees=own.get("employees"),
            country=own.get("country") or country,
        ), "company database"
    for name, company_domain, source in (
        (organisation, None, "organisation"),
        (domain, domain, "domain"),
        (asn_org, None, "ASN organisation"),
    ):
        key = account_key(company_domain, name) if name else None
        if name and key:
            return Company(key=key, name=name, domain=company_domain, country=country), source
    return None, None


def _as_record(record: object) -> Mapping[str, Any]:
    """A database's answer as a record: nothing found, or a database whose entries
    are not maps (no kind Vigie reads), is an empty one."""
    return record if isinstance(record, dict) else {}


def _first(*records: Mapping[str, Any], key: str) -> Any:
    for record in records:
        value = record.get(key)
        if value not in (None, ""):
            return value
    return None


def _stamp(path: Path) -> tuple[int, int, int]:
    try:
        status = path.stat()
    except OSError as error:
        raise ResolverError(f"{path}: {error.strerror}") from None
    return status.st_ino, status.st_mtime_ns, status.st_size


def _open_all(files: Iterable[_File]) -> dict[str, maxminddb.Reader]:
    readers: dict[str, maxminddb.Reader] = {}
    for file in files:
        try:
            reader = maxminddb.open_database(str(file.path), READER_MODE)
        except (OSError, maxminddb.InvalidDatabaseError, ValueError) as error:
            raise ResolverError(f"{file.path}: not a readable MaxMind DB ({error})") from None
        database_type = reader.metadata().database_type
        kind = database_kind(database_type)
        if kind is None:
            reader.close()
            raise ResolverError(f"{file.path}: unsupported database type {database_type!r}")
        if kind in readers:
            reader.close()
            for opened in readers.values():
                opened.close()
            raise ResolverError(f"{file.path}: a second {kind} database; give one file per kind")
        readers[kind] = reader
    return readers
