"""`vigie alerts webhook`: where an organisation's hot-account alerts go."""

from __future__ import annotations

from urllib.parse import urlsplit

import click
import requests

from server.cli.context import CommandError, database_session, fail_cleanly
from server.jobs.alerts import WEBHOOK_TIMEOUT
from server.storage.tenancy import get_organisation


@click.group()
def alerts() -> None:
    """Alerts when an account becomes hot."""


@alerts.command("webhook")
@click.option("--org", "org_name", required=True, help="Organisation name.")
@click.option("--test", "send_test", is_flag=True, help="Also send a test message now.")
@click.argument("url")
@fail_cleanly
def webhook(org_name: str, send_test: bool, url: str) -> None:
    """Send alerts to URL (a Slack incoming webhook or any JSON endpoint); "" turns them off."""
    if url and (urlsplit(url).scheme not in ("http", "https") or not urlsplit(url).hostname):
        raise CommandError(f"url: {url!r} is not an http(s) URL")
    with database_session() as session:
        organisation = get_organisation(session, org_name)
        organisation.settings = {**organisation.settings, "webhook_url": url or None}
        name = organisation.name
    click.echo(f'Alerts of "{name}" go to {url}.' if url else f'Alerts of "{name}" are off.')
    if url and send_test:
        text = f"Vigie test alert for {name}: hot accounts will be announced here."
        try:
            answer = requests.post(url, json={"text": text}, timeout=WEBHOOK_TIMEOUT)
        except requests.RequestException as error:
            raise CommandError(
                f"url: test message not delivered ({type(error).__name__})"
            ) from None
        if answer.status_code >= 300:
            raise CommandError(f"url: test message refused ({answer.status_code})")
        click.echo("Test message delivered.")
