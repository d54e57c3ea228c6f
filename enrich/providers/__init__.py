"""Firmographic providers: who is this company, from its domain or network?

Every provider answers `lookup(query) -> Firmographics | None` (None: the
provider does not know it) or raises `ProviderError` (it could not answer:
timeout, server error, bad data), which the enrichment job records without
touching what the account already has.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from typing import Any, Protocol

FIRMOGRAPHIC_FIELDS = (
    "name",
    "domain",
    "industry",
    "employees",
    "revenue_band",
    "country",
    "city",
    "linkedin_url",
)
"""Fields an account keeps in columns; anything else goes to `extra`."""


class ProviderError(Exception):
    """A provider could not answer. `retryable` says whether trying later may help."""

    def __init__(self, provider: str, message: str, retryable: bool = True) -> None:
        super().__init__(f"{provider}: {message}")
        self.provider = provider
        self.retryable = retryable


@dataclass(frozen=True)
class Query:
    """What is known of the account to enrich."""

    domain: str | None = None
    """The account's domain: what the file and HTTP providers look up."""
    name: str | None = None
    network: str | None = None
    """The account's /24 (IPv4) or /48 (IPv6) in CIDR, never an address: what
    reverse DNS looks up."""


@dataclass(frozen=True)
class Contact:
    """A business contact at a company, as a provider lists it."""

    name: str
    title: str | None = None
    """Matched word by word against a persona's roles (`enrich.contacts`)."""
    seniority: str | None = None
    department: str | None = None
    email: str | None = None
    profile_url: str | None = None
    """A web page about the person; stored only if it is an http(s) URL (`enrich.links`)."""

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any]) -> Contact | None:
        """A contact from a flat mapping; None without a name."""
        values = {f.name: data.get(f.name) for f in fields(cls)}
        cleaned = {k: str(v).strip() for k, v in values.items() if v not in (None, "")}
        return cls(**cleaned) if cleaned.get("name") else None


@dataclass(frozen=True, kw_only=True)
class Firmographics:
    """What a provider knows of a company; None where it knows nothing. Keyword arguments
    only: an answer names the few fields it knows."""

    name: str | None = None
    domain: str | None = None
    """The company's domain as the provider gives it, which need not be the one looked up;
    the only field reverse DNS fills (`enrich.providers.rdns`, from the network's PTR name)."""
    industry: str | None = None
    """Free text, as the provider words it."""
    employees: int | None = None
    """Headcount; `from_mapping` also reads `1,200` and `1 200`."""
    revenue_band: str | None = None
    """A revenue range as the provider labels it: text, not an amount."""
    country: str | None = None
    """ISO 3166-1 alpha-2 expected: `from_mapping` keeps the first two characters, upper-cased."""
    city: str | None = None
    linkedin_url: str | None = None
    """The company's LinkedIn page; stored only if it is an http(s) URL (`enrich.links`)."""
    extra: Mapping[str, Any] = field(default_factory=dict)
    """Whatever else the provider gave; an account keeps it in `firmographics`, not columns."""
    contacts: tuple[Contact, ...] = ()
    """The people the provider lists; only those matching a persona's roles are kept."""

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any]) -> Firmographics:
        """Build from a flat mapping; unknown keys go to `extra`, empties are dropped.

        :raise ValueError: for an `employees` value that is not a whole number.
        """
        known = {k: v for k, v in data.items() if k in FIRMOGRAPHIC_FIELDS and v not in (None, "")}
        if "employees" in known:
            known["employees"] = _whole_number(known["employees"])
        if "country" in known:
            known["country"] = str(known["country"]).upper()[:2]
        extra = {
            k: v for k, v in data.items() if k not in FIRMOGRAPHIC_FIELDS and v not in (None, "")
        }
        strings: dict[str, Any] = {k: (str(v) if k != "employees" else v) for k, v in known.items()}
        return cls(**strings, extra=extra)

    def as_dict(self) -> dict[str, Any]:
        """The non-empty fields, `extra` merged in."""
        values = {
            f.name: getattr(self, f.name) for f in fields(self) if f.name in FIRMOGRAPHIC_FIELDS
        }
        return {**dict(self.extra), **{k: v for k, v in values.items() if v is not None}}


def _whole_number(value: Any) -> int:
    if isinstance(value, bool):
        raise ValueError(f"employees: {value!r} is not a whole number")
    if isinstance(value, int):
        return value
    text = str(value).replace(",", "").replace(" ", "")
    if not text.isdigit():
        raise ValueError(f"employees: {value!r} is not a whole number")
    return int(text)


class Provider(Protocol):
    """One source of firmographics."""

    name: str

    def lookup(self, query: Query) -> Firmographics | None: ...
