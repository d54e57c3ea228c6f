"""The database a bench run works in: a SQLite file in the run's folder, or a
fresh PostgreSQL schema of its own, dropped at the end."""

from __future__ import annotations

import uuid
from pathlib import Path

from sqlalchemy import create_engine, text

POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


def bench_database(kind: str, work: Path) -> tuple[str, str | None]:
    """(database URL, PostgreSQL schema or None) for a run of `kind`.

    The schema's connections carry its name as their application name, so the
    run can tell its own connections apart from others'.
    """
    if kind == "sqlite":
        return f"sqlite:///{work / 'bench.db'}", None
    schema = f"vigie_bench_{uuid.uuid4().hex[:8]}"
    with create_engine(POSTGRES, isolation_level="AUTOCOMMIT").connect() as connection:
        connection.execute(text(f"CREATE SCHEMA {schema}"))
    return f"{POSTGRES}?options=-csearch_path%3D{schema}&application_name={schema}", schema


def drop_schema(schema: str | None) -> None:
    """Drop the run's schema (if any), ending first any of this run's connections
    left open (they would hold locks that DROP waits for)."""
    if schema is None:
        return
    with create_engine(POSTGRES, isolation_level="AUTOCOMMIT").connect() as connection:
        connection.execute(
            text(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE application_name = :name AND pid <> pg_backend_pid()"
            ),
            {"name": schema},
        )
        connection.execute(text(f"DROP SCHEMA {schema} CASCADE"))
