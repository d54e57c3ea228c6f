"""`vigie model check` and `vigie rescore`: the scoring model from the command line."""

from __future__ import annotations

from pathlib import Path

import click
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from sqlalchemy import select

from scoring.model import ModelError, parse_model
from server.cli.context import USAGE_ERROR, check_database, fail_cleanly, load_app
from server.scoring import current_model
from server.scoring import rescore as rescore_accounts_now
from server.storage import close_session, session_scope
from server.storage.models import Account
from server.storage.tenancy import get_organisation
from server.storage.types import utcnow

RESCORE_BATCH = 500
"""Accounts rescored per transaction."""


@click.group()
def model() -> None:
    """The scoring model (TOML)."""


@model.command("check")
@click.argument("source", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def check(source: Path) -> None:
    """Validate SOURCE; print every problem with its line and exit 2 if there is one."""
    try:
        parsed = parse_model(source.read_text("utf-8"))
    except ModelError as error:
        for line, message in error.problems:
            click.echo(f"{source}:{line}: {message}" if line else f"{source}: {message}", err=True)
        raise SystemExit(USAGE_ERROR) from None
    except UnicodeDecodeError:
        click.echo(f"{source}: not a UTF-8 text file", err=True)
        raise SystemExit(USAGE_ERROR) from None
    rules = len(parsed.pages) + len(parsed.events) + len(parsed.sources) + len(parsed.fits)
    click.echo(
        f"{source}: valid ({rules} rule(s), {len(parsed.personas)} persona(s); "
        f"warm from {parsed.warm:g}, hot from {parsed.hot:g})."
    )


@click.command()
@click.option("--org", "org_name", help="Only this organisation (default: all).")
@fail_cleanly
def rescore(org_name: str | None) -> None:
    """Rescore every account now with the model in force, with a progress bar."""
    app = load_app()
    check_database(app)
    with app.app_context():
        with session_scope() as session:
            query = select(Account.id).order_by(Account.id)
            if org_name:
                query = query.where(Account.org_id == get_organisation(session, org_name).id)
            account_ids = list(session.scalars(query))
        model_in_force = current_model()
        now = utcnow()
        with Progress(
            TextColumn("Rescoring"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            transient=True,
        ) as progress:
            bar = progress.add_task("accounts", total=len(account_ids))
            for start in range(0, len(account_ids), RESCORE_BATCH):
                chunk = account_ids[start : start + RESCORE_BATCH]
                with session_scope() as session:
                    rescore_accounts_now(session, model_in_force, chunk, now)
                close_session()
                progress.update(bar, advance=len(chunk))
    click.echo(f"{len(account_ids)} account(s) rescored.")
