"""`vigie import-logs` on SQLite and PostgreSQL: what is kept, idempotence, privacy, errors."""

from __future__ import annotations

import gzip
import json
import random
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from server.importing.filters import RequestFilter
from server.importing.formats import log_format
from server.importing.reader import LogReader, LogSource
from server.importing.run import import_logs
from server.jobs import drain
from server.rescoring import rescore, score_accounts
from server.storage import session_scope
from server.storage.ingest import refresh_aggregates
from server.storage.models import (
    Account,
    Base,
    DailySalt,
    Event,
    ImportedLine,
    Organisation,
    ScoreSnapshot,
    TrafficCount,
    Visit,
)
from server.storage.snapshots import day_end
from server.storage.types import utcnow
from tests.support.cli import cli_for
from tests.support.collector import CHROME, SITE_KEY, send
from tests.support.factories import make_site

FIREFOX = "Mozilla/5.0 (X11; Linux x86_64; rv:132.0) Gecko/20100101 Firefox/132.0"
GOOGLEBOT = "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"
SITE = "https://shop.example"
PAGES = ["/", "/pricing", "/features", "/blog/post-1", "/careers", "/demo", "/about.html"]
ASSETS = ["/static/app.css", "/static/app.js", "/img/logo.png", "/fonts/a.woff2",
          "/favicon.ico", "/robots.txt", "/sitemap.xml", "/static/app.js.map"]  # fmt: skip
DAYS = 5


@dataclass(frozen=True)
class Hit:
    """One logged request and what the import must make of it."""

    at: datetime
    ip: str
    agent: str
    target: str
    expect: str  # pageview | download | bot | isp | hosting | left out reasons | bad
    method: str = "GET"
    status: int = 200
    referrer: str | None = None

    def line(self) -> str:
        stamp = self.at.astimezone(OFFSET).strftime("%d/%b/%Y:%H:%M:%S %z")
        referrer = self.referrer or "-"
        return (
            f'{self.ip} - - [{stamp}] "{self.method} {self.target} HTTP/1.1" {self.status} '
            f'512 "{referrer}" "{self.agent}"'
        )


OFFSET = datetime.now(UTC).astimezone().tzinfo  # logs are written in local time


def generate(now: datetime) -> list[Hit]:
    """A few thousand requests over `DAYS` days up to an hour before `now`, in time order."""
    rng = random.Random(7)
    hits: list[Hit] = []
    first = (now - timedelta(days=DAYS - 1)).date()
    for offset in range(DAYS):
        day = first + timedelta(days=offset)
        start = datetime.combine(day, time(8), tzinfo=UTC)
        if day == now.date():
            start = min(start, now - timedelta(hours=3))
        for visitor in range(6):
            ip = f"81.2.69.{10 + visitor}" if visitor < 4 else f"2a01:e0a:100:{visitor}::1"
            agent = CHROME if visitor % 2 else FIREFOX
            for visit in range(2):
                at = start + timedelta(minutes=visitor * 7 + visit * 95)
                hits += company_visit(rng, at, ip, agent)
        for number in range(20):
            at = start + timedelta(minutes=number * 4, seconds=30)
            hits.append(Hit(at, f"90.12.{number}.9", CHROME, rng.choice(PAGES), "isp"))
            hits.append(Hit(at, f"52.1.{number}.3", FIREFOX, "/pricing", "hosting"))
            hits.append(Hit(at, "81.2.69.200", GOOGLEBOT, rng.choice(PAGES), "bot"))
            hits.append(Hit(at, "81.2.69.201", "python-requests/2.32", "/", "bot"))
        hits += noise(start + timedelta(hours=3))
    return sorted(hits, key=lambda hit: hit.at)


