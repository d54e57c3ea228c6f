"""The leads above a threshold as CSV, streamed, for sales or a CRM.

The same shape as the accounts export (server/accounts/csv_export.py): UTF-8
with a byte order mark so that Excel reads accents right, `excel_fr=True` for
a French Excel (`;` between cells), and every text cell a spreadsheet would
run as a formula neutralised with a leading `'` (CSV injection): a lead list
is text strangers typed into a form.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from datetime import datetime

from sqlalchemy.orm import Session

from server.accounts.csv_export import BOM, DATETIME_FORMAT, FORMULA_PREFIXES
from server.leads.query import STREAM_CHUNK, LeadFilters, LeadRow, iter_leads

COLUMNS = (
    "email",
    "score",
    "tier",
    "email_class",
    "phone_class",
    "phone",
    "country",
    "country_source",
    "language",
    "company_domain",
    "account_name",
    "account_score",
    "account_tier",
    "list",
    "imported_at",
    "why",
)
"""The export's header row: every computed column, the company's web score, why."""


def lead_csv_chunks(
    session: Session, org_id: int, filters: LeadFilters, excel_fr: bool = False
) -> Iterator[str]:
    """The CSV text of every lead of `org_id` matching `filters`, header first,
    in pieces of up to `STREAM_CHUNK` rows."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";" if excel_fr else ",", lineterminator="\r\n")
    buffer.write(BOM)
    writer.writerow(COLUMNS)
    for count, row in enumerate(iter_leads(session, org_id, filters), start=1):
        writer.writerow(lead_cells(row))
        if count % STREAM_CHUNK == 0:
            yield _take(buffer)
    yield _take(buffer)


def _take(buffer: io.StringIO) -> str:
    text = buffer.getvalue()
    buffer.seek(0)
    buffer.truncate()
    return text


def lead_cells(row: LeadRow) -> list[str]:
    """One lead's cells in `COLUMNS` order; numbers stay numbers."""
    return [
        _text(row.email),
        str(row.score),
        _text(row.tier),
        _text(row.email_class),
        _text(row.phone_class),
        _text(row.phone),
        _text(row.country),
        _text(row.country_source),
        _text(row.language),
        _text(row.company_domain),
        _text(row.account_name),
        "" if row.account_score is None else str(row.account_score),
        _text(row.account_tier),
        _text(row.list_name),
        _time(row.imported_at),
        _text(row.why),
    ]


def _text(value: str | None) -> str:
    if not value:
        return ""
    return "'" + value if value.startswith(FORMULA_PREFIXES) else value


def _time(value: datetime | None) -> str:
    return "" if value is None else value.strftime(DATETIME_FORMAT) + " UTC"
