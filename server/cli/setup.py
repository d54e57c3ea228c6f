"""Set-up commands: `vigie init`, `vigie users`, `vigie sites`, `vigie tokens`."""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TypeVar

import click
from flask import Flask
from sqlalchemy.orm import Session

from enrich.classify import NetworkListError, read_network_entries
from server.audit import CLI, record
from server.cli.context import (
    CommandError,
    check_database,
    database_session,
    fail_cleanly,
    load_app,
    org_option,
)
from server.passwords import check_new_password
from server.script_tag import script_tag
from server.security import hash_password
from server.storage import session_scope, storage
from server.storage.migrate import upgrade
from server.storage.tenancy import (
    ROLES,
    SiteSettings,
    create_api_token,
    create_organisation,
    create_site,
    create_user,
    find_organisation,
    find_site_by_key,
    find_user,
    get_organisation,
    list_sites,
    list_users,
)
from server.validation import (
    normalise_domains,
    normalise_email,
    normalise_name,
    normalise_query_parameters,
)

DEFAULT_COLLECTOR_URL = "http://127.0.0.1:8000"
"""Where `vigie serve` listens by default; the snippet points there unless told."""

password_stdin = click.option(
    "--password-stdin", is_flag=True, help="Read the password from the first line of stdin."
)


def read_password(from_stdin: bool, email: str, organisation: str) -> str:
    """The new password of the user with `email` in `organisation`, from stdin or
    an interactive prompt (typed twice), once the password policy accepts it.

    :raise InvalidInput: with the reason the policy refuses it.
    """
    if from_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    return check_new_password(password, email, organisation)


Row = TypeVar("Row")
"""A row of an organisation's listing: a user, a site."""


def add_list_command(
    group: click.Group,
    help: str,
    rows_of: Callable[[Session, int], Sequence[Row]],
    columns: Callable[[Row], tuple[str, ...]],
) -> None:
    """Add `list --org NAME` to `group`: a tab-separated line of `columns` for
    each of the organisation's rows that `rows_of` gives."""

    @group.command("list", help=help)
    @org_option
    @fail_cleanly
    def list_rows(org_name: str) -> None:
        with database_session() as session:
            for row in rows_of(session, get_organisation(session, org_name).id):
                click.echo("\t".join(columns(row)))


@click.command()
@click.option("--org", "org_name", help="Create this organisation (with --admin).")
@click.option("--admin", "admin_email", help="E-mail of the organisation's first admin.")
@password_stdin
@fail_cleanly
def init(org_name: str | None, admin_email: str | None, password_stdin: bool) -> None:
    """Create or upgrade the database schema; optionally create an organisation.

    Safe to run again: the schema is brought up to date, and an organisation
    that exists is left as it is.
    """
    if admin_email and not org_name:
        raise CommandError("--admin: needs --org, the organisation the admin belongs to")
    app = load_app()
    check_database(app, need_schema=False)
    report_upgrade(app)
    if org_name:
        with app.app_context():
            init_organisation(normalise_name(org_name, "org"), admin_email, password_stdin)


def report_upgrade(app: Flask) -> None:
    before, after = upgrade(storage(app).engine)
    where = storage(app).engine.url.render_as_string(hide_password=True)
    if before is None:
        click.echo(f"Database created at {where} (schema {after}).")
    elif before != after:
        click.echo(f"Database upgraded from schema {before} to {after}.")
    else:
        click.echo(f"Database is up to date (schema {after}).")


def init_organisation(name: str, admin_email: str | None, password_stdin: bool) -> None:
    with session_scope() as session:
        existing = find_organisation(session, name)
        if existing is not None:
            users, sites = len(existing.users), len(existing.sites)
            click.echo(
                f'Organisation "{existing.name}" already exists ({users} user(s), {sites} site(s)); '
                "left unchanged. Add people with `vigie users add`."
            )
            return
        if not admin_email:
            raise CommandError("--admin: required to create an organisation")
        email = normalise_email(admin_email, "--admin")
        if find_user(session, email) is not None:
            raise CommandError(f"--admin: {email} is already a user of another organisation")
        password = read_password(password_stdin, email, name)
        organisation = create_organisation(session, name)
        create_user(session, organisation, email, password, role="admin")
        session.flush()
        record(session, organisation.id, CLI, "user.added", email, role="admin")
    click.echo(f'Organisation "{name}" created with admin {email}.')
    click.echo(f'Next: vigie sites add --org "{name}" --domain example.com')


@click.group()
def users() -> None:
    """Dashboard users of an organisation."""


