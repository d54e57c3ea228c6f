"""An uploaded lead file, kept between its upload and the choice of its columns.

The upload page stores the file in the instance folder under a random token,
readable only by the organisation that sent it; the mapping page reads it,
imports it and deletes it. Files left behind (a mapping never chosen) are
deleted after `UPLOAD_TTL_SECONDS`, the next time anyone uploads: a lead
file is personal data and is not kept longer than the import needs.
"""

from __future__ import annotations

import re
import secrets
import time
from pathlib import Path
from typing import IO

UPLOAD_FOLDER = "lead-uploads"
"""Folder of the instance path where uploaded files wait for their mapping."""

UPLOAD_TTL_SECONDS = 3_600
"""How long an upload waits for its column mapping before it is deleted."""

COPY_CHUNK = 1 << 16

_TOKEN = re.compile(r"^[A-Za-z0-9_-]{20,64}$")


class UploadTooLarge(ValueError):
    """The file is larger than the upload cap."""


def save_upload(folder: Path, org_id: int, stream: IO[bytes], max_bytes: int) -> str:
    """Copy `stream` into `folder` for `org_id`; returns the upload's token.

    :raise UploadTooLarge: past `max_bytes` (nothing is kept).
    """
    folder.mkdir(parents=True, exist_ok=True)
    _sweep(folder)
    token = secrets.token_urlsafe(24)
    path = upload_path(folder, org_id, token)
    written = 0
    with path.open("wb") as target:
        while chunk := stream.read(COPY_CHUNK):
            written += len(chunk)
            if written > max_bytes:
                break
            target.write(chunk)
    if written > max_bytes:
        path.unlink(missing_ok=True)
        raise UploadTooLarge(f"larger than {max_bytes // 1_000_000} MB")
    return token


def upload_path(folder: Path, org_id: int, token: str) -> Path:
    """Where the upload `token` of `org_id` is kept (it may be gone).

    :raise LookupError: for a token that is not one this module makes.
    """
    if not _TOKEN.match(token):
        raise LookupError("no such upload")
    return folder / f"{org_id}-{token}.csv"


def discard(path: Path) -> None:
    path.unlink(missing_ok=True)


def _sweep(folder: Path) -> None:
    deadline = time.time() - UPLOAD_TTL_SECONDS
    for path in folder.glob("*.csv"):
        try:
            if path.stat().st_mtime < deadline:
                path.unlink(missing_ok=True)
        except FileNotFoundError:
            continue  # swept by another request meanwhile
