"""What every bench run over a database starts with: its `--database` option,
then a work folder of its own and the database in it (`bench.databases`)."""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

from bench.databases import bench_database

DATABASE_KINDS = ("sqlite", "postgresql")


def database_parser(doc: str) -> argparse.ArgumentParser:
    """The run's argument parser, described by the first line of its script's
    docstring `doc`, with `--database sqlite|postgresql` (SQLite by default)."""
    parser = argparse.ArgumentParser(description=doc.splitlines()[0])
    parser.add_argument("--database", choices=DATABASE_KINDS, default="sqlite")
    return parser


def start_run(kind: str, prefix: str) -> tuple[Path, str, str | None]:
    """A fresh work folder named from `prefix`, and the run's database of `kind`:
    (folder, database URL, PostgreSQL schema or None)."""
    work = Path(tempfile.mkdtemp(prefix=prefix))
    url, schema = bench_database(kind, work)
    return work, url, schema
