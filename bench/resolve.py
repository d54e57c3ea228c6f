"""Resolver throughput: lookups per second, uncached then cached, on one core.

Uses the MaxMind test databases kept in `tests/data/maxmind-test`
plus a generated `Vigie-Company` database of 10,000 networks, and a mix of
addresses: inside company networks, inside the MaxMind test networks, and
random public IPv4/IPv6 addresses (mostly misses, as real traffic from homes).

    python bench/resolve.py [--lookups 200000]
"""

from __future__ import annotations

import argparse
import ipaddress
import random
import tempfile
import time
from pathlib import Path

from enrich.companydb import CompanyNetwork, build_company_db
from enrich.resolver import Resolver

TEST_DATA = Path(__file__).resolve().parents[1] / "tests" / "data"
MAXMIND_TEST_ADDRESSES = [
    "89.160.20.112",
    "81.2.69.160",
    "216.160.83.56",
    "149.101.100.1",
    "1.128.0.1",
    "214.78.120.5",
    "67.43.156.1",
    "2001:480:10::1",
]


def company_networks(count: int, rng: random.Random) -> list[CompanyNetwork]:
    networks, seen = [], set()
    while len(networks) < count:
        base = ipaddress.IPv4Address(rng.randrange(1 << 24, 223 << 24))
        network = ipaddress.ip_network(f"{base}/{rng.choice([20, 22, 24, 26, 28])}", strict=False)
        if not network.is_global or network in seen:
            continue
        seen.add(network)
        record = {
            "name": f"Company {len(networks)}",
            "domain": f"company{len(networks)}.com",
            "industry": "Software",
            "employees": rng.randrange(5, 5000),
            "country": "FR",
        }
        networks.append(CompanyNetwork(len(networks) + 2, network, record))
    return networks


def address_mix(count: int, networks: list[CompanyNetwork], rng: random.Random) -> list[str]:
    addresses = []
    for index in range(count):
        kind = index % 4
        if kind == 0:
            network = rng.choice(networks).network
            addresses.append(str(network[rng.randrange(network.num_addresses)]))
        elif kind == 1:
            addresses.append(rng.choice(MAXMIND_TEST_ADDRESSES))
        elif kind == 2:
            addresses.append(str(ipaddress.IPv4Address(rng.randrange(1 << 24, 223 << 24))))
        else:
            addresses.append(str(ipaddress.IPv6Address((0x2A01 << 112) | rng.getrandbits(96))))
    return addresses


def rate(resolver: Resolver, addresses: list[str]) -> float:
    start = time.perf_counter()
    for address in addresses:
        resolver.resolve(address)
    return len(addresses) / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lookups", type=int, default=200_000)
    args = parser.parse_args()
    rng = random.Random(42)
    networks = company_networks(10_000, rng)
    with tempfile.TemporaryDirectory() as folder:
        company_db = Path(folder) / "companies.mmdb"
        build_company_db(networks, company_db)
        maxmind = sorted((TEST_DATA / "maxmind-test").glob("*.mmdb"))
        paths = [p for p in maxmind if "Country" not in p.name] + [company_db]
        addresses = address_mix(args.lookups, networks, rng)
        distinct = len(set(addresses))
        resolver = Resolver(paths, cache_size=args.lookups * 2)
        resolver.resolve("8.8.8.8")  # open lazily-touched pages before timing
        distinct_addresses = list(dict.fromkeys(addresses))
        uncached = rate(resolver, distinct_addresses)
        cached = rate(resolver, addresses)
        resolver.close()
    print(f"databases: {len(paths)} ({', '.join(sorted(resolver.kinds))})")
    print(f"lookups: {len(addresses)}, distinct addresses: {distinct}")
    print(f"uncached: {uncached:,.0f} lookups/s  (bar: 20,000)")
    print(f"cached:   {cached:,.0f} lookups/s  (bar: 100,000)")


if __name__ == "__main__":
    main()
