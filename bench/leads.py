"""Lead scoring, pure part: N generated leads classified and scored, leads/s and memory.

    python bench/leads.py [--leads 100000] [--domains 20000]

Generates a lead list as a trade-show export looks (professional addresses
at a few thousand companies, webmail and ISP mailboxes, shared inboxes,
disposable and malformed addresses; national, international, invalid and
missing phones; a country or a language column on some rows), streams it
through `score_leads` with the shipped default model, and prints leads per
second and the process's peak memory, with its resident size after the first
tenth of the list to show it stays flat.
"""

from __future__ import annotations

import argparse
import random
import resource
import sys
import time
from collections import Counter
from collections.abc import Iterable, Iterator
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from enrich.leads import LeadFacts, LeadRow, classify_lead
from scoring.leads import LeadScore, score_lead
from scoring.model import Model, default_model_text, parse_model

FIRST = ["jean", "marie", "luc", "anne", "karim", "sophie", "hans", "julie", "paul", "ines"]
LAST = ["dupont", "martin", "bernard", "durand", "petit", "leroy", "moreau", "simon", "ali"]
FREE = ["gmail.com", "orange.fr", "hotmail.fr", "free.fr", "sfr.fr", "skynet.be", "yahoo.fr"]
DISPOSABLE = ["yopmail.fr", "mailinator.com", "yopmail.com"]
ROLES = ["contact", "info", "hello", "commercial", "compta", "rh", "direction", "devis"]
TLDS = ["fr", "fr", "fr", "com", "be", "ch", "ma", "de", "io", "co.uk", "lu", "ca"]
PHONES = [
    "06 {0:02d} {1:02d} {2:02d} {3:02d}",
    "01 {0:02d} {1:02d} {2:02d} {3:02d}",
    "+33 7 {0:02d} {1:02d} {2:02d} {3:02d}",
    "+32 470 {0:02d} {1:02d} {2:02d}",
    "+212 6 {0:02d} {1:02d} {2:02d} {3:02d}",
    "+41 79 {0:02d}{1:01d} {2:02d} {3:02d}",
    "{0}{1}",
    "",
]
COUNTRIES = ["", "", "", "France", "FR", "Belgique", "Canada", "Maroc", "Germany"]
LANGUAGES = ["", "", "", "fr", "Français", "en", "de"]
MEBIBYTE = 1024 * 1024


def generate(count: int, domains: int, seed: int = 7) -> Iterator[LeadRow]:
    """`count` lead rows, produced one at a time (nothing is held)."""
    rng = random.Random(seed)
    for _ in range(count):
        person = f"{rng.choice(FIRST)}.{rng.choice(LAST)}{rng.randrange(100)}"
        number = rng.randrange(domains)
        company = f"company{number}.{TLDS[number % len(TLDS)]}"
        draw = rng.random()
        if draw < 0.55:
            email = f"{person}@{company}"
        elif draw < 0.80:
            email = f"{person}@{rng.choice(FREE)}"
        elif draw < 0.92:
            email = f"{rng.choice(ROLES)}@{company}"
        elif draw < 0.97:
            email = f"{person}@{rng.choice(DISPOSABLE)}"
        else:
            email = f"{person}@@{company}"
        digits = [rng.randrange(100) for _ in range(4)]
        yield LeadRow(
            email=email,
            phone=rng.choice(PHONES).format(*digits) or None,
            country=rng.choice(COUNTRIES) or None,
            language=rng.choice(LANGUAGES) or None,
        )


def score_leads(
    rows: Iterable[LeadRow], model: Model | None = None, default_region: str | None = "FR"
) -> Iterator[tuple[LeadFacts, LeadScore]]:
    """Each row's facts and score, one at a time, with `model` (default: the
    shipped one) and the list's default phone region."""
    model = model or parse_model(default_model_text())
    for row in rows:
        facts = classify_lead(row, default_region)
        yield facts, score_lead(model, facts)


def peak_mebibytes() -> float:
    """The process's peak resident memory so far (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--leads", type=int, default=100_000)
    parser.add_argument("--domains", type=int, default=20_000)
    arguments = parser.parse_args()
    tenth = max(arguments.leads // 10, 1)
    tiers: Counter[str] = Counter()
    classes: Counter[str] = Counter()
    started, cpu_started = time.perf_counter(), time.process_time()
    early_peak = 0.0
    rows = generate(arguments.leads, arguments.domains)
    for number, (facts, scored) in enumerate(score_leads(rows), 1):
        tiers[scored.tier.value] += 1
        classes[facts.email_class.value] += 1
        if number == tenth:
            early_peak = peak_mebibytes()
    elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu_started
    print(f"leads           {arguments.leads:,} over {arguments.domains:,} company domains")
    print(f"seconds         {elapsed:.2f} wall, {cpu:.2f} CPU (generation included)")
    print(f"leads/s         {arguments.leads / elapsed:,.0f}")
    print(f"peak memory     {peak_mebibytes():.0f} MiB ({early_peak:.0f} MiB after a tenth)")
    print("e-mail classes  " + ", ".join(f"{k} {v:,}" for k, v in classes.most_common()))
    print("tiers           " + ", ".join(f"{k} {v:,}" for k, v in tiers.most_common()))


if __name__ == "__main__":
    main()
