"""Privacy rule 1: known client addresses are sent through both sinks, then every
store is searched for them (as text and as packed bytes)."""

from __future__ import annotations

import logging
import shutil
import socket
import subprocess
from pathlib import Path
from urllib.parse import unquote

import pytest
from rq import Queue
from rq.job import Job
from sqlalchemy import func, select
from sqlalchemy.engine import make_url

from server.jobs import drain
from server.jobs.defaults import QUEUES
from server.storage import session_scope
from server.storage.models import Account, Event
from tests.support.collector import SITE_KEY, consume_stream, pageview, send
from tests.support.factories import make_site

CLIENTS = ["81.2.69.77", "81.2.69.201", "90.12.34.56", "52.1.2.3", "2a01:e0a:100:7::1234"]


def needles():
    found = []
    for ip in CLIENTS:
        packed = socket.inet_pton(socket.AF_INET6 if ":" in ip else socket.AF_INET, ip)
        found += [ip.encode(), packed, packed.hex().encode()]
    return found


def make_tenant(app, tmp_path):
    firmographics = tmp_path / "firmo.csv"
    firmographics.write_text("domain,industry\nacme.fr,Software\n")
    make_site(
        app,
        SITE_KEY,
        settings={"enrichment": {"providers": [{"type": "file", "path": str(firmographics)}]}},
    )


def send_from_everyone(app):
    for ip in CLIENTS:
        assert send(app, pageview(title=f"hello from {ip}"), ip=ip).status_code == 202
        assert (
            send(app, pageview(), ip="127.0.0.1", headers={"X-Forwarded-For": ip}).status_code
            == 202
        )


def assert_absent(blob: bytes, where: str) -> None:
    for needle in needles():
        assert needle not in blob, f"{needle!r} found in {where}"


def test_embedded_sink_on_sqlite_keeps_no_address(
    make_app,
    tmp_path,
    sqlite_template,
    mmdb,
    caplog,
    capfd,
):
    caplog.set_level(logging.DEBUG)
    database = tmp_path / "privacy.db"
    shutil.copy(sqlite_template, database)
    app = make_app(f"sqlite:///{database}", MMDB=mmdb, TRUSTED_PROXIES=1)
    make_tenant(app, tmp_path)
    send_from_everyone(app)
    assert drain(app, timeout=30)
    with app.app_context(), session_scope() as session:
        assert session.scalar(select(func.count()).select_from(Event)) >= 2
        assert (
            session.scalar(select(Account.industry).where(Account.domain == "acme.fr"))
            == "Software"
        )
    files = [database, Path(f"{database}-wal"), Path(f"{database}-shm")]
    assert_absent(b"".join(p.read_bytes() for p in files if p.exists()), "the SQLite files")
    out, err = capfd.readouterr()
    assert_absent((caplog.text + out + err).encode(), "the logs")


def test_stream_sink_on_postgresql_keeps_no_address(
    make_app,
    postgres_url,
    redis_url,
    redis_conn,
    rq_worker,
    mmdb,
    tmp_path,
    caplog,
    capfd,
):
    caplog.set_level(logging.DEBUG)
    app = make_app(
        postgres_url,
        REDIS_URL=redis_url,
        MMDB=mmdb,
        TRUSTED_PROXIES=1,
        SECRET_KEY="test-secret",
    )
    make_tenant(app, tmp_path)
    send_from_everyone(app)
    stream_and_queue_snapshot = redis_snapshot(redis_conn)
    consume_stream(app, redis_conn, "c")
    jobs_snapshot = redis_snapshot(redis_conn)
    payloads = job_payloads(redis_conn)
    assert payloads, "the new account's enrichment job should be queued"
    rq_worker(app)
    with app.app_context(), session_scope() as session:
        assert (
            session.scalar(select(Account.industry).where(Account.domain == "acme.fr"))
            == "Software"
        )
    dump = pg_dump(postgres_url)
    assert b"Acme SAS" in dump
    assert_absent(dump, "the PostgreSQL dump")
    assert_absent(stream_and_queue_snapshot + jobs_snapshot + redis_snapshot(redis_conn), "Redis")
    assert_absent(payloads, "RQ job payloads")
    out, err = capfd.readouterr()
    assert_absent((caplog.text + out + err).encode(), "the logs")


def redis_snapshot(redis_conn) -> bytes:
    """Every key and every value of the tests' Redis database, as raw bytes."""
    parts = []
    for key in redis_conn.scan_iter(count=1000):
        parts.append(key)
        kind = redis_conn.type(key)
        if kind == b"string":
            parts.append(redis_conn.get(key) or b"")
        elif kind == b"hash":
            parts += [b for pair in redis_conn.hgetall(key).items() for b in pair]
        elif kind == b"list":
            parts += redis_conn.lrange(key, 0, -1)
        elif kind in (b"set",):
            parts += list(redis_conn.smembers(key))
        elif kind == b"zset":
            parts += [member for member, _ in redis_conn.zrange(key, 0, -1, withscores=True)]
        elif kind == b"stream":
            for _, fields in redis_conn.xrange(key):
                parts += [b for pair in fields.items() for b in pair]
    return b"\n".join(parts)


def job_payloads(redis_conn) -> bytes:
    """The decoded arguments of every RQ job (their stored form is compressed)."""
    found = []
    for name in QUEUES:
        for job_id in Queue(name, connection=redis_conn).job_ids:
            job = Job.fetch(job_id, connection=redis_conn)
            found.append(repr((job.func_name, job.args, job.kwargs, job.meta)).encode())
    return b"\n".join(found)


def pg_dump(url: str) -> bytes:
    pg_dump_bin = shutil.which("pg_dump")
    if pg_dump_bin is None:
        pytest.fail("pg_dump not found (Debian package postgresql-client)")
    parsed = make_url(url)
    schema = unquote(parsed.query["options"]).split("=", 1)[1]
    command = [
        pg_dump_bin,
        "-h",
        parsed.host or "127.0.0.1",
        "-p",
        str(parsed.port or 5432),
        "-U",
        parsed.username or "postgres",
        "-n",
        schema,
        parsed.database or "test",
    ]
    return subprocess.run(command, capture_output=True, check=True, timeout=120).stdout
