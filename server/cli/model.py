"""`vigie model check` and `vigie rescore`: the scoring model from the command line."""

from __future__ import annotations

from pathlib import Path
from typing import NoReturn

import click
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from scoring.model import ModelError, parse_model
from server.cli.context import (
    USAGE_ERROR,
    check_database,
    database_session,
    fail_cleanly,
    load_app,
    org_option,
)
from server.leads.scoring import rescore_organisation_leads
from server.rescoring import organisation_account_ids, rescore_in_batches
from server.scoring_models import model_text_for, model_versions, store_model
from server.storage import close_session, get_session, session_scope
from server.storage.tenancy import get_organisation
from server.storage.types import utcnow


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
        refuse(source, error)
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
        org_id = None
        if org_name:
            with session_scope() as session:
                org_id = get_organisation(session, org_name).id
        count = rescore_with_progress(org_id)
    click.echo(f"{count} account(s) rescored.")


def rescore_with_progress(org_id: int | None) -> int:
    """Rescore an organisation's accounts (or all), in batches, showing progress."""
    with session_scope() as session:
        account_ids = organisation_account_ids(session, org_id)
    close_session()
    columns = (TextColumn("Rescoring"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, transient=True) as progress:
        bar = progress.add_task("accounts", total=len(account_ids))

        def advance(count: int) -> None:
            close_session()  # each batch's rows leave memory with its session
            progress.update(bar, advance=count)

        return rescore_in_batches(account_ids, utcnow(), on_batch=advance)


@model.command("set")
@org_option
@click.option("--by", "changed_by", default="cli", show_default=True, help="Who makes the change.")
@click.argument("source", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@fail_cleanly
def set_model(org_name: str, changed_by: str, source: Path) -> None:
    """Check SOURCE, keep it as the organisation's new model version, rescore its accounts.

    A model with a problem is refused and the model in force stays."""
    text = source.read_text("utf-8")
    app = load_app()
    check_database(app)
    with app.app_context():
        try:
            with session_scope() as session:
                organisation = get_organisation(session, org_name)
                row = store_model(session, organisation.id, text, changed_by)
                org_id, version = organisation.id, row.version
        except ModelError as error:
            refuse(source, error)
        count = rescore_with_progress(org_id)
        leads = rescore_organisation_leads(get_session(), org_id, utcnow())
    click.echo(f'Model version {version} of "{org_name}" in force; {count} account(s) rescored.')
    if leads:
        click.echo(f"{leads} lead(s) rescored.")


@model.command("history")
@org_option
@fail_cleanly
def history(org_name: str) -> None:
    """List the organisation's model versions, newest first."""
    with database_session() as session:
        organisation = get_organisation(session, org_name)
        rows = model_versions(session, organisation.id)
        for row in rows:
            click.echo(f"v{row.version}\t{row.created_at:%Y-%m-%d %H:%M} UTC\t{row.changed_by}")
    if not rows:
        click.echo("No stored model: the default model is in force.")


@model.command("show")
@org_option
@fail_cleanly
def show(org_name: str) -> None:
    """Print the organisation's model in force (TOML)."""
    with database_session() as session:
        organisation = get_organisation(session, org_name)
        click.echo(model_text_for(session, organisation.id), nl=False)


def refuse(source: Path, error: ModelError) -> NoReturn:
    """Print every problem of a model as `file:line: message` and exit 2."""
    for line, message in error.problems:
        click.echo(f"{source}:{line}: {message}" if line else f"{source}: {message}", err=True)
    raise SystemExit(USAGE_ERROR)
