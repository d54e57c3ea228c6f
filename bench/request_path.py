"""The collector's request path in process: what one beacon costs before the sink.

Builds a Vigie app on SQLite in a temporary folder (one site made as the
tests make it, a company database with one business network), replaces its sink by one that keeps
nothing, then calls the WSGI app directly, with no server and no socket, for
`POST /e` beacons from 256 business addresses (behind one trusted proxy), for
`OPTIONS /e` and for `GET /p.gif`. Prints microseconds per request and the
ten costliest calls by cumulative time (cProfile) of the `POST /e` loop.

    python bench/request_path.py [--requests 3000] [--top 10]
"""

from __future__ import annotations

import argparse
import cProfile
import io
import os
import pstats
import shutil
import sys
import tempfile
import time
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from enrich.companydb import build_company_db, read_networks  # noqa: E402
from server import create_app  # noqa: E402
from server.records import Record  # noqa: E402
from server.storage.engine import build_engine  # noqa: E402
from server.storage.migrate import upgrade  # noqa: E402
from tests.support.collector import CHROME, SITE_KEY  # noqa: E402
from tests.support.factories import make_site  # noqa: E402

ORIGIN = "https://shop.example"
Environ = dict[str, Any]


class NullSink:
    """Keeps nothing: the bench measures the request path, not storage."""

    def __init__(self) -> None:
        self.records = 0

    def store(self, records: Sequence[Record]) -> None:
        self.records += len(records)


def build_app(work: Path) -> Any:
    mmdb = work / "companies.mmdb"
    networks = "network,name,domain,industry,employees,country\n"
    networks += "81.2.69.0/24,Acme SAS,acme.fr,Software,120,FR\n"
    build_company_db(read_networks(io.StringIO(networks)), mmdb)
    url = f"sqlite:///{work / 'bench.db'}"
    engine = build_engine(url)
    upgrade(engine)
    engine.dispose()
    for name in [name for name in os.environ if name.startswith("VIGIE_")]:
        del os.environ[name]  # no developer setting (Redis above all) leaks in
    app = create_app(
        {
            "INSTANCE_PATH": str(work),
            "DATABASE_URL": url,
            "MMDB": str(mmdb),
            "TRUSTED_PROXIES": 1,
            "SECRET_KEY": "bench",
            "COLLECT_RATE_LIMIT": "100000000 per minute",
        }
    )
    make_site(app, SITE_KEY, domains=("shop.example",))
    app.extensions["vigie.collect"].sink = NullSink()
    return app


def beacon_environ(number: int) -> Environ:
    body = (
        f'{{"site":"{SITE_KEY}","type":"pageview","url":"{ORIGIN}/p{number % 50}","title":"Bench"}}'
    ).encode()
    return {
        "REQUEST_METHOD": "POST",
        "PATH_INFO": "/e",
        "QUERY_STRING": "",
        "CONTENT_TYPE": "text/plain",
        "CONTENT_LENGTH": str(len(body)),
        "HTTP_USER_AGENT": CHROME,
        "HTTP_ORIGIN": ORIGIN,
        "HTTP_X_FORWARDED_FOR": f"81.2.69.{number % 256}",
        "body": body,
    }


def preflight_environ(_: int) -> Environ:
    return {"REQUEST_METHOD": "OPTIONS", "PATH_INFO": "/e", "HTTP_ORIGIN": ORIGIN}


def pixel_environ(number: int) -> Environ:
    query = f"site={SITE_KEY}&url={ORIGIN}/p{number % 50}"
    return {
        "REQUEST_METHOD": "GET",
        "PATH_INFO": "/p.gif",
        "QUERY_STRING": query,
        "HTTP_USER_AGENT": CHROME,
        "HTTP_X_FORWARDED_FOR": f"81.2.69.{number % 256}",
    }


BASE_ENVIRON: Environ = {
    "SERVER_NAME": "127.0.0.1",
    "SERVER_PORT": "8000",
    "SERVER_PROTOCOL": "HTTP/1.1",
    "SCRIPT_NAME": "",
    "REMOTE_ADDR": "127.0.0.1",
    "wsgi.version": (1, 0),
    "wsgi.url_scheme": "http",
    "wsgi.errors": sys.stderr,
    "wsgi.multithread": True,
    "wsgi.multiprocess": False,
    "wsgi.run_once": False,
}


def call_loop(app: Any, environs: Iterable[Environ]) -> Callable[[], list[str]]:
    """A loop calling the WSGI app once per environ, as a server's worker would."""
    prepared = [{**BASE_ENVIRON, **environ} for environ in environs]

    def run() -> list[str]:
        statuses: list[str] = []

        def start_response(status: str, headers: list, exc_info: Any = None) -> None:
            statuses.append(status)

        for template in prepared:
            environ = dict(template)
            environ["wsgi.input"] = io.BytesIO(environ.pop("body", b""))
            body = app(environ, start_response)
            for _ in body:
                pass
            getattr(body, "close", lambda: None)()
        return statuses

    return run


def timed(name: str, run: Callable[[], list[str]], count: int) -> None:
    """Wall time, and CPU time of the process (all its threads: fairer on a busy machine)."""
    run()  # warm the caches (sites, salts, parsers) as a running server has
    started, cpu_started = time.perf_counter(), time.process_time()
    statuses = run()
    wall = (time.perf_counter() - started) / count * 1e6
    cpu = (time.process_time() - cpu_started) / count * 1e6
    answers = ", ".join(sorted({status.split()[0] for status in statuses}))
    print(f"{name:<11} {wall:8.1f} µs wall {cpu:8.1f} µs CPU per request  (status {answers})")


def profile(run: Callable[[], list[str]], top: int) -> None:
    profiler = cProfile.Profile()
    profiler.runcall(run)
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(top)
    print(out.getvalue().split("\n", 4)[-1].rstrip())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=3000)
    parser.add_argument("--top", type=int, default=10)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="vigie-request-path-"))
    try:
        app = build_app(work)
        count = args.requests
        print(f"{count:,} requests of each kind, in process, sink replaced by a no-op")
        beacons = call_loop(app, map(beacon_environ, range(count)))
        timed("POST /e", beacons, count)
        timed("OPTIONS /e", call_loop(app, map(preflight_environ, range(count))), count)
        timed("GET /p.gif", call_loop(app, map(pixel_environ, range(count))), count)
        print(f"\ncProfile of {count:,} POST /e, top {args.top} by cumulative time:")
        profile(beacons, args.top)
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
