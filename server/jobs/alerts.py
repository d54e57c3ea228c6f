"""Alerts: an account became hot. A JSON POST to the organisation's webhook,
with a Slack-compatible `text`, retried by the jobs backend on failure."""

from __future__ import annotations

import logging

import requests
from flask import current_app

from server.jobs.task import task
from server.storage import session_scope
from server.storage.models import Account, Organisation

log = logging.getLogger(__name__)

WEBHOOK_TIMEOUT = 10.0
"""Seconds a webhook may take to answer."""


class WebhookFailed(RuntimeError):
    """The webhook did not accept the alert; the job is retried."""


@task(queue="alerts")
def alert_hot_account(account_id: int) -> bool:
    """Post the alert if the organisation has a webhook; True if one was sent."""
    with session_scope() as session:
        account = session.get(Account, account_id)
        if account is None:
            return False
        organisation = session.get(Organisation, account.org_id)
        url = (organisation.settings if organisation else {}).get("webhook_url")
        payload = alert_payload(account, current_app.config.get("PUBLIC_URL"))
    if not url:
        return False
    try:
        response = requests.post(url, json=payload, timeout=WEBHOOK_TIMEOUT)
    except requests.RequestException as error:
        raise WebhookFailed(f"webhook unreachable ({type(error).__name__})") from None
    if response.status_code >= 300:
        raise WebhookFailed(f"webhook answered {response.status_code}")
    return True


def send_test_message(url: str, organisation_name: str) -> None:
    """Post a test alert to `url` now.

    :raise WebhookFailed: naming why it was not delivered.
    """
    text = f"Vigie test alert for {organisation_name}: hot accounts will be announced here."
    try:
        response = requests.post(url, json={"text": text}, timeout=WEBHOOK_TIMEOUT)
    except requests.RequestException as error:
        raise WebhookFailed(f"test message not delivered ({type(error).__name__})") from None
    if response.status_code >= 300:
        raise WebhookFailed(f"test message refused ({response.status_code})")


def alert_payload(account: Account, public_url: str | None = None) -> dict[str, object]:
    """The alert: a Slack-compatible `text` (with a link to the account's page
    when `VIGIE_PUBLIC_URL` is set) and the account's score in JSON."""
    link = f"{public_url}/accounts/{account.id}" if public_url else None
    reasons = ", ".join(
        f"{item['label']} ({item['points']:+g})" for item in account.explanation[:3]
    )
    name = account.name + (f" ({account.domain})" if account.domain else "")
    text = f"🔥 {name} is now hot: score {account.score}. Why: {reasons or 'n/a'}"
    return {
        "text": f"{text} <{link}|Open in Vigie>" if link else text,
        "url": link,
        "account": {
            "id": account.id,
            "name": account.name,
            "domain": account.domain,
            "score": account.score,
            "tier": account.tier,
            "explanation": account.explanation,
        },
    }
