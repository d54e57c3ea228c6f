"""Log import: a generated 1,000,000-line access log through `vigie import-logs`.

    python bench/import_logs.py [--lines 1000000] [--days 30] [--database sqlite|postgresql]

Writes a `Vigie-Company` database of 2,000 companies and an ASN database
(a home ISP, a cloud host) with mmdb-writer, then a combined-format log over
`--days` days: company visitors and home visitors reading pages (each page
followed by the assets a browser fetches), downloads, 404s and POSTs, cloud
addresses and crawlers. Then times what `vigie import-logs` does, end
included (aggregates, score history, rescoring), and prints lines per second
and memory: the resident size sampled as the import goes, and the peak.
"""

from __future__ import annotations

import io
import random
import resource
import shutil
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.database_run import database_parser, start_run
from bench.databases import drop_schema
from enrich.companydb import build_company_db, read_networks
from server import create_app
from server.importing.filters import RequestFilter
from server.importing.formats import log_format
from server.importing.reader import LogReader, LogSource
from server.importing.run import import_logs
from server.jobs.queue import drain
from server.storage import session_scope, storage
from server.storage.migrate import upgrade
from server.storage.models import Organisation, Site
from tests.support.mmdb import write_mmdb

COMPANIES = 2_000
PAGES = ["/", "/pricing", "/features", "/features/scoring", "/blog/b2b-intent", "/blog/gdpr",
         "/careers", "/demo", "/docs/start", "/case-studies/acme", "/contact", "/about"]  # fmt: skip
ASSETS = ["/static/app.css", "/static/app.js", "/img/logo.svg", "/img/hero.webp",
          "/fonts/inter.woff2", "/favicon.ico", "/static/app.js.map"]  # fmt: skip
BROWSERS = [
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/{v}.0.0.0 Safari/537.36",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/17.{v} Safari/605.1.15",
    "Mozilla/5.0 (X11; Linux x86_64; rv:{v}.0) Gecko/20100101 Firefox/{v}.0",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_{v} like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1",
]
BOTS = [
    "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
    "Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)",
    "Mozilla/5.0 (compatible; AhrefsBot/7.0; +http://ahrefs.com/robot/)",
    "python-requests/2.32.3",
    "curl/8.5.0",
]
REFERRERS = ["-", "-", "https://www.google.com/", "https://www.linkedin.com/feed/",
             "https://news.example/newsletter"]  # fmt: skip


def write_databases(folder: Path) -> list[str]:
    csv = ["network,name,domain,industry,employees,country"]
    for n in range(COMPANIES):
        csv.append(f"145.{n // 256}.{n % 256}.0/24,Company {n},c{n}.fr,Software,{50 + n},FR")
    companies = folder / "companies.mmdb"
    build_company_db(read_networks(io.StringIO("\n".join(csv) + "\n")), companies)
    asn = write_mmdb(
        folder / "asn.mmdb",
        "GeoLite2-ASN",
        {
            "90.0.0.0/9": {"autonomous_system_number": 3215,
                           "autonomous_system_organization": "Orange"},
            "52.0.0.0/11": {"autonomous_system_number": 16509,
                            "autonomous_system_organization": "AMAZON-02"},
        },
    )  # fmt: skip
    return [str(companies), str(asn)]


def write_log(path: Path, lines: int, days: int, now: datetime) -> None:
    """About `lines` lines, in time order within each hour."""
    rng = random.Random(11)
    agents = [b.format(v=rng.randint(100, 131)) for b in BROWSERS for _ in range(10)]
    people = [(f"145.{c // 256}.{c % 256}.{rng.randint(2, 250)}", rng.choice(agents))
              for c in range(COMPANIES) for _ in range(2)]  # fmt: skip
    start = now.replace(minute=0, second=0, microsecond=0) - timedelta(days=days)
    hours = days * 24
    per_hour = lines // hours
    written = 0
    with path.open("w") as log:
        for hour in range(hours):
            at = start + timedelta(hours=hour)
            batch: list[tuple[datetime, str]] = []
            while len(batch) < per_hour:
                batch += _visit(rng, at + timedelta(seconds=rng.randint(0, 3500)), people, agents)
            batch.sort(key=lambda item: item[0])
            for when, line in batch[:per_hour]:
                stamp = when.strftime("%d/%b/%Y:%H:%M:%S +0000")
                log.write(line.replace("{t}", stamp) + "\n")
            written += per_hour


