"""Accounts page, accounts API and CSV export with 100,000 accounts: latency and memory.

    python bench/dashboard.py [--accounts 100000] [--snapshot-accounts N] [--requests 200]
                              [--database sqlite|postgresql] [--sql]

Generates one organisation straight into a fresh database: a site, N accounts
(varied tiers, scores, industries, countries and cities, last seen over the 395
days of retention, most of them lately, key pages and explanations), 30 daily
score snapshots per account (the trend sparklines; `--snapshot-accounts` gives
them to fewer accounts) and some sales outcomes. Then serves the app with
werkzeug's threaded server on 127.0.0.1, in a thread of this process, and with
`requests`, one request at a time:

  1. signs in through the login form (CSRF token from GET /login) and times
     `GET /accounts`, then times `GET /api/accounts` with a bearer token, each
     over a mix of realistic filters (p50, p95, max; bar: p95 150 ms);
  2. streams `GET /api/accounts.csv` of every account in chunks, counts its
     rows and samples the process's resident memory (VmRSS) meanwhile (bar:
     10 s, flat memory).

`--sql` also times every SQL statement and prints, for each filter, the
statements that take the most time (adds a little overhead to the figures).
"""

from __future__ import annotations

import logging
import os
import random
import re
import resource
import statistics
import sys
import threading
import time
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from pathlib import Path

import requests
from sqlalchemy import create_engine, event, insert, text
from werkzeug.serving import make_server

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.companies import draw_company
from bench.database_run import database_parser, start_run
from bench.databases import POSTGRES, drop_schema
from server import create_app
from server.security import hash_password, new_api_token
from server.storage import storage
from server.storage.migrate import upgrade
from server.storage.models import (
    Account,
    ApiToken,
    Organisation,
    Outcome,
    ScoreSnapshot,
    Site,
    User,
)

EMAIL = "bench@vigie.example"
PASSWORD = "bench password 2026"
P95_BAR_MS = 150.0
EXPORT_BAR_S = 10.0
FLAT_MIB = 10.0
"""Memory counts as flat when it grows less than this over the last 90 % of the rows."""
TREND_DAYS = 30
INSERT_BATCH = 20_000

WORDS = [
    "Atlas", "Nord", "Logi", "Tech", "Vert", "Alpine", "Rhône", "Delta", "Opale", "Azur",
    "Quartz", "Helix", "Boréal", "Nova", "Cobalt", "Lumen", "Orion", "Pixel", "Sigma", "Terra",
]  # fmt: skip
SUFFIXES = ["SAS", "SA", "SARL", "GmbH", "Ltd", "Inc", "AG", "BV"]
INDUSTRIES = [
    "Software", "Retail", "Consulting", "Telecommunications", "Manufacturing",
    "Banking", "Insurance", "Logistics", "Healthcare", "Education", None,
]  # fmt: skip
COUNTRIES = ["FR", "FR", "FR", "BE", "CH", "US", "DE", "GB", "ES", "IT", None]
CITIES = ["Paris", "Lyon", "Nantes", "Lille", "Bruxelles", "Genève", "Berlin", "London", None]
PAGES = ["/pricing", "/demo", "/docs", "/case-studies/acme", "/blog/post", "/careers", "/contact"]
LABELS = ["Pricing page", "Demo page", "Visits", "Active days", "Industry", "Company size"]
OUTCOMES = ["accepted", "accepted", "rejected", "won", "lost"]

# The filters users apply, each sent in turn (`{q}` cycles through SEARCHES).
QUERIES = [
    "",
    "tier=hot",
    "sort=-last_seen",
    "q={q}",
    "country=FR",
    "page=50",
    "industry=software",
    "tier=hot,warm&since=30d",
    "sort=name&country=DE",
    "outcome=won",
]
SEARCHES = ["atlas", "nord tech", "c4217", "opale.fr", "gmbh"]
"""Searches from common (one account in seven) to rare (11 accounts)."""


def tier_of(score: int) -> str:
    return "hot" if score >= 60 else "warm" if score >= 30 else "cold"


