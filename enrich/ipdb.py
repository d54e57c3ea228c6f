"""Fetch and refresh the free IP databases a self-hosted user can get.

* MaxMind GeoLite2 (account id + licence key, HTTP basic auth): a `.tar.gz`
  per edition and its published SHA-256, the way MaxMind documents direct
  downloads. A file whose remote checksum matches the one kept beside it
  (`<file>.version`) is already current and is not fetched again.
* DB-IP Lite (no key, a new file each month): a `.mmdb.gz`; gzip's own CRC
  catches a truncated or corrupt download. The current month's file is used,
  else the previous month's while the new one is not yet published.

Each download goes to a temporary file beside its target, is checked (checksum,
complete archive, opens as a MaxMind DB of the expected type), and only then
replaces the target with an atomic rename, so a failure keeps the old file and
running resolvers switch over on their next reload check.

The session is the caller's: Vigie hands in a guarded one (`enrich.outbound`),
so a mirror URL cannot point the download at a private address.
"""

from __future__ import annotations

import gzip
import hashlib
import os
import re
import shutil
import tarfile
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import maxminddb
import requests

from enrich.files import temporary_beside
from enrich.outbound import OutboundRefused

MAXMIND_URL = "https://download.maxmind.com"
DBIP_URL = "https://download.db-ip.com"
MAXMIND_EDITIONS = ("GeoLite2-ASN", "GeoLite2-City", "GeoLite2-Country")
DBIP_EDITIONS = {"asn": "DBIP-ASN-Lite", "city": "DBIP-City-Lite", "country": "DBIP-Country-Lite"}
DOWNLOAD_TIMEOUT = 60.0
"""Seconds without progress before a download is abandoned."""

_SHA256 = re.compile(r"^[0-9a-f]{64}$")
_CHUNK = 1 << 16


class DownloadError(Exception):
    """A database could not be fetched or did not check out; the old file stays."""


@dataclass(frozen=True)
class Download:
    """One database to fetch. Its file's `database_type` must start with `edition`."""

    edition: str
    url: str
    target: Path
    archive: str  # "tar.gz" or "gz"
    checksum_url: str | None = None
    auth: tuple[str, str] | None = None
    fallback_url: str | None = None


@dataclass(frozen=True)
class Outcome:
    edition: str
    target: Path
    status: str  # "updated", "current" or "failed"
    detail: str = ""


def maxmind_downloads(
    editions: list[str],
    account_id: str,
    license_key: str,
    directory: Path,
    base_url: str = MAXMIND_URL,
) -> list[Download]:
    """GeoLite2 editions to fetch with an account id and licence key."""
    downloads = []
    for edition in editions:
        url = f"{base_url.rstrip('/')}/geoip/databases/{edition}/download?suffix=tar.gz"
        downloads.append(
            Download(
                edition=edition,
                url=url,
                target=directory / f"{edition}.mmdb",
                archive="tar.gz",
                checksum_url=url + ".sha256",
                auth=(account_id, license_key),
            )
        )
    return downloads


def dbip_downloads(
    kinds: list[str], today: date, directory: Path, base_url: str = DBIP_URL
) -> list[Download]:
    """DB-IP Lite databases of `today`'s month (the previous month as a fallback)."""
    previous = date(today.year - (today.month == 1), (today.month - 2) % 12 + 1, 1)
    downloads = []
    for kind in kinds:
        edition = DBIP_EDITIONS[kind]
        url, fallback = (
            f"{base_url.rstrip('/')}/free/dbip-{kind}-lite-{month:%Y-%m}.mmdb.gz"
            for month in (today, previous)
        )
        downloads.append(
            Download(
                edition=edition,
                url=url,
                target=directory / f"dbip-{kind}-lite.mmdb",
                archive="gz",
                fallback_url=fallback,
            )
        )
    return downloads


def fetch(
    download: Download, session: requests.Session, timeout: float = DOWNLOAD_TIMEOUT
) -> Outcome:
    """Bring `download.target` up to date; never leaves a broken target.

    The version of the file in place is kept beside it (`<file>.version`): the
    archive's SHA-256 for MaxMind, the monthly URL for DB-IP.
    """
    try:
        expected = _expected_checksum(download, session, timeout)
        in_place = _version(download.target) if download.target.is_file() else None
        if in_place is not None and in_place == (expected or download.url):
            return Outcome(download.edition, download.target, "current", "already the latest")
        fetched = _download_and_swap(download, session, timeout, expected, in_place)
    except DownloadError as error:
        return Outcome(download.edition, download.target, "failed", str(error))
    if fetched is None:
        return Outcome(download.edition, download.target, "current", "the new month is not out yet")
    return Outcome(download.edition, download.target, "updated")


