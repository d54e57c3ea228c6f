"""The range table: every provider's networks compiled into one `.mmdb`.

The resolver opens it like the other databases (by its `database_type`,
`Vigie-Cloud-Ranges`) and finds an address's provider in a tree lookup. Each
record is `{"provider": "aws"}`. Where two providers' networks overlap, the
narrower network's provider wins.

The table is compiled from a folder of range files named after their source
(`aws.json`, `google.json`, `azure.json`, `oracle.json`, `digitalocean.csv`,
`linode.csv`, `vultr.csv`, `cloudflare-v4.txt`, `cloudflare-v6.txt`); any other
`<provider>.txt` (one CIDR per line) or `<provider>.csv` (a geofeed) adds a
provider of that name. The table replaces the previous one atomically.
"""

from __future__ import annotations

import os
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from mmdb_writer import MMDBWriter
from netaddr import IPNetwork, IPSet

from enrich.cloud_ranges import (
    SOURCE_NAME,
    SOURCES,
    Format,
    Network,
    RangeFileError,
    Source,
    custom_source,
    find_source,
    parse,
)
from enrich.files import temporary_beside

DATABASE_TYPE = "Vigie-Cloud-Ranges"
TABLE_FILE = "cloud-ranges.mmdb"
"""The table's name in the ipdb folder."""

FORMATS_BY_EXTENSION = {format.extension: format for format in (Format.LINES, Format.GEOFEED)}
"""How a file of a provider Vigie does not know is read."""


@dataclass(frozen=True)
class Table:
    """What a compiled table holds: networks per provider, after merging."""

    path: Path
    networks: Mapping[str, int]

    @property
    def total(self) -> int:
        return sum(self.networks.values())


def folder_sources(
    folder: Path, sources: tuple[Source, ...] = SOURCES
) -> list[tuple[Source, Path]]:
    """The range files of `folder` and the source each one stands for.

    :raise RangeFileError: for a file whose name says nothing of its format.
    """
    found = []
    for path in sorted(folder.iterdir()):
        if path.name.startswith(".") or not path.is_file():
            continue
        stem, _, extension = path.name.partition(".")
        known = find_source(stem, sources)
        if known is not None and path.name == known.file_name:
            found.append((known, path))
        elif extension in FORMATS_BY_EXTENSION and SOURCE_NAME.match(stem) and known is None:
            found.append((custom_source(stem, None, FORMATS_BY_EXTENSION[extension]), path))
        else:
            raise RangeFileError(
                f"{path}: not a range file name (aws.json, google.json, azure.json, "
                "oracle.json, <provider>.csv for a geofeed, <provider>.txt for one CIDR a line)"
            )
    return found


def read_folder(folder: Path, sources: tuple[Source, ...] = SOURCES) -> dict[str, list[Network]]:
    """Every provider's networks from the range files in `folder`.

    :raise RangeFileError: naming the file and line or key of the first problem.
    """
    if not folder.is_dir():
        raise RangeFileError(f"{folder}: no such folder")
    networks: dict[str, list[Network]] = defaultdict(list)
    for source, path in folder_sources(folder, sources):
        try:
            data = path.read_bytes()
        except OSError as error:
            raise RangeFileError(f"{path}: {error.strerror}") from None
        networks[source.provider].extend(parse(source.format, data, str(path)))
    if not networks:
        raise RangeFileError(f"{folder}: no range files")
    return dict(networks)


def compile_table(networks: Mapping[str, Iterable[Network]], target: Path) -> Table:
    """Write the networks of each provider as one `.mmdb` at `target`, atomically.

    :raise RangeFileError: when there is nothing to compile.
    """
    merged = {
        provider: IPSet(IPNetwork(str(network)) for network in items).iter_cidrs()
        for provider, items in sorted(networks.items())
    }
    entries = [(cidr, provider) for provider, cidrs in merged.items() for cidr in cidrs]
    if not entries:
        raise RangeFileError(f"{target}: no networks to compile")
    # Broader networks first: a narrower one inserted later keeps its own provider.
    entries.sort(key=lambda entry: entry[0].prefixlen + (96 if entry[0].version == 4 else 0))
    writer = MMDBWriter(
        ip_version=6,
        ipv4_compatible=True,
        database_type=DATABASE_TYPE,
        description="Networks the cloud providers publish as their own",
    )
    for cidr, provider in entries:
        writer.insert_network(IPSet([cidr]), {"provider": provider})
    target.parent.mkdir(parents=True, exist_ok=True)
    with temporary_beside(target.parent, ".mmdb") as temporary:
        writer.to_db_file(str(temporary))
        os.replace(temporary, target)
    return Table(target, {provider: len(cidrs) for provider, cidrs in merged.items()})
