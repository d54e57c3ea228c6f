"""Collector throughput against a bare Flask endpoint, under the same gunicorn.

Starts, one after the other, on loopback:
  * `bench/bare_app.py`: Flask answering 204 to `POST /e`;
  * Vigie embedded (SQLite, direct writes);
  * Vigie scale mode (PostgreSQL + Redis Stream, one `vigie ingest` running),
each under gunicorn with the same workers and threads, loads each with wrk
(Debian package `wrk`) at the same connections for the same time, then prints
requests per second, p99 latency, the ratio to the bare endpoint, and events
sent versus stored once the stream is drained.

    python bench/collector.py [--workers 2] [--threads 4] [--connections 32] [--seconds 15]

Every beacon comes from a business address of the company database (through a
trusted proxy header, 256 addresses), with a browser's user agent.
"""

from __future__ import annotations

import argparse
import io
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from pathlib import Path

import redis
from sqlalchemy import create_engine, func, select, text

HERE = Path(__file__).resolve().parent
PROJECT = HERE.parent
sys.path.insert(0, str(PROJECT))

from enrich.companydb import build_company_db, read_networks  # noqa: E402
from server.storage.engine import build_engine  # noqa: E402
from server.storage.migrate import upgrade  # noqa: E402
from server.storage.models import Event, Organisation, Site  # noqa: E402

SITE_KEY = "benchsitekey"
POSTGRES = os.environ.get(
    "VIGIE_BENCH_POSTGRES", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
REDIS = os.environ.get("VIGIE_BENCH_REDIS", "redis://127.0.0.1:6379/14")
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


def prepare_database(url: str, mmdb: Path) -> None:
    engine = build_engine(url)
    upgrade(engine)
    from sqlalchemy.orm import Session

    with Session(engine) as session:
        organisation = Organisation(name="Bench", settings={})
        session.add(organisation)
        session.flush()
        session.add(
            Site(
                org_id=organisation.id,
                name="shop",
                public_key=SITE_KEY,
                domains=["shop.example"],
                query_allowlist=[],
            )
        )
        session.commit()
    engine.dispose()


def count_events(url: str) -> int:
    engine = create_engine(url)
    with engine.connect() as connection:
        count = connection.execute(select(func.count()).select_from(Event.__table__)).scalar()
    engine.dispose()
    return int(count or 0)


def start_gunicorn(
    app: str, port: int, args: argparse.Namespace, env: dict[str, str], access_log: Path
) -> subprocess.Popen:
    command = [
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
        "--access-logfile",
        str(access_log),
        app,
    ]
    process = subprocess.Popen(
        command,
        env={**os.environ, **env},
        cwd=PROJECT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/e", data=b"{}", timeout=1)
            return process
        except urllib.error.HTTPError:
            return process
        except OSError:
            time.sleep(0.1)
    process.kill()
    raise SystemExit(f"{app} did not start: {process.stderr.read().decode()[-2000:]}")


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


def measure(name: str, app: str, env: dict[str, str], args, script) -> dict[str, float]:
    """Load one server; `accepted` counts the 202s in its access log, in-flight ones included."""
    port = free_port()
    access_log = script.with_name(f"access-{port}.log")
    process = start_gunicorn(app, port, args, env, access_log)
    try:
        result = run_wrk(port, args, script)
    finally:
        process.terminate()
        process.wait(timeout=30)
    result["accepted"] = sum(1 for line in access_log.open() if '" 202 ' in line)
    print(
        f"{name:<22} {result['rps']:>9,.0f} req/s   p99 {result['p99_ms']:>7.2f} ms   "
        f"requests {result['requests']:,}   non-2xx {result['non2xx']:,}"
    )
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--seconds", type=int, default=15)
    parser.add_argument("--skip-scale", action="store_true", help="Embedded mode only.")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        raise SystemExit("wrk not found: apt-get install wrk")
    work = Path(tempfile.mkdtemp(prefix="vigie-bench-"))
    mmdb = work / "companies.mmdb"
    build_company_db(
        read_networks(
            io.StringIO(
                "network,name,domain,industry,employees,country\n81.2.69.0/24,Acme SAS,acme.fr,Software,120,FR\n"
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
    print(
        f"gunicorn gthread, {args.workers} workers x {args.threads} threads; wrk 2 threads, "
        f"{args.connections} connections, {args.seconds} s each; {os.cpu_count()} cores\n"
    )
    bare = measure("bare Flask (204)", "bench.bare_app:create_app()", {}, args, script)

    sqlite_url = f"sqlite:///{work / 'bench.db'}"
    prepare_database(sqlite_url, mmdb)
    embedded = measure(
        "Vigie embedded SQLite",
        "server:create_app()",
        {**common, "VIGIE_DATABASE_URL": sqlite_url},
        args,
        script,
    )
    stored = count_events(sqlite_url)
    report("embedded", embedded, bare, stored)

    if not args.skip_scale:
        scale_mode(args, script, common, bare)
    shutil.rmtree(work, ignore_errors=True)


def scale_mode(args, script, common, bare) -> None:
    schema = f"vigie_bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(POSTGRES, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f"CREATE SCHEMA {schema}"))
    url = f"{POSTGRES}?options=-csearch_path%3D{schema}"
    connection_redis = redis.Redis.from_url(REDIS)
    connection_redis.flushdb()
    try:
        prepare_database(url, Path(common["VIGIE_MMDB"]))
        env = {**common, "VIGIE_DATABASE_URL": url, "VIGIE_REDIS_URL": REDIS}
        # The collectors alone first (the consumer would share their two cores),
        # then one `vigie ingest` drains the stream.
        result = measure("Vigie scale (Redis)", "server:create_app()", env, args, script)
        drain_started = time.monotonic()
        drained = subprocess.run(
            [
                sys.executable,
                "-m",
                "server",
                "ingest",
                "--name",
                "bench",
                "--burst",
                "--block-ms",
                "100",
            ],
            env={**os.environ, **env},
            cwd=PROJECT,
            capture_output=True,
            text=True,
            check=True,
        )
        drain_seconds = time.monotonic() - drain_started
        print(f"  {drained.stdout.strip()}")
        stored = count_events(url)
        report("scale", result, bare, stored)
        print(
            f"  ingest: {stored:,} events in {drain_seconds:.1f} s = "
            f"{stored / drain_seconds:,.0f} events/s stored (one consumer, process start included)\n"
        )
    finally:
        connection_redis.flushdb()
        with admin.connect() as connection:
            connection.execute(text(f"DROP SCHEMA {schema} CASCADE"))
        admin.dispose()


def report(name: str, result: dict[str, float], bare: dict[str, float], stored: int) -> None:
    accepted = result["accepted"]
    print(
        f"  {name}: ratio to bare {result['rps'] / bare['rps']:.2f} x (bar 0.8), "
        f"p99 {result['p99_ms']:.1f} ms (bar 25), sent {accepted:,}, stored {stored:,}, "
        f"lost {accepted - stored:,}\n"
    )


if __name__ == "__main__":
    main()
