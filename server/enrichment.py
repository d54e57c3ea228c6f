"""Account enrichment: run an organisation's providers, keep what they say.

Providers are chosen per organisation in `organisations.settings["enrichment"]`:

    {"providers": [
        {"type": "file", "path": "/srv/vigie/firmographics.csv"},
        {"type": "http", "url": "https://api.example.com/v1/companies/{domain}",
         "api_key": "…", "api_key_header": "X-Api-Key",
         "fields": {"name": "name", "employees": "metrics.employees"}},
        {"type": "rdns", "timeout": 2}
    ]}

Providers listed first win when two give the same field. A provider's failure
is recorded in `enrichments` with its message; the account keeps its data.
HTTP providers call out through the guarded session they are handed
(`server/outbound.py`).
URLs an answer carries that are not http(s) links are dropped before anything
is kept (`enrich.links`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict
from datetime import datetime, timedelta
from typing import Any

import requests
from sqlalchemy import delete, exists, select
from sqlalchemy.orm import Session

from enrich.contacts import decision_makers
from enrich.links import with_web_links
from enrich.providers import FIRMOGRAPHIC_FIELDS, Firmographics, Provider, ProviderError, Query
from enrich.providers.http import HttpJsonProvider, HttpProviderConfig
from enrich.providers.localfile import LocalFileProvider
from enrich.providers.rdns import ReverseDnsProvider
from server.corrections.provenance import RENAMED_FIELDS, note_provenance
from server.hooks import accounts_touched
from server.storage.models import Account, Contact, Enrichment, Organisation

STALE_AFTER = timedelta(days=30)
"""Accounts not enriched successfully for this long are enriched again."""

REFRESH_BATCH = 1_000
"""Accounts queued for a refresh per run of the periodic job."""

CONFIG_PROVIDER = "config"
"""Name under which a broken provider configuration is recorded."""


def provider_entries(settings: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """The provider entries an organisation's settings declare (maybe none)."""
    return list((settings.get("enrichment") or {}).get("providers") or [])


def build_providers(
    settings: Mapping[str, Any], http: requests.Session | None = None
) -> list[Provider]:
    """The providers an organisation's settings declare, in order; HTTP ones
    call out through `http` (default: a guarded session allowing no exception).

    :raise ProviderError: (not retryable) naming the entry and setting at fault.
    """
    entries = provider_entries(settings)
    providers: list[Provider] = []
    for index, entry in enumerate(entries):
        where = f"enrichment.providers[{index}]"
        options = {key: value for key, value in entry.items() if key != "type"}
        try:
            providers.append(_provider(entry.get("type"), options, http))
        except (TypeError, ValueError) as error:
            raise ProviderError(CONFIG_PROVIDER, f"{where}: {error}", retryable=False) from None
    return providers


def _provider(kind: Any, options: dict[str, Any], http: requests.Session | None) -> Provider:
    if kind == "file":
        return LocalFileProvider(options["path"])
    if kind == "http":
        return HttpJsonProvider(HttpProviderConfig(**options), http)
    if kind == "rdns":
        return ReverseDnsProvider(**options)
    raise ValueError(f"type: {kind!r} is not one of file, http, rdns")


def enrich(
    session: Session,
    account: Account,
    providers: Sequence[Provider],
    now: datetime,
    roles: Sequence[str] = (),
) -> list[ProviderError]:
    """Ask every provider about `account`, record each answer, merge what was found,
    and keep the contacts whose title matches one of `roles`.

    Returns the errors met; the account's data is changed only by answers.
    """
    query = Query(domain=account.domain, name=account.name, network=account.network)
    found: list[Firmographics] = []
    errors: list[ProviderError] = []
    for provider in providers:
        state = enrichment_state(session, account.id, provider.name)
        state.attempts += 1
        state.last_attempt_at = now
        try:
            answer = provider.lookup(query)
        except ProviderError as error:
            state.status, state.last_error = "error", str(error)
            errors.append(error)
            continue
        if answer:  # a provider's links are shown on the dashboard: http(s) only
            answer = with_web_links(answer)
        state.status = "ok" if answer else "not_found"
        state.last_error = None
        state.last_success_at = now
        state.data = answer.as_dict() if answer else {}
        if answer:
            found.append(answer)
            note_provenance(account, provider.name, answer.domain)
            keep_decision_makers(session, account.id, provider.name, answer, roles, now)
    if merge(account, reversed(found)):
        accounts_touched([account.id])  # new firmographics may change the fit score
    return errors


def keep_decision_makers(
    session: Session,
    account_id: int,
    provider: str,
    answer: Firmographics,
    roles: Sequence[str],
    now: datetime,
) -> None:
    """Replace the provider's contacts of the account with those matching `roles`."""
    session.execute(
        delete(Contact).where(Contact.account_id == account_id, Contact.provider == provider)
    )
    for person in decision_makers(answer.contacts, roles):
        session.add(
            Contact(account_id=account_id, provider=provider, found_at=now, **asdict(person))
        )


def record_failure(session: Session, account_id: int, error: ProviderError, now: datetime) -> None:
    state = enrichment_state(session, account_id, error.provider)
    state.status, state.last_error = "error", str(error)
    state.attempts += 1
    state.last_attempt_at = now


def enrichment_state(session: Session, account_id: int, provider: str) -> Enrichment:
    state = session.get(Enrichment, (account_id, provider))
    if state is None:
        state = Enrichment(account_id=account_id, provider=provider, attempts=0, data={})
        session.add(state)
    return state


def merge(account: Account, answers: Iterable[Firmographics]) -> bool:
    """Copy non-empty fields onto `account`, later answers over earlier ones.

    Returns True if anything changed.
    """
    changed = False
    chosen = RENAMED_FIELDS if account.renamed_at else ()  # a user's rename stays
    for answer in answers:
        values = answer.as_dict()
        for name in FIRMOGRAPHIC_FIELDS:
            value = values.get(name)
            if name in chosen:
                continue
            if value is not None and getattr(account, name) != value:
                setattr(account, name, value)
                changed = True
        extra = {k: v for k, v in values.items() if k not in FIRMOGRAPHIC_FIELDS}
        if extra and {**account.firmographics, **extra} != account.firmographics:
            account.firmographics = {**account.firmographics, **extra}
            changed = True
    return changed


def organisation_settings(session: Session, org_id: int) -> Mapping[str, Any]:
    organisation = session.get(Organisation, org_id)
    return organisation.settings if organisation else {}


def stale_account_ids(session: Session, now: datetime, limit: int = REFRESH_BATCH) -> list[int]:
    """Accounts with no successful enrichment since `STALE_AFTER` ago, oldest first."""
    fresh = exists().where(
        Enrichment.account_id == Account.id, Enrichment.last_success_at >= now - STALE_AFTER
    )
    query = select(Account.id).where(~fresh).order_by(Account.id).limit(limit)
    return list(session.scalars(query))
