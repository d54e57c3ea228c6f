"""`vigie ingest`: drain accepted records into the database; list and act on dead letters.

Scale mode drains the Redis Stream (run several: they share the work); the
embedded default drains the inbox file (`vigie serve` runs one writer itself,
so this is for draining after a stop, or for the dead letters).
"""

from __future__ import annotations

import os
import signal
import socket
from datetime import UTC, datetime

import click
import msgspec
from flask import Flask
from rich.console import Console
from rich.table import Table

from server.cli.context import (
    CommandError,
    check_database,
    check_redis,
    fail_cleanly,
    load_app,
)
from server.records import CollectedEvent, decode
from server.redis_client import redis_of
from server.sink.consumer import Consumer, ConsumerStats, Source, store_and_close
from server.sink.embedded import InboxSource, inbox_of
from server.sink.inbox import DeadLetter
from server.sink.stream import BATCH_SIZE, BLOCK_MS, CLAIM_IDLE_MS, StreamSource


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
    help="Take over entries left pending this long by a stopped consumer.",
)
@click.option("--burst", is_flag=True, help="Stop when nothing is left to store.")
@click.option("--dead", "list_dead", is_flag=True, help="List the dead letters and stop.")
@click.option("--replay-dead", is_flag=True, help="Queue the dead letters again and stop.")
@click.option("--drop-dead", is_flag=True, help="Delete the dead letters and stop.")
@click.option(
    "--id",
    "ids",
    multiple=True,
    help="With --replay-dead or --drop-dead: only this dead letter (repeatable).",
)
@fail_cleanly
def ingest(
    name: str | None,
    batch: int,
    block_ms: int,
    claim_idle_ms: int,
    burst: bool,
    list_dead: bool,
    replay_dead: bool,
    drop_dead: bool,
    ids: tuple[str, ...],
) -> None:
    """Store accepted events in the database: from the Redis Stream in scale
    mode, from the inbox file otherwise."""
    app = load_app()
    check_redis(app)
    consumer_name = name or f"{socket.gethostname()}-{os.getpid()}"
    source = open_source(app, consumer_name, block_ms, claim_idle_ms)
    if list_dead or replay_dead or drop_dead:
        act_on_dead(source, list_dead, replay_dead, drop_dead, list(ids) or None)
        return
    check_database(app)
    if isinstance(source, InboxSource) and not source.lock.acquire():
        raise CommandError(
            f"{source.inbox.path}: another process is storing this inbox (vigie serve?)"
        )
    consumer = Consumer(source, store_and_close, batch_size=batch)
    signal.signal(signal.SIGTERM, lambda *_: consumer.stop())
    with app.app_context():
        try:
            stats = consumer.run(burst=burst)
        except KeyboardInterrupt:
            stats = consumer.stats
    if isinstance(source, InboxSource):
        source.release()
    click.echo(summary(consumer_name, stats))


def open_source(app: Flask, name: str, block_ms: int, claim_idle_ms: int) -> Source:
    redis = redis_of(app)
    if redis is not None:
        return StreamSource(redis, name, block_ms=block_ms, claim_idle_ms=claim_idle_ms)
    return InboxSource(inbox_of(app))


def summary(name: str, stats: ConsumerStats) -> str:
    return (
        f"{name}: {stats.stored} event(s) stored in {stats.batches} batch(es), "
        f"{stats.duplicates} duplicate(s) skipped, {stats.dead} to dead letters."
    )


def act_on_dead(
    source: Source, list_dead: bool, replay: bool, drop: bool, ids: list[str] | None
) -> None:
    if replay and drop:
        raise click.UsageError("--replay-dead and --drop-dead cannot be used together")
    if replay:
        click.echo(f"{source.replay_dead(ids)} dead letter(s) queued again.")
    elif drop:
        click.echo(f"{source.drop_dead(ids)} dead letter(s) deleted.")
    else:
        show_dead(source)


def show_dead(source: Source) -> None:
    total = source.dead_count()
    if not total:
        click.echo("No dead letters.")
        return
    table = Table("id", "buried", "reason", "record", title=f"Dead letters ({total})")
    for letter in source.dead_letters():
        table.add_row(letter.id, _when(letter), letter.reason, describe_payload(letter))
    Console().print(table)


def _when(letter: DeadLetter) -> str:
    if not letter.buried_at:
        return ""
    return datetime.fromtimestamp(letter.buried_at, UTC).strftime("%Y-%m-%d %H:%M:%S")


def describe_payload(letter: DeadLetter) -> str:
    """What the record was, in a few words (records hold no address)."""
    try:
        record = decode(letter.payload)
    except (msgspec.DecodeError, msgspec.ValidationError):
        return f"{len(letter.payload)} byte(s), not a record"
    if isinstance(record, CollectedEvent):
        return f"{record.type} on site {record.site_id}: {record.path[:60]}"
    return f"{record.kind} count on site {record.site_id}, {record.day}"
