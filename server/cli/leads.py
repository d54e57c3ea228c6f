"""`vigie leads import|export|lists|erase-list`: lead lists from the command line.

`import` appends a CSV file to a list (created if new), with a progress bar
on a terminal and every bad row named by its line; `export` writes the
leads above a threshold as CSV to standard output, with the company's web
score beside each.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from sqlalchemy import select
from sqlalchemy.orm import Session

from server.audit import CLI, record
from server.cli.context import CommandError, database_session, fail_cleanly, org_option
from server.leads.export import lead_csv_chunks
from server.leads.importing import (
    ColumnMapping,
    ImportSummary,
    check_mapping,
    find_or_create_list,
    guess_mapping,
    import_leads,
)
from server.leads.query import LeadFilters, lead_lists, parse_lead_filters
from server.leads.reading import LeadFile, LeadFileError, open_lead_file
from server.storage.erasure import erase_lead_list
from server.storage.models import LeadList
from server.storage.tenancy import get_organisation
from server.storage.types import utcnow
from server.validation import InvalidInput


@click.group()
def leads() -> None:
    """Lead lists: import a CSV file, export the scored leads, erase a list."""


@leads.command("import")
@org_option
@click.option("--list", "list_name", help="The list to append to (default: the file's name).")
@click.option(
    "--email-column", help="The column holding the e-mail (default: remembered or guessed)."
)
@click.option("--phone-column", help="The column holding the phone number.")
@click.option("--country-column", help="The column holding the lead's country.")
@click.option("--language-column", help="The column holding the lead's language.")
@click.option("--region", help="Country of national phone numbers, e.g. FR (remembered per list).")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@fail_cleanly
def import_command(
    org_name: str,
    list_name: str | None,
    region: str | None,
    file: Path,
    **columns: str | None,
) -> None:
    """Append the leads of FILE (CSV: UTF-8 or Windows-1252, `,` or `;`) to a list.

    A lead already in the list (same e-mail) is left as it is; rows without an
    e-mail, or that cannot be read, are named by their line and skipped.
    """
    lead_file = _open(file)
    with database_session() as session:
        org_id = get_organisation(session, org_name).id
        try:
            lead_list = find_or_create_list(session, org_id, list_name or file.stem, region)
        except InvalidInput as error:
            raise CommandError(f"--{error.field}: {error.reason}") from None
        mapping = _mapping(lead_file, lead_list, columns)
        summary = _import_with_progress(session, lead_list, lead_file, mapping)
    click.echo(describe(summary))
    if summary.rows and summary.rows == summary.bad:
        raise CommandError(f"{file}: no row could be imported")


def _open(file: Path) -> LeadFile:
    try:
        return open_lead_file(file)
    except LeadFileError as error:
        raise CommandError(f"{file}: {error}") from None
    except OSError as error:
        raise CommandError(f"{file}: cannot be read ({error.strerror or error})") from None


def _mapping(
    lead_file: LeadFile, lead_list: LeadList, columns: dict[str, str | None]
) -> ColumnMapping:
    """The options' columns, else the list's remembered ones, else guessed."""
    chosen: dict[str, str | None] = dict(guess_mapping(lead_file.headers, lead_list.mapping))
    for name in ("email", "phone", "country", "language"):
        if columns.get(f"{name}_column"):
            chosen[name] = columns[f"{name}_column"]
    try:
        return check_mapping(lead_file.headers, chosen)
    except InvalidInput as error:
        raise CommandError(f"--{error.field.replace('_', '-')}: {error.reason}") from None


def _import_with_progress(
    session: Session, lead_list: LeadList, lead_file: LeadFile, mapping: ColumnMapping
) -> ImportSummary:
    total = _count_lines(lead_file.path) - 1
    console = Console(stderr=True)
    columns = (TextColumn("Importing"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, console=console, transient=True,
                  disable=not console.is_terminal) as bar:  # fmt: skip
        task = bar.add_task("rows", total=max(total, 0))
        return import_leads(
            session, lead_list, lead_file, mapping, utcnow(), CLI,
            progress=lambda done: bar.update(task, completed=done),
        )  # fmt: skip


def _count_lines(path: Path) -> int:
    """Lines in the file: the bar's total (a quoted cell over two lines makes it an estimate)."""
    with path.open("rb") as stream:
        return sum(chunk.count(b"\n") for chunk in iter(lambda: stream.read(1 << 20), b"")) + 1


def describe(summary: ImportSummary) -> str:
    """The end-of-import summary, one fact per line."""
    lines = [
        f"List: {summary.list_name}",
        f"Rows read: {summary.rows:,}",
        f"Leads added: {summary.added:,}",
        f"Already in the list (skipped): {summary.already:,}",
        f"Bad rows: {summary.bad:,}",
        *(f"  {example}" for example in summary.bad_examples),
        f"Seconds: {summary.seconds:.1f}",
    ]
    return "\n".join(lines)


@leads.command("export")
@org_option
@click.option("--list", "list_name", help="Only this list's leads.")
@click.option("--min-score", help="Only leads scoring at least this.")
@click.option("--excel-fr", is_flag=True, help="French Excel: ';' between cells.")
@fail_cleanly
def export_command(
    org_name: str, list_name: str | None, min_score: str | None, excel_fr: bool
) -> None:
    """Write the organisation's leads as CSV (UTF-8 with BOM) to standard output,
    hottest companies first, with every computed column and the company's web score."""
    with database_session() as session:
        org_id = get_organisation(session, org_name).id
        try:
            filters = parse_lead_filters({"min_score": min_score})
        except InvalidInput as error:
            raise CommandError(f"--min-score: {error.reason}") from None
        if list_name is not None:
            filters = LeadFilters(
                min_score=filters.min_score, list_id=_list_id(session, org_id, list_name)
            )
        stream = sys.stdout.buffer
        for chunk in lead_csv_chunks(session, org_id, filters, excel_fr=excel_fr):
            stream.write(chunk.encode("utf-8"))
        stream.flush()


@leads.command("lists")
@org_option
@fail_cleanly
def lists_command(org_name: str) -> None:
    """List the organisation's lead lists with their number of leads."""
    with database_session() as session:
        rows = lead_lists(session, get_organisation(session, org_name).id)
        for lead_list, count in rows:
            click.echo(f"{lead_list.name}\t{count} lead(s)\t{lead_list.created_at:%Y-%m-%d}")
    if not rows:
        click.echo("No lead list.")


@leads.command("erase-list")
@org_option
@click.option("--list", "list_name", required=True, help="The list to erase.")
@fail_cleanly
def erase_list_command(org_name: str, list_name: str) -> None:
    """Erase a lead list and every lead in it."""
    with database_session() as session:
        org_id = get_organisation(session, org_name).id
        count = erase_lead_list(session, org_id, _list_id(session, org_id, list_name))
        record(session, org_id, CLI, "leads.list_erased", list_name, leads=count)
    click.echo(f'Erased the list "{list_name}" and its {count} lead(s).')


def _list_id(session: Session, org_id: int, name: str) -> int:
    """:raise CommandError: when the organisation has no list called `name`."""
    found = session.scalar(
        select(LeadList.id).where(LeadList.org_id == org_id, LeadList.name == name)
    )
    if found is None:
        names = [lead_list.name for lead_list, _ in lead_lists(session, org_id)]
        hint = f" (lists: {', '.join(names)})" if names else " (the organisation has no list)"
        raise CommandError(f"--list: no list named {name!r}{hint}")
    return found
