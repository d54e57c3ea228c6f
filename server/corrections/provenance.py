"""Provenance: which signal identified an account's company, and how much to trust it.

The resolver names the source of each company it finds (`Resolution.company_source`);
ingestion stores it on the account as a signal with a confidence:

| signal                 | source                                          | confidence |
|------------------------|-------------------------------------------------|------------|
| `correction`           | a user's correction (company X)                 | high       |
| `company_database`     | Vigie's own company database (`companydb build`)| high       |
| `maxmind_organisation` | MaxMind Enterprise/ISP: the block's organisation| medium     |
| `maxmind_domain`       | MaxMind Domain: the network's registered domain | medium     |
| `reverse_dns`          | the PTR name of the company's network gave its domain | medium |
| `asn_organisation`     | the ASN's organisation alone                    | low        |

An ASN organisation is low: many companies reach the Internet through their
provider's ASN, so its name is often a holder, a reseller or an operator.
Reverse DNS can only raise an account found by its ASN organisation, and a
later visit found the same way keeps it at `reverse_dns`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

HIGH, MEDIUM, LOW = "high", "medium", "low"
"""The confidences, from most to least."""

CONFIDENCES = (HIGH, MEDIUM, LOW)

SOURCE_SIGNALS: Mapping[str, str] = {
    "correction": "correction",
    "company database": "company_database",
    "organisation": "maxmind_organisation",
    "domain": "maxmind_domain",
    "ASN organisation": "asn_organisation",
}
"""The resolver's `company_source` → the stored signal."""

REVERSE_DNS = "reverse_dns"
"""The signal of an account whose domain reverse DNS found."""

WEAKEST = "asn_organisation"
"""The signal reverse DNS raises, and which does not lower it back."""

SIGNAL_CONFIDENCE: Mapping[str, str] = {
    "correction": HIGH,
    "company_database": HIGH,
    "maxmind_organisation": MEDIUM,
    "maxmind_domain": MEDIUM,
    REVERSE_DNS: MEDIUM,
    "asn_organisation": LOW,
}
"""Each signal's confidence."""


def signal_of(source: str | None) -> str | None:
    """The stored signal of a resolver source; None for a record without one."""
    return SOURCE_SIGNALS.get(source) if source else None


def confidence_of(signal: str | None) -> str | None:
    """The confidence of `signal`; None when the signal is unknown."""
    return SIGNAL_CONFIDENCE.get(signal) if signal else None


def raised_by_reverse_dns(signal: str | None) -> bool:
    """Whether a domain found by reverse DNS identifies the account better than `signal`."""
    return signal in (None, WEAKEST)


RENAMED_FIELDS = ("name", "domain")
"""What a user's rename sets, which enrichment then leaves alone."""

REVERSE_DNS_PROVIDER = "rdns"
"""The enrichment provider whose domain is reverse DNS's (`enrich.providers.rdns`)."""


def note_provenance(account: Any, provider: str, domain: str | None) -> None:
    """Raise `account` (an `Account`) to `reverse_dns` when that provider found
    its domain and nothing better had identified it."""
    if provider == REVERSE_DNS_PROVIDER and domain and raised_by_reverse_dns(account.identified_by):
        account.identified_by = REVERSE_DNS
        account.confidence = SIGNAL_CONFIDENCE[REVERSE_DNS]
