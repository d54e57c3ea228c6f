"""The demo tenant of `vigie demo`: an organisation, its admin and a site."""

from __future__ import annotations

from sqlalchemy.orm import Session

from server.security import hash_password
from server.storage.tenancy import create_organisation, create_site, create_user, find_organisation

DEMO_ORGANISATION = "Demo"
DEMO_ADMIN = "demo@vigie.example"
DEMO_DOMAIN = "demo.vigie.example"


def ensure_demo_tenant(session: Session, password: str) -> str:
    """Create the demo organisation, admin and site if missing; return the site key.

    The admin's password is set to `password` on every run, so the login that
    `vigie demo` prints always works.
    """
    organisation = find_organisation(session, DEMO_ORGANISATION)
    if organisation is None:
        organisation = create_organisation(session, DEMO_ORGANISATION)
        create_user(session, organisation, DEMO_ADMIN, password, role="admin")
    else:
        for user in organisation.users:
            if user.email == DEMO_ADMIN:
                user.password_hash = hash_password(password)
    site = organisation.sites[0] if organisation.sites else None
    if site is None:
        site = create_site(session, organisation, "Demo site", [DEMO_DOMAIN])
    return site.public_key
