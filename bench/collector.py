"""Collector throughput against a bare Flask endpoint, under the same gunicorn.

Starts, one after the other and for `--rounds` rounds, on loopback:
  * `bench/bare_app.py`: Flask answering 204 to `POST /e`, under gunicorn;
  * Vigie embedded: `vigie serve` (gunicorn, the inbox file, one writer), SQLite;
  * Vigie scale mode: `vigie serve` with Redis and PostgreSQL, as a collector
    node runs (gunicorn, the spool, one forwarder to the Redis Stream); the
    stream is drained by `vigie ingest` afterwards, so that the consumer does
    not share the collectors' cores,
each with the same workers and threads, loads each with wrk (Debian package
`wrk`) at the same connections for the same time, then prints requests per
second, p99 latency, the ratio to the bare endpoint, and events accepted
versus stored once everything is drained (`vigie serve` drains its inbox when
stopped).

Then the ingest rate: a stream filled with `--ingest-events` records (company
pageviews of 2,000 visitors from `--ingest-companies` companies, one in ten a
bot count) drained by one `vigie ingest`, then a fresh stream of the same size
by two at once, `--ingest-repeats` turns, and the medians compared; then the
same with every visitor from one company, the worst case for several
consumers (each batch updates that one account row, which they take in turns
until they commit). Each run has companies of its own, so no run's accounts
carry another's history. The rate counts from the first stored event to the
last, so process start is left out. Before and after, `bench/ceiling.py`
shows what the machine allows any two busy processes against one at that
moment: the consumers' ratio cannot be read without it on shared cores.

    python bench/collector.py [--workers 2] [--threads 4] [--connections 32] [--seconds 15]

Every server gets the same `--worker-connections` (connections / workers), so
that wrk's keep-alive connections are split evenly between the workers: left
to race, one worker could take all of them, and one server's figure swung
threefold from one start to the next.

Every beacon comes from a business address of the company database (through a
trusted proxy header, 256 addresses), with a browser's user agent.

`--breakdown` adds servers to each round, to show where the time goes: Vigie
whose sink keeps nothing (`bench/null_sink_app.py`: the request path alone),
Vigie appending to the inbox file with no writer draining it (the request
path and the append), and scale mode under plain gunicorn (the forwarder a
thread of one worker rather than `vigie serve`'s own process).
"""

from __future__ import annotations

import argparse
import io
import os
import re
import resource
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
import urllib.request
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import redis
from sqlalchemy import create_engine, func, select, text

HERE = Path(__file__).resolve().parent
PROJECT = HERE.parent
sys.path.insert(0, str(PROJECT))

from bench import ceiling  # noqa: E402
from enrich.companydb import build_company_db, read_networks  # noqa: E402
from server.records import CompanyFacts, TrafficCountDelta, encode  # noqa: E402
from server.sink.stream import STREAM, append  # noqa: E402
from server.storage.engine import build_engine  # noqa: E402
from server.storage.migrate import upgrade  # noqa: E402
from server.storage.models import Event, Organisation, Site  # noqa: E402
from tests.support.collector import company_pageview  # noqa: E402

SITE_KEY = "benchsitekey"
POSTGRES = os.environ.get(
    "VIGIE_BENCH_POSTGRES", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
REDIS = os.environ.get("VIGIE_BENCH_REDIS", "redis://127.0.0.1:6379/14")
SIDE_REDIS = os.environ.get("VIGIE_BENCH_SIDE_REDIS", "redis://127.0.0.1:6379/15")
CHROME = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0.0.0 Safari/537.36"
)
WRK_SCRIPT = """
wrk.method = "POST"
wrk.headers["Content-Type"] = "text/plain"
wrk.headers["User-Agent"] = "%(ua)s"
counter = 0
request = function()
  counter = counter + 1
  wrk.headers["X-Forwarded-For"] = "81.2.69." .. (counter %% 256)
  local body = '{"site":"%(site)s","type":"pageview","url":"https://shop.example/p' .. (counter %% 50) .. '","title":"Bench"}'
  return wrk.format(nil, "/e", nil, body)
end
"""


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def prepare_database(url: str) -> tuple[int, int]:
    """Migrate `url` and add the bench's organisation and site; return their ids."""
    engine = build_engine(url)
    upgrade(engine)
    from sqlalchemy.orm import Session

    with Session(engine) as session:
        organisation = Organisation(name="Bench", settings={})
        session.add(organisation)
        session.flush()
        site = Site(
            org_id=organisation.id,
            name="shop",
            public_key=SITE_KEY,
            domains=["shop.example"],
            query_allowlist=[],
        )
        session.add(site)
        session.commit()
        ids = (organisation.id, site.id)
    engine.dispose()
    return ids