def company_visit(rng: random.Random, at: datetime, ip: str, agent: str) -> list[Hit]:
    hits = []
    referrer: str | None = "https://www.google.com/search?q=acme"
    for index in range(rng.randint(2, 5)):
        page = rng.choice(PAGES)
        if index == 0 and rng.random() < 0.5:
            page += "?utm_source=news&utm_medium=email&email=jo%40acme.fr"
        hits.append(Hit(at, ip, agent, page, "pageview", referrer=referrer))
        for asset in rng.sample(ASSETS, 3):
            hits.append(Hit(at, ip, agent, asset, "asset or non-page", referrer=SITE + page))
        if rng.random() < 0.3:
            at += timedelta(seconds=20)
            hits.append(Hit(at, ip, agent, "/files/brochure.pdf", "download", referrer=SITE + page))
        referrer = SITE + page.split("?")[0]
        at += timedelta(seconds=rng.randint(20, 300))
    return hits


def noise(at: datetime) -> list[Hit]:
    """Requests that are not page views, from a company address."""
    ip = "81.2.69.99"
    return [
        Hit(at, ip, CHROME, "/missing", "not successful", status=404),
        Hit(at, ip, CHROME, "/pricing", "not successful", status=500),
        Hit(at, ip, CHROME, "/brochure.pdf", "not successful", status=206),
        Hit(at, ip, CHROME, "/contact", "not a GET", method="POST"),
        Hit(at, ip, CHROME, "/", "not a GET", method="HEAD"),
        Hit(at, ip, CHROME, "/e", "not a GET", method="POST"),
        Hit(at, ip, CHROME, "/p.gif?site=x&url=y", "collector path"),
        Hit(at, ip, CHROME, "/v.js", "collector path"),
        Hit(at, ip, CHROME, "/stats/e", "collector path"),
        Hit(at, ip, CHROME, "/.well-known/security.txt", "asset or non-page"),
    ]


def write_log(path: Path, hits: list[Hit], garbage: bool = False) -> Path:
    lines = [hit.line() for hit in hits]
    if garbage:
        lines[3:3] = ["this is not a log line", ""]
    data = ("\n".join(lines) + "\n").encode()
    if path.suffix == ".gz":
        path.write_bytes(gzip.compress(data))
    else:
        path.write_bytes(data)
    return path


@pytest.fixture
def site_app(make_app, db_url, mmdb, monkeypatch):
    """An app with the test `.mmdb` files and a site on `shop.example`; the CLI sees them."""
    monkeypatch.setenv("VIGIE_MMDB", ",".join(mmdb))
    app = make_app(db_url, MMDB=mmdb, COLLECT_RATE_LIMIT="100000 per minute")
    make_site(app, SITE_KEY)
    return app


@pytest.fixture
def now() -> datetime:
    return utcnow().replace(microsecond=0)


def import_files(app, tmp_path, *files, options=()):
    vigie = cli_for(app, tmp_path)
    return vigie("import-logs", "--site", SITE_KEY, "--collector-path", "/stats/e", *options,
                 *map(str, files))  # fmt: skip


def rows(app, model):
    with app.app_context(), session_scope() as session:
        found = session.scalars(select(model)).all()
        session.expunge_all()
        return found


def summary_line(output: str, label: str) -> str:
    return next(line for line in output.splitlines() if line.startswith(label))


