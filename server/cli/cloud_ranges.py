"""`vigie ipdb cloud-ranges`: the range table of the cloud providers' own files.

Online, each provider's file is fetched into `<dir>/cloud-ranges/`, checked,
and the table `<dir>/cloud-ranges.mmdb` is compiled from that folder, so a
provider whose download fails keeps its last good ranges. Offline, `--from`
compiles a folder of files fetched by other means. `vigie ipdb download
--cloud-ranges` does the online part after the IP databases.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import click
import requests

from enrich.cloud_fetch import FETCH_TIMEOUT, Fetched, fetch_all
from enrich.cloud_ranges import SOURCES, RangeFileError, Source, custom_source, find_source
from enrich.cloud_table import TABLE_FILE, compile_table, read_folder
from enrich.outbound import GuardedSession, OutboundPolicy
from server.cli.context import CommandError, ipdb_directory_option
from server.outbound import allowed_entries

FOLDER = "cloud-ranges"
"""Where the last good file of each source is kept, inside the ipdb folder."""

REFRESH_FAILED = 1
"""Exit status when a source could not be refreshed (its previous ranges are kept)."""

URLS_SETTING = "VIGIE_CLOUD_RANGES_URLS"


def urls_option(command: Callable[..., Any]) -> Callable[..., Any]:
    """The `--cloud-ranges-urls` option (`VIGIE_CLOUD_RANGES_URLS`), shared with `download`."""
    return click.option(
        "--cloud-ranges-urls",
        "urls",
        envvar=URLS_SETTING,
        default="",
        help=(
            "Comma-separated NAME=URL: another URL for a provider (aws, google, azure, oracle, "
            "digitalocean, linode, vultr, cloudflare-v4, cloudflare-v6), NAME= to skip it, "
            f"or a new provider's one-CIDR-a-line file ({URLS_SETTING})."
        ),
    )(command)


def sources_with(urls: str) -> list[Source]:
    """The official sources, with the URLs of `urls` (`name=url,…`) replacing theirs.

    :raise CommandError: naming the setting and the entry at fault.
    """
    chosen = {source.name: source for source in SOURCES}
    for entry in filter(None, (item.strip() for item in urls.split(","))):
        name, equals, url = (part.strip() for part in entry.partition("="))
        if not equals:
            raise CommandError(f"{URLS_SETTING}: {entry!r}: give NAME=URL")
        parts = urlsplit(url)
        if url and (parts.scheme not in ("http", "https") or not parts.hostname):
            raise CommandError(f"{URLS_SETTING}: {name}: not an http(s) URL")
        known = find_source(name)
        try:
            source = custom_source(name, url) if known is None else known
        except ValueError as error:
            raise CommandError(f"{URLS_SETTING}: {error}") from None
        chosen[name] = replace(source, url=url or None)
    return list(chosen.values())


def guarded_session(outbound_allow: str) -> GuardedSession:
    """:raise CommandError: for a malformed `VIGIE_OUTBOUND_ALLOW`."""
    try:
        policy = OutboundPolicy.parse(allowed_entries(outbound_allow))
    except ValueError as error:
        raise CommandError(f"VIGIE_OUTBOUND_ALLOW: {error}") from None
    return GuardedSession(policy, timeout=FETCH_TIMEOUT)


def refresh(
    directory: Path,
    sources: list[Source],
    session: requests.Session,
    min_prefixes: int | None = None,
) -> bool:
    """Fetch every source, compile the table and report; False if anything failed."""
    fetched = fetch_all(sources, directory / FOLDER, session, min_prefixes)
    for outcome in fetched:
        click.echo(_line(outcome))
    for source in sources:
        if not source.url:
            click.echo(
                f"{source.name}: skipped (no URL; set {source.name}=<URL> in {URLS_SETTING})"
            )
    try:
        networks = read_folder(directory / FOLDER)
    except RangeFileError as error:
        click.echo(f"Cloud ranges: not compiled ({error})")
        return False
    _compile(networks, directory)
    return all(outcome.status == "updated" for outcome in fetched)


def _line(outcome: Fetched) -> str:
    name = outcome.source.name
    if outcome.status == "updated":
        return f"{name}: updated ({outcome.prefixes} prefixes)"
    kept = "its previous ranges are kept" if outcome.kept_previous else "no previous ranges"
    return f"{name}: failed ({outcome.detail}); {kept}"


def _compile(networks: dict[str, Any], directory: Path) -> Path:
    table = compile_table(networks, directory / TABLE_FILE)
    click.echo(
        f"Cloud ranges: {len(table.networks)} providers, {table.total} networks → {table.path}"
    )
    return table.path


@click.command("cloud-ranges")
@ipdb_directory_option(f"Where {TABLE_FILE} (and the downloaded files, in {FOLDER}/) are kept.")
@click.option(
    "--from",
    "source_folder",
    type=click.Path(file_okay=False, path_type=Path),
    help="Compile the range files of this folder instead of downloading them.",
)
@urls_option
@click.option(
    "--min-prefixes",
    type=click.IntRange(min=1),
    help="Fewest prefixes a downloaded file must hold (default: each provider's own).",
)
@click.option(
    "--outbound-allow",
    envvar="VIGIE_OUTBOUND_ALLOW",
    default="",
    help="Private networks and hosts a mirror may be on (comma-separated; VIGIE_OUTBOUND_ALLOW).",
)
def cloud_ranges(
    directory: Path,
    source_folder: Path | None,
    urls: str,
    min_prefixes: int | None,
    outbound_allow: str,
) -> None:
    """Compile the cloud providers' published ranges into the range table.

    Addresses inside it are data-centre (hosting) traffic, never a company.
    Safe to run daily from cron: a failed download keeps that provider's
    previous ranges, and running Vigie processes pick up the new table
    within a minute once it is listed in VIGIE_MMDB.
    """
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise CommandError(f"--dir: cannot create {directory}: {error.strerror}") from None
    if source_folder is not None:
        try:
            table = _compile(read_folder(source_folder), directory)
        except RangeFileError as error:
            raise CommandError(str(error)) from None
        click.echo(f"Add {table} to VIGIE_MMDB.")
        return
    sources = sources_with(urls)
    with guarded_session(outbound_allow) as session:
        complete = refresh(directory, sources, session, min_prefixes)
    if (directory / TABLE_FILE).is_file():
        click.echo(f"Add {directory / TABLE_FILE} to VIGIE_MMDB.")
    if not complete:
        raise SystemExit(REFRESH_FAILED)
