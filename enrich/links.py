"""Links from outside sources: only http(s) URLs with a host are kept as links.

Providers' `linkedin_url` and `website`, a contact's `profile_url` and whatever
a beacon carries come from people Vigie does not control. A `javascript:` or
`data:` URL in an `<a href>` runs in the dashboard's origin when clicked, so
such values are dropped when provider answers are stored, and the dashboard
shows any other value as plain text (`server.web.formatting.outside_link`).
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any
from urllib.parse import urlsplit

from enrich.providers import Contact, Firmographics

WEB_SCHEMES = ("http", "https")
"""The only schemes a link from an outside source may have."""

URL_FIELDS = ("linkedin_url", "website")
"""Firmographic fields (columns or extras) that hold a URL."""


def web_url(value: Any) -> str | None:
    """`value` without surrounding blanks if it is an http(s) URL with a host, else None.

    Any blank or control character inside refuses the URL: browsers drop tabs
    and newlines before parsing, which turns `java\\tscript:` into a script.
    """
    if not isinstance(value, str):
        return None
    url = value.strip()
    if not url or any(ord(char) <= 0x20 or ord(char) == 0x7F for char in url):
        return None
    try:
        parts = urlsplit(url)
        host = parts.hostname
    except ValueError:  # a malformed IPv6 host or port
        return None
    if parts.scheme.lower() not in WEB_SCHEMES or not host:
        return None
    return url


def with_web_links(answer: Firmographics) -> Firmographics:
    """`answer` with every URL field and contact profile that is not a web URL dropped."""
    extra = {
        key: web_url(value) if key in URL_FIELDS else value for key, value in answer.extra.items()
    }
    return replace(
        answer,
        linkedin_url=web_url(answer.linkedin_url),
        extra={key: value for key, value in extra.items() if value is not None},
        contacts=tuple(_with_web_profile(contact) for contact in answer.contacts),
    )


def _with_web_profile(contact: Contact) -> Contact:
    return replace(contact, profile_url=web_url(contact.profile_url))
