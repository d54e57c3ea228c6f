"""What every command needs: the app, reachable services, one-line errors.

A user's mistake (a bad setting, an unknown organisation, a database that does
not answer) ends the command with `Error: <what>: <why>` and exit status 2,
never a traceback.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import wraps
from pathlib import Path
from typing import Any

import click
from flask import Flask
from redis.exceptions import RedisError
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from server import create_app
from server.config import ConfigError
from server.jobs import drain, jobs_of
from server.redis_client import redis_of
from server.storage import session_scope, storage
from server.storage.migrate import current_revision, head_revision
from server.validation import InvalidInput

USAGE_ERROR = 2
"""Exit status of a command stopped by something the user can fix."""


class CommandError(click.ClickException):
    """A one-line error with exit status 2."""

    exit_code = USAGE_ERROR


org_option = click.option("--org", "org_name", required=True, help="Organisation name.")
"""The `--org NAME` option of a command that acts on one organisation."""

IPDB_DIRECTORY = "/var/lib/vigie/ipdb"
"""Where the IP databases and the range table are kept unless `--dir` says otherwise."""


def ipdb_directory_option(help: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """The `--dir` option of the IP database commands (passed as `directory`)."""
    return click.option(
        "--dir",
        "directory",
        default=IPDB_DIRECTORY,
        show_default=True,
        type=click.Path(file_okay=False, path_type=Path),
        help=help,
    )


def fail_cleanly(command: Callable[..., Any]) -> Callable[..., Any]:
    """Turn the errors a user can cause into `CommandError`s."""

    @wraps(command)
    def run(*args: Any, **kwargs: Any) -> Any:
        try:
            return command(*args, **kwargs)
        except (ConfigError, InvalidInput) as error:
            raise CommandError(str(error)) from None
        except SQLAlchemyError as error:
            raise CommandError(f"VIGIE_DATABASE_URL: database error: {first_line(error)}") from None
        except RedisError as error:
            raise CommandError(f"VIGIE_REDIS_URL: Redis error: {first_line(error)}") from None

    return run


def first_line(error: BaseException) -> str:
    """The first line of an error's message, prefixed by its type."""
    text = str(getattr(error, "orig", None) or error).strip().splitlines()
    return f"{type(error).__name__}: {text[0] if text else ''}".strip()


def load_app(overrides: dict[str, Any] | None = None) -> Flask:
    """Create the app from the environment.

    :raise CommandError: for a setting that cannot be used.
    """
    try:
        return create_app(overrides)
    except ConfigError as error:
        raise CommandError(str(error)) from None


def check_database(app: Flask, need_schema: bool = True) -> None:
    """Fail unless the database answers (and, if asked, has the current schema)."""
    try:
        storage(app).ping()
        revision = current_revision(storage(app).engine) if need_schema else None
    except SQLAlchemyError as error:
        raise CommandError(f"VIGIE_DATABASE_URL: cannot connect ({first_line(error)})") from None
    if need_schema and revision != head_revision():
        state = "is empty" if revision is None else f"is at revision {revision}"
        raise CommandError(f"the database {state}; run `vigie init` to create or upgrade it")


def check_redis(app: Flask, required: bool = False) -> None:
    """Fail when Redis is configured but does not answer, or is needed but not set."""
    redis = redis_of(app)
    if redis is None:
        if required:
            raise CommandError("VIGIE_REDIS_URL: not set; this command runs in scale mode only")
        return
    try:
        redis.ping()
    except RedisError as error:
        raise CommandError(f"VIGIE_REDIS_URL: cannot connect ({first_line(error)})") from None


@contextmanager
def database_session() -> Iterator[Session]:
    """A unit of work on the configured database, which must be initialised.

    Jobs it queued in this process (embedded mode) run before the command
    ends, which would otherwise end them with it."""
    app = load_app()
    check_database(app)
    with app.app_context(), session_scope() as session:
        yield session
    run_queued_jobs(app)


JOBS_WAIT_SECONDS = 600
"""How long a command waits for the jobs it queued in process."""


def run_queued_jobs(app: Flask) -> None:
    """Run the jobs the command queued in this process (embedded mode), which
    would otherwise end with it; RQ workers run them in scale mode."""
    queued = jobs_of(app).local.pending()
    if not queued:
        return
    click.echo(f"Running {queued:,} queued job(s) (enrichment, scoring, alerts)…", err=True)
    if not drain(app, timeout=JOBS_WAIT_SECONDS):
        click.echo(
            f"Jobs still queued after {JOBS_WAIT_SECONDS} s were left; the daily passes "
            "retry what they did not finish.",
            err=True,
        )
