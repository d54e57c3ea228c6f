"""The audit log: every admin change, written beside the change it records.

`record` adds an `AuditEntry` to the caller's session without committing, so
the change and its entry land in the same transaction or not at all. Detail
values must be JSON-serialisable and never carry an IP address, a password or
a token secret: they are shown to every admin of the organisation.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from server.storage.models import AuditEntry
from server.storage.types import utcnow

CLI_ACTOR = "cli"
"""The label of changes made with the `vigie` command line, which has no user."""

PAGE_SIZE = 50
"""Audit entries per page of the audit log."""


@dataclass(frozen=True)
class Actor:
    """Who made a change: a user (id and e-mail) or the command line (no id)."""

    label: str
    user_id: int | None = None


CLI = Actor(CLI_ACTOR)
"""The actor of changes made with the command line."""


def record(
    session: Session,
    org_id: int,
    actor: Actor | str,
    action: str,
    target: str | None = None,
    **detail: Any,
) -> AuditEntry:
    """Add an audit entry for `action` (e.g. "site.added") on `target` to `session`.

    `actor` is an `Actor`, or a plain label such as "cli". The caller commits.
    :returns: the pending entry.
    """
    who = actor if isinstance(actor, Actor) else Actor(actor)
    entry = AuditEntry(
        org_id=org_id,
        actor_user_id=who.user_id,
        actor_label=who.label,
        action=action,
        target=target,
        detail=detail,
        at=utcnow(),
    )
    session.add(entry)
    return entry


@dataclass(frozen=True)
class AuditPage:
    """One page of an organisation's audit log, newest first."""

    entries: list[AuditEntry]
    total: int
    page: int
    pages: int


def list_entries(session: Session, org_id: int, page: int = 1) -> AuditPage:
    """The organisation's audit entries on `page` (1-based), newest first."""
    total = session.scalar(
        select(func.count()).select_from(AuditEntry).where(AuditEntry.org_id == org_id)
    )
    pages = max(1, -(-(total or 0) // PAGE_SIZE))
    page = min(max(page, 1), pages)
    entries = session.scalars(
        select(AuditEntry)
        .where(AuditEntry.org_id == org_id)
        .order_by(AuditEntry.at.desc(), AuditEntry.id.desc())
        .offset((page - 1) * PAGE_SIZE)
        .limit(PAGE_SIZE)
    ).all()
    return AuditPage(list(entries), total or 0, page, pages)
