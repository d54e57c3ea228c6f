"""`vigie enrich`: choose an organisation's firmographic providers, run them."""

from __future__ import annotations

import tomllib
from pathlib import Path

import click
from sqlalchemy import select

from enrich.providers import ProviderError
from server.cli.context import (
    CommandError,
    check_database,
    database_session,
    fail_cleanly,
    load_app,
    org_option,
)
from server.enrichment import build_providers
from server.jobs import drain, enqueue
from server.jobs.enrichment import enrich_account
from server.storage import session_scope
from server.storage.models import Account
from server.storage.tenancy import get_organisation


@click.group("enrich")
def enrich() -> None:
    """Account enrichment (firmographics providers)."""


@enrich.command("providers")
@org_option
@click.argument("source", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@fail_cleanly
def set_providers(org_name: str, source: Path) -> None:
    """Set the providers from SOURCE, a TOML file of [[provider]] tables
    (type = "file" | "http" | "rdns", and their settings)."""
    try:
        document = tomllib.loads(source.read_text("utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
        raise CommandError(f"{source}: {error}") from None
    settings = {"enrichment": {"providers": document.get("provider", [])}}
    try:
        providers = build_providers(settings)
    except ProviderError as error:
        raise CommandError(f"{source}: {str(error).removeprefix('config: ')}") from None
    with database_session() as session:
        organisation = get_organisation(session, org_name)
        organisation.settings = {**organisation.settings, **settings}
    names = ", ".join(provider.name for provider in providers) or "none"
    click.echo(f'Enrichment providers of "{organisation.name}": {names}.')


@enrich.command("run")
@org_option
@fail_cleanly
def run(org_name: str) -> None:
    """Enrich every account of the organisation now (queued on RQ in scale mode)."""
    app = load_app()
    check_database(app)
    with app.app_context():
        with session_scope() as session:
            organisation = get_organisation(session, org_name)
            query = select(Account.id).where(Account.org_id == organisation.id)
            account_ids = list(session.scalars(query))
            for account_id in account_ids:
                enqueue(enrich_account, account_id)
        drain(app, timeout=3600)
    click.echo(f"{len(account_ids)} account(s) sent to enrichment.")
