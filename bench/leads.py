"""Lead scoring: N generated leads classified and scored, leads/s and memory.

    python bench/leads.py [--leads 100000] [--domains 20000] [--end-to-end]

The pure part (default) generates a lead list as a trade-show export looks (professional addresses
at a few thousand companies, webmail and ISP mailboxes, shared inboxes,
disposable and malformed addresses; national, international, invalid and
missing phones; a country or a language column on some rows), streams it
through `score_leads` with the shipped default model, and prints leads per
second and the process's peak memory, with its resident size after the first
tenth of the list to show it stays flat.

`--end-to-end` runs the server's own path on SQLite instead: the generated
list is written as a CSV file (Windows-1252, `;`, as Excel saves it), then
`server.leads.importing.import_leads` reads it as a stream, classifies,
scores, joins each company to its account (created) and inserts the leads a
batch at a time, as `vigie leads import` does. Timed from the file to the
last commit; the peak memory is measured after the first tenth and at the end.
"""

from __future__ import annotations

import argparse
import csv
import random
import resource
import sys
import tempfile
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


def write_csv(path: Path, rows: Iterable[LeadRow]) -> None:
    """The rows as a lead file, one line at a time (nothing is held)."""
    with path.open("w", encoding="cp1252", errors="replace", newline="") as stream:
        writer = csv.writer(stream, delimiter=";", lineterminator="\r\n")
        writer.writerow(["Courriel", "Téléphone", "Pays", "Langue", "Société"])
        for row in rows:
            company = row.email.rpartition("@")[2]
            writer.writerow([row.email, row.phone or "", row.country or "",
                             row.language or "", company])  # fmt: skip


def end_to_end(count: int, domains: int) -> None:
    """Import and score `count` generated leads through the server, on SQLite."""
    from server import create_app
    from server.leads.importing import check_mapping, find_or_create_list, import_leads
    from server.leads.reading import open_lead_file
    from server.storage import session_scope, storage
    from server.storage.migrate import upgrade
    from server.storage.tenancy import create_organisation
    from server.storage.types import utcnow

    work = Path(tempfile.mkdtemp(prefix="vigie-leads-"))
    path = work / "leads.csv"
    write_csv(path, generate(count, domains))
    app = create_app(
        {
            "INSTANCE_PATH": str(work),
            "DATABASE_URL": f"sqlite:///{work / 'vigie.db'}",
            "JOBS_START_CRON": False,
            "SECRET_KEY": "bench",
        }
    )
    upgrade(storage(app).engine)
    tenth = max(count // 10, 1)
    marks: dict[str, float] = {}

    def progress(rows: int) -> None:
        if rows >= tenth and "tenth" not in marks:
            marks["tenth"] = peak_mebibytes()

    with app.app_context(), session_scope() as session:
        org_id = create_organisation(session, "Bench").id
    with app.app_context(), session_scope() as session:
        started, cpu_started = time.perf_counter(), time.process_time()
        before = peak_mebibytes()
        lead_file = open_lead_file(path)
        lead_list = find_or_create_list(session, org_id, "Salon", "FR")
        mapping = check_mapping(
            lead_file.headers,
            {"email": "Courriel", "phone": "Téléphone", "country": "Pays", "language": "Langue"},
        )
        summary = import_leads(session, lead_list, lead_file, mapping, utcnow(), "bench", progress)
        elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu_started
    size = (work / "vigie.db").stat().st_size / MEBIBYTE
    print(f"end to end      SQLite, {path.stat().st_size / MEBIBYTE:.1f} MiB file, "
          f"{count:,} leads over {domains:,} company domains")  # fmt: skip
    print(f"imported        {summary.added:,} added, {summary.already:,} repeated, "
          f"{summary.bad:,} bad rows")  # fmt: skip
    print(f"seconds         {elapsed:.2f} wall, {cpu:.2f} CPU (read, score, accounts, insert)")
    print(f"leads/s         {count / elapsed:,.0f}")
    print(f"peak memory     {peak_mebibytes():.0f} MiB ({before:.0f} MiB before the import, "
          f"{marks.get('tenth', 0):.0f} MiB after a tenth)")  # fmt: skip
    print(f"database        {size:.0f} MiB")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--leads", type=int, default=100_000)
    parser.add_argument("--domains", type=int, default=20_000)
    parser.add_argument(
        "--end-to-end", action="store_true", help="Import and score through the server, on SQLite."
    )
    arguments = parser.parse_args()
    if arguments.end_to_end:
        end_to_end(arguments.leads, arguments.domains)
        return
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
