"""Fixtures on the real services, one each: databases, Redis, an RQ worker, apps.

* `db_url`: a clean, migrated database, once on SQLite and once on PostgreSQL
  (a fresh schema per test run, tables emptied after each test).
* `app` / `client`: a Vigie app on `db_url` and its test client; `sqlite_app`
  when one backend is enough; `runner`: `vigie ARGS…` on the app's database.
* `redis_url` / `redis_conn`: a dedicated Redis database, flushed before and
  after each test.
* `rq_worker`: runs a real RQ worker in burst mode over Vigie's queues.

Every test has a timeout (pytest-timeout, `timeout` in pyproject.toml); those
marked `slow` get `SLOW_TEST_TIMEOUT`. Apps and subprocess servers keep small
database pools (`TEST_POOL_SIZE`), and the run prints the peak count of its
PostgreSQL connections (`tests/support/pgpeak.py`).
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import Result
from flask import Flask
from flask.testing import FlaskClient
from redis import Redis
from redis.exceptions import RedisError
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError
from sqlalchemy.pool import NullPool

from server import create_app
from server.jobs.defaults import QUEUES
from server.jobs.redisqueue import VigieWorker
from server.sink.embedded import WRITER_EXTENSION
from server.storage import storage
from server.storage.engine import _engines as built_engines  # every engine build_engine made
from server.storage.engine import build_engine
from server.storage.migrate import upgrade
from server.storage.models import Base
from tests.support.cli import cli_for
from tests.support.pgpeak import SAMPLE_SECONDS, ConnectionPeak
from tests.support.services import POSTGRES_URL, REDIS_URL, service_missing

TEST_DATA = Path(__file__).resolve().parent / "data"
"""Real-world fixtures kept with the tests (MaxMind test DBs, user-agent lists); see its README."""

SLOW_TEST_TIMEOUT = 600
"""Seconds a test marked `slow` may run (the others: `timeout` in pyproject.toml)."""

TEST_POOL_SIZE = 2
"""PostgreSQL connections an app of the tests keeps open between uses."""

TEST_MAX_OVERFLOW = 4
"""Further connections it may open at once (concurrency tests), closed after use."""

PEAK = pytest.StashKey[ConnectionPeak]()
"""The run's PostgreSQL connection counter, once a test used PostgreSQL."""


BROWSER_TESTS = Path(__file__).resolve().parent / "browser"
"""Every browser test is slow: it starts a server and drives Chromium."""


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Browser tests are slow; a slow test gets the longer timeout unless it names its own."""
    for item in items:
        if item.path.is_relative_to(BROWSER_TESTS):
            item.add_marker(pytest.mark.slow)
        if item.get_closest_marker("slow") and not item.get_closest_marker("timeout"):
            item.add_marker(pytest.mark.timeout(SLOW_TEST_TIMEOUT))


def pytest_terminal_summary(terminalreporter: Any, config: pytest.Config) -> None:
    peak = config.stash.get(PEAK, None)
    if peak is not None:
        terminalreporter.write_line(
            f"PostgreSQL connections of this run: peak {peak.peak} "
            f"({peak.samples} samples, every {SAMPLE_SECONDS} s)"
        )


@pytest.fixture(autouse=True)
def _isolated_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No developer setting or `.env` leaks into a test."""
    for name in list(os.environ):
        if name.startswith("VIGIE_") and not name.startswith("VIGIE_TEST_"):
            monkeypatch.delenv(name)
    # small pools, for apps and for the servers and commands tests start as subprocesses
    monkeypatch.setenv("VIGIE_DATABASE_POOL_SIZE", str(TEST_POOL_SIZE))
    monkeypatch.setenv("VIGIE_DATABASE_MAX_OVERFLOW", str(TEST_MAX_OVERFLOW))
    monkeypatch.chdir(tmp_path)


@pytest.fixture(autouse=True)
def _engines_closed() -> Iterator[None]:
    """Every engine a test built (through any app, `make_app` or not) gives its
    connections back at the end of the test, not whenever it is collected."""
    before = set(built_engines)
    yield
    for engine in set(built_engines) - before:
        engine.dispose()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated SQLite file, copied for each test instead of migrating again."""
    path = tmp_path_factory.mktemp("template") / "vigie.db"
    engine = build_engine(f"sqlite:///{path}")
    upgrade(engine)
    engine.dispose()
    return path


@pytest.fixture(scope="session")
def postgres_schema_url(pytestconfig: pytest.Config) -> Iterator[str]:
    """A migrated schema of its own in the `test` database, dropped at the end; its
    connections are named for the run, and counted."""
    schema = f"vigie_test_{uuid.uuid4().hex[:10]}"
    admin = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(text(f"CREATE SCHEMA {schema}"))
    except OperationalError as error:
        admin.dispose()
        service_missing("PostgreSQL", error)
    url = make_url(POSTGRES_URL).update_query_dict(
        {"options": f"-csearch_path={schema}", "application_name": schema}
    )
    rendered = url.render_as_string(hide_password=False)
    engine = build_engine(rendered, TEST_POOL_SIZE, TEST_MAX_OVERFLOW)
    upgrade(engine)
    engine.dispose()
    peak = pytestconfig.stash[PEAK] = ConnectionPeak(POSTGRES_URL, schema).start()
    yield rendered
    peak.stop()
    with admin.connect() as connection:
        connection.execute(text(f"DROP SCHEMA {schema} CASCADE"))
    admin.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A clean database at the newest schema, on each backend in turn."""
    if request.param == "sqlite":
        path = tmp_path / "db" / "vigie.db"
        path.parent.mkdir()
        shutil.copy(request.getfixturevalue("sqlite_template"), path)
        yield f"sqlite:///{path}"
        return
    yield request.getfixturevalue("postgres_url")


