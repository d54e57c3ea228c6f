"""CRM connectors: put an account's company into a CRM and read its status back.

Each CRM is a module with a connector class answering the same two calls:

* `upsert_company(company) -> CrmResult`: create the company, or update the
  one with its domain; the result says which (`Change`) and what the CRM
  answered;
* `read_status(domain) -> CrmStatus`: its lifecycle stage or account type,
  whether it is a customer and whether it has an open opportunity.

Like the enrichment providers, the modules are pure: they take the settings,
the secret and a `requests.Session` (the guarded one, `enrich.outbound`) as
arguments and read no setting, clock or database. A call the CRM refuses
raises `CrmError`, whose `reason` is the one-line message shown to users
("token refused", "validation error: …"); it never carries the token.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Protocol


class Change(StrEnum):
    """What an upsert did to the CRM's company."""

    CREATED = "created"
    UPDATED = "updated"
    UNCHANGED = "unchanged"


class Failure(StrEnum):
    """Why a CRM call did not succeed."""

    AUTH = "token refused"
    VALIDATION = "validation error"
    RATE_LIMITED = "rate limited"
    SERVER = "CRM error"
    NETWORK = "connection error"
    REFUSED = "address refused"
    NOT_FOUND = "not found"
    SETTINGS = "settings"


class CrmError(Exception):
    """A CRM call failed. `reason` is what users are told; `status` the HTTP
    status (None when no answer came); `retry_after` the seconds a 429 asked for."""

    def __init__(
        self,
        failure: Failure,
        detail: str = "",
        status: int | None = None,
        retry_after: float | None = None,
    ) -> None:
        self.failure = failure
        self.detail = detail[:300]
        self.status = status
        self.retry_after = retry_after
        super().__init__(self.reason)

    @property
    def reason(self) -> str:
        text = self.failure.value + (f": {self.detail}" if self.detail else "")
        return text + (f" (HTTP {self.status})" if self.status else "")

    @property
    def retryable(self) -> bool:
        """Whether trying again later may succeed (rate limits, server and network errors)."""
        return self.failure in (Failure.RATE_LIMITED, Failure.SERVER, Failure.NETWORK)


@dataclass(frozen=True)
class Company:
    """What is written to the CRM: the company's domain and name (which identify
    it) and the mapped properties, CRM property name → value."""

    domain: str
    name: str
    properties: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class CrmResult:
    """The CRM's id of the company, what the upsert did and the HTTP status of the write."""

    id: str
    change: Change
    status: int


@dataclass(frozen=True)
class CrmStatus:
    """Where the company stands in the CRM; `lifecycle` as the CRM names it."""

    lifecycle: str | None = None
    customer: bool = False
    open_opportunity: bool = False


class Connector(Protocol):
    """One CRM, configured for one organisation."""

    name: str

    def upsert_company(self, company: Company) -> CrmResult: ...

    def read_status(self, domain: str) -> CrmStatus: ...


CRM_NAMES = ("hubspot", "salesforce", "pipedrive")
"""The CRMs Vigie writes to, in the order pages list them."""
