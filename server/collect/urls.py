"""Reading a page or referrer URL as a browser does, before the collector trusts its host.

Python's `urlsplit` and a browser (the WHATWG URL standard) disagree on some
authorities. `https://evil.example\\@a-site.test/p` is a page of `a-site.test`
to Python, but a browser reads `\\` as `/` and shows `evil.example`; a host
such as `exa%41mple` or `3232235796` is taken literally by Python and decoded
by a browser. A beacon carrying such a URL could pass for another site's page,
so `read_url` refuses:

* any user name or password (no browser puts one in `location.href` or
  `document.referrer`, and a stored URL must not keep one);
* a backslash in the authority;
* a URL whose host the WHATWG reading (`ada_url`, the parser of Node.js)
  finds different from `urlsplit`'s, or cannot parse at all.

What is left reads the same both ways, so the host `urlsplit` gives is the one
a browser showed; the reading also tells whether that host is an IP address.
"""

from __future__ import annotations

import ipaddress
from typing import NamedTuple
from urllib.parse import SplitResult, urlsplit

import ada_url

SCHEMES = ("http", "https")


class UrlError(ValueError):
    """A URL the collector does not accept; `reason` says why, for a 400."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class ReadUrl(NamedTuple):
    """An absolute http(s) URL that Python and browsers read alike (a tuple:
    made for every beacon, it costs less than a dataclass)."""

    parts: SplitResult
    host: str  # lower case, without brackets for IPv6
    ip_literal: bool  # the host is an IPv4 or IPv6 address, not a name


def read_url(value: str) -> ReadUrl:
    """`value` split, once it is known to name the host a browser would.

    :raise UrlError: for a URL that is not absolute http(s), that holds a user
        name, password or a backslash before its path, or whose host a browser
        reads otherwise.
    """
    try:
        parts = urlsplit(value)
        host = parts.hostname
    except ValueError:
        raise UrlError("not a valid URL") from None
    if parts.scheme not in SCHEMES or not host:
        raise UrlError("must be an absolute http(s) URL")
    if "@" in parts.netloc:
        raise UrlError("must not contain a user name or password")
    if "\\" in parts.netloc:
        raise UrlError("must not contain a backslash before its path")
    try:
        browser_host = ada_url.parse_url(value, attributes=("hostname",))["hostname"]
    except ValueError:
        raise UrlError("not a valid URL") from None
    ip_literal = _is_address(browser_host)
    if not _same_host(host, browser_host, ip_literal):
        raise UrlError("host is read differently by browsers")
    return ReadUrl(parts, host, ip_literal)


def _is_address(browser_host: str) -> bool:
    """Whether a host as a browser serialises it is an IP address: IPv6 in
    brackets, or IPv4, the only host whose last label may be a number (a host
    ending in a number is parsed as IPv4 or refused)."""
    return browser_host.startswith("[") or browser_host.rpartition(".")[2].isdigit()


def _same_host(python_host: str, browser_host: str, ip_literal: bool) -> bool:
    """Whether both readings name one host (an IPv6 address may be written
    several ways; a name or an IPv4 address only in the browser's form)."""
    if python_host == browser_host:
        return True
    if not ip_literal:
        return False
    try:
        return ipaddress.ip_address(python_host) == ipaddress.ip_address(browser_host.strip("[]"))
    except ValueError:
        return False