def count_events(url: str) -> int:
    engine = create_engine(url)
    with engine.connect() as connection:
        count = connection.execute(select(func.count()).select_from(Event.__table__)).scalar()
    engine.dispose()
    return int(count or 0)


def gunicorn_command(app: str, port: int, args: argparse.Namespace) -> list[str]:
    return [
        sys.executable,
        "-m",
        "gunicorn",
        "-c",
        "python:server.gunicorn_conf",
        "-w",
        str(args.workers),
        "-k",
        "gthread",
        "--threads",
        str(args.threads),
        "-b",
        f"127.0.0.1:{port}",
        "--log-level",
        "warning",
        app,
    ]


def serve_command(port: int, args: argparse.Namespace) -> list[str]:
    return [
        sys.executable,
        "-m",
        "server",
        "serve",
        "--port",
        str(port),
        "--workers",
        str(args.workers),
        "--threads",
        str(args.threads),
    ]


def start_server(command: list[str], port: int, env: dict[str, str]) -> subprocess.Popen:
    process = subprocess.Popen(
        command,
        env={**os.environ, **env},
        cwd=PROJECT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/e", data=b"{}", timeout=1)
            return process
        except urllib.error.HTTPError:
            return process
        except OSError:
            time.sleep(0.1)
    process.kill()
    raise SystemExit(f"{command} did not start: {process.stderr.read().decode()[-2000:]}")


def run_wrk(port: int, args: argparse.Namespace, script: Path) -> dict[str, float]:
    output = subprocess.run(
        [
            "wrk",
            "-t",
            "2",
            "-c",
            str(args.connections),
            "-d",
            f"{args.seconds}s",
            "--latency",
            "-s",
            str(script),
            f"http://127.0.0.1:{port}",
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    requests = int(re.search(r"(\d+) requests in", output).group(1))
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))
    p99 = _millis(re.search(r"99%\s+([\d.]+\w+)", output).group(1))
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    return {
        "requests": requests,
        "rps": rps,
        "p99_ms": p99,
        "non2xx": int(errors.group(1)) if errors else 0,
    }


def _millis(value: str) -> float:
    number, unit = re.match(r"([\d.]+)(\w+)", value).groups()
    return float(number) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]


