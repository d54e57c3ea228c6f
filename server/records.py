"""What the collector hands to a sink: an anonymised event, or a count.

The contract between `server/collect`, the sinks and `server/storage/ingest.py`.

These are the only things that leave the request. They hold no IP address
and no user agent, so they may go to Redis and be logged without harm.
"""

from __future__ import annotations

import os
from datetime import date, datetime
from typing import Any

import msgspec


class CompanyFacts(msgspec.Struct, frozen=True):
    """The company resolution found (`enrich.resolver.Company`), as the account starts from it."""

    key: str
    """`Company.key`: the account the event lands on."""
    name: str
    domain: str | None = None
    industry: str | None = None
    """`Company.industry`, from Vigie's company database only."""
    employees: int | None = None
    """Headcount (`Company.employees`)."""
    country: str | None = None
    """ISO 3166-1 alpha-2: the company's, else where the visitor's address is located."""
    city: str | None = None
    """Where the visitor's address is located (English name), not the company's seat."""
    network: str | None = None
    """The /24 (IPv4) or /48 (IPv6) holding the visitor's address, in CIDR, for reverse DNS."""
    # Provenance (server/corrections/provenance.py): the resolver's source of the
    # company, and the network's ASN and organisation name. Empty in records
    # queued before they existed.
    source: str | None = None
    """`Resolution.company_source`: `company database`, `organisation`, `domain`, …"""
    asn: int | None = None
    network_organisation: str | None = None
    """`Resolution.network_organisation`: what a correction by organisation is keyed by."""


class CollectedEvent(msgspec.Struct, frozen=True, tag="event", tag_field="record"):
    event_id: str
    site_id: int
    org_id: int
    occurred_at: datetime
    type: str
    path: str
    visitor_hash: str
    connection_class: str
    device_class: str
    browser_family: str
    name: str | None = None
    title: str | None = None
    referrer_host: str | None = None
    referrer_path: str | None = None
    utm: dict[str, str] = {}
    props: dict[str, Any] = {}
    engaged_ms: int | None = None
    country: str | None = None
    company: CompanyFacts | None = None


def new_receipt() -> str:
    """A count's unique id, made where it is counted."""
    return new_id()


def new_id() -> str:
    """128 random bits in hex, the shape of a uuid4's hex without building one."""
    return os.urandom(16).hex()


class TrafficCountDelta(msgspec.Struct, frozen=True, tag="count", tag_field="record"):
    """One visit not kept as an event: a bot, a home, a phone, a data centre…

    `reason` says why, in the small vocabulary of `server.collect.count_reasons`
    (a bot's category, a data centre's provider), or "" when there is no more
    to say than the kind.

    `receipt` is made by the collector, so a count delivered twice (stored, then
    delivered again after a crash before it was acknowledged) is added once. A
    count encoded before receipts (or reasons) existed decodes with a fresh
    receipt (and no reason).
    """

    site_id: int
    day: date
    kind: str
    count: int = 1
    receipt: str = msgspec.field(default_factory=new_receipt)
    reason: str = ""


Record = CollectedEvent | TrafficCountDelta

_encoder = msgspec.json.Encoder()
_decoder = msgspec.json.Decoder(Record)


def encode(record: Record) -> bytes:
    return _encoder.encode(record)


def decode(data: bytes) -> Record:
    """:raise msgspec.DecodeError: for bytes that are not a record."""
    return _decoder.decode(data)