def test_import_keeps_page_views_and_downloads_through_the_pipeline(site_app, tmp_path, now):
    """Every rule on a generated log: what is stored, counted, left out; scores; history."""
    hits = generate(now)
    log = write_log(tmp_path / "access.log", hits, garbage=True)
    result = import_files(site_app, tmp_path, log)
    assert result.exit_code == 0, result.output
    expect = {kind: sum(hit.expect == kind for hit in hits) for kind in {h.expect for h in hits}}
    assert summary_line(result.output, "Lines read") == f"Lines read: {len(hits) + 2:,}"
    assert summary_line(result.output, "Imported") == (
        f"Imported: {expect['pageview']:,} page view(s), {expect['download']:,} download(s)"
    )
    assert summary_line(result.output, "Bots") == f"Bots: {expect['bot']:,}"
    assert summary_line(result.output, "Non-business") == (
        f"Non-business networks: hosting {expect['hosting']:,}, isp {expect['isp']:,}"
    )
    assert summary_line(result.output, "Left out") == "Left out: " + ", ".join(
        f"{kind} {expect[kind]:,}"
        for kind in sorted(("asset or non-page", "collector path", "not a GET", "not successful"))
    )
    assert "Bad lines: 2" in result.output
    assert f"{log}:4: does not match the combined format" in result.output
    assert f"{log}:5: empty line" in result.output
    assert "Accounts: 2 created, 0 updated" in result.output

    kept = [hit for hit in hits if hit.expect in ("pageview", "download")]
    events = sorted(rows(site_app, Event), key=lambda e: (e.occurred_at, e.path, e.type))
    assert [(e.occurred_at, e.type) for e in events] == [
        (hit.at, "event" if hit.expect == "download" else "pageview") for hit in kept
    ]
    assert all("@" not in e.path and "email" not in e.path for e in events)
    assert {e.utm_source for e in events} == {None, "news"}
    downloads = [e for e in events if e.type == "event"]
    assert {(e.name, e.props["url"]) for e in downloads} == {
        ("download", SITE + "/files/brochure.pdf")
    }
    assert all(not e.path.endswith(".pdf") for e in downloads)  # sent from the linking page
    assert len(rows(site_app, Visit)) == DAYS * 6 * 2  # two visits per visitor and day
    counts = {(c.kind): 0 for c in rows(site_app, TrafficCount)}
    for count in rows(site_app, TrafficCount):
        counts[count.kind] += count.count
    assert counts == {"bot": expect["bot"], "isp": expect["isp"], "hosting": expect["hosting"]}

    accounts = {a.name: a for a in rows(site_app, Account)}
    assert set(accounts) == {"Acme SAS", "Beta GmbH"}
    acme = accounts["Acme SAS"]
    acme_hits = [h for h in kept if h.ip.startswith("81.")]
    assert (acme.first_seen, acme.last_seen) == (acme_hits[0].at, acme_hits[-1].at)
    assert acme.pageviews_total == sum(h.expect == "pageview" for h in acme_hits)
    assert acme.visits_30d == DAYS * 4 * 2 and acme.active_days_30d == DAYS
    with site_app.app_context(), session_scope() as session:
        ids = [a.id for a in accounts.values()]
        stored = {a.id: (a.score, a.tier, a.scored_at) for a in accounts.values()}
        scored_at = acme.scored_at
        expected = {row.id: (result.score, result.tier.value, scored_at)
                    for row, result in score_accounts(session, ids, scored_at)}  # fmt: skip
        assert stored == expected
        first_day = hits[0].at.date()
        for offset in range(DAYS):
            day = first_day + timedelta(days=offset)
            snapshots = {
                s.account_id: (s.score, s.tier)
                for s in session.scalars(select(ScoreSnapshot).where(ScoreSnapshot.day == day))
            }
            when = day_end(day, scored_at)
            assert snapshots == {
                row.id: (result.score, result.tier.value)
                for row, result in score_accounts(session, ids, when)
            }


def test_same_data_sent_live_gives_the_same_accounts_and_scores(
    site_app, make_app, db_url, mmdb, tmp_path, now, monkeypatch
):
    """The beacons the snippet would have sent, at the logged times, through `POST /e`."""
    hits = generate(now)
    result = import_files(site_app, tmp_path, write_log(tmp_path / "a.log", hits))
    assert result.exit_code == 0, result.output
    imported = facts_of(site_app, now)

    empty_database(db_url)
    live = make_app(db_url, MMDB=mmdb, COLLECT_RATE_LIMIT="100000 per minute")
    make_site(live, SITE_KEY)
    for hit in hits:
        body = live_beacon(hit)
        if body is not None:
            monkeypatch.setattr("server.collect.endpoint.utcnow", lambda at=hit.at: at)
            assert send(live, body, ip=hit.ip, user_agent=hit.agent).status_code == 202
    monkeypatch.undo()
    assert drain(live, timeout=60)
    assert facts_of(live, now) == imported


def live_beacon(hit: Hit) -> dict | None:
    """What the snippet sends for a request a browser made (None for assets and the like)."""
    url = SITE + hit.target
    if hit.expect in ("pageview", "isp", "hosting", "bot"):
        beacon = {"site": SITE_KEY, "type": "pageview", "url": url}
        return beacon | ({"referrer": hit.referrer} if hit.referrer else {})
    if hit.expect == "download":
        return {"site": SITE_KEY, "type": "event", "name": "download", "url": hit.referrer,
                "props": {"url": url}}  # fmt: skip
    return None


