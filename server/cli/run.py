"""Running commands: `vigie serve`, `worker`, `cron`, `jobs` and `demo`."""

from __future__ import annotations

import os
import signal
import socket

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

from server.cli.context import check_database, check_redis, fail_cleanly, load_app
from server.cli.setup import report_upgrade
from server.demo import DEMO_ADMIN, DemoSummary, build_demo, create_demo_app, new_password
from server.devserver import listen
from server.devserver import serve as run_server
from server.jobs import jobs_of
from server.jobs.defaults import QUEUES
from server.jobs.redisqueue import VigieWorker
from server.jobs.schedule import build_cron_scheduler
from server.sink.stream import BATCH_SIZE, BLOCK_MS, CLAIM_IDLE_MS, StreamConsumer
from server.snippet import script_tag

host_option = click.option("--host", default="127.0.0.1", show_default=True)
port_option = click.option("--port", default=8000, show_default=True, type=click.IntRange(1, 65535))


@click.command()
@host_option
@port_option
@fail_cleanly
def serve(host: str, port: int) -> None:
    """Run the collector and dashboard (development server).

    For production run `gunicorn -c python:server.gunicorn_conf 'server:create_app()'`.
    """
    app = load_app()
    check_database(app)
    check_redis(app)
    click.echo(f"Vigie on http://{host}:{port}/ (jobs: {jobs_of(app).mode})")
    run_server(app, host, port)


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
    connection = jobs_of(app).redis
    rq_worker = VigieWorker(list(queues or QUEUES), connection=connection, app=app)
    rq_worker.work(burst=burst, with_scheduler=True)


@click.command()
@fail_cleanly
def cron() -> None:
    """Run RQ's cron scheduler for the periodic jobs (scale mode; run exactly one)."""
    app = load_app()
    check_redis(app, required=True)
    build_cron_scheduler(jobs_of(app).redis).start()


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
@fail_cleanly
def demo(host: str, port: int, reset: bool, renew_password: bool) -> None:
    """Run the embedded default with a demo organisation and 90 days of simulated
    traffic, scored (built on the first run, reused after), then serve it.

    The admin's password is printed when it is set (first run, `--reset`,
    `--new-password`) and kept otherwise."""
    # The port first: a busy one must stop the command before it changes anything.
    listener = listen(host, port)
    with listener:
        app = create_demo_app()
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
        run_server(app, host, port, listener)


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


@click.command()
@click.option("--name", help="Consumer name (default: host and process id).")
@click.option(
    "--batch",
    default=BATCH_SIZE,
    show_default=True,
    type=click.IntRange(1, 10_000),
    help="Entries stored per transaction at most.",
)
@click.option(
    "--block-ms",
    default=BLOCK_MS,
    show_default=True,
    type=click.IntRange(1, 60_000),
    help="Longest wait for entries before a smaller batch is stored.",
)
@click.option(
    "--claim-idle-ms",
    default=CLAIM_IDLE_MS,
    show_default=True,
    type=click.IntRange(0, 3_600_000),
    help="Take over entries left pending this long.",
)
@click.option("--burst", is_flag=True, help="Stop when the stream has nothing left to store.")
@fail_cleanly
def ingest(name: str | None, batch: int, block_ms: int, claim_idle_ms: int, burst: bool) -> None:
    """Store events from the Redis Stream into the database (scale mode)."""
    app = load_app()
    check_database(app)
    check_redis(app, required=True)
    consumer_name = name or f"{socket.gethostname()}-{os.getpid()}"
    consumer = StreamConsumer(jobs_of(app).redis, consumer_name, batch, block_ms, claim_idle_ms)
    signal.signal(signal.SIGTERM, lambda *_: consumer.stop())
    with app.app_context():
        try:
            stats = consumer.run(burst=burst)
        except KeyboardInterrupt:
            stats = consumer.stats
    click.echo(
        f"{consumer_name}: {stats.stored} event(s) stored in {stats.batches} batch(es), "
        f"{stats.duplicates} duplicate(s) skipped, {stats.dead} undecodable."
    )
