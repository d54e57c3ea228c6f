"""`vigie export`: an organisation's accounts as CSV, with the API's filters.

Writes the same CSV as `GET /api/accounts.csv` (server/accounts/csv_export.py)
to stdout or a file. The database is only read: the export takes no write
lock, so collectors keep storing events meanwhile.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO

import click

from server.accounts.csv_export import csv_chunks
from server.accounts.filters import OUTCOMES, SORTS, TIERS, parse_filters
from server.cli.context import CommandError, check_database, fail_cleanly, load_app, org_option
from server.storage import get_session
from server.storage.tenancy import get_organisation
from server.validation import InvalidInput


@click.command("export")
@org_option
@click.option("--tier", multiple=True, help=f"{', '.join(TIERS)}; repeat or comma-separate.")
@click.option("--min-score", help="Only accounts scoring at least this.")
@click.option("--q", help="Text in the account's name or domain (any case).")
@click.option("--country", help="Two-letter ISO country code.")
@click.option("--industry", help="Industry (exact, any case).")
@click.option("--since", help="Seen since a date (YYYY-MM-DD) or a period (7d, 30d, 90d).")
@click.option("--site", help="Only accounts with visits on this site (public key or id).")
@click.option("--outcome", help=f"Latest sales outcome: {', '.join(OUTCOMES)}.")
@click.option("--sort", help=f"{', '.join(SORTS)} (default -score).")
@click.option("--excel-fr", is_flag=True, help="French Excel: ';' between cells, decimal comma.")
@click.option(
    "--output",
    type=click.Path(dir_okay=False, writable=True, path_type=Path),
    help="Write to this file (default: stdout).",
)
@fail_cleanly
def export(
    org_name: str,
    tier: tuple[str, ...],
    excel_fr: bool,
    output: Path | None,
    **options: str | None,
) -> None:
    """Write the organisation's accounts matching the filters as CSV (UTF-8 with BOM)."""
    app = load_app()
    check_database(app)
    with app.app_context():
        try:
            org_id = get_organisation(get_session(), org_name).id
            filters = parse_filters({"tier": list(tier), **options})
            chunks = csv_chunks(get_session(), org_id, filters, excel_fr=excel_fr)
        except InvalidInput as error:
            raise CommandError(f"--{error.field.replace('_', '-')}: {error.reason}") from None
        with _destination(output) as stream:
            _write(chunks, stream)
    if output is not None:
        click.echo(f"Accounts written to {output}.", err=True)


def _write(chunks: Iterable[str], stream: BinaryIO) -> None:
    for chunk in chunks:
        stream.write(chunk.encode("utf-8"))


@contextmanager
def _destination(output: Path | None) -> Iterator[BinaryIO]:
    """stdout, or `output` written beside it first and renamed when complete,
    so that a failed export never leaves half a file in its place."""
    if output is None:
        stream = sys.stdout.buffer
        yield stream
        stream.flush()
        return
    partial = output.with_name(output.name + ".partial")
    try:
        with partial.open("wb") as stream:
            yield stream
        os.replace(partial, output)
    except OSError as error:
        raise CommandError(f"--output: cannot write {output} ({error.strerror})") from None
    finally:
        partial.unlink(missing_ok=True)
