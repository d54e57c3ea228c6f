"""Anonymisation (SPEC.md privacy rules 2 and 3), before anything is stored.

* The visitor id is a keyed hash of (daily salt, site, address, user agent):
  the same person on the same site and day gets the same id, and nobody can
  compute it again once the day's salt is deleted.
* Query strings are dropped except `utm_*` (kept apart) and the site's
  allow-list; fragments are dropped except hash routes (`#/…`).
* E-mail and IP addresses are redacted from the path, kept query values,
  title, referrer and props; a referrer whose host is an IP address keeps
  `REFERRER_IP_HOST` as its host (read as a browser reads it, so
  `http://3232235796/` is refused rather than kept as a name).

Then every text fits where it is stored: what percent-decoding reveals (the
page path, UTM values, the referrer's path) is refused like the beacon's own
fields when it holds a control character (`BeaconError` naming `url`,
`utm_…` or `referrer`), and what redaction lengthened (`[email]` is longer
than the shortest address) is cut, on a character, to its column's length,
read from the models (`Event`, and `Visit` for what a visit copies); props
are cut to the beacon's own limits (64 for a key, 256 for a value).
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, unquote, urlencode, urlsplit

from server.collect.beacon import (
    MAX_PROP_KEY_LENGTH,
    MAX_PROP_LENGTH,
    check_host,
    check_text,
    read_checked_url,
)
from server.logs import redact_addresses
from server.storage.models import Event, Visit

VISITOR_HASH_BYTES = 16
"""Length of the visitor id (32 hex characters)."""

UTM_FIELDS = ("utm_source", "utm_medium", "utm_campaign", "utm_term", "utm_content")
REDACTED_EMAIL = "[email]"
REFERRER_IP_HOST = "(IP address)"
"""The referrer host stored for a referrer whose host is an IP address: the
address may be a visitor's own (a home router, a printer's page), so it is
never stored, not even in events and visits' `referrer_host`."""

PATH_LENGTH = min(Event.path.type.length, Visit.entry_path.type.length)
TITLE_LENGTH = Event.title.type.length
REFERRER_PATH_LENGTH = Event.referrer_path.type.length
UTM_LENGTH = min(
    getattr(model, name).type.length
    for model in (Event, Visit)
    for name in UTM_FIELDS
    if hasattr(model, name)
)
"""The shortest UTM column (events keep all five, visits the first three)."""

_EMAIL = re.compile(r"[A-Za-z0-9._%+\-]+(?:@|%40)[A-Za-z0-9.\-]+\.[A-Za-z]{2,}")


def visitor_hash(salt: bytes, site_key: str, ip: str, user_agent: str) -> str:
    """The anonymous daily visitor id."""
    message = f"{site_key}\x1f{ip}\x1f{user_agent}".encode()
    return hmac.new(salt, message, hashlib.sha256).hexdigest()[: VISITOR_HASH_BYTES * 2]


def redact(text: str | None) -> str | None:
    """`text` with every e-mail address (also URL-encoded) replaced by `[email]`,
    and every IP address by `[ip]` (a page may show visitors their own)."""
    if not text:
        return text
    return redact_addresses(_EMAIL.sub(REDACTED_EMAIL, text))


def fit(text: str | None, length: int) -> str | None:
    """`text` cut to `length` characters (code points, as the columns count)."""
    return text[:length] if text else text


def clean_title(title: str | None) -> str | None:
    """The title redacted, cut to its column."""
    return fit(redact(title), TITLE_LENGTH)


@dataclass(frozen=True)
class CleanUrl:
    """A page URL reduced to what may be stored."""

    path: str
    utm: Mapping[str, str]


def clean_page_url(url: str, allowlist: frozenset[str]) -> CleanUrl:
    """Path with allowed query parameters, and the UTM fields apart.

    :raise BeaconError: `url` or `utm_…` for a control character once decoded.
    """
    parts = urlsplit(url)
    utm: dict[str, str] = {}
    kept: list[tuple[str, str]] = []
    for name, value in parse_qsl(parts.query, keep_blank_values=True):
        lowered = name.lower()
        if lowered in UTM_FIELDS:
            check_text(lowered, value)
            utm[lowered] = fit(redact(value), UTM_LENGTH) or ""
        elif name in allowlist:
            kept.append((name, redact(value) or ""))  # encoded again below: no control left
    path = unquote(parts.path) or "/"
    check_text("url", path)
    path = redact(path) or "/"
    if kept:
        path += "?" + urlencode(kept)
    if parts.fragment.startswith("/"):
        path += "#" + (redact(parts.fragment) or "")
    return CleanUrl(path[:PATH_LENGTH], utm)


def clean_referrer(url: str | None) -> tuple[str | None, str | None]:
    """The referrer's host and path (no query, no fragment); a host that is an
    IP address is stored as `REFERRER_IP_HOST`.

    :raise BeaconError: `referrer` for a URL the beacon would refuse (see
        `read_checked_url`), a control character once decoded, or a host
        longer than a DNS name.
    """
    if not url:
        return None, None
    referrer = read_checked_url("referrer", url)
    check_host("referrer", referrer.host)
    path = unquote(referrer.parts.path)
    check_text("referrer", path)
    host = REFERRER_IP_HOST if referrer.ip_literal else referrer.host
    return host, fit(redact(path) or "/", REFERRER_PATH_LENGTH)


def clean_props(props: Mapping[str, Any] | None) -> dict[str, Any]:
    """Props with e-mail addresses redacted from keys and string values, cut to
    the beacon's limits."""
    cleaned: dict[str, Any] = {}
    for key, value in (props or {}).items():
        if isinstance(value, str):
            value = fit(redact(value), MAX_PROP_LENGTH)
        cleaned[fit(redact(key), MAX_PROP_KEY_LENGTH) or key] = value
    return cleaned
