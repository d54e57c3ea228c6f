"""Importing a lead file into a list: the column mapping, idempotent appending,
bad rows named by their line.

A list remembers the mapping of its first import (which column holds the
e-mail, the phone, and optionally the country and language); the other
columns are kept as they are. Leads are keyed by their normalised e-mail: a
lead already in the list is left as it is, so importing a file again adds
nothing. A row with no e-mail at all, or a line that cannot be read, is a bad
row, named by its line, and the rest is imported; a malformed e-mail is a
lead of class `invalid`, not a bad row. Each new lead is classified, joined to
its company's account and scored on the way in, a batch at a time; when the
organisation opted in, the companies' homepages are fetched afterwards
(`website_facts.py`).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, insert, select
from sqlalchemy.orm import Session

from server.audit import Actor, record
from server.batches import batched
from server.jobs import enqueue
from server.jobs.leads import fetch_lead_websites
from server.leads.companies import accounts_by_domain
from server.leads.reading import LeadFile, read_records
from server.leads.scoring import LeadScorer, normalise_lead_email, scorer_for
from server.leads.website_facts import opted_in
from server.storage.models import Lead, LeadList
from server.validation import InvalidInput

IMPORT_BATCH = 2_000
"""Records classified, scored and inserted per statement group (flat memory)."""

BAD_EXAMPLES = 20
"""Bad rows named in an import's summary; the rest are counted."""

MAX_LIST_NAME = 200
"""Longest list name (`LeadList.name`)."""

MAPPED_FIELDS = ("email", "phone", "country", "language")
"""What a list's mapping names a column for; only `email` is required."""

HEADER_GUESSES = {
    "email": ("email", "e-mail", "mail", "courriel", "adresse e-mail", "adresse email"),
    "phone": (
        "phone",
        "telephone",
        "téléphone",
        "tel",
        "tél",
        "mobile",
        "portable",
        "phone number",
    ),
    "country": ("country", "pays"),
    "language": ("language", "langue", "lang"),
}
"""Header names (any case) a column is proposed for, before anyone chooses."""


@dataclass(frozen=True)
class ColumnMapping:
    """Which header holds each mapped field (None: not in the file)."""

    email: str
    phone: str | None = None
    country: str | None = None
    language: str | None = None

    def as_dict(self) -> dict[str, str | None]:
        return {name: getattr(self, name) for name in MAPPED_FIELDS}


def check_mapping(headers: Iterable[str], chosen: dict[str, str | None]) -> ColumnMapping:
    """The mapping `chosen` (field → header, or empty) for a file with `headers`.

    :raise InvalidInput: naming the field (`email_column`…) whose header the
        file does not have, or the missing e-mail column.
    """
    known = set(headers)
    values: dict[str, str | None] = {}
    for name in MAPPED_FIELDS:
        header = (chosen.get(name) or "").strip() or None
        if header is not None and header not in known:
            raise InvalidInput(
                f"{name}_column", f"the file has no column {header!r} (it has {_listed(known)})"
            )
        values[name] = header
    if values["email"] is None:
        raise InvalidInput("email_column", "choose the column that holds the e-mail addresses")
    return ColumnMapping(**values)  # type: ignore[arg-type]  # email checked just above


def guess_mapping(
    headers: Iterable[str], remembered: dict[str, Any] | None = None
) -> dict[str, str]:
    """A proposed mapping: the list's remembered one where the file has those
    columns, else headers named like the field."""
    headers = list(headers)
    guessed: dict[str, str] = {}
    for name in MAPPED_FIELDS:
        wanted = (remembered or {}).get(name)
        if wanted in headers:
            guessed[name] = wanted
            continue
        for header in headers:
            if header.strip().lower() in HEADER_GUESSES[name]:
                guessed[name] = header
                break
    return guessed


def _listed(headers: set[str]) -> str:
    return ", ".join(repr(header) for header in sorted(headers)) or "none"


def find_or_create_list(
    session: Session, org_id: int, name: str, region: str | None = None
) -> LeadList:
    """The organisation's list called `name`, created (flushed) if new.

    A region given replaces the list's default phone region.
    :raise InvalidInput: for an empty or too long name, or a bad region.
    """
    name = " ".join(name.split())
    if not name or len(name) > MAX_LIST_NAME:
        raise InvalidInput("list", f"a name of 1 to {MAX_LIST_NAME} characters")
    region = check_region(region)
    lead_list = session.scalars(
        select(LeadList).where(LeadList.org_id == org_id, LeadList.name == name)
    ).first()
    if lead_list is None:
        lead_list = LeadList(org_id=org_id, name=name, mapping={}, phone_region=region)
        session.add(lead_list)
        session.flush()
    elif region:
        lead_list.phone_region = region
    return lead_list


