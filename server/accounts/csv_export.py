"""Every account matching the filters as CSV text, streamed, for Excel or a CRM.

`csv_chunks()` checks the filters at once, then yields the text a chunk of
rows at a time: the export of 100,000 accounts never holds them all. The text
starts with a UTF-8 byte order mark so that Excel reads accents right;
`excel_fr=True` gives the French Excel dialect (`;` between cells, decimal
comma). Times are the organisation's local time (its `time_zone` setting),
as on the dashboard; the `why` column is worded in the current language.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator, Sequence
from datetime import datetime, tzinfo

import pytz
from sqlalchemy.orm import Session

from server.accounts.filters import AccountFilters
from server.accounts.listing import STREAM_CHUNK, AccountRow, iter_accounts
from server.i18n import organisation_time_zone
from server.storage.models import Organisation

COLUMNS = (
    "name",
    "domain",
    "score",
    "tier",
    "fit",
    "engagement",
    "industry",
    "employees",
    "country",
    "city",
    "visits_30d",
    "active_days_30d",
    "last_seen",
    "first_seen",
    "top_pages",
    "why",
    "outcome",
    "identified_by",
    "confidence",
)
"""The export's header row, in order (SPEC.md's columns, the sales outcome, then
the provenance: the signal that identified the company and its confidence)."""

BOM = "\ufeff"

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
"""What a spreadsheet may read as the start of a formula (CSV injection)."""

DATETIME_FORMAT = "%Y-%m-%d %H:%M:%S"
"""Local times as both Excel dialects and CRM importers read them."""


def csv_chunks(
    session: Session, org_id: int, filters: AccountFilters, excel_fr: bool = False
) -> Iterator[str]:
    """The CSV text of every account of `org_id` matching `filters` (page and
    per_page ignored), header first, in pieces of up to `STREAM_CHUNK` rows.

    :raise InvalidInput: at once (not while streaming) for a filter that names
        no site of the organisation.
    """
    rows = iter_accounts(session, org_id, filters)
    organisation = session.get(Organisation, org_id)
    zone = pytz.timezone(organisation_time_zone(organisation.settings if organisation else None))
    return csv_stream(COLUMNS, (csv_cells(row, excel_fr, zone) for row in rows), excel_fr)


def csv_stream(
    columns: Sequence[str], rows: Iterable[Sequence[str]], excel_fr: bool = False
) -> Iterator[str]:
    """CSV text with a byte order mark, the `columns` header, then `rows` (their
    cells already written by `text_cell` and friends), in pieces of up to
    `STREAM_CHUNK` rows; `;` between cells for a French Excel."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";" if excel_fr else ",", lineterminator="\r\n")
    buffer.write(BOM)
    writer.writerow(columns)
    for count, cells in enumerate(rows, start=1):
        writer.writerow(cells)
        if count % STREAM_CHUNK == 0:
            yield _take(buffer)
    yield _take(buffer)


def _take(buffer: io.StringIO) -> str:
    text = buffer.getvalue()
    buffer.seek(0)
    buffer.truncate()
    return text


def csv_cells(row: AccountRow, excel_fr: bool = False, zone: tzinfo = pytz.UTC) -> list[str]:
    """One account's cells, in `COLUMNS` order.

    Only text cells are neutralised against formulas: a number such as a
    score of -1000 is written by us from an int or float, cannot carry a
    formula, and must stay a number for the spreadsheet to sort and sum it.
    """
    return [
        text_cell(row.name),
        text_cell(row.domain),
        str(row.score),
        text_cell(row.tier),
        _decimal(row.fit, excel_fr),
        _decimal(row.engagement, excel_fr),
        text_cell(row.industry),
        "" if row.employees is None else str(row.employees),
        text_cell(row.country),
        text_cell(row.city),
        str(row.visits_30d),
        str(row.active_days_30d),
        _time(row.last_seen, zone),
        _time(row.first_seen, zone),
        text_cell(" ".join(row.top_pages)),
        text_cell(row.why),
        text_cell(row.outcome),
        text_cell(row.identified_by),
        text_cell(row.confidence),
    ]


def text_cell(value: str | None) -> str:
    """A text cell; one a spreadsheet would run as a formula gets a leading `'`."""
    if not value:
        return ""
    return "'" + value if value.startswith(FORMULA_PREFIXES) else value


def _decimal(value: float, excel_fr: bool) -> str:
    text = f"{value:.2f}".rstrip("0").rstrip(".")
    text = "0" if text in ("", "-0") else text
    return text.replace(".", ",") if excel_fr else text


def _time(value: datetime | None, zone: tzinfo) -> str:
    return "" if value is None else value.astimezone(zone).strftime(DATETIME_FORMAT)
