"""What two busy processes can do on this machine against one: the ceiling of
any "two consumers against one" figure measured here.

Each turn times one process spinning through the same pure-Python loop, then
two at once, each on its own copy; the ratio of a turn is how much more work
two get done in the same time (2.00 where two cores never slow each other).
Cores that share a host with other machines, or caches and memory with each
other, come out below 2.

    python bench/ceiling.py [--turns 5]
"""

from __future__ import annotations

import argparse
import multiprocessing
import statistics
import time

LOOP = 6_000_000
"""Iterations of one spin: about a third of a second of one core here."""


def spin(_: int = 0) -> int:
    total = 0
    for number in range(LOOP):
        total += number * number
    return total


def ratios(turns: int) -> list[float]:
    """One ratio per turn: the work two processes did at once, against one alone."""
    found = []
    with multiprocessing.get_context("fork").Pool(2) as pool:
        pool.map(spin, [0, 1])  # both workers started and warm
        for _ in range(turns):
            started = time.perf_counter()
            pool.apply(spin)
            alone = time.perf_counter() - started
            started = time.perf_counter()
            pool.map(spin, [0, 1], chunksize=1)
            together = time.perf_counter() - started
            found.append(2 * alone / together)
    return found


def describe(found: list[float]) -> str:
    each = ", ".join(f"{ratio:.2f}" for ratio in found)
    return (
        f"two busy processes do {statistics.median(found):.2f} x what one does here "
        f"(median; each turn: {each})"
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--turns", type=int, default=5)
    print(describe(ratios(parser.parse_args().turns)))
