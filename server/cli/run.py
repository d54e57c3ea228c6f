"""Running commands: `vigie serve`, `worker`, `cron`, `jobs` and `demo`."""

from __future__ import annotations

import os
import socket
import time

import click
from flask import Flask
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table

from server.cli.context import CommandError, check_database, check_redis, fail_cleanly, load_app
from server.cli.setup import report_upgrade
from server.demo import DEMO_ADMIN, DemoSummary, build_demo, create_demo_app, new_password
from server.devserver import listen
from server.devserver import serve as run_server
from server.jobs import jobs_of
from server.jobs.defaults import QUEUES
from server.jobs.redisqueue import VigieWorker
from server.jobs.schedule import build_cron_scheduler
from server.redis_client import redis_of
from server.script_tag import script_tag
from server.supervisor import DEFAULT_THREADS, DEFAULT_WORKERS, ServerPlan
from server.supervisor import serve as supervise

host_option = click.option("--host", default="127.0.0.1", show_default=True)
port_option = click.option("--port", default=8000, show_default=True, type=click.IntRange(1, 65535))


workers_option = click.option(
    "--workers",
    default=DEFAULT_WORKERS,
    show_default=True,
    type=click.IntRange(1, 64),
    help="Gunicorn worker processes.",
)
threads_option = click.option(
    "--threads",
    default=DEFAULT_THREADS,
    show_default=True,
    type=click.IntRange(1, 256),
    help="Threads per worker.",
)
dev_option = click.option(
    "--dev", is_flag=True, help="Werkzeug's development server (reloader-free, one process)."
)


@click.command()
@host_option
@port_option
@workers_option
@threads_option
@dev_option
@fail_cleanly
def serve(host: str, port: int, workers: int, threads: int, dev: bool) -> None:
    """Run the collector and dashboard with gunicorn, the ingest writer and the
    periodic jobs (embedded mode: all of Vigie on one machine)."""
    app = load_app({"INGEST_WRITER": "thread"} if dev else None)
    check_database(app)
    check_redis(app)
    with listen(host, port) as listener:
        click.echo(f"Vigie on http://{host}:{port}/ (jobs: {jobs_of(app).mode})")
        run(app, listener, host, port, ServerPlan("server:create_app()", workers, threads), dev)


def run(
    app: Flask, listener: socket.socket, host: str, port: int, plan: ServerPlan, dev: bool
) -> None:
    """Serve `app` with gunicorn (or Werkzeug with `dev`) until stopped."""
    if dev:
        run_server(app, host, port, listener)
        return
    status = supervise(app, listener, plan)
    if status:
        raise CommandError(f"the HTTP server stopped with status {status}")


@click.command()
@click.option(
    "--queue",
    "queues",
    multiple=True,
    type=click.Choice(QUEUES),
    help="Queue to work on (repeatable; default: all).",
)
@click.option("--burst", is_flag=True, help="Stop when the queues are empty.")
@fail_cleanly
def worker(queues: tuple[str, ...], burst: bool) -> None:
    """Run an RQ worker for Vigie's jobs (scale mode)."""
    app = load_app()
    check_database(app)
    check_redis(app, required=True)
    connection = redis_of(app)
    rq_worker = VigieWorker(list(queues or QUEUES), connection=connection, app=app)
    rq_worker.work(burst=burst, with_scheduler=True)


@click.command()
@fail_cleanly
def cron() -> None:
    """Run RQ's cron scheduler for the periodic jobs (scale mode; run exactly one)."""
    app = load_app()
    check_redis(app, required=True)
    run_in_utc()
    redis = redis_of(app)
    assert redis is not None  # checked as required above
    build_cron_scheduler(redis).start()


def run_in_utc() -> None:
    """Make this process's local time UTC: RQ's scheduler reads cron expressions
    in local time, and Vigie's periodic jobs are declared in UTC (as the
    embedded scheduler of `vigie serve` reads them)."""
    os.environ["TZ"] = "UTC"
    time.tzset()


