"""`vigie import-logs`: backfill a site from its web server's access logs."""

from __future__ import annotations

import click
from flask import current_app
from rich.console import Console
from rich.progress import (
    BarColumn,
    DownloadColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TransferSpeedColumn,
)

from server.cli.context import (
    CommandError,
    check_database,
    fail_cleanly,
    load_app,
    run_queued_jobs,
)
from server.importing.filters import RequestFilter
from server.importing.formats import FormatError, log_format
from server.importing.reader import LogReader, LogSource
from server.importing.run import ImportSummary, import_logs
from server.storage.types import utcnow


@click.command("import-logs")
@click.option("--site", "site_key", required=True, help="Public key of the site the logs are of.")
@click.option(
    "--format",
    "format_spec",
    default="combined",
    show_default=True,
    help="combined, common, vhost_combined, or a regular expression with named groups "
    "ip, time, path (required), method, status, referrer, user_agent.",
)
@click.option(
    "--collector-path",
    "collector_paths",
    multiple=True,
    help="A path the site proxies for the snippet (its beacons are not pages); repeatable.",
)
@click.argument(
    "files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False, allow_dash=True)
)
@fail_cleanly
def import_logs_command(
    site_key: str, format_spec: str, collector_paths: tuple[str, ...], files: tuple[str, ...]
) -> None:
    """Import FILE… (plain, .gz, or - for standard input) through the collector's pipeline.

    Page views and downloads become events of their logged time; bots and
    non-business networks are counted; a line imported before is skipped.
    Accounts are rescored at the end, with a score history for each day.
    """
    try:
        parsed_format = log_format(format_spec)
    except FormatError as error:
        raise CommandError(str(error)) from None
    app = load_app()
    check_database(app)
    with app.app_context():
        reader = LogReader(
            parsed_format,
            RequestFilter(collector_paths),
            current_app.config["SECRET_KEY"],
            site_key,
        )
        sources = [_open(name) for name in files]
        summary = _run_with_progress(site_key, sources, reader)
    click.echo(describe(summary))
    run_queued_jobs(app)
    if summary.lines == summary.bad:
        raise CommandError(f"nothing could be read from {', '.join(files)}")


def _open(name: str) -> LogSource:
    """:raise CommandError: for a file that cannot be opened."""
    try:
        return LogSource(name)
    except OSError as error:
        raise CommandError(f"{name}: cannot be read ({error.strerror or error})") from None


def _run_with_progress(site_key: str, sources: list[LogSource], reader: LogReader) -> ImportSummary:
    sizes = [source.size for source in sources]
    total = sum(size for size in sizes if size is not None) if None not in sizes else None
    console = Console(stderr=True)
    columns = (TextColumn("Importing"), BarColumn(), DownloadColumn(), TransferSpeedColumn(),
               TimeElapsedColumn())  # fmt: skip
    with Progress(
        *columns, console=console, transient=True, disable=not console.is_terminal
    ) as bar:
        task = bar.add_task("bytes", total=total)
        try:
            return import_logs(
                site_key,
                sources,
                reader,
                utcnow(),
                progress=lambda done: bar.update(task, completed=done),
            )
        except LookupError as error:
            raise CommandError(str(error)) from None


def describe(summary: ImportSummary) -> str:
    """The end-of-import summary, one fact per line."""
    lines = [
        f"Lines read: {summary.lines:,}",
        f"Imported: {summary.pageviews:,} page view(s), {summary.downloads:,} download(s)",
        f"Already imported (skipped): {summary.already_imported:,}",
        f"Bots: {summary.bots:,}",
        "Non-business networks: " + _counts(summary.networks),
        "Left out: " + _counts(summary.left_out),
    ]
    if summary.too_old:
        lines.append(f"Older than the retention period (skipped): {summary.too_old:,}")
    if summary.snippet_from:
        lines.append(
            f"Logged after the snippet's first event ({summary.snippet_from:%Y-%m-%d %H:%M} UTC),"
            f" left to the snippet: {summary.after_snippet:,}"
        )
    lines.append(f"Bad lines: {summary.bad:,}")
    lines += [f"  {example}" for example in summary.bad_examples]
    lines.append(
        f"Accounts: {summary.accounts_created:,} created, {summary.accounts_updated:,} updated"
    )
    lines.append(f"Queued for enrichment: {summary.enrichment_queued:,} account(s)")
    if summary.first_day:
        lines.append(
            f"Score history: {summary.first_day} to {summary.last_day} "
            f"({summary.snapshots:,} snapshot(s))"
        )
    lines.append(f"Seconds: {summary.seconds:.1f}")
    return "\n".join(lines)


def _counts(counter: dict[str, int]) -> str:
    if not counter:
        return "0"
    return ", ".join(f"{kind} {count:,}" for kind, count in sorted(counter.items()))
