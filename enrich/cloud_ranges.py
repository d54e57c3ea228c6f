"""Data-centre networks from the range files cloud providers publish themselves.

A visit from inside these networks comes from a server, never from a person at
a company, whatever the other databases say. The providers publish them in
their own formats, read here without any IO (the text is handed in):

* AWS `ip-ranges.json`: `prefixes[].ip_prefix`, `ipv6_prefixes[].ipv6_prefix`;
* Google Cloud `cloud.json`: `prefixes[].ipv4Prefix` / `ipv6Prefix`;
* Azure Service Tags JSON: `values[].properties.addressPrefixes[]`;
* Oracle Cloud `public_ip_ranges.json`: `regions[].cidrs[].cidr`;
* RFC 8805 geofeeds (DigitalOcean, Linode/Akamai, Vultr): CSV lines
  `prefix,country,region,city,postal`, `#` comments;
* one CIDR per line (Cloudflare `ips-v4` / `ips-v6`, or a list kept by hand
  for a provider that publishes no file), `#` comments.

Every prefix must be a well-formed public network (no host bits, nothing
private, reserved or broader than `MIN_PREFIX_LENGTH`), so a mirror serving an
error page or a tampered list is refused rather than compiled. Errors name the
file and the line or key at fault.
"""

from __future__ import annotations

import csv
import json
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from enum import StrEnum
from ipaddress import IPv4Network, IPv6Network, ip_network
from typing import Any

Network = IPv4Network | IPv6Network

MIN_PREFIX_LENGTH = {4: 8, 6: 16}
"""Broader networks than these are refused: no provider owns a /7 or a /15."""

SHOWN_CHARS = 60
"""Characters of a bad value quoted in an error (an HTML page is one long line)."""

SOURCE_NAME = re.compile(r"^[a-z0-9][a-z0-9-]{0,39}$")
"""Names of sources and providers: file stems and setting keys."""


class RangeFileError(ValueError):
    """A range file cannot be used; the message names the file and the line or key."""


class Format(StrEnum):
    """The published formats Vigie reads."""

    AWS = "aws"
    GOOGLE = "google"
    AZURE = "azure"
    ORACLE = "oracle"
    GEOFEED = "geofeed"
    LINES = "lines"

    @property
    def extension(self) -> str:
        """The extension a file of this format is kept under: `csv` for a
        geofeed, `txt` for one CIDR a line, `json` for the providers' documents."""
        if self is Format.GEOFEED:
            return "csv"
        return "txt" if self is Format.LINES else "json"


@dataclass(frozen=True)
class Source:
    """One published file: where it comes from and which provider it names."""

    name: str
    provider: str
    format: Format
    url: str | None
    min_prefixes: int = 1

    @property
    def file_name(self) -> str:
        return f"{self.name}.{self.format.extension}"


SOURCES: tuple[Source, ...] = (
    Source("aws", "aws", Format.AWS, "https://ip-ranges.amazonaws.com/ip-ranges.json", 1000),
    Source("google", "google", Format.GOOGLE, "https://www.gstatic.com/ipranges/cloud.json", 100),
    # Microsoft publishes the Service Tags file under a new name every week, behind
    # a download page: there is no stable URL to default to.
    Source("azure", "azure", Format.AZURE, None, 1000),
    Source(
        "oracle",
        "oracle",
        Format.ORACLE,
        "https://docs.oracle.com/en-us/iaas/tools/public_ip_ranges.json",
        100,
    ),
    Source(
        "digitalocean",
        "digitalocean",
        Format.GEOFEED,
        "https://digitalocean.com/geo/google.csv",
        100,
    ),
    Source("linode", "linode", Format.GEOFEED, "https://geoip.linode.com/", 100),
    Source("vultr", "vultr", Format.GEOFEED, "https://geofeed.constant.com/?text", 100),
    Source("cloudflare-v4", "cloudflare", Format.LINES, "https://www.cloudflare.com/ips-v4", 10),
    Source("cloudflare-v6", "cloudflare", Format.LINES, "https://www.cloudflare.com/ips-v6", 5),
)
"""The providers' official files, with the fewest prefixes a complete one holds."""


def find_source(name: str, sources: tuple[Source, ...] = SOURCES) -> Source | None:
    return next((source for source in sources if source.name == name), None)


def custom_source(name: str, url: str | None, format: Format = Format.LINES) -> Source:
    """A provider Vigie does not know, published as one CIDR per line (or a geofeed).

    :raise ValueError: for a name that cannot be a file name.
    """
    if not SOURCE_NAME.match(name):
        raise ValueError(f"{name!r} is not a source name (lower-case letters, digits and -)")
    return Source(name, name, format, url)


