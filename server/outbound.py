"""This app's guarded HTTP client: `enrich.outbound` with the operator's exceptions.

Every outgoing request (webhooks, enrichment providers, IP database downloads)
takes its session from here, so the rules of `enrich.outbound` apply to all
of them, with `VIGIE_OUTBOUND_ALLOW` as the only way around them.
"""

from __future__ import annotations

from typing import Any

from flask import Flask, current_app

from enrich.outbound import DEFAULT_TIMEOUT, GuardedSession, OutboundPolicy


def outbound_policy(app: Flask | None = None) -> OutboundPolicy:
    """The exceptions `VIGIE_OUTBOUND_ALLOW` grants (checked when the app was made)."""
    return OutboundPolicy.parse((app or current_app).config["OUTBOUND_ALLOW"])


def outbound_session(app: Flask | None = None, timeout: float = DEFAULT_TIMEOUT) -> GuardedSession:
    """A new guarded session for `app` (default: the current app); close it after use."""
    return GuardedSession(outbound_policy(app), timeout=timeout)


def allowed_entries(value: Any) -> list[str]:
    """The entries of an allow setting: a list, or one comma-separated string.

    :raise ValueError: naming an entry that is not a CIDR, address or host name.
    """
    items = value if isinstance(value, list | tuple) else str(value or "").split(",")
    entries = [str(item).strip() for item in items if str(item).strip()]
    OutboundPolicy.parse(entries)
    return entries
