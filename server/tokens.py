"""An organisation's API tokens: listing, creating and revoking them.

A token is shown once when created; only its SHA-256 and first characters
(to recognise it in a list) are kept. A revoked token stays listed, marked.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from server.audit import Actor, record
from server.storage.models import ApiToken, User
from server.storage.tenancy import create_api_token
from server.storage.types import utcnow
from server.validation import normalise_name


def list_tokens(session: Session, org_id: int) -> Sequence[tuple[ApiToken, str | None]]:
    """The organisation's tokens, newest first, each with its creator's e-mail (or None)."""
    rows = session.execute(
        select(ApiToken, User.email)
        .outerjoin(User, User.id == ApiToken.user_id)
        .where(ApiToken.org_id == org_id)
        .order_by(ApiToken.created_at.desc(), ApiToken.id.desc())
    ).all()
    return [(token, email) for token, email in rows]


def create_token(session: Session, org_id: int, actor: Actor, name: str) -> str:
    """Create a token named `name` for `actor`.

    :returns: the token itself, to show once.
    :raise InvalidInput: for an empty or too long name.
    """
    label = normalise_name(name)
    token = create_api_token(session, org_id, label, user_id=actor.user_id)
    record(session, org_id, actor, "token.created", label, prefix=token[:12])
    return token


def revoke_token(session: Session, org_id: int, actor: Actor, token_id: int) -> ApiToken | None:
    """Revoke the organisation's token `token_id` (at once: the API refuses it next).

    :returns: the token, or None if the organisation has no such token.
    """
    token = session.scalar(
        select(ApiToken).where(ApiToken.id == token_id, ApiToken.org_id == org_id)
    )
    if token is None:
        return None
    if token.revoked_at is None:
        token.revoked_at = utcnow()
        record(session, org_id, actor, "token.revoked", token.name, prefix=token.prefix)
        session.flush()
    return token
