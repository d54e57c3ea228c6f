"""Checks and normal forms of what users type: e-mails, domains, names.

Each function returns the normal form or raises `InvalidInput(field, reason)`,
which the CLI and the dashboard show as `field: reason`. Passwords have their
own policy, `server/passwords.py`.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable
from urllib.parse import urlsplit

MAX_NAME_LENGTH = 200
"""Longest organisation or site name."""

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")
_QUERY_PARAMETER = re.compile(r"^[A-Za-z0-9_.\-\[\]]{1,64}$")


class FieldError(ValueError):
    """A value cannot be used: `field` names it, `reason` says why ("field: reason")."""

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(f"{field}: {reason}")
        self.field = field
        self.reason = reason


class InvalidInput(FieldError):
    """A value a user gave (a form, a command, a file) cannot be used."""


def normalise_email(value: str, field: str = "email") -> str:
    """Return the e-mail address trimmed and lower-cased."""
    email = value.strip().lower()
    if len(email) > 320 or not _EMAIL.match(email):
        raise InvalidInput(field, f"{value!r} is not an e-mail address")
    return email


def normalise_domain(value: str, field: str = "domain") -> str:
    """Return a host name in lower-case ASCII (IDNA), without a trailing dot.

    `example.com` also covers its sub-domains (`www.example.com`) when events
    are checked; `localhost` is accepted for development.
    """
    text = value.strip().lower().rstrip(".")
    if "://" in text or "/" in text:
        raise InvalidInput(field, f"{value!r} is a URL; give the host name only, e.g. example.com")
    if text.startswith("www.") and text.count(".") >= 2:
        text = text[4:]
    if _is_ip_address(text):
        raise InvalidInput(field, f"{value!r} is an IP address; give a host name")
    try:
        ascii_name = text.encode("idna").decode("ascii")
    except UnicodeError:
        raise InvalidInput(field, f"{value!r} is not a valid host name") from None
    labels = ascii_name.split(".")
    if ascii_name == "localhost":
        return ascii_name
    if len(ascii_name) > 253 or len(labels) < 2 or not all(_LABEL.match(label) for label in labels):
        raise InvalidInput(field, f"{value!r} is not a valid host name")
    if labels[-1].isdigit():
        raise InvalidInput(field, f"{value!r} has no valid top-level domain")
    return ascii_name


def split_list(text: str) -> list[str]:
    """The items of a list typed in one field, separated by commas or spaces."""
    return text.replace(",", " ").split()


def normalise_domains(values: Iterable[str], field: str = "domain") -> list[str]:
    """Each value through `normalise_domain`, in order and without duplicates.

    :raise InvalidInput: for the first bad value, or when there is none.
    """
    domains = [normalise_domain(value, field) for value in values]
    if not domains:
        raise InvalidInput(field, "give at least one domain")
    return list(dict.fromkeys(domains))


def normalise_query_parameters(values: Iterable[str], field: str = "allow-query") -> list[str]:
    """Each value through `normalise_query_parameter`, without duplicates."""
    return list(dict.fromkeys(normalise_query_parameter(value, field) for value in values))


def normalise_query_parameter(value: str, field: str = "allow-query") -> str:
    """Return a query-string parameter name kept by the collector."""
    name = value.strip()
    if not _QUERY_PARAMETER.match(name):
        raise InvalidInput(field, f"{value!r} is not a query parameter name")
    return name


def normalise_name(value: str, field: str = "name") -> str:
    """Return a display name trimmed, non-empty and not too long."""
    name = " ".join(value.split())
    if not name:
        raise InvalidInput(field, "must not be empty")
    if len(name) > MAX_NAME_LENGTH:
        raise InvalidInput(field, f"at most {MAX_NAME_LENGTH} characters")
    return name


def _is_ip_address(text: str) -> bool:
    try:
        ipaddress.ip_address(text.strip("[]"))
    except ValueError:
        return False
    return True


MAX_URL_LENGTH = 2048
"""Longest webhook URL (the size of the columns that keep them)."""


def webhook_url(value: str, field: str = "url") -> str:
    """An http(s) URL, or "" (no webhook).

    Its address is checked when it is called (`enrich.outbound`), not here: a
    host name may resolve elsewhere by then.
    """
    url = value.strip()
    if len(url) > MAX_URL_LENGTH:
        raise InvalidInput(field, f"at most {MAX_URL_LENGTH} characters")
    try:
        parts = urlsplit(url)
        hostname = parts.hostname
    except ValueError:
        raise InvalidInput(field, f"{value!r} is not an http(s) URL") from None
    if url and (parts.scheme not in ("http", "https") or not hostname):
        raise InvalidInput(field, f"{value!r} is not an http(s) URL")
    if parts.username or parts.password:
        raise InvalidInput(
            field, "put no user name or password in the URL; use a token in its path"
        )
    return url