def generate(app, accounts: int, snapshot_accounts: int, outcomes: int, now: datetime) -> int:
    """Fill the database; return the organisation's id."""
    rng = random.Random(11)
    engine = storage(app).engine
    with engine.begin() as connection:
        org_id = connection.execute(
            insert(Organisation).values(name="Bench", settings={}, created_at=now)
        ).inserted_primary_key[0]
        connection.execute(
            insert(Site).values(
                org_id=org_id,
                name="www",
                public_key="benchsite",
                domains=["bench.example"],
                created_at=now,
            )
        )
        scores: list[int] = []
        rows = []
        for n in range(1, accounts + 1):
            draw = rng.random()
            score = (
                rng.randint(60, 140)
                if draw < 0.04
                else rng.randint(30, 59)
                if draw < 0.20
                else rng.randint(-20, 29)
            )
            scores.append(score)
            last_seen = now - timedelta(days=rng.expovariate(1 / 60) % 395)
            first_seen = last_seen - timedelta(days=rng.uniform(0, 300))
            name = f"{rng.choice(WORDS)} {rng.choice(WORDS)} {rng.choice(SUFFIXES)}"
            rows.append(
                dict(
                    org_id=org_id,
                    key=f"c{n}.{rng.choice(WORDS).lower()}.fr",
                    name=f"{name} {n}",
                    domain=f"c{n}.{rng.choice(WORDS).lower()}.fr",
                    **draw_company(rng, INDUSTRIES, COUNTRIES),
                    city=rng.choice(CITIES),
                    firmographics={},
                    first_seen=first_seen,
                    last_seen=last_seen,
                    visits_30d=rng.randint(0, 40),
                    active_days_30d=rng.randint(0, 20),
                    pageviews_total=rng.randint(1, 500),
                    top_pages=rng.sample(PAGES, rng.randint(0, 3)),
                    score=score,
                    fit=round(rng.uniform(0, 50), 2),
                    engagement=round(rng.uniform(0, 80), 2),
                    tier=tier_of(score),
                    explanation=[
                        {"label": label, "points": rng.choice([-15, -5, 3, 6, 10, 20])}
                        for label in rng.sample(LABELS, rng.randint(1, 5))
                    ],
                    scored_at=now,
                    created_at=first_seen,
                    updated_at=now,
                )
            )
            if len(rows) == INSERT_BATCH:
                connection.execute(insert(Account), rows)
                rows = []
        if rows:
            connection.execute(insert(Account), rows)
    # Accounts are numbered 1..N in a fresh database.
    with engine.begin() as connection:
        rows = []
        today = now.date()
        for account_id in range(1, snapshot_accounts + 1):
            score = scores[account_id - 1]
            trend = [score]
            for _day in range(TREND_DAYS - 1):
                trend.append(trend[-1] - rng.randint(-4, 4))
            for back, value in enumerate(trend):
                rows.append(
                    dict(
                        account_id=account_id,
                        day=today - timedelta(days=back),
                        score=value,
                        fit=10.0,
                        engagement=float(max(value, 0)),
                        tier=tier_of(value),
                    )
                )
            if len(rows) >= INSERT_BATCH:
                connection.execute(insert(ScoreSnapshot), rows)
                rows = []
        if rows:
            connection.execute(insert(ScoreSnapshot), rows)
        feedback = [
            dict(
                org_id=org_id,
                account_id=rng.randint(1, accounts),
                outcome=(outcome := rng.choice(OUTCOMES)),
                reason="Competitor" if outcome == "rejected" else None,
                recorded_at=now - timedelta(days=rng.uniform(0, 90)),
            )
            for _ in range(outcomes)
        ]
        if feedback:
            connection.execute(insert(Outcome), feedback)
        connection.execute(
            insert(User).values(
                org_id=org_id,
                email=EMAIL,
                password_hash=hash_password(PASSWORD),
                role="admin",
                created_at=now,
            )
        )
    if engine.dialect.name == "postgresql":
        # What autovacuum does within a minute or two of a bulk load: statistics
        # for the planner, and the visibility map that lets index-only scans
        # (the counts) skip the table.
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            for table in ("accounts", "score_snapshots", "outcomes"):
                connection.execute(text(f"VACUUM ANALYZE {table}"))  # this schema's
    return org_id


def api_token(app, org_id: int) -> str:
    token, token_hash = new_api_token()
    with storage(app).engine.begin() as connection:
        connection.execute(
            insert(ApiToken).values(
                org_id=org_id,
                name="bench",
                token_hash=token_hash,
                prefix=token[:12],
                created_at=datetime.now(UTC),
            )
        )
    return token


def rss_mib() -> float:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