@users.command("add")
@org_option
@click.option("--role", type=click.Choice(ROLES), default="member", show_default=True)
@click.argument("email")
@password_stdin
@fail_cleanly
def users_add(org_name: str, role: str, email: str, password_stdin: bool) -> None:
    """Add a user who signs in with EMAIL."""
    with database_session() as session:
        organisation = get_organisation(session, org_name)
        address = normalise_email(email)
        if find_user(session, address) is not None:
            raise CommandError(f"email: {address} is already a user")
        password = read_password(password_stdin, address, organisation.name)
        create_user(session, organisation, address, password, role)
        record(session, organisation.id, CLI, "user.added", address, role=role)
        org = organisation.name
    click.echo(f'User {address} ({role}) added to "{org}".')


@users.command("password")
@click.argument("email")
@password_stdin
@fail_cleanly
def users_password(email: str, password_stdin: bool) -> None:
    """Set the password of the user who signs in with EMAIL (for an admin locked
    out, say). The user keeps it: no change is asked at the next sign-in."""
    with database_session() as session:
        address = normalise_email(email)
        user = find_user(session, address)
        if user is None:
            raise CommandError(f"email: {address} is no user")
        user.password_hash = hash_password(
            read_password(password_stdin, address, user.organisation.name)
        )
        user.must_change_password = False
        record(session, user.org_id, CLI, "user.password_changed", address)
    click.echo(f"Password of {address} changed.")


add_list_command(
    users, "List the users of an organisation.", list_users, lambda user: (user.email, user.role)
)


@click.group()
def sites() -> None:
    """Tracked websites and their snippets."""


@sites.command("add")
@org_option
@click.option(
    "--domain",
    "domains",
    multiple=True,
    required=True,
    help="A domain allowed to send events (its sub-domains too). Repeat for more.",
)
@click.option("--name", help="Display name (default: the first domain).")
@click.option(
    "--allow-query",
    "allow_query",
    multiple=True,
    help="A query-string parameter to keep besides utm_* (repeatable).",
)
@click.option("--count-education", is_flag=True, help="Score visits from education networks.")
@click.option("--count-government", is_flag=True, help="Score visits from government networks.")
@click.option(
    "--collector-url",
    envvar="VIGIE_PUBLIC_URL",
    default=DEFAULT_COLLECTOR_URL,
    show_default=True,
    help="Public URL of this Vigie server, used in the snippet.",
)
@fail_cleanly
def sites_add(
    org_name: str,
    domains: tuple[str, ...],
    name: str | None,
    allow_query: tuple[str, ...],
    count_education: bool,
    count_government: bool,
    collector_url: str,
) -> None:
    """Add a site; print its key and the <script> tag to paste into its pages."""
    hosts = normalise_domains(domains, "--domain")
    parameters = normalise_query_parameters(allow_query, "--allow-query")
    with database_session() as session:
        organisation = get_organisation(session, org_name)
        settings = SiteSettings(
            normalise_name(name or hosts[0], "--name"),
            hosts,
            query_allowlist=parameters,
            count_education=count_education,
            count_government=count_government,
        )
        site = create_site(session, organisation, settings)
        record(session, organisation.id, CLI, "site.added", site.name, domains=hosts)
        key, site_name = site.public_key, site.name
    click.echo(f'Site "{site_name}" added; site key: {key}')
    click.echo("Paste this tag into the <head> of every page:")
    click.echo(script_tag(collector_url, key))


add_list_command(
    sites,
    "List an organisation's sites, their keys and domains.",
    list_sites,
    lambda site: (site.public_key, site.name, ", ".join(site.domains)),
)


@click.group()
def tokens() -> None:
    """API tokens for `Authorization: Bearer`."""


@tokens.command("create")
@org_option
@click.option("--name", required=True, help="What the token is for, e.g. 'CRM sync'.")
@fail_cleanly
def tokens_create(org_name: str, name: str) -> None:
    """Create an API token; it is shown once and stored only as a hash."""
    with database_session() as session:
        organisation = get_organisation(session, org_name)
        label = normalise_name(name)
        token = create_api_token(session, organisation.id, label)
        record(session, organisation.id, CLI, "token.created", label, prefix=token[:12])
    click.echo(token)


@sites.command("networks")
@click.option("--site", "site_key", required=True, help="The site key.")
@click.argument("source", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@fail_cleanly
def sites_networks(site_key: str, source: Path) -> None:
    """Set the operators (ISP, mobile, hosting) this site never counts as companies,
    from SOURCE: [[network]] tables as in enrich/data/networks.toml. An empty file clears them."""
    try:
        entries = read_network_entries(source)
    except NetworkListError as error:
        raise CommandError(str(error)) from None
    with database_session() as session:
        site = find_site_by_key(session, site_key)
        if site is None:
            raise CommandError(f"--site: no site with key {site_key!r}")
        site.extra_networks = entries
        record(session, site.org_id, CLI, "site.networks_set", site.name, networks=len(entries))
        name = site.name
    click.echo(
        f'Site "{name}": {len(entries)} extra network(s). Collectors apply them within 30 s.'
    )
