"""What two busy processes can do on this machine against one: the ceiling of
any "two consumers against one" figure measured here.

Each turn times one process doing a piece of work alone, then two at once,
each on its own copy; the ratio of a turn is how much more work two get done
in the same time (2.00 where two cores never slow each other). Two kinds of
work, as they slow each other differently:

* `spin`: a loop over integers, which stays in the core's own caches;
* `objects`: decoding JSON into dicts, copying them and encoding them again,
  as a consumer does with its entries: memory allocated and walked, which two
  processes contend for through the caches and memory they share.

Cores that share a host with other machines come out below 2 as well, by
an amount that moves from minute to minute.

    python bench/ceiling.py [--turns 5]
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import statistics
import time
from collections.abc import Callable

SPIN_LOOP = 6_000_000
"""Iterations of one spin: about a third of a second of one core here."""

DOCUMENT = json.dumps(
    [
        {"id": n, "name": f"company {n}", "tags": [n, 2 * n, str(n)], "share": {"of": n / 3}}
        for n in range(20_000)
    ]
)
"""What `objects` decodes: 20,000 small records, about 1.4 MB of JSON."""


def spin() -> int:
    total = 0
    for number in range(SPIN_LOOP):
        total += number * number
    return total


def objects() -> int:
    size = 0
    for _ in range(4):
        rows = json.loads(DOCUMENT)
        size += len(json.dumps([{**row, "key": row["name"].upper()} for row in rows]))
    return size


WORK: dict[str, Callable[[], int]] = {"spin": spin, "objects": objects}


def _run(name: str) -> int:
    return WORK[name]()


def ratios(work: str, turns: int) -> list[float]:
    """One ratio per turn: what two processes did at once, against one alone."""
    found = []
    with multiprocessing.get_context("fork").Pool(2) as pool:
        pool.map(_run, [work, work])  # both workers started and warm
        for _ in range(turns):
            started = time.perf_counter()
            pool.apply(_run, (work,))
            alone = time.perf_counter() - started
            started = time.perf_counter()
            pool.map(_run, [work, work], chunksize=1)
            together = time.perf_counter() - started
            found.append(2 * alone / together)
    return found


def describe(turns: int = 5) -> str:
    """A line per kind of work: the median ratio and each turn's."""
    lines = []
    for work in WORK:
        found = ratios(work, turns)
        each = ", ".join(f"{ratio:.2f}" for ratio in found)
        lines.append(
            f"two busy processes ({work}) do {statistics.median(found):.2f} x what one "
            f"does here (median; each turn: {each})"
        )
    return "\n".join(lines)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--turns", type=int, default=5)
    print(describe(parser.parse_args().turns))