def measure(name: str, command, env: dict[str, str], args, script) -> dict[str, float]:
    """Load one server, then stop it (SIGTERM: `vigie serve` drains its inbox).

    `accepted` counts the 202s in its access log, requests in flight when wrk
    stops included."""
    port = free_port()
    access_log = script.with_name(f"access-{port}.log")
    # Each worker takes at most its share of wrk's keep-alive connections: left
    # to race, one worker often took all 32 while the other idled, and the
    # same server measured anywhere from 1,700 to 6,300 req/s from one start to the next.
    share = max(1, args.connections // args.workers)
    env = {
        **env,
        "GUNICORN_CMD_ARGS": f"--access-logfile {access_log} --worker-connections {share}",
    }
    process = start_server(command(port), port, env)
    try:
        cpu_before = tree_cpu_seconds(process.pid)
        result = run_wrk(port, args, script)
        result["cpu_ms"] = (tree_cpu_seconds(process.pid) - cpu_before) * 1000
    finally:
        process.terminate()
        process.wait(timeout=120)
    result["accepted"] = sum(1 for line in access_log.open() if '" 202 ' in line)
    cpu_per_request = result["cpu_ms"] / max(1, result["requests"])
    print(
        f"{name:<24} {result['rps']:>9,.0f} req/s   p99 {result['p99_ms']:>7.2f} ms   "
        f"requests {result['requests']:,}   non-2xx {result['non2xx']:,}   "
        f"CPU {cpu_per_request:.2f} ms/request"
    )
    return result


def tree_cpu_seconds(pid: int) -> float:
    """CPU time (user + system) of `pid` and every process under it, now."""
    ticks = os.sysconf("SC_CLK_TCK")
    total, pending = 0.0, [pid]
    while pending:
        current = pending.pop()
        try:
            fields = Path(f"/proc/{current}/stat").read_text().rsplit(")", 1)[1].split()
            children = Path(f"/proc/{current}/task/{current}/children").read_text().split()
        except OSError:
            continue  # ended meanwhile
        total += (int(fields[11]) + int(fields[12])) / ticks
        pending.extend(int(child) for child in children)
    return total


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--seconds", type=int, default=15)
    parser.add_argument("--rounds", type=int, default=3, help="Bare, embedded, scale; repeated.")
    parser.add_argument("--ingest-events", type=int, default=40_000)
    parser.add_argument(
        "--ingest-repeats",
        type=int,
        default=5,
        help="Turns of one then two consumers per workload; the medians are compared.",
    )
    parser.add_argument(
        "--ingest-companies",
        type=int,
        default=200,
        help="Companies the ingest runs' visitors come from (then again with one: "
        "every batch then updates the same account row, which consumers take in turns).",
    )
    parser.add_argument("--skip-scale", action="store_true", help="Embedded mode only.")
    parser.add_argument(
        "--ingest-only", action="store_true", help="Only the ingest rates (no servers, no wrk)."
    )
    parser.add_argument(
        "--breakdown",
        action="store_true",
        help="Also measure the request path alone, and with the inbox append but no writer.",
    )
    args = parser.parse_args()
    if shutil.which("wrk") is None and not args.ingest_only:
        raise SystemExit("wrk not found: apt-get install wrk")
    work = Path(tempfile.mkdtemp(prefix="vigie-bench-"))
    mmdb = work / "companies.mmdb"
    build_company_db(
        read_networks(
            io.StringIO(
                "network,name,domain,industry,employees,country\n"
                "81.2.69.0/24,Acme SAS,acme.fr,Software,120,FR\n"
            )
        ),
        mmdb,
    )
    script = work / "beacon.lua"
    script.write_text(WRK_SCRIPT % {"ua": CHROME, "site": SITE_KEY})
    common = {
        "VIGIE_MMDB": str(mmdb),
        "VIGIE_TRUSTED_PROXIES": "1",
        "VIGIE_SECRET_KEY": "bench",
        "VIGIE_COLLECT_RATE_LIMIT": "100000000 per minute",
        "VIGIE_INSTANCE_PATH": str(work),
    }
    if not args.ingest_only:
        server_rounds(args, common, work, script)
    if args.ingest_only or not args.skip_scale:
        with postgres_schema() as url:
            ingest_rates(args, {**common, "VIGIE_DATABASE_URL": url})
    shutil.rmtree(work, ignore_errors=True)


def server_rounds(
    args: argparse.Namespace, common: dict[str, str], work: Path, script: Path
) -> None:
    """Load the bare endpoint and Vigie's servers in turn for `args.rounds`
    rounds, then print each one's figures against the bare endpoint's."""
    print(
        f"gunicorn gthread, {args.workers} workers x {args.threads} threads; wrk 2 threads, "
        f"{args.connections} connections, {args.seconds} s each; {os.cpu_count()} cores\n"
    )
    bare_app = "bench.bare_app:create_app()"
    sqlite_url = f"sqlite:///{work / 'bench.db'}"
    prepare_database(sqlite_url)
    runs: dict[str, list[dict[str, float]]] = {
        "bare": [],
        "embedded": [],
        "scale": [],
        "null sink": [],
        "inbox only": [],
        "scale, plain gunicorn": [],
    }
    with postgres_schema() as scale_url:
        prepare_database(scale_url)
        scale_env = {**common, "VIGIE_DATABASE_URL": scale_url, "VIGIE_REDIS_URL": REDIS}
        for number in range(1, args.rounds + 1):
            print(f"round {number}")
            runs["bare"].append(
                measure(
                    "  bare Flask (204)",
                    lambda port: gunicorn_command(bare_app, port, args),
                    {},
                    args,
                    script,
                )
            )
            if args.breakdown:
                embedded_env = {**common, "VIGIE_DATABASE_URL": sqlite_url}
                runs["null sink"].append(
                    measure(
                        "  Vigie, null sink",
                        lambda port: gunicorn_command(
                            "bench.null_sink_app:create_app()", port, args
                        ),
                        {**embedded_env, "VIGIE_INGEST_WRITER": "external"},
                        args,
                        script,
                    )
                )
                runs["inbox only"].append(
                    measure(
                        "  Vigie, inbox, no writer",
                        lambda port: gunicorn_command("server:create_app()", port, args),
                        {
                            **embedded_env,
                            "VIGIE_INGEST_WRITER": "external",
                            "VIGIE_INBOX_PATH": str(work / "breakdown-inbox.sqlite"),
                        },
                        args,
                        script,
                    )
                )
            if args.breakdown and not args.skip_scale:
                # Its stream goes to a Redis database of its own, never drained:
                # the scale figures below count only `vigie serve`'s events.
                runs["scale, plain gunicorn"].append(
                    measure(
                        "  Vigie scale, gunicorn",
                        lambda port: gunicorn_command("server:create_app()", port, args),
                        {**scale_env, "VIGIE_REDIS_URL": SIDE_REDIS},
                        args,
                        script,
                    )
                )
            runs["embedded"].append(
                measure(
                    "  Vigie embedded (serve)",
                    lambda port: serve_command(port, args),
                    {**common, "VIGIE_DATABASE_URL": sqlite_url},
                    args,
                    script,
                )
            )
            if not args.skip_scale:
                runs["scale"].append(
                    measure(
                        "  Vigie scale (serve)",
                        lambda port: serve_command(port, args),
                        scale_env,
                        args,
                        script,
                    )
                )
        print()
        report("embedded", runs["embedded"], runs["bare"], count_events(sqlite_url))
        if args.breakdown:
            for name in ("null sink", "inbox only", "scale, plain gunicorn"):
                if runs[name]:
                    print(f"{name}: {breakdown(runs[name], runs['bare'])}")
            redis.Redis.from_url(SIDE_REDIS).flushdb()
        if not args.skip_scale:
            drain_stream(scale_env)
            report("scale", runs["scale"], runs["bare"], count_events(scale_url))


class postgres_schema:
    """A fresh PostgreSQL schema for one part of the bench, with an empty Redis."""

    def __enter__(self) -> str:
        self.schema = f"vigie_bench_{uuid.uuid4().hex[:8]}"
        self.admin = create_engine(POSTGRES, isolation_level="AUTOCOMMIT")
        with self.admin.connect() as connection:
            connection.execute(text(f"CREATE SCHEMA {self.schema}"))
        redis.Redis.from_url(REDIS).flushdb()
        return f"{POSTGRES}?options=-csearch_path%3D{self.schema}"

    def __exit__(self, *_exc: object) -> None:
        redis.Redis.from_url(REDIS).flushdb()
        with self.admin.connect() as connection:
            connection.execute(text(f"DROP SCHEMA {self.schema} CASCADE"))
        self.admin.dispose()


def drain_stream(env: dict[str, str]) -> None:
    """Run one `vigie ingest --burst` to its end."""
    subprocess.run(
        [sys.executable, "-m", "server", "ingest", "--burst", "--block-ms", "100"],
        env={**os.environ, **env},
        cwd=PROJECT,
        capture_output=True,
        check=True,
    )


def report(
    name: str, runs: list[dict[str, float]], bare: list[dict[str, float]], stored: int
) -> None:
    """Totals over the rounds: the ratio of all requests served in the same time
    (the bare endpoint swings from run to run on a shared machine), the worst p99."""
    accepted = sum(run["accepted"] for run in runs)
    ratio = sum(run["requests"] for run in runs) / sum(run["requests"] for run in bare)
    worst = max(run["p99_ms"] for run in runs)
    cpu = sum(run["cpu_ms"] for run in runs) / sum(run["requests"] for run in runs)
    bare_cpu = sum(run["cpu_ms"] for run in bare) / sum(run["requests"] for run in bare)
    per_round = ", ".join(
        f"{run['requests'] / b['requests']:.2f}" for run, b in zip(runs, bare, strict=True)
    )
    print(
        f"{name}: ratio to bare {ratio:.2f} x (rounds {per_round}), worst p99 {worst:.1f} ms, "
        f"accepted {accepted:,}, stored {stored:,}, lost {max(0, accepted - stored):,}; "
        f"server CPU {cpu:.2f} ms per request against {bare_cpu:.2f} bare ({bare_cpu / cpu:.2f} x)"
    )


def breakdown(runs: list[dict[str, float]], bare: list[dict[str, float]]) -> str:
    """Throughput ratio and CPU per request of a breakdown server against bare."""
    ratio = sum(r["rps"] for r in runs) / sum(b["rps"] for b in bare)
    cpu = sum(r["cpu_ms"] for r in runs) / sum(r["requests"] for r in runs)
    bare_cpu = sum(b["cpu_ms"] for b in bare) / sum(b["requests"] for b in bare)
    return (
        f"ratio to bare {ratio:.2f} x, worst p99 {max(r['p99_ms'] for r in runs):.1f} ms; "
        f"server CPU {cpu:.2f} ms per request against {bare_cpu:.2f} bare"
    )


def fill_stream(
    connection: redis.Redis, org_id: int, site_id: int, count: int, tag: str, companies: int
) -> int:
    """Queue `count` records like a busy site's: pageviews of 2,000 visitors
    from `companies` companies (of this run's own, `tag`) over 50 pages, and
    one in ten a bot count. Returns the events."""
    firms = [
        CompanyFacts(key=f"{tag}{n}.example", name=f"Company {tag}{n}", domain=f"{tag}{n}.example")
        for n in range(companies)
    ]
    start = datetime.now(UTC) - timedelta(hours=1)
    payloads, events = [], 0
    for number in range(count):
        if number % 10 == 9:
            record = TrafficCountDelta(site_id=site_id, day=start.date(), kind="bot")
        else:
            events += 1
            record = company_pageview(
                org_id,
                site_id,
                number,
                event_id=f"{tag}{number:08d}",
                occurred_at=start + timedelta(milliseconds=number * 50),
                path=f"/p{number % 50}",
                visitor_hash=f"{tag}v{number % 2000}",
                company=firms[number % 2000 % companies],
            )
        payloads.append(encode(record))
        if len(payloads) == 5_000:
            append(connection, payloads)
            payloads = []
    if payloads:
        append(connection, payloads)
    return events


def start_cost(env: dict[str, str]) -> float:
    """CPU seconds of one `vigie ingest --burst` with nothing to store (its start)."""
    before = children_cpu_seconds()
    drain_stream(env)
    return children_cpu_seconds() - before


def drain_with(consumers: int, env: dict[str, str], url: str, expected: int, start: float) -> float:
    """Start `consumers` `vigie ingest --burst`; return events/s from the first
    stored event to the last."""
    before = count_events(url)
    processes = [
        subprocess.Popen(
            [sys.executable, "-m", "server", "ingest", "--burst", "--block-ms", "100"],
            env={**os.environ, **env},
            cwd=PROJECT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for _ in range(consumers)
    ]
    while count_events(url) == before:
        time.sleep(0.01)
    started, busy_before = time.monotonic(), busy_cores_seconds()
    children_before = children_cpu_seconds()
    for process in processes:
        process.wait(timeout=600)
    seconds = time.monotonic() - started
    busy = (busy_cores_seconds() - busy_before) / seconds
    stored = count_events(url) - before
    if stored != expected:
        print(f"  !! {consumers} consumer(s) stored {stored:,} of {expected:,} events")
    spent = children_cpu_seconds() - children_before - consumers * start
    print(
        f"  (cores busy meanwhile, all processes: {busy:.2f} of {os.cpu_count()}; "
        f"the consumers' own CPU: {spent / max(1, stored) * 1e6:.0f} µs per event)"
    )
    return stored / seconds


def children_cpu_seconds() -> float:
    """User + system CPU of this process's children that have ended."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def busy_cores_seconds() -> float:
    """Seconds of CPU spent by the whole machine since boot, not idle or
    waiting for the disk (Linux's /proc/stat); 0 where there is none."""
    try:
        fields = Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]
    except OSError:
        return 0.0
    ticks = [int(value) for value in fields]
    idle = ticks[3] + ticks[4]
    return (sum(ticks[:8]) - idle) / os.sysconf("SC_CLK_TCK")


def ingest_rates(args, env) -> None:
    url = env["VIGIE_DATABASE_URL"]
    org_id, site_id = prepare_database(url)
    env = {**env, "VIGIE_REDIS_URL": REDIS}
    connection = redis.Redis.from_url(REDIS)
    start = start_cost(env)
    # What the machine itself allows two processes, before and after: on shared
    # cores it moves from minute to minute, and the consumers' figure with it.
    print(textwrap.indent(f"before:\n{ceiling.describe()}", "  "))
    for companies in (args.ingest_companies, 1):
        name = f"{companies} compan{'y' if companies == 1 else 'ies'}"
        rates: dict[int, list[float]] = {1: [], 2: []}
        # One then two consumers, in turns: both meet the machine's same moments.
        for repeat in range(args.ingest_repeats):
            for consumers in (1, 2):
                tag = f"c{companies}n{consumers}r{repeat}x"
                events = fill_stream(
                    connection, org_id, site_id, args.ingest_events, tag, companies
                )
                rates[consumers].append(drain_with(consumers, env, url, events, start))
                print(
                    f"  ingest, {name}, {consumers} consumer(s): {events:,} events (+ "
                    f"{args.ingest_events - events:,} bot counts) at "
                    f"{rates[consumers][-1]:,.0f} events/s; stream length after: "
                    f"{connection.xlen(STREAM):,}"
                )
        one, two = statistics.median(rates[1]), statistics.median(rates[2])
        each = ", ".join(f"{b / a:.2f}" for a, b in zip(rates[1], rates[2], strict=True))
        print(
            f"  {name}: median {one:,.0f} events/s with one consumer, {two:,.0f} with two: "
            f"two store {two / one:.2f} x what one does (each turn: {each})\n"
        )
    print(textwrap.indent(f"after:\n{ceiling.describe()}", "  "))


if __name__ == "__main__":
    main()
