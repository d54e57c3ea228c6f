"""Organisations, their users, API tokens and sites: lookups, creation and edits.

Lookups of an organisation's rows take the organisation first. Creation and
edits check what a user could get wrong (a name or e-mail already taken, a domain already
tracked) and raises `InvalidInput` naming the field.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from server.security import hash_password, new_api_token, new_site_key
from server.storage.models import ApiToken, Organisation, Site, User
from server.validation import InvalidInput

ROLES = ("admin", "member")
"""Admins manage sites, users and the scoring model; members use the dashboard."""


def find_organisation(session: Session, name: str) -> Organisation | None:
    """The organisation called `name` (case-insensitive), if any."""
    return session.scalar(
        select(Organisation).where(func.lower(Organisation.name) == name.strip().lower())
    )


def get_organisation(session: Session, name: str, field: str = "org") -> Organisation:
    """The organisation called `name`.

    :raise InvalidInput: when there is none, listing the ones that exist.
    """
    organisation = find_organisation(session, name)
    if organisation is None:
        known = session.scalars(select(Organisation.name).order_by(Organisation.name)).all()
        hint = f" (known: {', '.join(known)})" if known else " (create one with `vigie init`)"
        raise InvalidInput(field, f"no organisation named {name!r}{hint}")
    return organisation


def create_organisation(session: Session, name: str) -> Organisation:
    if find_organisation(session, name) is not None:
        raise InvalidInput("org", f"an organisation named {name!r} already exists")
    organisation = Organisation(name=name)
    session.add(organisation)
    session.flush()
    return organisation


def find_user(session: Session, email: str) -> User | None:
    """The user with this e-mail, in any case (e-mails are stored in lower case)."""
    return session.scalar(select(User).where(User.email == normal_email(email)))


def normal_email(email: str) -> str:
    return email.strip().lower()


def create_user(
    session: Session, organisation: Organisation, email: str, password: str, role: str = "member"
) -> User:
    """Add a user; e-mails are unique across organisations.

    :raise InvalidInput: for an unknown role or an e-mail already in use.
    """
    if role not in ROLES:
        raise InvalidInput("role", f"{role!r} is not one of {', '.join(ROLES)}")
    existing = find_user(session, email)
    if existing is not None:
        where = "this" if existing.org_id == organisation.id else "another"
        raise InvalidInput("email", f"{email} is already a user of {where} organisation")
    user = User(
        org_id=organisation.id,
        email=normal_email(email),
        password_hash=hash_password(password),
        role=role,
    )
    session.add(user)
    session.flush()
    return user


def list_users(session: Session, org_id: int) -> Sequence[User]:
    return session.scalars(select(User).where(User.org_id == org_id).order_by(User.email)).all()


def create_api_token(session: Session, org_id: int, name: str, user_id: int | None = None) -> str:
    """Store a new token's hash and return the token itself, shown only once."""
    token, token_hash = new_api_token()
    session.add(
        ApiToken(
            org_id=org_id, user_id=user_id, name=name, token_hash=token_hash, prefix=token[:12]
        )
    )
    session.flush()
    return token


@dataclass(frozen=True)
class SiteSettings:
    """What an admin chooses for a site: the same fields whether it is added or edited.

    Domains and query parameters keep their first order, without repeats.
    """

    name: str
    domains: Sequence[str]
    query_allowlist: Sequence[str] = ()
    """Query parameters kept in a stored page URL; the others are cut off."""
    count_education: bool = False
    """Whether visits from education networks count as accounts, as business ones do."""
    count_government: bool = False
    """Whether visits from government networks count as accounts, as business ones do."""

    def __post_init__(self) -> None:
        # Frozen: the cleaned tuples replace what was given, once, here.
        object.__setattr__(self, "domains", tuple(dict.fromkeys(self.domains)))
        object.__setattr__(self, "query_allowlist", tuple(dict.fromkeys(self.query_allowlist)))


def create_site(session: Session, organisation: Organisation, settings: SiteSettings) -> Site:
    """Add a tracked site with a fresh public key.

    :raise InvalidInput: for no domain, a name taken in the organisation, or a
        domain another site of the organisation already tracks.
    """
    check_site(organisation, settings.name, settings.domains)
    site = Site(public_key=new_site_key())
    write_settings(site, settings)
    organisation.sites.append(site)
    session.flush()
    return site


def update_site(session: Session, site: Site, settings: SiteSettings) -> Site:
    """Change a site's settings; its key (and so its snippet) stays.

    :raise InvalidInput: under the same rules as `create_site`, the site itself aside.
    """
    check_site(site.organisation, settings.name, settings.domains, editing=site)
    write_settings(site, settings)
    session.flush()
    return site


def write_settings(site: Site, settings: SiteSettings) -> None:
    """Copy `settings` onto `site`'s columns (already checked by `check_site`)."""
    site.name = settings.name
    site.domains = list(settings.domains)
    site.query_allowlist = list(settings.query_allowlist)
    site.count_education = settings.count_education
    site.count_government = settings.count_government


def check_site(
    organisation: Organisation,
    name: str,
    domains: Sequence[str],
    editing: Site | None = None,
) -> None:
    """Whether a site of `organisation` may have this name and these domains.

    :raise InvalidInput: for no domain, a domain another site of the
        organisation already tracks, or a name another site has.
    """
    if not domains:
        raise InvalidInput("domain", "give at least one domain")
    others = [site for site in organisation.sites if site is not editing]
    for site in others:
        clash = sorted(set(site.domains) & set(domains))
        if clash:
            raise InvalidInput(
                "domain",
                f"{clash[0]} is already tracked by site {site.name!r} (key {site.public_key})",
            )
    if name.lower() in {site.name.lower() for site in others}:
        raise InvalidInput("name", f"the organisation already has a site named {name!r}")


def get_site(session: Session, org_id: int, site_id: int) -> Site | None:
    """The site `site_id` of the organisation; None for another organisation's."""
    return session.scalar(select(Site).where(Site.id == site_id, Site.org_id == org_id))


def list_sites(session: Session, org_id: int) -> Sequence[Site]:
    return session.scalars(select(Site).where(Site.org_id == org_id).order_by(Site.name)).all()


def count_sites(session: Session, org_id: int) -> int:
    """How many sites the organisation has."""
    return session.scalar(select(func.count()).where(Site.org_id == org_id)) or 0


def find_site_by_key(session: Session, public_key: str) -> Site | None:
    return session.scalar(select(Site).where(Site.public_key == public_key))
