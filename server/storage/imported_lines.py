"""The log lines an import stored, so a line imported twice is stored once.

An imported line's event is stored under the line's id: `events.event_id`
holds the line id for those events (`server.importing.run`), which is how an
import finds the visitor an earlier import gave the same line, and which
events the snippet sent live rather than a log.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, datetime

from sqlalchemy import ScalarSelect, delete, func, select
from sqlalchemy.orm import Session

from server.storage.models import Event, ImportedLine, Site, table_of


def _own_site(org_id: int, site_id: int) -> ScalarSelect[int]:
    """`site_id` if it is the organisation's (else matches no row)."""
    return select(Site.id).where(Site.id == site_id, Site.org_id == org_id).scalar_subquery()


def forget_lines_before(session: Session, org_id: int, site_id: int, day: date) -> None:
    """Forget the site's line ids of days before `day` (their events are gone too)."""
    session.execute(
        delete(ImportedLine).where(
            ImportedLine.site_id == _own_site(org_id, site_id), ImportedLine.day < day
        )
    )


def remember_lines(session: Session, site_id: int, lines: Iterable[tuple[str, date]]) -> None:
    """Keep the ids of the site's lines just imported, with their day (the site
    is the one whose key the import was given, read from the site cache)."""
    rows = [{"site_id": site_id, "line_id": line_id, "day": day} for line_id, day in lines]
    if rows:
        session.execute(table_of(ImportedLine).insert(), rows)


def imported_line_ids(
    session: Session, org_id: int, site_id: int, line_ids: Sequence[str]
) -> set[str]:
    """Those of `line_ids` an import of the site already stored."""
    return set(
        session.scalars(
            select(ImportedLine.line_id).where(
                ImportedLine.site_id == _own_site(org_id, site_id),
                ImportedLine.line_id.in_(line_ids),
            )
        )
    )


def stored_visitors(
    session: Session, org_id: int, site_id: int, line_ids: Sequence[str]
) -> dict[str, str]:
    """The visitor id stored with each of `line_ids` that became an event."""
    line_id = Event.event_id  # an imported line's event carries the line's id
    rows = session.execute(
        select(line_id, Event.visitor_hash).where(
            Event.site_id == _own_site(org_id, site_id), line_id.in_(line_ids)
        )
    ).all()
    return {line: visitor for line, visitor in rows}


def first_snippet_event(
    session: Session, org_id: int, site_id: int, since: datetime
) -> datetime | None:
    """When the site's snippet sent its first event still kept (not an imported one).

    From then on a logged page view was also sent live: importing it would
    count it twice."""
    site = _own_site(org_id, site_id)
    imported = select(ImportedLine.line_id).where(
        ImportedLine.site_id == site, ImportedLine.line_id == Event.event_id
    )
    return session.scalar(
        select(func.min(Event.occurred_at)).where(
            Event.site_id == site, Event.occurred_at >= since, ~imported.exists()
        )
    )