class SqlTimer:
    """Time of every statement, by the label of the request that ran it (the
    execution only: rows fetched later from a server-side cursor are not counted)."""

    def __init__(self, engine) -> None:
        self.label = "setup"
        self.times: dict[str, dict[str, list[float]]] = defaultdict(lambda: defaultdict(list))
        self.local = threading.local()
        event.listen(engine, "before_cursor_execute", self.before)
        event.listen(engine, "after_cursor_execute", self.after)

    def before(self, _conn, _cursor, _statement, _params, _context, _many) -> None:
        self.local.started = time.perf_counter()

    def after(self, _conn, _cursor, statement, _params, _context, _many) -> None:
        elapsed = time.perf_counter() - self.local.started
        self.times[self.label][" ".join(statement.split())].append(elapsed)

    def report(self, requests_per_label: dict[str, int]) -> None:
        for label, statements in self.times.items():
            count = requests_per_label.get(label)
            if not count:
                continue
            total = sum(sum(times) for times in statements.values()) / count * 1000
            print(f"  {label}: SQL {total:.1f} ms per request")
            ranked = sorted(statements.items(), key=lambda item: -sum(item[1]))
            for statement, times in ranked[:3]:
                per_request = sum(times) / count * 1000
                print(f"      {per_request:7.1f} ms  x{len(times) / count:.0f}  {statement[:150]}")


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def sign_in(client: requests.Session, base: str) -> None:
    form = client.get(f"{base}/login", timeout=30)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', form.text).group(1)
    answer = client.post(
        f"{base}/login",
        data={"email": EMAIL, "password": PASSWORD, "csrf_token": token},
        allow_redirects=False,
        timeout=30,
    )
    if answer.status_code != 302 or "/login" in answer.headers.get("Location", ""):
        raise SystemExit(f"sign-in failed: {answer.status_code}")
    if client.get(f"{base}/accounts", allow_redirects=False, timeout=60).status_code != 200:
        raise SystemExit("signed in, but /accounts does not answer 200")


