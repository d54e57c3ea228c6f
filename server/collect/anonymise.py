"""Anonymisation (SPEC.md privacy rules 2 and 3), before anything is stored.

* The visitor id is a keyed hash of (daily salt, site, address, user agent):
  the same person on the same site and day gets the same id, and nobody can
  compute it again once the day's salt is deleted.
* Query strings are dropped except `utm_*` (kept apart) and the site's
  allow-list; fragments are dropped except hash routes (`#/…`).
* E-mail and IP addresses are redacted from the path, kept query values,
  title, referrer and props.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, unquote, urlencode, urlsplit

from server.logs import redact_addresses

VISITOR_HASH_BYTES = 16
"""Length of the visitor id (32 hex characters)."""

UTM_FIELDS = ("utm_source", "utm_medium", "utm_campaign", "utm_term", "utm_content")
REDACTED_EMAIL = "[email]"

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


@dataclass(frozen=True)
class CleanUrl:
    """A page URL reduced to what may be stored."""

    path: str
    utm: Mapping[str, str]


def clean_page_url(url: str, allowlist: frozenset[str]) -> CleanUrl:
    """Path with allowed query parameters, and the UTM fields apart."""
    parts = urlsplit(url)
    utm: dict[str, str] = {}
    kept: list[tuple[str, str]] = []
    for name, value in parse_qsl(parts.query, keep_blank_values=True):
        lowered = name.lower()
        if lowered in UTM_FIELDS:
            utm[lowered] = (redact(value) or "")[:255]
        elif name in allowlist:
            kept.append((name, redact(value) or ""))
    path = redact(unquote(parts.path) or "/") or "/"
    if kept:
        path += "?" + urlencode(kept)
    if parts.fragment.startswith("/"):
        path += "#" + (redact(parts.fragment) or "")
    return CleanUrl(path[:2048], utm)


def clean_referrer(url: str | None) -> tuple[str | None, str | None]:
    """The referrer's host and path (no query, no fragment)."""
    if not url:
        return None, None
    try:
        parts = urlsplit(url)
        host = parts.hostname
    except ValueError:
        return None, None
    return (host or None), (redact(unquote(parts.path)) or "/")[:2048]


def clean_props(props: Mapping[str, Any] | None) -> dict[str, Any]:
    """Props with e-mail addresses redacted from keys and string values."""
    cleaned: dict[str, Any] = {}
    for key, value in (props or {}).items():
        cleaned[redact(key) or key] = redact(value) if isinstance(value, str) else value
    return cleaned
