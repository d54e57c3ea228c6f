"""`vigie companydb build`: a CSV of company networks → a `Vigie-Company` mmdb."""

from __future__ import annotations

import csv
from pathlib import Path

import click
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from enrich.companydb import CompanyDbError, build_company_db, read_networks
from server.cli.context import CommandError


@click.group()
def companydb() -> None:
    """Vigie's own company database (networks → companies)."""


@companydb.command("build")
@click.argument("source", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "-o",
    "--output",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="The .mmdb file to write (replaced atomically).",
)
def build(source: Path, output: Path) -> None:
    """Build a company database from SOURCE, a CSV with the header
    network,name,domain,industry,employees,country. Add the output to VIGIE_MMDB."""
    try:
        with source.open(encoding="utf-8-sig", newline="") as handle:
            networks = read_networks(handle)
    except CompanyDbError as error:
        raise CommandError(f"{source}: bad line(s)\n{error}") from None
    except (UnicodeDecodeError, csv.Error) as error:
        raise CommandError(f"{source}: not a UTF-8 CSV file ({error})") from None
    with Progress(
        TextColumn("Building {task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        transient=True,
    ) as progress:
        task = progress.add_task(output.name, total=len(networks))
        written = build_company_db(
            networks, output, progress=lambda done: progress.update(task, completed=done)
        )
    click.echo(f"{output}: {written} network(s), database type Vigie-Company.")