def _expected_checksum(download: Download, session: requests.Session, timeout: float) -> str | None:
    if download.checksum_url is None:
        return None
    text = _get(session, download.checksum_url, download.auth, timeout).text.strip()
    checksum = text.split()[0].lower() if text else ""
    if not _SHA256.match(checksum):
        raise DownloadError(f"the published checksum is not a SHA-256: {text[:80]!r}")
    return checksum


def _download_and_swap(
    download: Download,
    session: requests.Session,
    timeout: float,
    expected: str | None,
    in_place: str | None,
) -> str | None:
    """Fetch, check and swap; return the new version, or None if nothing newer exists."""
    directory = download.target.parent
    directory.mkdir(parents=True, exist_ok=True)
    with (
        temporary_beside(directory, ".download") as archive,
        temporary_beside(directory, ".mmdb") as database,
    ):
        source = _open_source(session, download, timeout)
        if source.url == in_place:
            return None
        digest = _save(source.response, archive)
        if expected and digest != expected:
            raise DownloadError(f"checksum mismatch: expected {expected[:12]}…, got {digest[:12]}…")
        _unpack(download.archive, archive, database)
        _check_database(database, download.edition)
        os.replace(database, download.target)
    version = expected or source.url
    _write_version(download.target, version)
    return version


@dataclass(frozen=True)
class _Source:
    url: str
    response: requests.Response


def _open_source(session: requests.Session, download: Download, timeout: float) -> _Source:
    """The download's response, or its fallback's when the main URL is not there."""
    try:
        return _Source(
            download.url, _get(session, download.url, download.auth, timeout, stream=True)
        )
    except DownloadError:
        if not download.fallback_url:
            raise
    url = download.fallback_url
    return _Source(url, _get(session, url, download.auth, timeout, stream=True))


def _save(response: requests.Response, path: Path) -> str:
    digest = hashlib.sha256()
    received = 0
    try:
        with path.open("wb") as handle:
            for chunk in response.iter_content(_CHUNK):
                handle.write(chunk)
                digest.update(chunk)
                received += len(chunk)
    except requests.RequestException as error:
        raise DownloadError(
            f"download interrupted after {received} bytes ({type(error).__name__})"
        ) from None
    announced = response.headers.get("Content-Length")
    if announced and announced.isdigit() and int(announced) != received:
        raise DownloadError(f"download truncated: {received} of {announced} bytes")
    return digest.hexdigest()


def _get(
    session: requests.Session,
    url: str,
    auth: tuple[str, str] | None,
    timeout: float,
    stream: bool = False,
) -> requests.Response:
    try:
        response = session.get(url, auth=auth, timeout=timeout, stream=stream)
    except OutboundRefused as refusal:
        raise DownloadError(f"{_shown(url)}: refused: {refusal.reason.value}") from None
    except requests.RequestException as error:
        raise DownloadError(f"{_shown(url)}: {type(error).__name__}") from None
    if response.status_code in (401, 403):
        raise DownloadError(
            f"{_shown(url)}: refused ({response.status_code}); check the account id and licence key"
        )
    if response.status_code != 200:
        raise DownloadError(f"{_shown(url)}: HTTP {response.status_code}")
    return response


def _unpack(kind: str, archive: Path, database: Path) -> None:
    try:
        if kind == "gz":
            with gzip.open(archive, "rb") as source, database.open("wb") as target:
                shutil.copyfileobj(source, target, _CHUNK)
            return
        with tarfile.open(archive, "r:gz") as bundle:
            member = next(
                (m for m in bundle.getmembers() if m.isfile() and m.name.endswith(".mmdb")), None
            )
            if member is None:
                raise DownloadError("the archive holds no .mmdb file")
            extracted = bundle.extractfile(member)
            assert extracted is not None  # a regular file (m.isfile() above) always extracts
            with extracted, database.open("wb") as target:
                shutil.copyfileobj(extracted, target, _CHUNK)
    except (OSError, EOFError, tarfile.TarError, gzip.BadGzipFile) as error:
        raise DownloadError(f"damaged archive ({type(error).__name__}: {error})") from None


def _check_database(path: Path, expected_type: str) -> None:
    try:
        with maxminddb.open_database(str(path)) as reader:
            database_type = reader.metadata().database_type
    except (OSError, ValueError, maxminddb.InvalidDatabaseError) as error:
        raise DownloadError(f"not a readable MaxMind DB ({error})") from None
    if not database_type.startswith(expected_type):
        raise DownloadError(f"database type {database_type!r}, expected {expected_type!r}")


def _version_file(target: Path) -> Path:
    return target.with_name(target.name + ".version")


def _version(target: Path) -> str | None:
    path = _version_file(target)
    return path.read_text().strip() if path.is_file() else None


def _write_version(target: Path, version: str) -> None:
    with temporary_beside(target.parent, ".version") as temporary:
        temporary.write_text(version + "\n")
        os.replace(temporary, _version_file(target))


def _shown(url: str) -> str:
    """The URL without its query string (which may carry a licence key)."""
    return url.split("?", 1)[0]
