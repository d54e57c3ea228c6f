"""Writing `.mmdb` files: the one writer behind the company database, the demo's
databases and the tests' small databases.

Records go into an IPv6 tree where IPv4 sits under `::/96`, broader networks
first, so that a narrower network inserted later splits them and keeps its own
record whatever order the caller gave. The file is written beside the target
and renamed over it, so a reader never opens a half-written database.
"""

from __future__ import annotations

import ipaddress
import os
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from mmdb_writer import MMDBWriter
from netaddr import IPSet

from enrich.files import temporary_beside

IPV4_IN_IPV6_BITS = 96
"""IPv4 networks sit under `::/96` in the tree: a /24 is 120 bits deep."""


def write_mmdb(
    path: str | os.PathLike[str],
    database_type: str,
    records: Mapping[str, Mapping[str, Any]],
    *,
    description: str = "Vigie networks",
    progress: Callable[[int], None] | None = None,
) -> Path:
    """Write `records` (CIDR → record) as a database of `database_type`, atomically.

    `progress` is called with the count of networks written so far. Returns the path.

    :raise ValueError: for a key that is not a network.
    """
    ordered = sorted(records.items(), key=lambda item: specificity(item[0]))
    writer = MMDBWriter(
        ip_version=6,
        ipv4_compatible=True,
        database_type=database_type,
        languages=["en"],
        description=description,
    )
    for count, (cidr, record) in enumerate(ordered, start=1):
        writer.insert_network(IPSet([cidr]), dict(record))
        if progress:
            progress(count)
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    with temporary_beside(target.parent, ".mmdb") as temporary:
        writer.to_db_file(str(temporary))
        os.replace(temporary, target)
    return target


def specificity(cidr: str) -> int:
    """Depth of `cidr` in the IPv6 tree, so broader networks go in first.

    :raise ValueError: when `cidr` is not a network.
    """
    network = ipaddress.ip_network(cidr, strict=False)
    return network.prefixlen + (IPV4_IN_IPV6_BITS if network.version == 4 else 0)
