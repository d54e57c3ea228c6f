"""Which site a beacon belongs to, and whether its page may speak for it.

Sites are read from the database once and kept for `SITE_CACHE_SECONDS`, so
the hot path does no query for them. Each site carries its organisation's
network corrections, compiled once per refresh into a table the resolver
looks up in a few dict accesses. A host is within a site when it equals
one of its domains or is a sub-domain of one.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from enrich.classify import NetworkList, parse_entries
from enrich.corrections import CorrectionTable
from server.collect.urls import UrlError, read_url
from server.corrections.store import correction_tables
from server.storage.models import Site

SITE_CACHE_SECONDS = 30.0
"""How long a site's settings are trusted before being read again."""


@dataclass(frozen=True)
class SiteInfo:
    """The settings of a site the collector needs, detached from any session."""

    id: int
    org_id: int
    key: str
    domains: tuple[str, ...]
    query_allowlist: frozenset[str]
    count_education: bool
    count_government: bool
    networks: NetworkList | None = None  # operators this site adds to the shipped list
    corrections: CorrectionTable | None = None  # its organisation's, applied first

    def owns_host(self, host: str | None) -> bool:
        return host_within(host, self.domains)

    def owns_url(self, url: str | None) -> bool:
        """Whether `url` is a page (or origin) of this site, its host read as a
        browser reads it: a URL Python and browsers would read otherwise
        (`server.collect.urls`) belongs to no site."""
        if not url:
            return False
        try:
            return self.owns_host(read_url(url).host)
        except UrlError:
            return False


def host_within(host: str | None, domains: Iterable[str]) -> bool:
    if not host:
        return False
    host = host.lower().rstrip(".")
    return any(host == domain or host.endswith("." + domain) for domain in domains)


class SiteCache:
    """Sites by public key, refreshed every `SITE_CACHE_SECONDS`."""

    def __init__(
        self, open_session: Callable[[], Session], ttl: float = SITE_CACHE_SECONDS
    ) -> None:
        self.open_session = open_session
        self.ttl = ttl
        self._sites: dict[str, SiteInfo] = {}
        self._loaded_at = -ttl
        self._lock = threading.Lock()

    def get(self, key: str) -> SiteInfo | None:
        sites = self._current()
        site = sites.get(key)
        if site is None and key and time.monotonic() - self._loaded_at > 1.0:
            site = self._reload().get(key)  # a site added a moment ago
        return site

    def expire(self) -> None:
        """Read the sites again on the next lookup (a site was just edited or deleted)."""
        self._loaded_at = float("-inf")

    def any_owns_origin(self, origin: str | None) -> bool:
        """Whether some site accepts events from `origin` (CORS preflight has no body)."""
        try:
            host = read_url(origin or "").host
        except UrlError:
            return False
        return any(site.owns_host(host) for site in self._current().values())

    def _current(self) -> dict[str, SiteInfo]:
        if time.monotonic() - self._loaded_at > self.ttl:
            return self._reload()
        return self._sites

    def _reload(self) -> dict[str, SiteInfo]:
        with self._lock:
            session = self.open_session()
            try:
                rows = session.scalars(select(Site)).all()
                tables = correction_tables(session)
                self._sites = {row.public_key: _info(row, tables.get(row.org_id)) for row in rows}
            finally:
                session.close()
            self._loaded_at = time.monotonic()
            return self._sites


def _info(site: Site, corrections: CorrectionTable | None = None) -> SiteInfo:
    return SiteInfo(
        id=site.id,
        org_id=site.org_id,
        key=site.public_key,
        domains=tuple(site.domains),
        query_allowlist=frozenset(site.query_allowlist),
        count_education=site.count_education,
        count_government=site.count_government,
        networks=NetworkList.of(parse_entries(site.extra_networks))
        if site.extra_networks
        else None,
        corrections=corrections,
    )
