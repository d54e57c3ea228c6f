"""Full rescoring: N accounts over M events, seconds and peak memory.

    python bench/scoring.py [--accounts 100000] [--events 5000000] [--database sqlite|postgresql]

Generates an organisation, its accounts (varied firmographics), visits and
events (pageviews of scored and unscored pages, downloads, forms) spread over
120 days, straight into a fresh database, then times what `vigie rescore`
does: every account, in batches of 500, with the default model.
"""

from __future__ import annotations

import random
import resource
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import insert

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.companies import draw_company
from bench.database_run import database_parser, start_run
from bench.databases import drop_schema
from server import create_app
from server.jobs.queue import drain
from server.rescoring import rescore
from server.storage import close_session, session_scope, storage
from server.storage.migrate import upgrade
from server.storage.models import Account, Event, Organisation, Site, Visit

PATHS = [
    "/",
    "/pricing",
    "/demo",
    "/blog/post",
    "/careers",
    "/case-studies/acme",
    "/docs",
    "/contact",
]
INDUSTRIES = ["Software", "Retail", "Consulting", "Telecommunications", "Manufacturing", None]
COUNTRIES = ["FR", "FR", "BE", "CH", "US", "DE", None]
BATCH = 500


def generate(app, accounts: int, events: int, now: datetime) -> None:
    rng = random.Random(7)
    engine = storage(app).engine
    with engine.begin() as connection:
        org_id = connection.execute(
            insert(Organisation).values(name="Bench", settings={})
        ).inserted_primary_key[0]
        site_id = connection.execute(
            insert(Site).values(
                org_id=org_id,
                name="s",
                public_key="k",
                domains=["x.fr"],
            )
        ).inserted_primary_key[0]
        rows = [
            dict(
                org_id=org_id,
                key=f"c{n}.fr",
                name=f"Company {n}",
                domain=f"c{n}.fr",
                **draw_company(rng, INDUSTRIES, COUNTRIES),
                firmographics={},
                top_pages=[],
                explanation=[],
                visits_30d=0,
                active_days_30d=0,
                pageviews_total=0,
                score=0,
                fit=0.0,
                engagement=0.0,
                tier="cold",
                created_at=now,
                updated_at=now,
            )
            for n in range(accounts)
        ]
        for start in range(0, len(rows), 10_000):
            connection.execute(insert(Account), rows[start : start + 10_000])
    per_account = max(1, events // accounts)
    visit_id = 0
    with engine.begin() as connection:
        visits, batch = [], []
        for account in range(1, accounts + 1):
            for _visit in range(max(1, per_account // 5)):
                visit_id += 1
                started = now - timedelta(days=rng.uniform(0, 120))
                visits.append(
                    dict(
                        id=visit_id,
                        site_id=site_id,
                        account_id=account,
                        visitor_hash="v",
                        started_at=started,
                        last_event_at=started,
                        pageviews=5,
                        events_count=5,
                        engaged_ms=0,
                        connection_class="business",
                        utm_medium=rng.choice([None, None, "email", "cpc"]),
                    )
                )
                for number in range(5):
                    kind = "event" if rng.random() < 0.1 else "pageview"
                    batch.append(
                        dict(
                            event_id=uuid.uuid4().hex,
                            site_id=site_id,
                            visit_id=visit_id,
                            account_id=account,
                            occurred_at=started + timedelta(minutes=number),
                            type=kind,
                            name=rng.choice(["download", "form_submit"])
                            if kind == "event"
                            else None,
                            path=rng.choice(PATHS),
                            props={},
                            visitor_hash="v",
                            connection_class="business",
                        )
                    )
            if len(batch) >= 50_000:
                connection.execute(insert(Visit), visits)
                connection.execute(insert(Event), batch)
                visits, batch = [], []
        if batch:
            connection.execute(insert(Visit), visits)
            connection.execute(insert(Event), batch)


def main() -> None:
    parser = database_parser(__doc__)
    parser.add_argument("--accounts", type=int, default=100_000)
    parser.add_argument("--events", type=int, default=5_000_000)
    args = parser.parse_args()
    work, url, schema = start_run(args.database, "vigie-scoring-")
    app = create_app({"INSTANCE_PATH": str(work), "DATABASE_URL": url, "JOBS_START_CRON": False})
    upgrade(storage(app).engine)
    now = datetime.now(UTC)
    started = time.perf_counter()
    generate(app, args.accounts, args.events, now)
    print(
        f"{args.database}: generated {args.accounts:,} accounts and ~{args.events:,} events "
        f"in {time.perf_counter() - started:.0f} s"
    )
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.perf_counter()
    with app.app_context():
        for first in range(1, args.accounts + 1, BATCH):
            with session_scope() as session:
                rescore(session, list(range(first, min(first + BATCH, args.accounts + 1))), now)
            close_session()
    seconds = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"{args.database}: rescored {args.accounts:,} accounts in {seconds:.1f} s "
        f"(bar 60 s); peak memory {peak:.0f} MiB (before rescoring {rss_before / 1024:.0f} MiB; bar 1,024)"
    )
    drain(app, timeout=600)  # the alerts of accounts that turned hot, before the schema goes
    drop_schema(schema)


if __name__ == "__main__":
    main()
