"""Fetch the providers' range files into a folder, keeping the last good ones.

Each source is downloaded, parsed and counted (at least `Source.min_prefixes`
networks, each one a sane public CIDR) before it replaces its file in the
folder with an atomic rename. A source whose download or check fails leaves
its previous file in place, so the table compiled from the folder keeps that
provider's last good ranges while the others are refreshed.

The session is the caller's: Vigie hands in a guarded one (`enrich.outbound`).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import requests

from enrich.cloud_ranges import RangeFileError, Source, parse
from enrich.files import temporary_beside
from enrich.outbound import OutboundRefused

FETCH_TIMEOUT = 60.0
"""Seconds without progress before a download is abandoned."""

MAX_BYTES = 64 * 1024 * 1024
"""The largest range file accepted (Azure's, the largest, is under 10 MB)."""

_CHUNK = 1 << 16


class FetchError(Exception):
    """A range file could not be downloaded; the message names the URL's host and path."""


@dataclass(frozen=True)
class Fetched:
    """What became of one source."""

    source: Source
    status: str  # "updated" or "failed"
    detail: str = ""
    prefixes: int = 0
    kept_previous: bool = False


def fetch_all(
    sources: list[Source],
    folder: Path,
    session: requests.Session,
    min_prefixes: int | None = None,
    timeout: float = FETCH_TIMEOUT,
) -> list[Fetched]:
    """Refresh the file of each source with a URL; one failure never stops the rest.

    `min_prefixes` replaces every source's own minimum when given.
    """
    folder.mkdir(parents=True, exist_ok=True)
    return [
        fetch_one(source, folder, session, min_prefixes, timeout)
        for source in sources
        if source.url
    ]


def fetch_one(
    source: Source,
    folder: Path,
    session: requests.Session,
    min_prefixes: int | None = None,
    timeout: float = FETCH_TIMEOUT,
) -> Fetched:
    """Download, check and store one source's file; the old file stays on failure."""
    target = folder / source.file_name
    assert source.url is not None
    try:
        data = download(session, source.url, timeout)
        networks = parse(source.format, data, shown(source.url))
        minimum = source.min_prefixes if min_prefixes is None else min_prefixes
        if len(networks) < minimum:
            raise RangeFileError(
                f"{shown(source.url)}: {len(networks)} prefixes, expected at least {minimum}"
            )
    except (FetchError, RangeFileError) as error:
        return Fetched(source, "failed", str(error), kept_previous=target.is_file())
    with temporary_beside(folder, ".download") as temporary:
        temporary.write_bytes(data)
        os.replace(temporary, target)
    return Fetched(source, "updated", prefixes=len(networks))


def download(session: requests.Session, url: str, timeout: float = FETCH_TIMEOUT) -> bytes:
    """The body of `url`, at most `MAX_BYTES`.

    :raise FetchError: for a refusal, a network error, a status other than 200,
        a truncated or an oversized body.
    """
    try:
        response = session.get(url, timeout=timeout, stream=True)
    except OutboundRefused as refusal:
        raise FetchError(f"{shown(url)}: refused: {refusal.reason.value}") from None
    except requests.RequestException as error:
        raise FetchError(f"{shown(url)}: {type(error).__name__}") from None
    with response:
        if response.status_code != 200:
            raise FetchError(f"{shown(url)}: HTTP {response.status_code}")
        body = bytearray()
        try:
            for chunk in response.iter_content(_CHUNK):
                body.extend(chunk)
                if len(body) > MAX_BYTES:
                    raise FetchError(f"{shown(url)}: larger than {MAX_BYTES // 2**20} MiB")
        except requests.RequestException as error:
            raise FetchError(
                f"{shown(url)}: interrupted after {len(body)} bytes ({type(error).__name__})"
            ) from None
    announced = response.headers.get("Content-Length")
    if announced and announced.isdigit() and int(announced) != len(body):
        raise FetchError(f"{shown(url)}: truncated, {len(body)} of {announced} bytes")
    return bytes(body)


def shown(url: str) -> str:
    """The URL without its query string (a mirror's may carry a token)."""
    return url.split("?", 1)[0]
