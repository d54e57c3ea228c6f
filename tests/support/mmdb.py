"""Small real `.mmdb` files for tests, written by Vigie's own writer."""

from __future__ import annotations

from enrich.mmdb_files import write_mmdb

__all__ = ["write_mmdb"]
