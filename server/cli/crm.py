"""`vigie crm …`: connect an organisation's CRM, test it, push accounts, resync, read the log.

Secrets are never arguments (they would stay in the shell's history): name
them with `--secret token` and type them at the hidden prompt, or pipe them in.
Pushes run here and now, with the same rules as the jobs (never an ISP, data
centre or domainless account; unchanged values send nothing).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager

import click
from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from enrich.crm import CRM_NAMES
from enrich.crm.mapping import SECRETS, SETTINGS, mapping_text
from server.audit import CLI
from server.cli.context import (
    CommandError,
    check_database,
    database_session,
    fail_cleanly,
    load_app,
    org_option,
)
from server.crm.connections import check_connection, configure, connections, enabled_connections
from server.crm.push import accounts_to_resync, sync_log
from server.jobs.crm import push_account_to_crm
from server.storage import get_session, storage
from server.storage.models import Account, CrmSync
from server.storage.tenancy import get_organisation
from server.validation import InvalidInput

CRM_CHOICE = click.Choice(CRM_NAMES)


@click.group()
def crm() -> None:
    """CRM connectors (HubSpot, Salesforce, Pipedrive): configure, test, push, sync, log."""


@crm.command("configure")
@org_option
@click.argument("crm_name", metavar="CRM", type=CRM_CHOICE)
@click.option("--set", "pairs", multiple=True, metavar="NAME=VALUE", help="A plain setting.")
@click.option(
    "--secret",
    "secret_names",
    multiple=True,
    metavar="NAME",
    help="A secret to type at the prompt.",
)
@click.option(
    "--map", "maps", multiple=True, metavar="FIELD=PROPERTY", help="A field mapping line."
)
@click.option("--push-warm/--no-push-warm", default=None, help="Also push warm accounts (daily).")
@click.option("--disable", is_flag=True, help="Keep the settings but push nothing.")
@fail_cleanly
def configure_command(
    org_name: str,
    crm_name: str,
    pairs: tuple[str, ...],
    secret_names: tuple[str, ...],
    maps: tuple[str, ...],
    push_warm: bool | None,
    disable: bool,
) -> None:
    """Connect the organisation to CRM (settings: see `vigie crm configure --help` and the README)."""
    plain = _pairs(pairs, SETTINGS[crm_name], "--set")
    secrets: dict[str, str] = {}
    for name in secret_names:
        if name not in SECRETS[crm_name]:
            raise InvalidInput("--secret", f"{name!r} is not one of {', '.join(SECRETS[crm_name])}")
        secrets[name] = click.prompt(name, hide_input=True, err=True)
    with database_session() as session:
        organisation = get_organisation(session, org_name)
        row = connections(session, organisation.id).get(crm_name)
        settings = {**(row.settings if row else {}), **plain}
        current = mapping_text(row.mapping) if row else ""
        lines = "\n".join([current, *maps]) if maps else None
        row = configure(
            session,
            organisation.id,
            crm_name,
            CLI,
            settings,
            secrets,
            lines,
            push_warm,
            not disable,
        )
        hint = f", secret ending in …{row.secret_hint}" if row.secret_hint else ""
    click.echo(f"{crm_name} configured for {org_name}{hint}.")


@crm.command("test")
@org_option
@click.argument("crm_name", metavar="CRM", type=CRM_CHOICE)
@fail_cleanly
def test_command(org_name: str, crm_name: str) -> None:
    """Call CRM with the stored settings: "connected", or why not (exit 2)."""
    with database_session() as session:
        organisation = get_organisation(session, org_name)
        row = connections(session, organisation.id).get(crm_name)
        if row is None:
            raise InvalidInput("crm", f"{crm_name} is not configured; run `vigie crm configure`")
        message = check_connection(row)
        ok = row.last_check_ok
    if not ok:
        raise CommandError(f"{crm_name}: {message}")
    click.echo(f"{crm_name}: {message}")


@crm.command("push")
@org_option
@click.option("--domain", "domains", multiple=True, help="An account's domain (repeatable).")
@click.option("--tier", type=click.Choice(("hot", "warm")), help="Every account of this tier.")
@click.option(
    "--crm", "crm_name", type=CRM_CHOICE, help="Only this CRM (default: every one connected)."
)
@click.option("--limit", default=200, show_default=True, help="Accounts pushed at most.")
@fail_cleanly
def push_command(
    org_name: str, domains: tuple[str, ...], tier: str | None, crm_name: str | None, limit: int
) -> None:
    """Push accounts now, by domain or tier, and print each outcome."""
    if not domains and not tier:
        raise InvalidInput("--domain", "name a domain or a --tier")
    with _app_context() as app:
        session = get_session()
        org_id = _connected_org(session, org_name)
        query = select(Account.id).where(Account.org_id == org_id)
        query = (
            query.where(Account.domain.in_(domains))
            if domains
            else query.where(Account.tier == tier)
        )
        ids = session.scalars(query.order_by(Account.score.desc()).limit(limit)).all()
        session.rollback()
        if not ids:
            raise InvalidInput("--domain" if domains else "--tier", "no account matches")
        _push(app, org_id, ids, "manual", crm_name)


@crm.command("sync")
@org_option
@fail_cleanly
def sync_command(org_name: str) -> None:
    """Push now the accounts whose score changed since their last push (the daily resync)."""
    with _app_context() as app:
        session = get_session()
        org_id = _connected_org(session, org_name)
        ids = sorted(
            {
                account_id
                for row in enabled_connections(session, org_id)
                for account_id in accounts_to_resync(session, org_id, row.crm, row.push_warm, 1000)
            }
        )
        session.rollback()
        if not ids:
            click.echo("Nothing changed since the last push.")
            return
        _push(app, org_id, ids, "resync", None)


@crm.command("log")
@org_option
@click.option("--limit", default=20, show_default=True, help="Pushes shown.")
@fail_cleanly
def log_command(org_name: str, limit: int) -> None:
    """The latest pushes, newest first."""
    with database_session() as session:
        organisation = get_organisation(session, org_name)
        for sync, name in sync_log(session, organisation.id, limit=limit):
            click.echo("\t".join(_line(sync, name)))


def _line(sync: CrmSync, name: str | None) -> list[str]:
    detail = (sync.change if sync.outcome == "pushed" else sync.reason) or ""
    return [
        sync.at.isoformat(timespec="seconds"),
        sync.crm,
        name or "-",
        sync.trigger,
        sync.outcome,
        detail,
    ]


def _push(app: Flask, org_id: int, ids: Sequence[int], trigger: str, crm_name: str | None) -> None:
    for account_id in ids:
        push_account_to_crm(account_id, trigger, crm_name)
    session = get_session()
    for sync, name in reversed(sync_log(session, org_id, limit=len(ids) * len(CRM_NAMES))):
        if sync.account_id in ids:
            click.echo("\t".join(_line(sync, name)[1:]))
    session.rollback()


def _connected_org(session: Session, org_name: str) -> int:
    organisation = get_organisation(session, org_name)
    if not enabled_connections(session, organisation.id):
        raise InvalidInput("crm", f"no CRM is connected for {org_name}; run `vigie crm configure`")
    return organisation.id


@contextmanager
def _app_context() -> Iterator[Flask]:
    app = load_app()
    check_database(app)
    try:
        with app.app_context():
            yield app
    finally:
        storage(app).engine.dispose()  # a command's connections end with it


def _pairs(pairs: tuple[str, ...], known: tuple[str, ...], option: str) -> dict[str, str]:
    values = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or name.strip() not in known:
            raise InvalidInput(option, f"{pair!r}: NAME=VALUE with NAME one of {', '.join(known)}")
        values[name.strip()] = value.strip()
    return values
