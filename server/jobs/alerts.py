"""Alerts: an account became hot. A JSON POST to the organisation's webhook,
with a Slack-compatible `text`, retried by the jobs backend on failure.

The webhook is reached through the guarded client (`server/outbound.py`) and
redirects are not followed, so a webhook URL cannot make the server call its
own network. What a delivery tells back is one short line ("delivered",
"refused: a private address", "failed: HTTP 500"): never the answer's body,
and logs name the host only, since webhook URLs carry tokens.
"""

from __future__ import annotations

import logging
from urllib.parse import urlsplit

import requests
from flask import current_app

from enrich.outbound import GuardedSession, OutboundPolicy, OutboundRefused
from server.jobs.task import task
from server.outbound import outbound_policy
from server.storage import session_scope
from server.storage.models import Account, Organisation

log = logging.getLogger(__name__)

WEBHOOK_TIMEOUT = 10.0
"""Seconds a webhook may take to answer."""


class WebhookFailed(RuntimeError):
    """The webhook did not accept the alert; the job is retried.

    The message is what the user is told: "failed: HTTP 500", "failed: timeout"…
    """


class WebhookRefused(WebhookFailed):
    """The webhook's address is one Vigie does not call ("refused: a private
    address"); retrying would not change that."""


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
        deliver(url, payload)
    except WebhookRefused as refusal:
        log.warning("alert webhook on %s not called: %s", webhook_host(url), refusal)
        return False
    return True


def send_test_message(
    url: str, organisation_name: str, policy: OutboundPolicy | None = None
) -> None:
    """Post a test alert to `url` now, under `policy` (default: the current app's).

    :raise WebhookRefused: when the URL's address is not one Vigie calls.
    :raise WebhookFailed: naming why it was not delivered.
    """
    text = f"Vigie test alert for {organisation_name}: hot accounts will be announced here."
    deliver(url, {"text": text}, policy)


def deliver(url: str, payload: dict[str, object], policy: OutboundPolicy | None = None) -> None:
    """POST `payload` as JSON to `url`, following no redirect, under `policy`
    (default: the current app's exceptions).

    :raise WebhookRefused: when the URL's address is not one Vigie calls.
    :raise WebhookFailed: on a timeout, a connection error or an answer that is
        not 2xx (a redirect included).
    """
    try:
        with GuardedSession(policy or outbound_policy(), timeout=WEBHOOK_TIMEOUT) as http:
            response = http.post(url, json=payload, allow_redirects=False)
            response.close()
    except OutboundRefused as refusal:
        raise WebhookRefused(f"refused: {refusal.reason.value}") from None
    except requests.Timeout:
        raise WebhookFailed("failed: timeout") from None
    except requests.RequestException:
        raise WebhookFailed("failed: connection error") from None
    if not 200 <= response.status_code < 300:
        raise WebhookFailed(f"failed: HTTP {response.status_code}")


def webhook_host(url: str) -> str:
    """The host of a webhook URL: all of it a log line may show."""
    return urlsplit(url).hostname or "?"


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
