"""Small real `.mmdb` files for tests, written with mmdb-writer."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from mmdb_writer import MMDBWriter
from netaddr import IPSet


def write_mmdb(path: Path, database_type: str, networks: Mapping[str, dict[str, Any]]) -> Path:
    """Write `networks` (CIDR → record) as a database of `database_type`.

    Broader networks go in first, so narrower ones keep their own records.
    """
    writer = MMDBWriter(ip_version=6, ipv4_compatible=True, database_type=database_type)
    for cidr, record in sorted(networks.items(), key=lambda item: _bits(item[0])):
        writer.insert_network(IPSet([cidr]), record)
    writer.to_db_file(str(path))
    return path


def _bits(cidr: str) -> int:
    prefix = int(cidr.split("/")[1]) if "/" in cidr else (32 if ":" not in cidr else 128)
    return prefix + (96 if ":" not in cidr else 0)
