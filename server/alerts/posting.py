"""Posting JSON to a URL a user typed (incoming webhooks, webhook subscriptions).

The URL is reached through the guarded client (`server/outbound.py`) and
redirects are not followed, so a URL cannot make the server call its own
network. What a post tells back is one short line ("refused: a private
address", "failed: HTTP 500"): never the answer's body, and logs name the host
only, since such URLs carry tokens.
"""

from __future__ import annotations

from urllib.parse import urlsplit

import requests

from enrich.outbound import GuardedSession, OutboundPolicy, OutboundRefused
from server.outbound import outbound_policy

POST_TIMEOUT = 10.0
"""Seconds an endpoint may take to answer."""


class WebhookFailed(RuntimeError):
    """The endpoint did not accept the post; the message is what the user is
    told ("failed: HTTP 500", "failed: timeout"…), `status` its HTTP status if any."""

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


class WebhookRefused(WebhookFailed):
    """The URL's address is one Vigie does not call ("refused: a private
    address"); retrying would not change that."""


def post_json(
    url: str,
    body: bytes,
    headers: dict[str, str] | None = None,
    policy: OutboundPolicy | None = None,
) -> int:
    """POST the JSON `body` to `url`, following no redirect, under `policy`
    (default: the current app's exceptions).

    :returns: the answer's status (2xx).
    :raise WebhookRefused: when the URL's address is not one Vigie calls.
    :raise WebhookFailed: on a timeout, a connection error or an answer that is
        not 2xx (a redirect included).
    """
    sent_headers = {"Content-Type": "application/json", **(headers or {})}
    try:
        with GuardedSession(policy or outbound_policy(), timeout=POST_TIMEOUT) as http:
            response = http.post(url, data=body, headers=sent_headers, allow_redirects=False)
            response.close()
    except OutboundRefused as refusal:
        raise WebhookRefused(f"refused: {refusal.reason.value}") from None
    except requests.Timeout:
        raise WebhookFailed("failed: timeout") from None
    except requests.RequestException:
        raise WebhookFailed("failed: connection error") from None
    if not 200 <= response.status_code < 300:
        raise WebhookFailed(f"failed: HTTP {response.status_code}", response.status_code)
    return response.status_code


def host_of(url: str) -> str:
    """The host of a URL: all of it a log line may show."""
    return urlsplit(url).hostname or "?"
