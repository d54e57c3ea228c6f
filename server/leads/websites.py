"""Fetching a company's homepage, politely and within bounds, through the guarded client.

Only the company's domain is used (`VIGIE_LEAD_WEBSITE_URL`, `https://{domain}/`
by default): nothing about the lead goes out. The fetch reads `robots.txt`
beside the homepage first and stops if it disallows Vigie, names itself in
its user agent, follows at most `MAX_REDIRECTS` redirects (each hop checked
by the guarded client, so a redirect to a private address is refused), reads
at most `MAX_BYTES` of the page, and gives up past its timeout, counted
between reads and for the whole page. What the page says is read by
`enrich.providers.website`.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from enum import StrEnum
from urllib.parse import urljoin

import requests

from enrich.outbound import OutboundRefused
from enrich.providers.website import (
    HomepageFacts,
    decode_html,
    parse_homepage,
    robots_allow,
)

MAX_BYTES = 512 * 1024
"""Bytes of a homepage read; the rest is not downloaded (titles come first)."""

ROBOTS_MAX_BYTES = 64 * 1024
"""Bytes of a `robots.txt` read."""

MAX_REDIRECTS = 3
"""Redirects followed (`http` → `https` → `www.` and one more)."""

READ_CHUNK = 16 * 1024

HTML_TYPES = ("text/html", "application/xhtml+xml")

_CHARSET = re.compile(r"charset\s*=\s*[\"']?([A-Za-z0-9_.:-]+)", re.I)


class Status(StrEnum):
    """How the last fetch of a homepage ended."""

    OK = "ok"
    ROBOTS = "robots"
    """`robots.txt` disallows Vigie: nothing more was fetched."""
    REFUSED = "refused"
    """The domain (or a redirect) leads to an address the guard forbids."""
    FAILED = "failed"
    """A timeout, an HTTP error, a broken connection or not an HTML page."""


class FetchFailed(Exception):
    """The fetch ended without a page; the message says why in a few words."""


@dataclass(frozen=True)
class WebsiteFetch:
    """The outcome of fetching one homepage."""

    status: Status
    facts: HomepageFacts | None = None
    """What the page says; only when `status` is ok."""
    truncated: bool = False
    """The page was longer than `MAX_BYTES` and only its start was read."""
    error: str | None = None
    """Why there is no page, in a few words; None when `status` is ok."""


def homepage_url(template: str, domain: str) -> str:
    """The homepage address of `domain` from the configured template."""
    return template.replace("{domain}", domain)


def fetch_website(
    http: requests.Session, url: str, user_agent: str, timeout: float
) -> WebsiteFetch:
    """Fetch the homepage at `url` through `http` (a guarded session), if
    `robots.txt` allows; never raises for what the site does."""
    deadline = time.monotonic() + timeout
    headers = {"User-Agent": user_agent, "Accept": "text/html,application/xhtml+xml;q=0.9"}
    try:
        if not _robots_allow(http, url, headers, deadline, timeout):
            return WebsiteFetch(Status.ROBOTS, error="robots.txt disallows Vigie")
        page = _get(http, url, headers, MAX_BYTES, deadline, timeout)
    except OutboundRefused as refusal:
        return WebsiteFetch(Status.REFUSED, error=str(refusal))
    except requests.TooManyRedirects:
        return WebsiteFetch(Status.FAILED, error=f"more than {MAX_REDIRECTS} redirects")
    except requests.Timeout:
        return WebsiteFetch(Status.FAILED, error=f"no answer within {timeout:g} s")
    except (requests.RequestException, FetchFailed) as error:
        return WebsiteFetch(Status.FAILED, error=_short(error))
    if page.status >= 400:
        return WebsiteFetch(Status.FAILED, error=f"HTTP {page.status}")
    kind = page.content_type.split(";", 1)[0].strip().lower()
    if kind and kind not in HTML_TYPES:
        return WebsiteFetch(Status.FAILED, error=f"not an HTML page ({kind[:60]})")
    match = _CHARSET.search(page.content_type)
    text = decode_html(page.content, match.group(1) if match else None)
    return WebsiteFetch(Status.OK, parse_homepage(text), page.truncated)


@dataclass(frozen=True)
class _Body:
    """What `_get` read of an answer: its status, its body up to the limit
    (`truncated` when there was more) and its content type."""

    status: int
    content: bytes
    truncated: bool
    content_type: str


def _robots_allow(
    http: requests.Session, url: str, headers: dict[str, str], deadline: float, timeout: float
) -> bool:
    """What the site's `robots.txt` says of `url`: none (404) allows all, 401
    and 403 allow nothing, a server error is a failure to try again later.

    :raise FetchFailed: for a server error.
    """
    robots = _get(http, urljoin(url, "robots.txt"), headers, ROBOTS_MAX_BYTES, deadline, timeout)
    if robots.status in (401, 403):
        return False
    if robots.status >= 500:
        raise FetchFailed(f"robots.txt: HTTP {robots.status}")
    if robots.status >= 400:
        return True
    return robots_allow(robots.content.decode("utf-8", errors="replace"), url)


def _get(
    http: requests.Session,
    url: str,
    headers: dict[str, str],
    limit: int,
    deadline: float,
    timeout: float,
) -> _Body:
    """Up to `limit` bytes of `url`'s body, read before `deadline`.

    :raise FetchFailed: past the deadline.
    """
    with http.get(url, headers=headers, stream=True, timeout=(timeout, timeout)) as response:
        chunks: list[bytes] = []
        size, truncated = 0, False
        for chunk in response.iter_content(READ_CHUNK):
            if time.monotonic() > deadline:
                raise FetchFailed(f"no whole answer within {timeout:g} s")
            room = limit - size
            if len(chunk) > room:
                chunks.append(chunk[:room])
                truncated = True
                break
            chunks.append(chunk)
            size += len(chunk)
        return _Body(
            response.status_code,
            b"".join(chunks),
            truncated,
            response.headers.get("Content-Type", ""),
        )


def _short(error: Exception) -> str:
    """A failure in a few words: its kind, not a URL-laden message."""
    if isinstance(error, FetchFailed):
        return str(error)
    if isinstance(error, requests.ConnectionError):
        # A read timeout in the body comes wrapped as a connection error.
        return "timed out reading the answer" if "timed out" in str(error) else "cannot connect"
    return type(error).__name__