def time_requests(client, base, path, count, timer, name) -> dict[str, list[float]]:
    """Send `count` requests cycling through QUERIES, after one untimed round."""
    by_query: dict[str, list[float]] = defaultdict(list)
    if timer:
        timer.label = "warm-up"
    for warm in QUERIES:
        client.get(f"{base}{path}?{warm.format(q=SEARCHES[0])}", timeout=60).raise_for_status()
    for n in range(count):
        query = QUERIES[n % len(QUERIES)].format(q=SEARCHES[n // len(QUERIES) % len(SEARCHES)])
        url = f"{base}{path}?{query}"
        if timer:
            timer.label = f"{name} {query or '(default)'}"
        started = time.perf_counter()
        answer = client.get(url, timeout=60)
        elapsed = time.perf_counter() - started
        answer.raise_for_status()
        by_query[query or "(default)"].append(elapsed * 1000)
    return by_query


def report_latency(database: str, name: str, by_query: dict[str, list[float]]) -> None:
    every = [value for values in by_query.values() for value in values]
    p95 = percentile(every, 0.95)
    verdict = "met" if p95 < P95_BAR_MS else "NOT met"
    print(
        f"{database}: {name:<18} {len(every)} requests  p50 {statistics.median(every):6.1f} ms  "
        f"p95 {p95:6.1f} ms  max {max(every):6.1f} ms  (bar p95 {P95_BAR_MS:.0f} ms: {verdict})"
    )
    for query, values in by_query.items():
        print(
            f"    {query:<26} p50 {statistics.median(values):6.1f}  "
            f"p95 {percentile(values, 0.95):6.1f}  max {max(values):6.1f} ms"
        )


def export(database: str, client: requests.Session, base: str, accounts: int) -> None:
    samples: list[tuple[int, float]] = []
    rows = 0
    done = threading.Event()

    def sample() -> None:
        while not done.is_set():
            samples.append((rows, rss_mib()))
            time.sleep(0.01)

    before = rss_mib()
    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    size = 0
    started = time.perf_counter()
    with client.get(f"{base}/api/accounts.csv", stream=True, timeout=120) as answer:
        answer.raise_for_status()
        for chunk in answer.iter_content(chunk_size=64 * 1024):
            rows += chunk.count(b"\n")  # no cell holds a line break
            size += len(chunk)
    seconds = time.perf_counter() - started
    done.set()
    sampler.join()
    rows -= 1  # the header
    peak = max(rss for _, rss in samples)
    tenth = max((rss for seen, rss in samples if seen <= accounts // 10), default=before)
    growth_late = peak - tenth
    flat = growth_late < FLAT_MIB
    print(
        f"{database}: CSV export        {rows:,} rows ({size / 2**20:.1f} MiB) in {seconds:.1f} s "
        f"(bar {EXPORT_BAR_S:.0f} s: {'met' if seconds < EXPORT_BAR_S else 'NOT met'}); "
        f"rows {'=' if rows == accounts else '!='} {accounts:,}"
    )
    print(
        f"{database}: export memory     RSS {before:.0f} MiB before, peak {peak:.0f} MiB "
        f"(+{peak - before:.1f} MiB); +{tenth - before:.1f} MiB by the first 10 % of rows, "
        f"+{growth_late:.1f} MiB over the other 90 % "
        f"(flat: {'met' if flat else 'NOT met'}, under {FLAT_MIB:.0f} MiB)"
    )
    if rows != accounts:
        raise SystemExit(f"the export has {rows:,} rows, not {accounts:,}")


def main() -> None:
    parser = database_parser(__doc__)
    parser.add_argument("--accounts", type=int, default=100_000)
    parser.add_argument(
        "--snapshot-accounts",
        type=int,
        help="Accounts given 30 daily snapshots (default: every account).",
    )
    parser.add_argument("--outcomes", type=int, default=5_000)
    parser.add_argument("--requests", type=int, default=200, help="Timed requests per endpoint.")
    parser.add_argument("--sql", action="store_true", help="Time each SQL statement too.")
    args = parser.parse_args()
    snapshot_accounts = min(args.snapshot_accounts or args.accounts, args.accounts)
    work, url, schema = start_run(args.database, "vigie-dashboard-")
    app = create_app(
        {
            "INSTANCE_PATH": str(work),
            "DATABASE_URL": url,
            "JOBS_START_CRON": False,
            "SECRET_KEY": "bench",
        }
    )
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # no line per request
    server = None
    try:
        upgrade(storage(app).engine)
        now = datetime.now(UTC)
        started = time.perf_counter()
        org_id = generate(app, args.accounts, snapshot_accounts, args.outcomes, now)
        print(
            f"{args.database}: generated {args.accounts:,} accounts, {TREND_DAYS} daily snapshots "
            f"for {snapshot_accounts:,} of them ({snapshot_accounts * TREND_DAYS:,} rows), "
            f"{args.outcomes:,} outcomes in {time.perf_counter() - started:.0f} s"
        )
        token = api_token(app, org_id)
        timer = SqlTimer(storage(app).engine) if args.sql else None
        server = make_server("127.0.0.1", 0, app, threaded=True)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        base = f"http://127.0.0.1:{server.server_port}"
        print(
            f"{args.database}: served by werkzeug make_server (threaded) on 127.0.0.1 in this "
            f"process; client requests.Session, one request at a time, after one untimed round"
        )
        browser = requests.Session()
        sign_in(browser, base)
        page = time_requests(browser, base, "/accounts", args.requests, timer, "page")
        report_latency(args.database, "GET /accounts", page)
        api = requests.Session()
        api.headers["Authorization"] = f"Bearer {token}"
        listing = time_requests(api, base, "/api/accounts", args.requests, timer, "api")
        report_latency(args.database, "GET /api/accounts", listing)
        if timer:
            timer.label = "export"
        export(args.database, api, base, args.accounts)
        left_open(args.database, app, schema)
        if timer:
            counts = {
                f"{name} {query}": len(values)
                for name, results in (("page", page), ("api", listing))
                for query, values in results.items()
            }
            counts["export"] = 1
            print(f"{args.database}: SQL time by request (top statements):")
            timer.report(counts)
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(
            f"{args.database}: process peak RSS {peak:.0f} MiB (generation included); "
            f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores"
        )
    finally:
        if server is not None:
            server.shutdown()
        storage(app).engine.dispose()
        drop_schema(schema)


def left_open(database: str, app, schema: str | None) -> None:
    """Say whether the requests left database connections checked out (a second
    after the last answer, the server is done with them)."""
    time.sleep(1)
    checked_out = storage(app).engine.pool.checkedout()
    states = []
    if schema:
        with create_engine(POSTGRES).connect() as connection:
            states = connection.execute(
                text(
                    "SELECT state, query FROM pg_stat_activity "
                    "WHERE application_name = :name AND state <> 'idle'"
                ),
                {"name": schema},
            ).all()
    detail = "".join(f"; {state}: {' '.join(query.split())[:60]}" for state, query in states)
    print(f"{database}: connections still checked out after the export: {checked_out}{detail}")


if __name__ == "__main__":
    main()
