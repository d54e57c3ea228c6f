"""The collector's steps, from a checked beacon to a record for the sink.

    beacon → clean → bot filter → resolve → classify → anonymise → record

Cleaning comes first, for every beacon: a field that cannot be stored even
cleaned (a control character once percent-decoded) raises `BeaconError`
whoever sent it, so the answer never tells which traffic would have been kept.

The client address `ip` is a local of `process()`: it reaches the resolver and
the visitor hash, and nothing that leaves this function holds it. Traffic
that does not become an account (bots, homes, phones, data centres) leaves as
a `TrafficCountDelta` with its reason (a bot's category, a data centre's
provider: `count_reasons`), without a page or a visitor id.
"""

from __future__ import annotations

import ipaddress
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import cast

from sqlalchemy.orm import Session

from enrich.connection import ConnectionClass
from enrich.identity import registrable_domain
from enrich.resolver import Resolution, Resolver
from server.collect.agents import AgentClassifier
from server.collect.anonymise import (
    clean_page_url,
    clean_props,
    clean_referrer,
    clean_title,
    visitor_hash,
)
from server.collect.beacon import Beacon
from server.collect.count_reasons import LISTED, bot_category, network_reason
from server.collect.sites import SiteInfo
from server.records import CollectedEvent, CompanyFacts, Record, TrafficCountDelta, new_id
from server.storage import begin_write
from server.storage.salts import salt_for

COMPANY_NETWORK_PREFIX = {4: 24, 6: 48}
"""Prefix kept of a company's network for reverse DNS (never the address itself)."""


class SaltCache:
    """Today's salt, read (or created) once a day per process."""

    def __init__(self, open_session: Callable[[], Session]) -> None:
        self.open_session = open_session
        self._salts: dict[date, bytes] = {}
        self._lock = threading.Lock()

    def salt(self, day: date) -> bytes:
        salt = self._salts.get(day)
        if salt is None:
            with self._lock:
                session = begin_write(self.open_session())
                try:
                    salt = salt_for(session, day)
                    session.commit()
                finally:
                    session.close()
                self._salts = {day: salt}
        return salt


@dataclass
class Collector:
    """The steps a beacon goes through (`process`): user-agent classifier,
    resolver and salts, the tools they need, built once per app."""

    agents: AgentClassifier
    resolver: Resolver
    salts: SaltCache

    def warm_up(self) -> None:
        """Build what the first beacon would otherwise build while its client
        waits: the user-agent parser's compiled expressions (about two seconds
        of CPU) and the public-suffix trie. A serving process calls it before
        it takes requests."""
        self.agents.warm_up()
        registrable_domain("www.example.com")

    def process(
        self, beacon: Beacon, site: SiteInfo, ip: str, user_agent: str, now: datetime
    ) -> Record:
        """The record to store for this beacon: an event, or a count of what it was.

        :raise BeaconError: for a field no column can hold, even cleaned.
        """
        page = clean_page_url(beacon.url, site.query_allowlist)
        referrer_host, referrer_path = clean_referrer(beacon.referrer)
        agent = self.agents.classify(user_agent)
        if agent.bot:
            return self._count(site, now, "bot", bot_category(agent.bot))
        resolution = self.resolver.resolve(ip, site.corrections)
        if not counts_as_account(resolution, site):
            return self._count(site, now, resolution.connection.value, network_reason(resolution))
        operator = site_operator(resolution, site)
        if operator is not None:
            return self._count(site, now, operator.value, LISTED)
        visitor = self.visitor(site, ip, user_agent, now)
        return CollectedEvent(
            event_id=new_id(),
            site_id=site.id,
            org_id=site.org_id,
            occurred_at=now,
            type=beacon.type,
            name=beacon.name,
            path=page.path,
            title=clean_title(beacon.title),
            referrer_host=referrer_host,
            referrer_path=referrer_path,
            utm=dict(page.utm),
            props=clean_props(beacon.props),
            engaged_ms=cast(int | None, beacon.engaged_ms),  # fractions were refused
            visitor_hash=visitor,
            country=resolution.country,
            connection_class=resolution.connection.value,
            device_class=agent.device_class,
            browser_family=agent.browser_family,
            company=company_facts(resolution, ip),
        )

    def visitor(self, site: SiteInfo, ip: str, user_agent: str, now: datetime) -> str:
        """The anonymous id of the visitor on the day of `now`."""
        return visitor_hash(self.salts.salt(now.date()), site.key, ip, user_agent)

    def _count(self, site: SiteInfo, now: datetime, kind: str, reason: str) -> TrafficCountDelta:
        """A count of one beacon of `kind` for `reason` (`count_reasons`): all
        that is kept of it, nothing of the visitor."""
        return TrafficCountDelta(site_id=site.id, day=now.date(), kind=kind, reason=reason)


def counts_as_account(resolution: Resolution, site: SiteInfo) -> bool:
    """Business visits count; education and government ones if the site says so."""
    if resolution.company is None:
        return False
    connection = resolution.connection
    return (
        connection is ConnectionClass.BUSINESS
        or (connection is ConnectionClass.EDUCATION and site.count_education)
        or (connection is ConnectionClass.GOVERNMENT and site.count_government)
    )


def site_operator(resolution: Resolution, site: SiteInfo) -> ConnectionClass | None:
    """The class of an operator the site listed itself (`sites.extra_networks`), if any."""
    if site.networks is None:
        return None
    names = (
        resolution.asn_organisation,
        resolution.isp,
        resolution.company.name if resolution.company is not None else None,
    )
    entry = site.networks.find(resolution.asn, names)
    return entry.connection if entry else None


def company_facts(resolution: Resolution, ip: str) -> CompanyFacts | None:
    company = resolution.company
    if company is None:
        return None
    address = ipaddress.ip_address(ip.strip())
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        address = address.ipv4_mapped
    prefix = COMPANY_NETWORK_PREFIX[address.version]
    host_bits = address.max_prefixlen - prefix
    network = f"{type(address)(int(address) >> host_bits << host_bits)}/{prefix}"
    return CompanyFacts(
        key=company.key,
        name=company.name,
        domain=company.domain,
        industry=company.industry,
        employees=company.employees,
        country=company.country or resolution.country,
        city=resolution.city,
        network=network,
        source=resolution.company_source,
        asn=resolution.asn,
        network_organisation=resolution.network_organisation,
    )
