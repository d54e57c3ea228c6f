"""An organisation's team: adding users, changing roles, disabling, resetting passwords.

Every change is written with its audit entry in the caller's transaction, and
none may leave the organisation without an active admin. Passwords an admin
hands out are one-time passwords: random, shown to the admin once, and the
user must choose their own at their next sign-in (`User.must_change_password`).
Vigie sends no e-mail: the admin passes the password on.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from server.audit import Actor, record
from server.security import hash_password
from server.storage.models import Organisation, User
from server.storage.tenancy import ROLES, create_user
from server.storage.types import utcnow
from server.validation import InvalidInput, normalise_email

ONE_TIME_PASSWORD_BYTES = 12
"""Random bytes in a generated one-time password (16 URL-safe characters)."""


def one_time_password() -> str:
    """A random password for an admin to pass on (96 random bits: no policy check needed)."""
    return secrets.token_urlsafe(ONE_TIME_PASSWORD_BYTES)


def team(session: Session, org_id: int) -> Sequence[User]:
    """The organisation's users: active ones first, then by e-mail."""
    return session.scalars(
        select(User).where(User.org_id == org_id).order_by(User.disabled, User.email)
    ).all()


def get_member(session: Session, org_id: int, user_id: int) -> User | None:
    """The user `user_id` of the organisation; None for another organisation's."""
    return session.scalar(select(User).where(User.id == user_id, User.org_id == org_id))


def add_user(
    session: Session, org_id: int, actor: Actor, email: str, role: str
) -> tuple[User, str]:
    """Add a user with a one-time password.

    :returns: the user and the password, to show once.
    :raise InvalidInput: for a bad or taken e-mail or an unknown role.
    """
    address = normalise_email(email)
    organisation = session.get(Organisation, org_id)
    assert organisation is not None  # the acting user's own organisation
    password = one_time_password()
    user = create_user(session, organisation, address, password, role=role)
    user.must_change_password = True
    record(session, org_id, actor, "user.added", user.email, role=role)
    return user, password


def change_role(session: Session, org_id: int, actor: Actor, user: User, role: str) -> bool:
    """Give `user` `role`; False when it already was theirs.

    :raise InvalidInput: for an unknown role, or demoting the last active admin.
    """
    if role not in ROLES:
        raise InvalidInput("role", f"{role!r} is not one of {', '.join(ROLES)}")
    if role == user.role:
        return False
    _keep_an_admin(session, org_id, user)
    record(session, org_id, actor, "user.role_changed", user.email, old=user.role, new=role)
    user.role = role
    session.flush()
    return True


def set_disabled(session: Session, org_id: int, actor: Actor, user: User, disabled: bool) -> bool:
    """Disable (their session ends, they cannot sign in) or enable `user`;
    False when nothing changed.

    :raise InvalidInput: for disabling the last active admin.
    """
    if user.disabled == disabled:
        return False
    if disabled:
        _keep_an_admin(session, org_id, user)
    user.disabled = disabled
    user.disabled_at = utcnow() if disabled else None
    record(session, org_id, actor, "user.disabled" if disabled else "user.enabled", user.email)
    session.flush()
    return True


def reset_password(session: Session, org_id: int, actor: Actor, user: User) -> str:
    """Give `user` a new one-time password; the old one stops working.

    :returns: the password, to show once.
    """
    password = one_time_password()
    user.password_hash = hash_password(password)
    user.must_change_password = True
    record(session, org_id, actor, "user.password_reset", user.email)
    session.flush()
    return password


def _keep_an_admin(session: Session, org_id: int, user: User) -> None:
    """Refuse to take `user` out of the active admins if they are the last one.

    The organisation row is locked first (PostgreSQL), so two admins demoting
    each other at the same moment cannot both succeed; SQLite writers are
    already one at a time.
    :raise InvalidInput: naming the role field.
    """
    if user.role != "admin" or user.disabled:
        return
    session.execute(select(Organisation.id).where(Organisation.id == org_id).with_for_update())
    others = session.scalar(
        select(func.count()).where(
            User.org_id == org_id,
            User.role == "admin",
            User.disabled.is_(False),
            User.id != user.id,
        )
    )
    if not others:
        raise InvalidInput(
            "role", "the organisation needs an active admin: make someone else admin first"
        )
