"""The calls every connector makes: JSON over the guarded session, retried on
rate limits and server errors, answers turned into `CrmError`s.

A 429 waits what its `Retry-After` asks (seconds or an HTTP date), capped at
`RetryPolicy.max_wait` so a CRM asking for an hour cannot hold a worker; a 5xx,
a timeout or a dropped connection waits `backoff`, doubling at each attempt.
A 4xx other than 429 is not retried: the request itself is at fault.
"""

from __future__ import annotations

import email.utils
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import requests

from enrich.crm import CrmError, Failure
from enrich.outbound import OutboundRefused

Describe = Callable[[Any], str]
"""Turn a CRM's JSON error body into a short message (never the request or token)."""


@dataclass(frozen=True)
class RetryPolicy:
    """How hard to try. Checked on creation.

    :raise ValueError: naming the setting at fault.
    """

    attempts: int = 4
    backoff: float = 1.0
    max_wait: float = 30.0
    timeout: float = 10.0

    def __post_init__(self) -> None:
        if self.attempts < 1:
            raise ValueError("attempts: at least 1")
        if self.backoff < 0 or self.max_wait < 0 or self.timeout <= 0:
            raise ValueError("backoff, max_wait, timeout: must not be negative")


class CrmHttp:
    """A session, a retry policy and a way to describe errors, for one CRM."""

    def __init__(
        self,
        session: requests.Session,
        policy: RetryPolicy,
        describe: Describe,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.session = session
        self.policy = policy
        self.describe = describe
        self.sleep = sleep

    def call(self, method: str, url: str, **kwargs: Any) -> requests.Response:
        """Send the request until it succeeds or attempts run out.

        :returns: the 2xx answer (or 404, which the caller reads as "unknown").
        :raise CrmError: for the last failure met.
        """
        for attempt in range(self.policy.attempts):
            try:
                return self.once(method, url, **kwargs)
            except CrmError as error:
                if not error.retryable or attempt + 1 == self.policy.attempts:
                    raise
                self.sleep(self.wait(error, attempt))
        raise AssertionError("unreachable")  # the loop returns or raises

    def once(self, method: str, url: str, **kwargs: Any) -> requests.Response:
        """One request, its answer checked.

        :raise CrmError: for a refusal, a network failure or a non-2xx answer but 404.
        """
        try:
            response = self.session.request(
                method, url, timeout=self.policy.timeout, allow_redirects=False, **kwargs
            )
        except OutboundRefused as refusal:
            raise CrmError(Failure.REFUSED, refusal.reason.value) from None
        except requests.Timeout:
            raise CrmError(Failure.NETWORK, "timeout") from None
        except requests.RequestException:
            raise CrmError(Failure.NETWORK) from None
        if 200 <= response.status_code < 300 or response.status_code == 404:
            return response
        raise self.error(response)

    def error(self, response: requests.Response) -> CrmError:
        status = response.status_code
        detail = self.describe(json_or_none(response))
        if status == 429:
            return CrmError(Failure.RATE_LIMITED, detail, status, retry_after(response))
        if status >= 500:
            return CrmError(Failure.SERVER, detail, status)
        if status == 403 and "LIMIT_EXCEEDED" in detail:  # Salesforce's API request limit
            return CrmError(Failure.RATE_LIMITED, detail, status)
        if status in (401, 403):
            return CrmError(Failure.AUTH, detail, status)
        return CrmError(Failure.VALIDATION, detail, status)

    def wait(self, error: CrmError, attempt: int) -> float:
        """Seconds before the next attempt: the CRM's ask, else exponential backoff; capped."""
        wanted = error.retry_after
        if wanted is None:
            wanted = self.policy.backoff * 2**attempt
        return max(0.0, min(wanted, self.policy.max_wait))


def json_or_none(response: requests.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return None


def retry_after(response: requests.Response, now: datetime | None = None) -> float | None:
    """The seconds a `Retry-After` header asks for (a number or an HTTP date), if any."""
    value = (response.headers.get("Retry-After") or "").strip()
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


def text_of(value: Any, limit: int = 200) -> str:
    """A short one-line text of a value from an error body."""
    return " ".join(str(value).split())[:limit] if value not in (None, "") else ""
