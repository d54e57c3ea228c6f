"""`vigie serve` on the embedded default, as users run it: gunicorn, the inbox
writer and the periodic jobs, under a flood of beacons."""

from __future__ import annotations

import http.client
import http.cookiejar
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.parse
import urllib.request
from pathlib import Path

import pytest
from sqlalchemy import create_engine, func, select

from server.sink.stream import STREAM
from server.storage.models import Event, Site
from tests.support.cli import cli_for
from tests.support.collector import ACME_IP, CHROME, SITE_KEY, consume_stream, pageview
from tests.support.factories import make_site
from tests.support.processes import VIGIE, free_port, stop, wait_for_http
from tests.support.signin import CSRF_TOKEN, signs_in

ADMIN = "admin@acme.example"
PASSWORD = "a long enough password"


@pytest.fixture
def served_database(make_app, tmp_path, mmdb, sqlite_template):
    """A SQLite database with a site and an admin, and the environment to serve it."""
    shutil.copy(sqlite_template, tmp_path / "served.db")
    url = f"sqlite:///{tmp_path / 'served.db'}"
    app = make_app(url, MMDB=mmdb)
    make_site(app, SITE_KEY, organisation="Acme")
    added = cli_for(app, tmp_path)(
        "users",
        "add",
        "--org",
        "Acme",
        "--role",
        "admin",
        ADMIN,
        "--password-stdin",
        stdin=PASSWORD + "\n",
    )
    assert added.exit_code == 0, added.output
    env = {
        "VIGIE_DATABASE_URL": url,
        "VIGIE_MMDB": json.dumps(mmdb),
        "VIGIE_SECRET_KEY": "serve-test",
        "VIGIE_INSTANCE_PATH": str(tmp_path / "instance"),
        "VIGIE_TRUSTED_PROXIES": "1",
        "VIGIE_COLLECT_RATE_LIMIT": "1000000 per minute",
    }
    return url, env


def start_serve(env: dict[str, str], dev: bool = False) -> tuple[subprocess.Popen, str]:
    """`vigie serve` (`--dev`: Werkzeug's server)."""
    server = ["--dev"] if dev else ["--workers", "2", "--threads", "4"]
    return start_server(lambda port: [*VIGIE, "serve", "--port", str(port), *server], env)


def start_server(command, env: dict[str, str]) -> tuple[subprocess.Popen, str]:
    """`command(port)` with its output in a file (a pipe nobody reads would
    fill up with the access log and stall the server); once it answers."""
    port = free_port()
    log = open(Path(env["VIGIE_INSTANCE_PATH"]).with_name(f"serve-{port}.log"), "w+")  # noqa: SIM115
    process = subprocess.Popen(
        command(port),
        env={**os.environ, **env},
        stdout=log,
        stderr=subprocess.STDOUT,
        text=True,
    )
    process.log = log
    base = f"http://127.0.0.1:{port}"
    wait_for_http(base + "/healthz", process)
    return process, base


class Flood:
    """Threads posting company beacons on kept-alive connections; counts the 202s."""

    def __init__(self, base: str, threads: int = 4) -> None:
        self.host, self.port = urllib.parse.urlsplit(base).netloc.split(":")
        self.accepted = 0
        self.failed = 0
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._threads = [threading.Thread(target=self._run) for _ in range(threads)]

    def __enter__(self) -> Flood:
        for thread in self._threads:
            thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=30)

    def _run(self) -> None:
        body = json.dumps(pageview()).encode()
        headers = {"User-Agent": CHROME, "Content-Type": "text/plain", "X-Forwarded-For": ACME_IP}
        connection = http.client.HTTPConnection(self.host, int(self.port), timeout=10)
        while not self._stop.is_set():
            try:
                connection.request("POST", "/e", body=body, headers=headers)
                response = connection.getresponse()
                response.read()
                status = response.status
            except OSError:
                connection.close()
                connection = http.client.HTTPConnection(self.host, int(self.port), timeout=10)
                if self._stop.is_set():
                    break
                time.sleep(0.01)  # the server is going away: a new connection, then stop
                continue
            with self._lock:
                if status == 202:
                    self.accepted += 1
                else:
                    self.failed += 1


def stopped_under_load(process: subprocess.Popen, base: str) -> int:
    """SIGTERM to `process` once a flood of beacons has 500 accepted; once it
    exited cleanly, the beacons it accepted."""
    with Flood(base, threads=6) as flood:
        while flood.accepted < 500:
            time.sleep(0.01)  # load builds up
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=90)
    assert process.returncode == 0, output_of(process)
    return flood.accepted


def output_of(process: subprocess.Popen) -> str:
    process.log.seek(0)
    return process.log.read()


def count(url: str, model) -> int:
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            return connection.scalar(select(func.count()).select_from(model.__table__)) or 0
    finally:
        engine.dispose()


def add_site_through_the_form(base: str, name: str) -> int:
    opener = urllib.request.build_opener(
        urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar())
    )
    with opener.open(base + "/login", timeout=30) as page:
        token = CSRF_TOKEN.search(page.read().decode()).group(1)
    login = urllib.parse.urlencode({"email": ADMIN, "password": PASSWORD, "csrf_token": token})
    opener.open(base + "/login", data=login.encode(), timeout=30).read()
    with opener.open(base + "/sites", timeout=30) as page:
        token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page.read().decode())
    form = {"name": name, "domains": f"{name}.example", "csrf_token": token.group(1)}
    with opener.open(base + "/sites", data=urllib.parse.urlencode(form).encode(), timeout=30) as r:
        return r.status