def parse(format: Format, data: bytes | str, origin: str) -> list[Network]:
    """The networks of one range file, in file order (duplicates kept).

    :raise RangeFileError: `<origin>: <line or key>: <why>` for the first problem.
    """
    try:
        text = data.decode("utf-8-sig") if isinstance(data, bytes) else data
    except UnicodeDecodeError as error:
        raise RangeFileError(f"{origin}: byte {error.start}: not UTF-8 text") from None
    try:
        if format in JSON_READERS:
            return [
                checked_network(value, where) for where, value in JSON_READERS[format](_json(text))
            ]
        return _read_lines(text, first_field=format is Format.GEOFEED)
    except RangeFileError as error:
        raise RangeFileError(f"{origin}: {error}") from None


def checked_network(value: Any, where: str) -> Network:
    """`value` as a public network no broader than `MIN_PREFIX_LENGTH`.

    :raise RangeFileError: `<where>: <why>`.
    """
    if not isinstance(value, str):
        raise RangeFileError(f"{where}: must be a CIDR string")
    try:
        network = ip_network(value.strip())
    except ValueError as error:
        reason = "host bits set" if "host bits" in str(error) else "not a CIDR"
        raise RangeFileError(f"{where}: {_shown(value)} is {reason}") from None
    if not network.is_global or network.is_multicast:
        raise RangeFileError(f"{where}: {network} is not a public network")
    if network.prefixlen < MIN_PREFIX_LENGTH[network.version]:
        shortest = MIN_PREFIX_LENGTH[network.version]
        raise RangeFileError(f"{where}: {network} is broader than a /{shortest}")
    return network


def _json(text: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError as error:
        raise RangeFileError(f"line {error.lineno}: not JSON ({error.msg})") from None


Found = Iterator[tuple[str, Any]]
"""(where, value) pairs: the key path of each prefix and what it holds."""


def _list(parent: Any, key: str, where: str) -> list[Any]:
    value = parent.get(key) if isinstance(parent, dict) else None
    if not isinstance(value, list):
        raise RangeFileError(f"{where}{key}: must be a list")
    return value


def _objects(parent: Any, key: str, where: str) -> Iterator[tuple[str, dict[str, Any]]]:
    for index, item in enumerate(_list(parent, key, where)):
        path = f"{where}{key}[{index}]"
        if not isinstance(item, dict):
            raise RangeFileError(f"{path}: must be an object")
        yield path, item


def _aws(document: Any) -> Found:
    for path, item in _objects(document, "prefixes", ""):
        yield f"{path}.ip_prefix", item.get("ip_prefix")
    if isinstance(document, dict) and "ipv6_prefixes" in document:
        for path, item in _objects(document, "ipv6_prefixes", ""):
            yield f"{path}.ipv6_prefix", item.get("ipv6_prefix")


def _google(document: Any) -> Found:
    for path, item in _objects(document, "prefixes", ""):
        key = next((k for k in ("ipv4Prefix", "ipv6Prefix") if k in item), None)
        if key is None:
            raise RangeFileError(f"{path}: needs ipv4Prefix or ipv6Prefix")
        yield f"{path}.{key}", item[key]


def _azure(document: Any) -> Found:
    for path, item in _objects(document, "values", ""):
        properties = item.get("properties")
        for index, value in enumerate(_list(properties, "addressPrefixes", f"{path}.properties.")):
            yield f"{path}.properties.addressPrefixes[{index}]", value


def _oracle(document: Any) -> Found:
    for path, region in _objects(document, "regions", ""):
        for cidr_path, item in _objects(region, "cidrs", f"{path}."):
            yield f"{cidr_path}.cidr", item.get("cidr")


JSON_READERS: Mapping[Format, Callable[[Any], Found]] = {
    Format.AWS: _aws,
    Format.GOOGLE: _google,
    Format.AZURE: _azure,
    Format.ORACLE: _oracle,
}


def _read_lines(text: str, first_field: bool) -> list[Network]:
    """One network per line (a geofeed's first field); blank and `#` lines skipped."""
    networks = []
    for number, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        if first_field:
            stripped = next(csv.reader([stripped]), [""])[0]
        networks.append(checked_network(stripped, f"line {number}"))
    return networks


def _shown(value: str) -> str:
    text = value.strip()
    return repr(text if len(text) <= SHOWN_CHARS else text[:SHOWN_CHARS] + "…")