def facts_of(app, now: datetime) -> dict:
    """Accounts, their scores as of `now`, events and counts, without ids or hashes."""
    with app.app_context(), session_scope() as session:
        ids = session.scalars(select(Account.id)).all()
        refresh_aggregates(session, ids, now)
        rescore(session, ids, now)
    with app.app_context(), session_scope() as session:
        accounts = sorted(
            (a.key, a.name, a.first_seen, a.last_seen, a.visits_30d, a.active_days_30d,
             tuple(a.top_pages), a.pageviews_total, a.score, a.fit, a.engagement, a.tier,
             json.dumps(a.explanation))
            for a in session.scalars(select(Account))
        )  # fmt: skip
        events = sorted(
            (e.occurred_at, e.type, e.name, e.path, json.dumps(e.props), e.referrer_host,
             e.referrer_path, e.utm_source, e.utm_medium, e.country, e.connection_class,
             e.device_class, e.browser_family)
            for e in session.scalars(select(Event))
        )  # fmt: skip
        visits = session.scalar(select(func.count()).select_from(Visit))
        counts = sorted((c.day, c.kind, c.count) for c in session.scalars(select(TrafficCount)))
    return {"accounts": accounts, "events": events, "visits": visits, "counts": counts}


def empty_database(url: str) -> None:
    from sqlalchemy import create_engine

    engine = create_engine(url)
    with engine.begin() as connection:
        for table in reversed(Base.metadata.sorted_tables):
            connection.execute(table.delete())
    engine.dispose()


def dump(app) -> dict:
    """Every table's rows (ids and visitor hashes included), for equality."""
    with app.app_context(), session_scope() as session:
        tables = {}
        for table in Base.metadata.sorted_tables:
            if table.name in ("daily_salts", "accounts"):
                continue
            tables[table.name] = sorted(
                tuple(str(v) for v in row) for row in session.execute(table.select())
            )
        tables["accounts"] = sorted(
            (a.key, a.score, a.tier, a.visits_30d, a.pageviews_total, str(a.last_seen))
            for a in session.scalars(select(Account))
        )
    return tables


def test_importing_twice_or_overlapping_files_stores_nothing_twice(site_app, db_url, tmp_path, now):
    hits = generate(now)
    whole = write_log(tmp_path / "access.log", hits)
    third = len(hits) // 3
    older = write_log(tmp_path / "access.log.1.gz", hits[: 2 * third])
    newer = write_log(tmp_path / "access.log.0", hits[third:])
    assert import_files(site_app, tmp_path, newer, older).exit_code == 0  # newest first
    once = dump(site_app)
    again = import_files(site_app, tmp_path, whole)
    assert again.exit_code == 0, again.output
    piped = sum(h.expect in ("pageview", "download", "bot", "isp", "hosting") for h in hits)
    assert f"Already imported (skipped): {piped:,}" in again.output
    assert "Imported: 0 page view(s), 0 download(s)" in again.output
    assert dump(site_app) == once
    overlapping = facts_of(site_app, now)
    empty_database(db_url)
    make_site(site_app, SITE_KEY)
    assert import_files(site_app, tmp_path, whole).exit_code == 0
    assert facts_of(site_app, now) == overlapping