@pytest.mark.slow
def test_sign_in_and_site_creation_succeed_while_beacons_flood(served_database):
    url, env = served_database
    process, base = start_serve(env)
    try:
        with Flood(base) as flood:
            while flood.accepted < 200:
                time.sleep(0.01)  # the flood is under way
            signed_in = [signs_in(base, ADMIN, PASSWORD) for _ in range(6)]  # under the login limit
            created = [add_site_through_the_form(base, f"flooded{n}") for n in range(3)]
        assert signed_in == [True] * 6
        assert created == [200] * 3
        assert flood.failed == 0
    finally:
        stop(process)
    assert count(url, Site) == 4
    output = output_of(process)
    assert "database is locked" not in output
    assert "development server" not in output and "Booting worker" in output


@pytest.mark.slow
def test_sigterm_under_load_loses_no_accepted_event(served_database):
    url, env = served_database
    process, base = start_serve(env)
    accepted = stopped_under_load(process, base)
    assert accepted >= 500
    assert count(url, Event) == accepted


@pytest.mark.slow
def test_events_accepted_before_a_kill_are_stored_at_the_next_start(served_database):
    url, env = served_database
    process, base = start_serve(env)
    with Flood(base) as flood:
        while flood.accepted < 300:
            time.sleep(0.01)  # load builds up
        process.kill()  # no drain: gunicorn is told to stop, the inbox keeps the rest
        process.wait(timeout=30)
    again, _ = start_serve(env)
    try:
        deadline = time.monotonic() + 60
        while count(url, Event) < flood.accepted and time.monotonic() < deadline:
            time.sleep(0.1)  # the new writer drains what the killed one left
    finally:
        stop(again)
    assert count(url, Event) == flood.accepted


E_MAIL = "someone@example.com"


def pixel_query() -> str:
    """The `<noscript>` pixel's query, with an e-mail address in the page URL and its own."""
    page = f"https://shop.example/welcome?u={E_MAIL}"
    fields = {"site": SITE_KEY, "url": page, "ref": "https://www.google.com/"}
    return urllib.parse.urlencode(fields) + "&u=someone%40example.com"


def send_malformed_request_line(base: str, target: str) -> None:
    """A request line with one word too many: servers log it as an error, whole."""
    host, port = urllib.parse.urlsplit(base).netloc.split(":")
    with socket.create_connection((host, int(port)), timeout=10) as connection:
        connection.sendall(f"GET {target} HTTP/1.1 extra\r\nHost: {host}\r\n\r\n".encode())
        connection.recv(4096)


@pytest.mark.slow
@pytest.mark.parametrize("dev", [False, True], ids=["gunicorn", "werkzeug"])
def test_request_log_has_no_query_string_nor_client_address(served_database, dev):
    """The pixel's query (an e-mail address in it) and the client's address never reach the log."""
    url, env = served_database
    process, base = start_serve(env, dev=dev)
    try:
        headers = {"User-Agent": CHROME, "X-Forwarded-For": ACME_IP}
        request = urllib.request.Request(f"{base}/p.gif?{pixel_query()}", headers=headers)
        with urllib.request.urlopen(request, timeout=30) as response:
            assert response.status == 200 and response.read().startswith(b"GIF")
        send_malformed_request_line(base, f"/p.gif?{pixel_query()}")
        deadline = time.monotonic() + 30
        while count(url, Event) < 1 and time.monotonic() < deadline:
            time.sleep(0.05)  # the writer stores the pixel's page view
    finally:
        stop(process)
    output = output_of(process)
    request_lines = [line for line in output.splitlines() if "/p.gif" in line]
    assert any("GET /p.gif" in line for line in request_lines), output[-3000:]
    assert "someone" not in output and "example.com" not in output and "%40" not in output
    assert ACME_IP not in output
    assert not [line for line in request_lines if "?" in line or "127.0.0.1" in line]
    assert count(url, Event) == 1


def plain_gunicorn(port: int) -> list[str]:
    gunicorn = [sys.executable, "-m", "gunicorn", "-c", "python:server.gunicorn_conf"]
    return [*gunicorn, "-k", "gthread", "-w", "2", "--threads", "4"] + [
        "-b",
        f"127.0.0.1:{port}",
        "server:create_app()",
    ]


def serve_with_workers(port: int) -> list[str]:
    return [*VIGIE, "serve", "--port", str(port), "--workers", "2", "--threads", "4"]


@pytest.mark.slow
@pytest.mark.parametrize(
    "command", [serve_with_workers, plain_gunicorn], ids=["vigie-serve", "gunicorn"]
)
def test_scale_mode_collectors_that_stop_under_load_forward_every_accepted_event(
    served_database, redis_url, redis_conn, make_app, mmdb, command
):
    """A collector node with Redis: each request goes to its process's spool,
    the forwarder (`vigie serve`'s own process, or a thread of a plain
    gunicorn worker) moves it to the stream, and a node told to stop forwards
    what it accepted before it ends."""
    url, env = served_database
    env = {**env, "VIGIE_REDIS_URL": redis_url}
    process, base = start_server(command, env)
    accepted = stopped_under_load(process, base)
    assert redis_conn.xlen(STREAM) >= accepted >= 500
    consumer_app = make_app(url, REDIS_URL=redis_url, MMDB=mmdb, SECRET_KEY="serve-test")
    stats = consume_stream(consumer_app, redis_conn)
    assert stats.stored == accepted
    assert count(url, Event) == accepted
