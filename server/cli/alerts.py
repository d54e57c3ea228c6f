"""`vigie alerts webhook`: where an organisation's hot-account alerts go."""

from __future__ import annotations

import click

from server.cli.context import CommandError, database_session, fail_cleanly, org_option
from server.jobs.alerts import WebhookFailed, send_test_message
from server.outbound import outbound_policy
from server.storage.tenancy import get_organisation
from server.validation import webhook_url


@click.group()
def alerts() -> None:
    """Alerts when an account becomes hot."""


@alerts.command("webhook")
@org_option
@click.option("--test", "send_test", is_flag=True, help="Also send a test message now.")
@click.argument("url")
@fail_cleanly
def webhook(org_name: str, send_test: bool, url: str) -> None:
    """Send alerts to URL (a Slack incoming webhook or any JSON endpoint); "" turns them off."""
    url = webhook_url(url)
    with database_session() as session:
        organisation = get_organisation(session, org_name)
        organisation.settings = {**organisation.settings, "webhook_url": url or None}
        name = organisation.name
        policy = outbound_policy()
    click.echo(f'Alerts of "{name}" go to {url}.' if url else f'Alerts of "{name}" are off.')
    if url and send_test:
        try:
            send_test_message(url, name, policy)
        except WebhookFailed as error:
            raise CommandError(f"url: {error}") from None
        click.echo("Test message delivered.")
