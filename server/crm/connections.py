"""An organisation's connection to each CRM: settings, secrets, mapping, test.

Settings and the mapping are checked by building the connector before they
are stored, so a mistake is an `InvalidInput` naming the field. Secrets typed
again replace the stored ones; left empty, the stored ones stay. Every change
is written to the audit log with the names of what changed, never a value of
a secret.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import requests
from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import Session

from enrich.crm import CRM_NAMES, Connector, CrmError, Failure
from enrich.crm.http import RetryPolicy
from enrich.crm.mapping import (
    DEFAULT_MAPPINGS,
    DEFAULT_SETTINGS,
    SECRETS,
    SETTINGS,
    build_connector,
    parse_mapping,
)
from enrich.outbound import GuardedSession, OutboundPolicy
from server.audit import Actor, record
from server.crm.secrets import SecretUnreadable, hint, seal, unseal
from server.outbound import outbound_policy
from server.storage.models import CrmConnection
from server.storage.types import utcnow
from server.validation import InvalidInput

TEST_DOMAIN = "vigie-connection-test.invalid"
"""The domain a connection test asks the status of: no company has it."""

MAX_SETTING = 300
"""Longest plain setting (URLs, field names)."""

MAX_SECRET = 2_000
"""Longest secret (Salesforce session tokens run to a few hundred characters)."""


def check_crm(crm: str) -> str:
    """:raise InvalidInput: for a CRM Vigie has no connector for."""
    if crm not in CRM_NAMES:
        raise InvalidInput("crm", f"{crm!r} is not one of {', '.join(CRM_NAMES)}")
    return crm


def connections(session: Session, org_id: int) -> dict[str, CrmConnection]:
    """The organisation's connections by CRM name."""
    rows = session.scalars(select(CrmConnection).where(CrmConnection.org_id == org_id))
    return {row.crm: row for row in rows}


def enabled_connections(session: Session, org_id: int) -> list[CrmConnection]:
    return [row for row in connections(session, org_id).values() if row.enabled]


def configure(
    session: Session,
    org_id: int,
    crm: str,
    actor: Actor | str,
    settings: Mapping[str, str],
    secrets: Mapping[str, str],
    mapping_text: str | None = None,
    push_warm: bool | None = None,
    enabled: bool = True,
) -> CrmConnection:
    """Store the organisation's connection to `crm` (created on first use).

    :raise InvalidInput: naming the setting that cannot be used; nothing is stored.
    """
    check_crm(crm)
    row = connections(session, org_id).get(crm)
    plain = {name: _setting(name, settings.get(name)) for name in SETTINGS[crm]}
    try:
        stored_secrets = _stored_secrets(row)
    except SecretUnreadable:  # sealed under a former secret key: typed again below
        stored_secrets = {}
    typed = {name: (secrets.get(name) or "").strip() for name in SECRETS[crm]}
    for name, value in typed.items():
        if len(value) > MAX_SECRET or any(ord(char) < 32 for char in value):
            raise InvalidInput(name, "not a token")
    merged_secrets = {**stored_secrets, **{k: v for k, v in typed.items() if v}}
    try:
        mapping = parse_mapping(crm, mapping_text) if mapping_text is not None else None
        build_connector(crm, plain, merged_secrets, requests.Session())
    except ValueError as problem:
        field, _, reason = str(problem).partition(": ")
        raise InvalidInput(field, reason or str(problem)) from None
    if row is None:
        row = CrmConnection(org_id=org_id, crm=crm, mapping=dict(DEFAULT_MAPPINGS[crm]))
        session.add(row)
    changed = [name for name in plain if (row.settings or {}).get(name) != plain[name]]
    changed += [name for name, value in typed.items() if value]
    row.settings = plain
    if mapping is not None:
        changed += ["mapping"] if mapping != row.mapping else []
        row.mapping = mapping
    if push_warm is not None:
        changed += ["push_warm"] if push_warm != row.push_warm else []
        row.push_warm = push_warm
    changed += ["enabled"] if enabled != row.enabled else []
    row.enabled = enabled
    if any(typed.values()):
        row.secret = seal(current_app.config["SECRET_KEY"], merged_secrets)
        main_secret = next(v for v in typed.values() if v)
        row.secret_hint = hint(main_secret)
        row.last_check = row.last_check_ok = row.last_check_at = None
    session.flush()
    record(session, org_id, actor, "crm.configured", crm, changed=sorted(set(changed)))
    return row


def disconnect(session: Session, org_id: int, crm: str, actor: Actor | str) -> bool:
    """Forget the connection and its secrets (the sync log stays); False if there was none."""
    row = connections(session, org_id).get(check_crm(crm))
    if row is None:
        return False
    session.delete(row)
    record(session, org_id, actor, "crm.disconnected", crm)
    return True


def retry_policy() -> RetryPolicy:
    """Attempts and waits of the app's CRM calls (`VIGIE_CRM_MAX_RETRY_WAIT`)."""
    return RetryPolicy(attempts=4, backoff=1.0, max_wait=current_app.config["CRM_MAX_RETRY_WAIT"])


def connector_for(
    row: CrmConnection, http: requests.Session, policy: RetryPolicy | None = None
) -> Connector:
    """The connector of a stored connection, its secrets decrypted.

    :raise CrmError: when the stored settings no longer build one.
    """
    try:
        secrets = _stored_secrets(row)
        return build_connector(row.crm, row.settings or {}, secrets, http, policy or retry_policy())
    except (ValueError, SecretUnreadable) as problem:
        raise CrmError(Failure.SETTINGS, str(problem)) from None


def check_connection(row: CrmConnection, policy: OutboundPolicy | None = None) -> str:
    """Ask the CRM for a company's status with the stored settings and note the answer.

    :returns: "connected", or why not ("token refused (HTTP 401)"…).
    """
    try:
        with GuardedSession(policy or outbound_policy()) as http:
            connector_for(row, http, RetryPolicy(attempts=1)).read_status(TEST_DOMAIN)
    except CrmError as error:
        note_check(row, error.reason, ok=False)
        return error.reason
    note_check(row, "connected", ok=True)
    return "connected"


def note_check(row: CrmConnection, message: str, ok: bool) -> None:
    """Remember what the CRM last said of the connection (shown on the Integrations page)."""
    row.last_check, row.last_check_ok, row.last_check_at = message[:300], ok, utcnow()


def settings_with_defaults(crm: str, row: CrmConnection | None) -> dict[str, Any]:
    """The plain settings to show in a form: the stored ones, else the defaults."""
    stored = dict(row.settings or {}) if row is not None else {}
    return {name: stored.get(name) or DEFAULT_SETTINGS[crm].get(name, "") for name in SETTINGS[crm]}


def _stored_secrets(row: CrmConnection | None) -> dict[str, str]:
    if row is None:
        return {}
    return unseal(current_app.config["SECRET_KEY"], row.secret)


def _setting(name: str, value: str | None) -> str:
    text = (value or "").strip()
    if len(text) > MAX_SETTING or any(ord(char) < 32 for char in text):
        raise InvalidInput(name, f"at most {MAX_SETTING} characters, no control characters")
    if name.endswith("_url") and text and not text.startswith(("http://", "https://")):
        raise InvalidInput(name, f"{text!r} is not an http(s) URL")
    return text
