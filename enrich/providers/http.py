"""An HTTP JSON firmographics API, configured rather than coded.

`url` is a template with `{domain}`; the API key goes in a header; `fields`
maps Vigie's fields to dotted paths in the JSON answer. Calls are spaced by a
rate limit, time out, and are retried with exponential backoff on timeouts,
connection errors and 5xx, and after the delay a 429's `Retry-After` asks for.
A 404 means "unknown company"; other 4xx and malformed JSON are not retried.

Requests go through the guarded session it is given (`enrich.outbound`; by
default one that allows no private address): a URL or a redirect towards a
forbidden address is refused at once and not retried.
"""

from __future__ import annotations

import email.utils
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any
from urllib.parse import quote

import requests

from enrich.outbound import GuardedSession, OutboundRefused
from enrich.providers import Contact, Firmographics, ProviderError, Query


@dataclass(frozen=True)
class HttpProviderConfig:
    """Settings of one HTTP provider. Checked on creation.

    :raise ValueError: naming the setting at fault.
    """

    url: str
    fields: Mapping[str, str]
    api_key: str | None = None
    api_key_header: str = "Authorization"
    timeout: float = 5.0
    retries: int = 3
    backoff: float = 0.5
    max_retry_after: float = 60.0
    rate_limit: float = 5.0
    name: str = "http"
    extra_headers: Mapping[str, str] = field(default_factory=dict)
    contacts: Mapping[str, Any] = field(default_factory=dict)
    """Optional: {"path": "<dotted path to a list>", "fields": {"name": "...", "title": "...", …}}."""

    def __post_init__(self) -> None:
        if "{domain}" not in self.url or not self.url.startswith(("http://", "https://")):
            raise ValueError(f"url: {self.url!r} must be an http(s) URL containing {{domain}}")
        if not self.fields:
            raise ValueError("fields: map at least one field to a path in the answer")
        for setting in ("timeout", "rate_limit"):
            if getattr(self, setting) <= 0:
                raise ValueError(f"{setting}: must be more than 0")
        if self.retries < 0 or self.backoff < 0:
            raise ValueError("retries, backoff: must be 0 or more")


Sleep = Callable[[float], None]
"""How the provider waits (`time.sleep`; a test hands a recorder)."""


class RateLimiter:
    """Space calls at least 1/rate seconds apart, across threads."""

    def __init__(
        self,
        rate: float,
        clock: Callable[[], float] = time.monotonic,
        sleep: Sleep = time.sleep,
    ) -> None:
        self.interval = 1.0 / rate
        self.clock = clock
        self.sleep = sleep
        self._next = 0.0
        self._lock = threading.Lock()

    def wait(self) -> None:
        with self._lock:
            now = self.clock()
            delay = max(0.0, self._next - now)
            self._next = max(now, self._next) + self.interval
        if delay:
            self.sleep(delay)


class HttpJsonProvider:
    """Look a domain up on an HTTP JSON API."""

    def __init__(
        self,
        config: HttpProviderConfig,
        session: requests.Session | None = None,
        sleep: Sleep = time.sleep,
    ) -> None:
        self.config = config
        self.name = config.name
        self.session = session or GuardedSession()
        self.sleep = sleep
        self.limiter = RateLimiter(config.rate_limit, sleep=sleep)

    def lookup(self, query: Query) -> Firmographics | None:
        if not query.domain:
            return None
        url = self.config.url.replace("{domain}", quote(query.domain, safe=""))
        answer = self._get(url)
        if answer is None:
            return None
        data = {key: dig(answer, path) for key, path in self.config.fields.items()}
        try:
            found = Firmographics.from_mapping(data)
        except ValueError as error:
            raise ProviderError(self.name, f"unusable answer: {error}", retryable=False) from None
        return replace(found, contacts=self._contacts(answer))

    def _contacts(self, answer: Any) -> tuple[Contact, ...]:
        if not self.config.contacts:
            return ()
        people = dig(answer, self.config.contacts.get("path", ""))
        mapping = self.config.contacts.get("fields", {})
        if not isinstance(people, list):
            return ()
        contacts = (
            Contact.from_mapping({key: dig(person, path) for key, path in mapping.items()})
            for person in people
        )
        return tuple(contact for contact in contacts if contact is not None)

    def _get(self, url: str) -> Any:
        attempts = self.config.retries + 1
        for attempt in range(1, attempts + 1):
            self.limiter.wait()
            try:
                response = self.session.get(
                    url, headers=self._headers(), timeout=self.config.timeout
                )
            except OutboundRefused as refusal:
                raise ProviderError(self.name, f"refused: {refusal}", retryable=False) from None
            except requests.Timeout:
                problem = f"no answer within {self.config.timeout:g}s"
            except requests.ConnectionError as error:
                problem = f"cannot connect ({type(error).__name__})"
            else:
                outcome = self._read(response)
                if not isinstance(outcome, _Retry):
                    return outcome
                problem = outcome.problem
                if outcome.after is not None and attempt < attempts:
                    self.sleep(outcome.after)
                    continue
            if attempt < attempts:
                self.sleep(self.config.backoff * 2 ** (attempt - 1))
        raise ProviderError(self.name, f"{problem} after {attempts} attempt(s)")

    def _read(self, response: requests.Response) -> Any:
        status = response.status_code
        if status == 404:
            return None
        if status == 429:
            after = retry_after(response.headers.get("Retry-After"))
            if after is not None and after > self.config.max_retry_after:
                raise ProviderError(self.name, f"rate limited for {after:g}s")
            return _Retry("rate limited (429)", after if after is not None else None)
        if status >= 500:
            return _Retry(f"server error {status}", None)
        if status >= 400:
            raise ProviderError(self.name, f"refused with {status}", retryable=False)
        try:
            return response.json()
        except ValueError:
            raise ProviderError(
                self.name, "malformed JSON in the answer", retryable=False
            ) from None

    def _headers(self) -> dict[str, str]:
        headers = {"Accept": "application/json", **self.config.extra_headers}
        if self.config.api_key:
            headers[self.config.api_key_header] = self.config.api_key
        return headers


@dataclass(frozen=True)
class _Retry:
    problem: str
    after: float | None


def retry_after(value: str | None) -> float | None:
    """Seconds asked by a `Retry-After` header (seconds or HTTP date); None if absent."""
    if not value:
        return None
    if value.strip().isdigit():
        return float(value.strip())
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


def dig(data: Any, path: str) -> Any:
    """The value at a dotted path (`company.metrics.employees`), or None."""
    for part in path.split("."):
        if isinstance(data, Mapping):
            data = data.get(part)
        elif isinstance(data, list) and part.isdigit() and int(part) < len(data):
            data = data[int(part)]
        else:
            return None
    return data
