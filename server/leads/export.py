"""The leads above a threshold as CSV, streamed, for sales or a CRM.

The same shape as the accounts export (server/accounts/csv_export.py): UTF-8
with a byte order mark so that Excel reads accents right, `excel_fr=True` for
a French Excel (`;` between cells), and every text cell a spreadsheet would
run as a formula neutralised with a leading `'` (CSV injection): a lead list
is text strangers typed into a form.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

from sqlalchemy.orm import Session

from server.accounts.csv_export import DATETIME_FORMAT, csv_stream, text_cell
from server.leads.query import LeadFilters, LeadRow, iter_leads

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
    rows = iter_leads(session, org_id, filters)
    return csv_stream(COLUMNS, (lead_cells(row) for row in rows), excel_fr)


def lead_cells(row: LeadRow) -> list[str]:
    """One lead's cells in `COLUMNS` order; numbers stay numbers."""
    return [
        text_cell(row.email),
        str(row.score),
        text_cell(row.tier),
        text_cell(row.email_class),
        text_cell(row.phone_class),
        text_cell(row.phone),
        text_cell(row.country),
        text_cell(row.country_source),
        text_cell(row.language),
        text_cell(row.company_domain),
        text_cell(row.account_name),
        "" if row.account_score is None else str(row.account_score),
        text_cell(row.account_tier),
        text_cell(row.list_name),
        _time(row.imported_at),
        text_cell(row.why),
    ]


def _time(value: datetime | None) -> str:
    return "" if value is None else value.strftime(DATETIME_FORMAT) + " UTC"
