"""`vigie ipdb download`: fetch or refresh GeoLite2 or DB-IP Lite databases (and,
with `--cloud-ranges`, the cloud providers' range table of `ipdb cloud-ranges`)."""

from __future__ import annotations

from pathlib import Path

import click

from enrich.cloud_table import TABLE_FILE
from enrich.ipdb import (
    DBIP_EDITIONS,
    DBIP_URL,
    DOWNLOAD_TIMEOUT,
    MAXMIND_EDITIONS,
    MAXMIND_URL,
    dbip_downloads,
    fetch,
    maxmind_downloads,
)
from enrich.outbound import GuardedSession, OutboundPolicy
from server.cli.cloud_ranges import cloud_ranges, refresh, sources_with, urls_option
from server.cli.context import CommandError, ipdb_directory_option
from server.outbound import allowed_entries
from server.storage.types import utcnow

DOWNLOAD_FAILED = 1
"""Exit status when a database could not be refreshed (the old file is kept)."""


@click.group()
def ipdb() -> None:
    """Free IP databases (MaxMind GeoLite2, DB-IP Lite) and cloud providers' ranges."""


ipdb.add_command(cloud_ranges)


@ipdb.command("download")
@ipdb_directory_option("Where the .mmdb files are kept.")
@click.option(
    "--account-id",
    envvar=["MAXMIND_ACCOUNT_ID", "GEOIPUPDATE_ACCOUNT_ID"],
    help="MaxMind account id (with --license-key: GeoLite2; without: DB-IP Lite).",
)
@click.option(
    "--license-key",
    envvar=["MAXMIND_LICENSE_KEY", "GEOIPUPDATE_LICENSE_KEY"],
    help="MaxMind licence key.",
)
@click.option(
    "--edition",
    "editions",
    multiple=True,
    type=click.Choice(MAXMIND_EDITIONS),
    help="GeoLite2 edition (repeatable; default ASN and City).",
)
@click.option(
    "--dbip",
    "dbip_kinds",
    multiple=True,
    type=click.Choice(sorted(DBIP_EDITIONS)),
    help="DB-IP Lite database (repeatable; default asn and city).",
)
@click.option(
    "--maxmind-url", default=MAXMIND_URL, show_default=True, help="MaxMind server or mirror."
)
@click.option("--dbip-url", default=DBIP_URL, show_default=True, help="DB-IP server or mirror.")
@click.option(
    "--outbound-allow",
    envvar="VIGIE_OUTBOUND_ALLOW",
    default="",
    help="Private networks and hosts a mirror may be on (comma-separated; VIGIE_OUTBOUND_ALLOW).",
)
@click.option(
    "--cloud-ranges",
    "with_cloud_ranges",
    is_flag=True,
    help="Also refresh the cloud providers' range table (see `vigie ipdb cloud-ranges`).",
)
@urls_option
def download(
    directory: Path,
    account_id: str | None,
    license_key: str | None,
    editions: tuple[str, ...],
    dbip_kinds: tuple[str, ...],
    maxmind_url: str,
    dbip_url: str,
    outbound_allow: str,
    with_cloud_ranges: bool,
    urls: str,
) -> None:
    """Download the databases, or refresh them if a newer one is out.

    Safe to run from cron (daily for GeoLite2, monthly is enough for DB-IP):
    an up-to-date file is not fetched again, and a failed download keeps the
    old file. Running Vigie processes pick up new files within a minute.
    """
    if bool(account_id) != bool(license_key):
        raise CommandError(
            "--account-id and --license-key: give both (MaxMind) or neither (DB-IP Lite)"
        )
    if account_id and license_key and not dbip_kinds:
        plan = maxmind_downloads(
            list(editions or ("GeoLite2-ASN", "GeoLite2-City")),
            account_id,
            license_key,
            directory,
            maxmind_url,
        )
    else:
        if editions:
            raise CommandError("--edition: GeoLite2 needs --account-id and --license-key")
        plan = dbip_downloads(
            list(dbip_kinds or ("asn", "city")), utcnow().date(), directory, dbip_url
        )
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise CommandError(f"--dir: cannot create {directory}: {error.strerror}") from None
    try:
        policy = OutboundPolicy.parse(allowed_entries(outbound_allow))
    except ValueError as error:
        raise CommandError(f"VIGIE_OUTBOUND_ALLOW: {error}") from None
    cloud_sources = sources_with(urls) if with_cloud_ranges else []
    failed = 0
    with GuardedSession(policy, timeout=DOWNLOAD_TIMEOUT) as session:
        for item in plan:
            outcome = fetch(item, session)
            detail = f" ({outcome.detail})" if outcome.detail else ""
            click.echo(f"{outcome.edition}: {outcome.status}{detail} → {outcome.target}")
            failed += outcome.status == "failed"
        if with_cloud_ranges:
            failed += not refresh(directory, cloud_sources, session)
    targets = [item.target for item in plan]
    if with_cloud_ranges and (directory / TABLE_FILE).is_file():
        targets.append(directory / TABLE_FILE)
    click.echo("VIGIE_MMDB=" + ",".join(str(target) for target in targets))
    if failed:
        raise SystemExit(DOWNLOAD_FAILED)
