"""A local firmographics file keyed by domain: CSV, or a SQLite table."""

from __future__ import annotations

import csv
import sqlite3
from pathlib import Path
from typing import Any

from enrich.identity import registrable_domain
from enrich.providers import Firmographics, ProviderError, Query

SQLITE_TABLE = "firmographics"
"""Table read from a SQLite file; it needs a `domain` column."""


class LocalFileProvider:
    """Look domains up in a CSV (header with `domain`) or SQLite file, loaded once."""

    name = "file"

    def __init__(self, path: str | Path) -> None:
        """:raise ProviderError: when the file cannot be read, naming it (and the line)."""
        self.path = Path(path)
        self.rows = _load_sqlite(self.path) if _is_sqlite(self.path) else _load_csv(self.path)

    def lookup(self, query: Query) -> Firmographics | None:
        domain = registrable_domain(query.domain) if query.domain else None
        row = self.rows.get(domain) if domain else None
        if row is None:
            return None
        try:
            return Firmographics.from_mapping(row)
        except ValueError as error:
            raise ProviderError(
                self.name, f"{self.path}: {domain}: {error}", retryable=False
            ) from None


def _is_sqlite(path: Path) -> bool:
    try:
        with path.open("rb") as handle:
            return handle.read(16) == b"SQLite format 3\x00"
    except OSError as error:
        raise ProviderError("file", f"{path}: {error.strerror}", retryable=False) from None


def _key(row: dict[str, Any]) -> str | None:
    domain = str(row.get("domain") or "").strip().lower()
    return registrable_domain(domain) if domain else None


def _load_csv(path: Path) -> dict[str, dict[str, Any]]:
    rows: dict[str, dict[str, Any]] = {}
    try:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            reader = csv.DictReader(handle)
            if "domain" not in (reader.fieldnames or []):
                raise ProviderError("file", f"{path}: line 1: no `domain` column", retryable=False)
            for row in reader:
                key = _key(row)
                if key:
                    rows[key] = {k: v for k, v in row.items() if k}
    except (OSError, UnicodeDecodeError, csv.Error) as error:
        raise ProviderError("file", f"{path}: {error}", retryable=False) from None
    return rows


def _load_sqlite(path: Path) -> dict[str, dict[str, Any]]:
    try:
        connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        connection.row_factory = sqlite3.Row
        try:
            records = connection.execute(f"SELECT * FROM {SQLITE_TABLE}").fetchall()
        finally:
            connection.close()
    except sqlite3.Error as error:
        raise ProviderError("file", f"{path}: {error}", retryable=False) from None
    rows = {}
    for record in records:
        row = dict(record)
        key = _key(row)
        if key:
            rows[key] = row
    return rows
