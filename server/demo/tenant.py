"""The demo tenant of `vigie demo`: an organisation, its admin and its own
site, and whether its dataset is already built.

The demo's site is the one whose public key the organisation's settings hold,
whatever other sites users add to the organisation (one sorting first must not
take its place); a site of an older demo is recognised by the demo's domain.

The admin's password is set when the admin is created, and after that only when
asked (`vigie demo --reset` or `--new-password`): a second `vigie demo` must
not lock out whoever signed in with the login the first one printed.

The dataset is marked built in the organisation's settings at the end of a
successful build, in the build's last transaction: a build that stopped half
way is not marked, and the next run wipes what it left and starts again.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
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
from server.storage.tenancy import (
    SiteSettings,
    create_organisation,
    create_site,
    create_user,
    find_organisation,
)

DEMO_ORGANISATION = "Demo"
DEMO_ADMIN = "demo@vigie.example"
DEMO_DOMAIN = "demo.vigie.example"
DEMO_SITE_NAME = "Demo site"

DATASET_VERSION = 1
"""Bumped when the generated dataset changes shape; an older one is rebuilt."""

MARKER = "demo_dataset"
"""Key of the organisation's settings that says the dataset is built."""

SITE_SETTING = "demo_site"
"""Key of the organisation's settings that holds the public key of the demo's site."""

PASSWORD_BYTES = 12
"""Random bytes of a password the demo sets (16 URL-safe characters)."""


@dataclass(frozen=True)
class DemoTenant:
    """The demo's site, and the admin's password when this run set one."""

    site: Site
    password: str | None = None  # None: the admin's password was left as it was


def new_password() -> str:
    """A random password for the demo admin."""
    return secrets.token_urlsafe(PASSWORD_BYTES)


def ensure_demo_tenant(session: Session, password: str | None = None) -> DemoTenant:
    """Create the demo organisation, admin and site if missing; return the
    demo's site and the admin's password if this call set one.

    The admin's password becomes `password` when one is given. Without one, an
    existing admin keeps theirs and a missing admin gets a new random one.

    :raise InvalidInput: when the demo's site must be created but another site
        of the organisation has its name.
    """
    organisation = find_organisation(session, DEMO_ORGANISATION)
    if organisation is None:
        organisation = create_organisation(session, DEMO_ORGANISATION)
    admin = demo_admin(session, organisation.id)
    if admin is None:
        password = password or new_password()
        create_user(session, organisation, DEMO_ADMIN, password, role="admin")
    elif password is not None:
        admin.password_hash = hash_password(password)
    return DemoTenant(ensure_demo_site(session, organisation), password)


def ensure_demo_site(session: Session, organisation: Organisation) -> Site:
    """The demo's own site of `organisation`, created (and remembered) if missing."""
    key = (organisation.settings or {}).get(SITE_SETTING)
    site = next((s for s in organisation.sites if key and s.public_key == key), None)
    if site is None:
        # A demo built before the key was remembered: its site tracks the demo's domain.
        site = next((s for s in organisation.sites if DEMO_DOMAIN in s.domains), None)
    if site is None:
        site = create_site(session, organisation, SiteSettings(DEMO_SITE_NAME, [DEMO_DOMAIN]))
    if key != site.public_key:
        organisation.settings = {**(organisation.settings or {}), SITE_SETTING: site.public_key}
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


def wipe_demo_data(session: Session, site: Site) -> None:
    """Delete the demo site's events, visits and counts, and the organisation's
    accounts (with their feedback) that no other site of it has seen.

    The organisation, its users and its sites stay, so the site key and the
    snippet do not change, and neither do other sites' events. Deleting
    accounts cascades to their snapshots, contacts, enrichment states and
    outcomes.
    """
    organisation = site.organisation
    session.execute(delete(Event).where(Event.site_id == site.id))
    session.execute(delete(Visit).where(Visit.site_id == site.id))
    session.execute(delete(TrafficCount).where(TrafficCount.site_id == site.id))
    seen_elsewhere = (
        select(Event.account_id)
        .join(Site, Site.id == Event.site_id)
        .where(Site.org_id == organisation.id, Event.account_id.is_not(None))
    )
    demo_only = select(Account.id).where(
        Account.org_id == organisation.id, Account.id.not_in(seen_elsewhere)
    )
    session.execute(delete(Outcome).where(Outcome.account_id.in_(demo_only)))
    session.execute(delete(Account).where(Account.id.in_(demo_only)))
    settings = dict(organisation.settings or {})
    settings.pop(MARKER, None)
    organisation.settings = settings
    session.flush()
