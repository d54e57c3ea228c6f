"""`vigie erase` and `vigie purge`: erasure on request (a company, or a person's
leads), retention on demand."""

from __future__ import annotations

import click

from server.audit import CLI, record
from server.cli.context import (
    CommandError,
    check_database,
    database_session,
    fail_cleanly,
    load_app,
)
from server.jobs.maintenance import purge_expired_events
from server.storage import session_scope
from server.storage.erasure import erase_domain, erase_email
from server.storage.retention import purge_leads, retention_cutoff
from server.storage.tenancy import get_organisation
from server.storage.types import utcnow
from server.validation import normalise_domain


@click.command()
@click.option("--domain", help="The company's domain, e.g. acme.com.")
@click.option("--email", help="A person's e-mail address: their leads in every list.")
@click.option("--org", "org_name", help="Only in this organisation (default: all).")
@fail_cleanly
def erase(domain: str | None, email: str | None, org_name: str | None) -> None:
    """Erase a company (its account, events, visits, contacts, scores and
    outcomes) with --domain, or a person's leads with --email."""
    if (domain is None) == (email is None):
        raise CommandError("give --domain (a company) or --email (a person's leads), one of them")
    if email is not None:
        _erase_email(email, org_name)
        return
    host = normalise_domain(domain or "", "--domain")
    with database_session() as session:
        org_id = get_organisation(session, org_name).id if org_name else None
        erased = erase_domain(session, host, org_id)
    if erased:
        click.echo(f"Erased {len(erased)} account(s) of {host}: {', '.join(erased)}.")
    else:
        click.echo(f"No account of {host}; nothing to erase.")


def _erase_email(email: str, org_name: str | None) -> None:
    """Delete the address's leads; each organisation's audit log records how
    many (not the address, which is what was erased)."""
    if not email.strip():
        raise CommandError("--email: must not be empty")
    with database_session() as session:
        org_id = get_organisation(session, org_name).id if org_name else None
        erased = erase_email(session, email, org_id)
        for owner, count in erased.items():
            record(session, owner, CLI, "leads.erased", None, leads=count)
    total = sum(erased.values())
    if total:
        click.echo(f"Erased {total} lead(s) of that address in {len(erased)} organisation(s).")
    else:
        click.echo("No lead with that address; nothing to erase.")


@click.command()
@fail_cleanly
def purge() -> None:
    """Delete raw events and visits older than VIGIE_RETENTION_DAYS now."""
    app = load_app()
    check_database(app)
    with app.app_context():
        lead_days = app.config["LEAD_RETENTION_DAYS"]
        with session_scope() as session:
            leads = purge_leads(session, retention_cutoff(utcnow(), lead_days))
        events, visits = purge_expired_events()
    click.echo(
        f"Purged {events} event(s) and {visits} visit(s) older than "
        f"{app.config['RETENTION_DAYS']} days, and {leads} lead(s) imported more than "
        f"{lead_days} days ago."
    )