@click.command()
@fail_cleanly
def jobs() -> None:
    """Show the job queues and the latest failed jobs (scale mode)."""
    app = load_app()
    check_redis(app, required=True)
    backend = jobs_of(app).rq
    assert backend is not None
    console = Console()
    table = Table("queue", "queued", "started", "scheduled", "failed")
    for row in backend.status():
        table.add_row(
            *(str(row[key]) for key in ("queue", "queued", "started", "scheduled", "failed"))
        )
    console.print(table)
    failures = backend.failed_jobs()
    if failures:
        failed = Table("queue", "job", "ended", "error", title="Failed jobs")
        for row in failures:
            failed.add_row(row["queue"], row["job"], str(row["ended_at"] or ""), row["error"])
        console.print(failed)


DEMO_STEPS = {
    "networks": "Demo company and network databases",
    "days": "Traffic of 90 days, scored day by day",
    "feedback": "Sales feedback and decision makers",
}
"""What each step of the demo build is called on the progress display."""


@click.command()
@host_option
@port_option
@click.option(
    "--reset",
    is_flag=True,
    help="Wipe the demo site's data and build it again; the admin gets a new password.",
)
@click.option(
    "--new-password",
    "renew_password",
    is_flag=True,
    help="Give the demo admin a new password; the dataset stays.",
)
@workers_option
@threads_option
@dev_option
@fail_cleanly
def demo(
    host: str,
    port: int,
    reset: bool,
    renew_password: bool,
    workers: int,
    threads: int,
    dev: bool,
) -> None:
    """Run the embedded default with a demo organisation and 90 days of simulated
    traffic, scored (built on the first run, reused after), then serve it.

    The admin's password is printed when it is set (first run, `--reset`,
    `--new-password`) and kept otherwise."""
    # The port first: a busy one must stop the command before it changes anything.
    listener = listen(host, port)
    with listener:
        app = create_demo_app({"INGEST_WRITER": "thread"} if dev else None)
        check_database(app, need_schema=False)
        check_redis(app)
        report_upgrade(app)
        summary = build_with_progress(app, new_password() if renew_password else None, reset)
        click.echo(describe(summary))
        url = f"http://{host}:{port}/"
        click.echo(f"Vigie demo on {url}")
        click.echo(f"  {describe_login(summary)}")
        click.echo(f"  demo site snippet: {script_tag(url, summary.site_key)}")
        click.echo(f"  readiness: {url}readyz")
        plan = ServerPlan("server.demo.app:create_demo_app()", workers, threads)
        run(app, listener, host, port, plan, dev)


def describe_login(summary: DemoSummary) -> str:
    if summary.password is not None:
        return f"sign in as {DEMO_ADMIN} with password {summary.password}"
    return (
        f"sign in as {DEMO_ADMIN} with the password printed when it was set "
        "(unchanged; `vigie demo --new-password` sets a new one)"
    )


def build_with_progress(app: Flask, password: str | None, reset: bool) -> DemoSummary:
    """`build_demo` with a progress bar per step."""
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn())
    console = Console()
    disabled = not console.is_terminal  # no bars in a pipe or a log file
    with Progress(
        *columns, TimeElapsedColumn(), console=console, transient=True, disable=disabled
    ) as progress:
        tasks: dict[str, TaskID] = {}

        def report(step: str, done: int, total: int) -> None:
            if step not in tasks:
                tasks[step] = progress.add_task(DEMO_STEPS.get(step, step), total=total)
            progress.update(tasks[step], completed=done, total=total)

        return build_demo(app, password, reset=reset, progress=report)


def describe(summary: DemoSummary) -> str:
    tiers = ", ".join(f"{count} {tier}" for tier, count in summary.tiers.items())
    what = (
        f"{summary.accounts} accounts ({tiers}), {summary.events:,} events "
        f"in {summary.visits:,} visits over {summary.days} days"
    )
    if summary.built:
        return f"Demo dataset built in {summary.seconds:.1f} s: {what}."
    return f"Demo dataset reused: {what} (`vigie demo --reset` builds it again)."
