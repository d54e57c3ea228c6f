"""Which logged requests were page views or downloads, as the snippet would have sent them.

Kept: successful `GET`s (2xx, and 304) of pages; files with a download
extension become `download` events, the snippet's list (`tracker_js/v.js`).
Not kept: other methods and statuses, assets (styles, scripts, images,
fonts, `robots.txt`, sitemaps, source maps…), well-known paths and the
collector's own paths (`/e`, `/p.gif`, `/v.js`, and the paths a site proxies
for the snippet).
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum
from urllib.parse import urlsplit

from server.importing.formats import LogLine, Request

DOWNLOAD_EXTENSIONS = frozenset(
    "pdf doc docx xls xlsx ppt pptx csv zip rar 7z gz txt odt ods odp epub dmg exe msi".split()
)
"""Files the snippet reports as `download` events when their link is clicked."""

PAGE_EXTENSIONS = frozenset("html htm xhtml php asp aspx jsp cfm shtml".split())
"""Extensions that are pages (a path without an extension is one too)."""

NON_PAGE_FILES = frozenset(("robots.txt", "favicon.ico", "ads.txt", "security.txt", "humans.txt"))
"""Files that are never a person's download, whatever their extension."""

COLLECTOR_PATHS = ("/e", "/p.gif", "/v.js")
"""The collector's own paths: beacons, not pages."""

SUCCESS = frozenset((*range(200, 206), *range(207, 300), 304))
"""Statuses of a page that was shown (206, a part of a file, is not a new view)."""


class Kind(StrEnum):
    """What a logged request was."""

    PAGEVIEW = "pageview"
    DOWNLOAD = "download"
    METHOD = "not a GET"
    STATUS = "not successful"
    ASSET = "asset or non-page"
    COLLECTOR = "collector path"


class RequestFilter:
    """Sorts requests into page views, downloads and what is left out."""

    def __init__(self, collector_paths: Iterable[str] = ()) -> None:
        paths = {*COLLECTOR_PATHS, *(p.rstrip("/") or "/" for p in collector_paths)}
        self.collector_paths = frozenset(paths)
        self.collector_prefixes = tuple(p + "/" for p in paths if p != "/")

    def kind(self, line: LogLine | Request) -> Kind:
        """What the request was, from its method, status and target."""
        if line.method != "GET":
            return Kind.METHOD
        if line.status is not None and line.status not in SUCCESS:
            return Kind.STATUS
        path = page_path(line.path if isinstance(line, LogLine) else line.target)
        if path is None:
            return Kind.ASSET
        if path in self.collector_paths or path.startswith(self.collector_prefixes):
            return Kind.COLLECTOR
        if path.startswith("/.well-known/"):
            return Kind.ASSET
        name = path.rsplit("/", 1)[-1].lower()
        if name in NON_PAGE_FILES or name.startswith("sitemap"):
            return Kind.ASSET
        extension = name.rsplit(".", 1)[-1] if "." in name else ""
        if not extension or extension in PAGE_EXTENSIONS:
            return Kind.PAGEVIEW
        if extension in DOWNLOAD_EXTENSIONS:
            return Kind.DOWNLOAD
        return Kind.ASSET


def page_path(target: str) -> str | None:
    """The path of a request target (origin or absolute form), without the query."""
    if not target.startswith("/"):
        if not target.startswith(("http://", "https://")):
            return None
        try:
            target = urlsplit(target).path or "/"
        except ValueError:
            return None
    return target.split("?", 1)[0].split("#", 1)[0] or "/"


def request_target(target: str) -> str:
    """The path and query of a request target, for the page URL."""
    if target.startswith("/"):
        return target
    parts = urlsplit(target)
    return (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
