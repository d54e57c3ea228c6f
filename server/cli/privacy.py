"""`vigie erase` and `vigie purge`: erasure on request, retention on demand."""

from __future__ import annotations

import click

from server.cli.context import check_database, database_session, fail_cleanly, load_app
from server.jobs.maintenance import purge_expired_events
from server.storage.erasure import erase_domain
from server.storage.tenancy import get_organisation
from server.validation import normalise_domain


@click.command()
@click.option("--domain", required=True, help="The company's domain, e.g. acme.com.")
@click.option("--org", "org_name", help="Only in this organisation (default: all).")
@fail_cleanly
def erase(domain: str, org_name: str | None) -> None:
    """Erase a company: its account, events, visits, contacts, scores and outcomes."""
    host = normalise_domain(domain, "--domain")
    with database_session() as session:
        org_id = get_organisation(session, org_name).id if org_name else None
        erased = erase_domain(session, host, org_id)
    if erased:
        click.echo(f"Erased {len(erased)} account(s) of {host}: {', '.join(erased)}.")
    else:
        click.echo(f"No account of {host}; nothing to erase.")


@click.command()
@fail_cleanly
def purge() -> None:
    """Delete raw events and visits older than VIGIE_RETENTION_DAYS now."""
    app = load_app()
    check_database(app)
    with app.app_context():
        events, visits = purge_expired_events()
    click.echo(
        f"Purged {events} event(s) and {visits} visit(s) older than "
        f"{app.config['RETENTION_DAYS']} days."
    )