def _visit(rng: random.Random, at: datetime, people: list, agents: list) -> list:
    roll = rng.random()
    if roll < 0.12:  # a crawler fetching a few pages
        ip, agent = (
            f"52.{rng.randint(0, 31)}.{rng.randint(0, 255)}.{rng.randint(1, 254)}",
            rng.choice(BOTS),
        )
        return [(at, _line(ip, agent, rng.choice(PAGES), 200, "-")) for _ in range(3)]
    if roll < 0.45:
        ip, agent = rng.choice(people)
    elif roll < 0.9:
        ip, agent = (
            f"90.{rng.randint(0, 127)}.{rng.randint(0, 255)}.{rng.randint(1, 254)}",
            rng.choice(agents),
        )
    else:
        ip, agent = (
            f"52.{rng.randint(0, 31)}.{rng.randint(0, 255)}.{rng.randint(1, 254)}",
            rng.choice(agents),
        )
    hits, referrer = [], rng.choice(REFERRERS)
    for _ in range(rng.randint(1, 5)):
        page = rng.choice(PAGES)
        if rng.random() < 0.05:
            page += "?utm_source=newsletter&utm_medium=email"
        status = 404 if rng.random() < 0.02 else 200
        hits.append((at, _line(ip, agent, page, status, referrer)))
        for asset in rng.sample(ASSETS, rng.randint(0, 4)):
            hits.append(
                (at, _line(ip, agent, asset, rng.choice((200, 304)), "https://x.fr" + page))
            )
        if rng.random() < 0.05:
            hits.append((at, _line(ip, agent, "/files/brochure.pdf", 200, "https://x.fr" + page)))
        if page == "/contact" and rng.random() < 0.5:
            hits.append((at, _line(ip, agent, "/contact", 302, "https://x.fr/contact", "POST")))
        referrer = "https://x.fr" + page
        at += timedelta(seconds=rng.randint(10, 240))
    return hits


def _line(ip: str, agent: str, path: str, status: int, referrer: str, method: str = "GET") -> str:
    return f'{ip} - - [{{t}}] "{method} {path} HTTP/2.0" {status} 1234 "{referrer}" "{agent}"'


def rss_mib() -> float:
    """Resident anonymous memory (the heap; mapped files such as the .mmdb excluded)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("RssAnon:"):
            return int(line.split()[1]) / 1024
    return 0.0


def main() -> None:
    parser = database_parser(__doc__)
    parser.add_argument("--lines", type=int, default=1_000_000)
    parser.add_argument("--days", type=int, default=30)
    args = parser.parse_args()
    work, url, schema = start_run(args.database, "vigie-import-")
    now = datetime.now(UTC)
    databases = write_databases(work)
    log = work / "access.log"
    started = time.perf_counter()
    write_log(log, args.lines, args.days, now)
    size = log.stat().st_size
    print(f"generated {log.name}: {size / 2**20:.0f} MiB in {time.perf_counter() - started:.0f} s")
    app = create_app(
        {"INSTANCE_PATH": str(work), "DATABASE_URL": url, "MMDB": databases,
         "JOBS_START_CRON": False}
    )  # fmt: skip
    upgrade(storage(app).engine)
    samples: list[float] = []
    with app.app_context():
        with session_scope() as session:
            organisation = Organisation(name="Bench", settings={})
            session.add(organisation)
            session.flush()
            session.add(Site(org_id=organisation.id, name="s", public_key="benchkey",
                             domains=["x.fr"]))  # fmt: skip
        reader = LogReader(log_format("combined"), RequestFilter(), "bench-secret", "benchkey")
        sources = [LogSource(str(log))]
        rss_before = rss_mib()
        step = size // 10

        def progress(done: int) -> None:
            if done >= step * (len(samples) + 1):
                samples.append(rss_mib())

        started = time.perf_counter()
        summary = import_logs("benchkey", sources, reader, now, progress)
        seconds = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"{args.database}: {summary.lines:,} lines in {seconds:.1f} s = "
        f"{summary.lines / seconds:,.0f} lines/s (bar 20,000)\n"
        f"  {summary.pageviews:,} page views, {summary.downloads:,} downloads, "
        f"{summary.bots:,} bots, {dict(summary.networks)}, left out {dict(summary.left_out)}, "
        f"bad {summary.bad}\n"
        f"  {summary.accounts_created:,} accounts, {summary.snapshots:,} snapshots\n"
        f"  memory: {rss_before:.0f} MiB before, every 10% of the file "
        f"{' '.join(f'{s:.0f}' for s in samples)} MiB; peak {peak:.0f} MiB"
    )
    drain(app, timeout=600)
    storage(app).engine.dispose()
    shutil.rmtree(work)  # the log, the databases and the SQLite file
    drop_schema(schema)


if __name__ == "__main__":
    main()
