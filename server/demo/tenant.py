"""The demo tenant of `vigie demo`: an organisation, its admin and a site, and
whether its dataset is already built.

The dataset is marked built in the organisation's settings at the end of a
successful build, in the build's last transaction: a build that stopped half
way is not marked, and the next run wipes what it left and starts again.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from server.security import hash_password
from server.storage.models import (
    Account,
    Event,
    Organisation,
    Outcome,
    Site,
    TrafficCount,
    User,
    Visit,
)
from server.storage.tenancy import create_organisation, create_site, create_user, find_organisation

DEMO_ORGANISATION = "Demo"
DEMO_ADMIN = "demo@vigie.example"
DEMO_DOMAIN = "demo.vigie.example"
DEMO_SITE_NAME = "Demo site"

DATASET_VERSION = 1
"""Bumped when the generated dataset changes shape; an older one is rebuilt."""

MARKER = "demo_dataset"
"""Key of the organisation's settings that says the dataset is built."""


def ensure_demo_tenant(session: Session, password: str) -> Site:
    """Create the demo organisation, admin and site if missing; return the site.

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
        site = create_site(session, organisation, DEMO_SITE_NAME, [DEMO_DOMAIN])
    return site


def demo_admin(session: Session, org_id: int) -> User | None:
    return session.scalar(select(User).where(User.org_id == org_id, User.email == DEMO_ADMIN))


def dataset_built(organisation: Organisation) -> bool:
    """Whether a complete dataset of the current version is stored."""
    marker = (organisation.settings or {}).get(MARKER) or {}
    return marker.get("version") == DATASET_VERSION


def mark_built(organisation: Organisation, now: datetime) -> None:
    organisation.settings = {
        **(organisation.settings or {}),
        MARKER: {"version": DATASET_VERSION, "built_at": now.isoformat(timespec="seconds")},
    }


def wipe_demo_data(session: Session, organisation: Organisation) -> None:
    """Delete the organisation's accounts, events, visits, counts and feedback.

    The organisation, its users and its site stay, so the site key and the
    snippet do not change. Deleting accounts cascades to their snapshots,
    contacts, enrichment states and outcomes.
    """
    site_ids = select(Site.id).where(Site.org_id == organisation.id).scalar_subquery()
    session.execute(delete(Event).where(Event.site_id.in_(site_ids)))
    session.execute(delete(Visit).where(Visit.site_id.in_(site_ids)))
    session.execute(delete(TrafficCount).where(TrafficCount.site_id.in_(site_ids)))
    session.execute(delete(Outcome).where(Outcome.org_id == organisation.id))
    session.execute(delete(Account).where(Account.org_id == organisation.id))
    settings = dict(organisation.settings or {})
    settings.pop(MARKER, None)
    organisation.settings = settings
    session.flush()
