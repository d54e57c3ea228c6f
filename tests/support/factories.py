"""Factories for the rows tests start from, instead of seed dumps."""

from __future__ import annotations

from typing import Any

from flask import Flask

from server.storage import session_scope
from server.storage.models import Organisation, Site


def make_site(
    app: Flask,
    key: str = "sitekey",
    domains: tuple[str, ...] = ("shop.example",),
    settings: dict[str, Any] | None = None,
    organisation: str = "Org",
    **site_fields: Any,
) -> tuple[int, int]:
    """An organisation (with `settings`) and one site of it; returns their ids."""
    with app.app_context(), session_scope() as session:
        org = Organisation(name=organisation, settings=settings or {})
        session.add(org)
        session.flush()
        site = Site(org_id=org.id, name=key, public_key=key, domains=list(domains), **site_fields)
        session.add(site)
        session.flush()
        return org.id, site.id