@pytest.fixture
def postgres_url(request: pytest.FixtureRequest, postgres_schema_url: str) -> Iterator[str]:
    """The PostgreSQL test schema, emptied before the test (what a test stopped
    half-way left behind cannot leak into the next) and after it."""
    empty_tables(postgres_schema_url)
    yield postgres_schema_url
    drain_apps(request.node)  # a job still writing could deadlock with the TRUNCATE
    empty_tables(postgres_schema_url)


def empty_tables(url: str) -> None:
    engine = create_engine(url, poolclass=NullPool)
    names = ", ".join(table.name for table in Base.metadata.sorted_tables)
    with engine.begin() as connection:
        connection.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
    engine.dispose()


APPS = pytest.StashKey[list[Flask]]()
"""The apps a test built, so that any teardown can wait for their jobs first."""


def drain_apps(node: pytest.Item) -> None:
    """Wait for the in-process jobs of the apps the test built."""
    for app in node.stash.get(APPS, []):
        app.extensions["vigie.jobs"].local.drain(timeout=10)


@pytest.fixture
def make_app(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Callable[..., Flask]]:
    """Build apps with test settings; their engines are closed afterwards."""
    apps = request.node.stash.setdefault(APPS, [])

    def build(database_url: str, **settings: Any) -> Flask:
        config = {
            "INSTANCE_PATH": str(tmp_path / "instance"),
            "DATABASE_URL": database_url,
            "JOBS_RETRY_INTERVALS": [0, 0],
            "JOBS_MERGE_SECONDS": 0,
            "TESTING": True,
            **settings,
        }
        app = create_app(config)
        apps.append(app)
        return app

    yield build
    drain_apps(request.node)
    for app in apps:
        writer = app.extensions.get(WRITER_EXTENSION)
        if writer is not None:
            writer.stop(timeout=0)  # its thread ends; what a test left queued stays
        storage(app).engine.dispose()


@pytest.fixture
def app(make_app: Callable[..., Flask], db_url: str) -> Flask:
    """A Vigie app on SQLite, then on PostgreSQL."""
    return make_app(db_url)


@pytest.fixture
def sqlite_app(make_app: Callable[..., Flask], tmp_path: Path, sqlite_template: Path) -> Flask:
    """A Vigie app on SQLite only, for tests where the backend does not matter."""
    path = tmp_path / "sqlite-only.db"
    shutil.copy(sqlite_template, path)
    return make_app(f"sqlite:///{path}")


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def runner(app: Flask, tmp_path: Path) -> Callable[..., Result]:
    """`runner("rescore")` runs `vigie rescore` in process on `app`'s database."""
    return cli_for(app, tmp_path)


@pytest.fixture
def redis_url(request: pytest.FixtureRequest) -> Iterator[str]:
    """The tests' own Redis database, empty before the test (whatever a test
    stopped half-way left) and after it (once the test's apps ended their jobs)."""
    connection = Redis.from_url(REDIS_URL, socket_connect_timeout=2)
    try:
        connection.ping()
    except RedisError as error:
        connection.close()
        service_missing("Redis", error)
    connection.flushdb()
    yield REDIS_URL
    drain_apps(request.node)  # a job still running could write after the flush
    connection.flushdb()
    connection.close()


@pytest.fixture
def redis_conn(redis_url: str) -> Iterator[Redis]:
    """A client of the tests' Redis database, closed after the test."""
    connection = Redis.from_url(redis_url)
    yield connection
    connection.close()


@pytest.fixture
def rq_worker(redis_conn: Redis) -> Callable[[Flask], bool]:
    """Run a real, forking RQ worker in burst mode on every queue of `app`."""

    def work(app: Flask) -> bool:
        worker = VigieWorker(list(QUEUES), connection=redis_conn, app=app)
        return worker.work(burst=True, with_scheduler=True, logging_level="WARNING")

    return work