def test_overlapping_files_in_separate_runs_count_once(site_app, db_url, tmp_path, now):
    hits = generate(now)
    cut = page_view_carrying_on_a_visit(hits, len(hits) // 2, now)
    # The first run's salt of that past day is gone when the second run starts.
    first = write_log(tmp_path / "a.log", hits[:cut])
    second = write_log(tmp_path / "b.log", hits[cut - 200 :])
    assert import_files(site_app, tmp_path, first).exit_code == 0
    assert import_files(site_app, tmp_path, second).exit_code == 0
    split = facts_of(site_app, now)
    empty_database(db_url)
    make_site(site_app, SITE_KEY)
    assert import_files(site_app, tmp_path, write_log(tmp_path / "all.log", hits)).exit_code == 0
    whole = facts_of(site_app, now)
    assert split == whole


def page_view_carrying_on_a_visit(hits: list[Hit], start: int, now: datetime) -> int:
    """The index, from `start` on, of a company page view of a past day whose
    visitor viewed another page less than a visit gap before."""
    for index in range(start, len(hits)):
        hit = hits[index]
        if hit.expect != "pageview" or hit.at.date() >= (now - timedelta(days=1)).date():
            continue
        earlier = [h for h in hits[index - 40 : index] if h.expect == "pageview" and h.ip == hit.ip]
        if earlier and timedelta(0) < hit.at - earlier[-1].at < timedelta(minutes=30):
            return index
    raise AssertionError("no visit goes on there")


def test_no_client_address_is_stored_and_past_salts_are_gone(site_app, db_url, tmp_path, now):
    hits = generate(now)
    assert import_files(site_app, tmp_path, write_log(tmp_path / "a.log", hits)).exit_code == 0
    addresses = {hit.ip for hit in hits}
    with site_app.app_context(), session_scope() as session:
        text_of_tables = "\n".join(
            repr(tuple(row))
            for table in Base.metadata.sorted_tables
            for row in session.execute(table.select())
        )
        assert session.scalar(select(func.count()).select_from(ImportedLine)) > 0
    for ip in addresses:
        assert ip not in text_of_tables
    if db_url.startswith("sqlite"):
        path = db_url.removeprefix("sqlite:///")
        data = b"".join(Path(p).read_bytes() for p in (path, path + "-wal") if Path(p).exists())
        for ip in addresses:
            assert ip.encode() not in data
    today = utcnow().date()
    assert {s.day for s in rows(site_app, DailySalt)} <= {
        today - timedelta(days=1),
        today,
        today + timedelta(days=1),
    }


def test_out_of_order_lines_make_the_same_visits(site_app, db_url, tmp_path, now):
    hits = generate(now)
    shuffled = hits[:]
    random.Random(3).shuffle(shuffled)
    assert import_files(site_app, tmp_path, write_log(tmp_path / "x.log", shuffled)).exit_code == 0
    mixed = facts_of(site_app, now)
    empty_database(db_url)
    make_site(site_app, SITE_KEY)
    assert import_files(site_app, tmp_path, write_log(tmp_path / "y.log", hits)).exit_code == 0
    assert facts_of(site_app, now) == mixed


def test_truncated_gzip_imports_what_it_holds(site_app, tmp_path, now):
    hits = generate(now)
    whole = gzip.compress(("\n".join(h.line() for h in hits) + "\n").encode())
    log = tmp_path / "cut.log.gz"
    log.write_bytes(whole[: len(whole) // 2])
    result = import_files(site_app, tmp_path, log)
    assert result.exit_code == 0, result.output
    assert "file ends early" in result.output and f"{log}:" in result.output
    assert 0 < len(rows(site_app, Event)) < sum(h.expect in ("pageview", "download") for h in hits)


def test_nothing_readable_exits_non_zero(site_app, tmp_path):
    garbage = tmp_path / "garbage.log"
    garbage.write_text("no\nlog\nhere\n")
    result = import_files(site_app, tmp_path, garbage)
    assert result.exit_code == 2
    assert f"{garbage}:1: does not match the combined format" in result.output
    assert "Error: nothing could be read" in result.output
    assert "Traceback" not in result.output


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        (r"(?P<ip>\S+) (?P<when>\S+) (?P<path>\S+)", "unknown group(s) when"),
        (r"(?P<ip>\S+) (?P<path>\S+)", "missing required group(s) time"),
        (r"(?P<ip>\S+", "not a valid regular expression"),
    ],
)
def test_bad_format_is_refused_at_once(site_app, tmp_path, spec, message):
    log = write_log(tmp_path / "a.log", [])
    result = import_files(site_app, tmp_path, log, options=("--format", spec))
    assert result.exit_code == 2 and f"Error: --format: {message}" in result.output
    assert rows(site_app, ImportedLine) == []


def test_custom_format_and_standard_input(site_app, tmp_path, now):
    at = now - timedelta(hours=2)
    stamp = at.isoformat()
    lines = f"{stamp}|81.2.69.10|/pricing|200|{CHROME}\n{stamp}|81.2.69.10|/x.css|200|{CHROME}\n"
    spec = r"(?P<time>[^|]+)\|(?P<ip>[^|]+)\|(?P<path>[^|]+)\|(?P<status>\d+)\|(?P<user_agent>.*)"
    vigie = cli_for(site_app, tmp_path)
    result = vigie("import-logs", "--site", SITE_KEY, "--format", spec, "-", stdin=lines)
    assert result.exit_code == 0, result.output
    [event] = rows(site_app, Event)
    assert (event.path, event.occurred_at) == ("/pricing", at)


def test_unknown_site_is_refused(site_app, tmp_path):
    vigie = cli_for(site_app, tmp_path)
    result = vigie("import-logs", "--site", "nope", str(write_log(tmp_path / "a.log", [])))
    assert result.exit_code == 2 and "Error: --site: no site with key nope" in result.output


def test_common_and_vhost_formats(site_app, tmp_path, now):
    hit = Hit(now - timedelta(hours=2), "81.2.69.10", CHROME, "/pricing", "pageview")
    common = tmp_path / "common.log"
    common.write_text(hit.line().rsplit(' "-" ', 1)[0] + "\n")
    vhost = tmp_path / "vhost.log"
    later = Hit(hit.at + timedelta(minutes=1), hit.ip, CHROME, "/demo", "pageview")
    vhost.write_text(f"shop.example:443 {later.line()}\n")
    assert import_files(site_app, tmp_path, common, options=("--format", "common")).exit_code == 0
    result = import_files(site_app, tmp_path, vhost, options=("--format", "vhost_combined"))
    assert result.exit_code == 0, result.output
    assert sorted(e.path for e in rows(site_app, Event)) == ["/demo", "/pricing"]


def import_stopped_after_a_batch(make_app, db_url, mmdb, log, now, monkeypatch):
    """Import `log` in batches of 300 lines, stopped once the first is committed;
    the app it ran in (with the CLI's secret, so a rerun knows the line ids)."""
    monkeypatch.setenv("VIGIE_SECRET_KEY", "import-secret")
    app = make_app(db_url, MMDB=mmdb, SECRET_KEY="import-secret")
    monkeypatch.setattr("server.importing.run.BATCH_LINES", 300)

    def stop(done: int) -> None:
        raise KeyboardInterrupt

    reader = LogReader(log_format("combined"), RequestFilter(["/stats/e"]), "import-secret",
                       SITE_KEY)  # fmt: skip
    with app.app_context(), pytest.raises(KeyboardInterrupt):
        import_logs(SITE_KEY, [LogSource(str(log))], reader, now, progress=stop)
    return app


def test_an_interrupted_import_run_again_completes(
    site_app, make_app, db_url, mmdb, tmp_path, now, monkeypatch
):
    """Stopped after its first committed batch, then run again: as if run once."""
    hits = generate(now)
    log = write_log(tmp_path / "a.log", hits)
    app = import_stopped_after_a_batch(make_app, db_url, mmdb, log, now, monkeypatch)
    assert 0 < len(rows(app, ImportedLine)) < len(hits)
    result = import_files(site_app, tmp_path, log)
    assert result.exit_code == 0, result.output
    assert "Already imported (skipped): 300" in result.output
    resumed = facts_of(site_app, now)
    empty_database(db_url)
    make_site(site_app, SITE_KEY)
    assert import_files(site_app, tmp_path, log).exit_code == 0
    assert facts_of(site_app, now) == resumed


def test_accounts_are_enriched_once_the_import_ends(
    site_app, make_app, db_url, mmdb, tmp_path, now, monkeypatch
):
    """Also those an interrupted run created: the run that completes queues them."""
    firmo = tmp_path / "firmo.csv"
    firmo.write_text("domain,revenue_band\nacme.fr,10-50M\n")
    with site_app.app_context(), session_scope() as session:
        session.scalar(select(Organisation)).settings = {
            "enrichment": {"providers": [{"type": "file", "path": str(firmo)}]}
        }
    log = write_log(tmp_path / "a.log", generate(now))
    app = import_stopped_after_a_batch(make_app, db_url, mmdb, log, now, monkeypatch)
    assert drain(app, timeout=20)
    created = rows(app, Account)
    assert created and all(a.revenue_band is None for a in created)  # not enriched yet

    result = import_files(site_app, tmp_path, log)
    assert result.exit_code == 0, result.output
    assert summary_line(result.output, "Queued for enrichment") == (
        "Queued for enrichment: 2 account(s)"
    )
    acme = next(a for a in rows(site_app, Account) if a.domain == "acme.fr")
    assert acme.revenue_band == "10-50M"  # the command ran its jobs before it ended
    again = import_files(site_app, tmp_path, log)
    assert summary_line(again.output, "Queued for enrichment") == (
        "Queued for enrichment: 0 account(s)"  # each was tried; the daily refresh retries
    )


def test_a_page_the_collector_would_refuse_is_a_bad_line(site_app, tmp_path, now):
    good = Hit(now - timedelta(hours=2), "81.2.69.10", CHROME, "/pricing", "pageview")
    long = Hit(good.at, "81.2.69.11", CHROME, "/" + "a" * 2100, "pageview")
    nul = Hit(good.at, "81.2.69.12", CHROME, "/pricing%00", "pageview")
    result = import_files(site_app, tmp_path, write_log(tmp_path / "a.log", [good, long, nul]))
    assert result.exit_code == 0, result.output
    assert "Bad lines: 2" in result.output and "url: too long" in result.output
    assert "url: contains a NUL character" in result.output
    assert [e.path for e in rows(site_app, Event)] == ["/pricing"]


def test_an_import_keeps_each_days_salt_for_its_whole_run(site_app):
    """Were salt rotation to delete a past day's salt mid-import, its visitors hash the same."""
    from sqlalchemy import delete

    from server.importing.run import ImportSalts
    from server.storage import storage

    salts = ImportSalts(storage(site_app).sessions)
    old, older = date(2026, 1, 5), date(2026, 1, 4)
    first = salts.salt(old)
    assert salts.salt(older) != first
    with site_app.app_context(), session_scope() as session:
        session.execute(delete(DailySalt))
    assert salts.salt(old) == first


def test_an_unreadable_file_is_one_line_of_error(site_app, tmp_path):
    log = tmp_path / "logs"
    log.mkdir()  # a folder given for a file: unreadable as a log, even for root
    result = import_files(site_app, tmp_path, log)
    assert result.exit_code == 2 and f"File '{log}' is a directory" in result.output
    missing = import_files(site_app, tmp_path, tmp_path / "gone.log")
    assert missing.exit_code == 2 and "gone.log' does not exist" in missing.output
    assert "Traceback" not in result.output + missing.output


def test_lines_logged_once_the_snippet_was_live_are_left_to_it(
    site_app, tmp_path, now, monkeypatch
):
    """A page view logged after the snippet's first event was also sent live: not twice."""
    live_from = now - timedelta(hours=2)
    monkeypatch.setattr("server.collect.endpoint.utcnow", lambda: live_from)
    body = {"site": SITE_KEY, "type": "pageview", "url": SITE + "/pricing"}
    assert send(site_app, body, ip="81.2.69.10").status_code == 202
    before = Hit(live_from - timedelta(hours=1), "81.2.69.10", CHROME, "/demo", "pageview")
    after = Hit(live_from + timedelta(minutes=5), "81.2.69.10", CHROME, "/pricing", "pageview")
    log = write_log(tmp_path / "a.log", [before, after])
    result = import_files(site_app, tmp_path, log)
    assert result.exit_code == 0, result.output
    assert f"Logged after the snippet's first event ({live_from:%Y-%m-%d %H:%M} UTC)" in (
        result.output
    )
    assert "left to the snippet: 1" in result.output
    assert sorted((e.occurred_at, e.path) for e in rows(site_app, Event)) == [
        (before.at, "/demo"),
        (live_from, "/pricing"),
    ]
    again = import_files(site_app, tmp_path, log)  # imported events are not the snippet's
    assert "Already imported (skipped): 1" in again.output and "left to the snippet: 1" in (
        again.output
    )
