"""Bot filter on user agents it was never tuned on: share dropped, per source and category.

Reads the evaluation set in `tests/data/user-agents-eval` (isbot's and
Matomo's fixtures, none of them in the lists the filter uses) and prints, for
each file, how many strings the filter drops: recall for bots, false drops for
browsers. Then the cost of classifying a string not seen before (what the
per-process cache does not save), in µs per string on one core.

    python bench/bots.py [--show-misses] [--rounds 3]
"""

from __future__ import annotations

import argparse
import sys
import time
from collections import Counter
from pathlib import Path

PROJECT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(PROJECT))  # before bench/, whose scoring.py shadows the package

from server.collect.agents import classify  # noqa: E402

EVAL = PROJECT / "tests" / "data" / "user-agents-eval"


def lines(path: Path) -> list[str]:
    return [line for line in path.read_text().splitlines() if line.strip()]


def report(path: Path, expect_bot: bool, show_misses: bool) -> None:
    agents = lines(path)
    dropped = [agent for agent in agents if classify(agent).bot is not None]
    share = len(dropped) / len(agents) if agents else 0.0
    what = "bots dropped" if expect_bot else "browsers dropped"
    print(f"  {path.relative_to(EVAL)!s:38} {share:7.2%} {what} ({len(dropped)}/{len(agents)})")
    if show_misses:
        wrong = set(agents) - set(dropped) if expect_bot else dropped
        for agent in sorted(wrong):
            print(f"      {'missed' if expect_bot else 'dropped'}: {agent}")


def reasons(path: Path) -> Counter[str]:
    """Which detector or rule dropped each bot."""
    return Counter(classify(agent).bot for agent in lines(path) if classify(agent).bot)


def cost_per_new_string(agents: list[str], rounds: int) -> float:
    """Best of `rounds` passes of `classify` (which caches nothing) over every string, in µs each."""
    best = float("inf")
    for _ in range(rounds):
        start = time.perf_counter()
        for agent in agents:
            classify(agent)
        best = min(best, time.perf_counter() - start)
    return best / len(agents) * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--show-misses", action="store_true", help="list missed bots and dropped browsers"
    )
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()

    print("whole set:")
    report(EVAL / "bots.txt", True, args.show_misses)
    report(EVAL / "browsers.txt", False, args.show_misses)
    print("per source:")
    for path in sorted((EVAL / "by-source").glob("*.txt")):
        report(path, path.stem.endswith("bots"), False)
    print("per category:")
    for path in sorted((EVAL / "by-category").glob("*.txt")):
        report(path, path.stem.startswith("bots"), False)
    print("bots dropped, by reason:")
    for reason, count in reasons(EVAL / "bots.txt").most_common():
        print(f"  {count:5}  {reason}")
    classify("warm-up: compiles the expressions once")
    for name in ("bots.txt", "browsers.txt"):
        agents = lines(EVAL / name)
        micros = cost_per_new_string(agents, args.rounds)
        print(
            f"cost per new user-agent string, {name}: {micros:.0f} µs"
            f" (best of {args.rounds}, {len(agents)} strings)"
        )


if __name__ == "__main__":
    main()
