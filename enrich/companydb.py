"""Build Vigie's own company database: a CSV of networks → a `Vigie-Company` mmdb.

The CSV has the header `network,name,domain,industry,employees,country`. Where
networks overlap, the most specific wins (a /28 inside a listed /16 keeps its
own company), whatever the order of the lines. Every bad line is reported with
its line number; nothing is written unless all lines are good.
"""

from __future__ import annotations

import csv
import ipaddress
import os
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, TextIO

from enrich.identity import registrable_domain
from enrich.mmdb_files import write_mmdb

DATABASE_TYPE = "Vigie-Company"
COLUMNS = ("network", "name", "domain", "industry", "employees", "country")
REQUIRED_COLUMNS = ("network", "name")
MAX_ERRORS_SHOWN = 20
"""Bad lines listed before the rest are only counted."""

_COUNTRY = re.compile(r"^[A-Z]{2}$")
_HOST = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)(\.(?!-)[a-z0-9-]{1,63}(?<!-))+$")

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


class CompanyDbError(ValueError):
    """The CSV cannot be built; `problems` lists `(line, message)` pairs."""

    def __init__(self, problems: list[tuple[int, str]], total: int | None = None) -> None:
        self.problems = problems
        self.total = total or len(problems)
        lines = [f"line {line}: {message}" for line, message in problems[:MAX_ERRORS_SHOWN]]
        if self.total > len(lines):
            lines.append(f"… and {self.total - len(lines)} more bad line(s)")
        super().__init__("\n".join(lines))


@dataclass(frozen=True)
class CompanyNetwork:
    """One good CSV line."""

    line: int
    network: Network
    record: dict[str, Any]


def read_networks(handle: TextIO) -> list[CompanyNetwork]:
    """Parse and check every line of the CSV.

    :raise CompanyDbError: listing each bad line with its number.
    """
    reader = csv.DictReader(handle)
    header = [name.strip().lower() for name in reader.fieldnames or []]
    missing = [column for column in REQUIRED_COLUMNS if column not in header]
    if missing:
        raise CompanyDbError([(1, f"header: missing column(s) {', '.join(missing)}")])
    unknown = [column for column in header if column not in COLUMNS]
    if unknown:
        raise CompanyDbError([(1, f"header: unknown column(s) {', '.join(unknown)}")])
    reader.fieldnames = header
    rows: list[CompanyNetwork] = []
    problems: list[tuple[int, str]] = []
    seen: dict[Network, int] = {}
    for row in reader:
        line = reader.line_num
        try:
            item = parse_row(line, row)
        except ValueError as error:
            problems.append((line, str(error)))
            continue
        if item.network in seen:
            problems.append(
                (line, f"network: {item.network} already given on line {seen[item.network]}")
            )
            continue
        seen[item.network] = line
        rows.append(item)
    if problems:
        raise CompanyDbError(problems)
    if not rows:
        raise CompanyDbError([(1, "no network in the file")])
    return rows


def parse_row(line: int, row: dict[str | None, Any]) -> CompanyNetwork:
    """Check one CSV row. :raise ValueError: naming the field at fault."""
    if None in row:
        raise ValueError(f"more fields than the {len(COLUMNS)} columns")
    values = {key: (value or "").strip() for key, value in row.items() if key}
    try:
        network = ipaddress.ip_network(values["network"], strict=True)
    except ValueError as error:
        raise ValueError(f"network: {values['network']!r} is not a network ({error})") from None
    name = values.get("name", "")
    if not name:
        raise ValueError("name: must not be empty")
    record: dict[str, Any] = {"name": name}
    domain = values.get("domain", "").lower()
    if domain:
        if not _HOST.match(domain) or registrable_domain(domain) is None:
            raise ValueError(f"domain: {domain!r} is not a domain name")
        record["domain"] = domain
    if values.get("industry"):
        record["industry"] = values["industry"]
    employees = values.get("employees", "")
    if employees:
        if not employees.isdigit():
            raise ValueError(f"employees: {employees!r} is not a whole number")
        record["employees"] = int(employees)
    country = values.get("country", "").upper()
    if country:
        if not _COUNTRY.match(country):
            raise ValueError(f"country: {country!r} is not a two-letter ISO code")
        record["country"] = country
    return CompanyNetwork(line, network, record)


def build_company_db(
    networks: Iterable[CompanyNetwork],
    output: str | os.PathLike[str],
    progress: Callable[[int], None] | None = None,
) -> int:
    """Write the mmdb atomically (temporary file, then rename); return networks written.

    A more specific network keeps its own record inside a broader one.
    """
    records = {str(item.network): item.record for item in networks}
    write_mmdb(
        output,
        DATABASE_TYPE,
        records,
        description="Vigie company networks",
        progress=progress,
    )
    return len(records)