def check_region(region: str | None) -> str | None:
    """`fr` → `FR`; None for none.

    :raise InvalidInput: unless two letters (an ISO 3166-1 country code).
    """
    region = (region or "").strip().upper() or None
    if region is not None and not (len(region) == 2 and region.isascii() and region.isalpha()):
        raise InvalidInput("region", f"{region!r} is not a two-letter country code (FR, BE…)")
    return region


@dataclass
class ImportSummary:
    """What an import did, for its end-of-import message and the audit log."""

    list_name: str
    rows: int = 0
    added: int = 0
    already: int = 0
    bad: int = 0
    bad_examples: list[str] = field(default_factory=list)
    seconds: float = 0.0

    def note_bad(self, line: int, problem: str) -> None:
        self.bad += 1
        if len(self.bad_examples) < BAD_EXAMPLES:
            self.bad_examples.append(f"line {line}: {problem}")


def import_leads(
    session: Session,
    lead_list: LeadList,
    lead_file: LeadFile,
    mapping: ColumnMapping,
    now: datetime,
    actor: Actor | str,
    progress: Callable[[int], None] | None = None,
) -> ImportSummary:
    """Append the file's leads to `lead_list`, committing after each batch.

    The mapping is remembered on the list, and the import is recorded in the
    audit log (no e-mail in it). `progress` is called with the rows read.
    """
    started = time.monotonic()
    summary = ImportSummary(lead_list.name)
    lead_list.mapping = mapping.as_dict()
    scorer = scorer_for(session, lead_list.org_id, lead_list.phone_region)
    accounts: dict[str, int] = {}  # company domain → account id, each looked up once
    for batch in batched(read_records(lead_file), IMPORT_BATCH):
        _import_batch(session, lead_list, mapping, batch, scorer, now, summary, accounts)
        session.commit()
        if progress is not None:
            progress(summary.rows)
    summary.seconds = time.monotonic() - started
    record(
        session, lead_list.org_id, actor, "leads.imported", lead_list.name,
        rows=summary.rows, added=summary.added, already=summary.already, bad=summary.bad,
    )  # fmt: skip
    if summary.added and opted_in(session, lead_list.org_id):
        enqueue(fetch_lead_websites, lead_list.org_id)  # sent once the commit is done
    session.commit()
    return summary


def _import_batch(
    session: Session,
    lead_list: LeadList,
    mapping: ColumnMapping,
    batch: list[Any],
    scorer: LeadScorer,
    now: datetime,
    summary: ImportSummary,
    accounts: dict[str, int],
) -> None:
    fresh: dict[str, dict[str, str]] = {}
    for item in batch:
        summary.rows += 1
        if item.cells is None:
            summary.note_bad(item.line, item.problem or "cannot be read")
            continue
        raw = item.cells[mapping.email].strip()
        if not raw:
            summary.note_bad(item.line, f"no e-mail in the column {mapping.email!r}")
            continue
        email = normalise_lead_email(raw)
        if email in fresh:
            summary.already += 1
            continue
        fresh[email] = item.cells
    known = set(
        session.scalars(
            select(Lead.email).where(Lead.list_id == lead_list.id, Lead.email.in_(list(fresh)))
        )
    )
    summary.already += len(known)
    rows = [
        _new_lead(lead_list, email, cells, mapping, scorer, now)
        for email, cells in fresh.items()
        if email not in known
    ]
    unknown = {row["company_domain"] for row in rows} - accounts.keys()
    accounts.update(accounts_by_domain(session, lead_list.org_id, unknown))
    for row in rows:
        row["account_id"] = accounts.get(row["company_domain"] or "")
    if rows:
        # Core: no ORM work per row (a mapped class's `__table__` is a Table)
        session.execute(insert(cast(Table, Lead.__table__)), rows)
    summary.added += len(rows)


def _new_lead(
    lead_list: LeadList,
    email: str,
    cells: dict[str, str],
    mapping: ColumnMapping,
    scorer: LeadScorer,
    now: datetime,
) -> dict[str, Any]:
    phone = (cells.get(mapping.phone) or "").strip() or None if mapping.phone else None
    return {
        "list_id": lead_list.id,
        "org_id": lead_list.org_id,
        "email": email,
        "columns": cells,
        "phone": phone[:64] if phone else None,
        "imported_at": now,
        **scorer.evaluate(email, phone, _own(cells, mapping), now),
    }


def _own(cells: dict[str, str], mapping: ColumnMapping) -> dict[str, str | None]:
    """The lead's own country and language cells, when the mapping names them."""
    return {
        name: (cells.get(header) or "").strip() or None if header else None
        for name, header in (("country", mapping.country), ("language", mapping.language))
    }
