"""Scale mode: records go to a Redis Stream; `vigie ingest` consumers store them.

The collector appends each record to `STREAM` (one XADD, no database work in
the request). Consumers in the group `GROUP` read batches, store each batch in
one transaction, and acknowledge only after the commit: a consumer killed
mid-batch leaves its entries pending, and another one (or itself, restarted)
claims them after `CLAIM_IDLE_MS`. Storage skips event ids it already has, so
an entry stored but not acknowledged is not stored twice. An entry that cannot
be decoded goes to `DEAD_LETTERS` with its reason and is acknowledged, so the
group never blocks on it.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass

import msgspec
from redis import Redis
from redis.exceptions import RedisError
from sqlalchemy.exc import SQLAlchemyError

from server.records import Record, decode, encode
from server.sink import Sink, SinkError
from server.sink.direct import store_records
from server.storage import close_session

log = logging.getLogger(__name__)

STREAM = "vigie:events"
GROUP = "vigie-ingest"
DEAD_LETTERS = "vigie:events:dead"
FIELD = b"r"
BATCH_SIZE = 500
"""Entries stored per transaction at most."""
BLOCK_MS = 1_000
"""How long a read waits for entries; a batch is flushed at the latest then."""
CLAIM_IDLE_MS = 60_000
"""Entries pending this long on a consumer are taken over by another."""
RETRY_PAUSE = 1.0
"""Seconds to wait after the database refused a batch."""


class RedisStreamSink:
    """Append records to the stream; write them directly if Redis fails."""

    def __init__(self, redis: Redis, fallback: Sink) -> None:
        self.redis = redis
        self.fallback = fallback

    def store(self, records: Sequence[Record]) -> None:
        try:
            with self.redis.pipeline(transaction=False) as pipe:
                for record in records:
                    pipe.xadd(STREAM, {FIELD: encode(record)})
                pipe.execute()
        except RedisError as error:
            log.warning(
                "Redis refused %d record(s) (%s); storing directly",
                len(records),
                type(error).__name__,
            )
            self.fallback.store(records)


@dataclass
class ConsumerStats:
    batches: int = 0
    stored: int = 0
    duplicates: int = 0
    dead: int = 0


class StreamConsumer:
    """One consumer of the group; call `run()` inside an app context."""

    def __init__(
        self,
        redis: Redis,
        name: str,
        batch_size: int = BATCH_SIZE,
        block_ms: int = BLOCK_MS,
        claim_idle_ms: int = CLAIM_IDLE_MS,
    ) -> None:
        self.redis = redis
        self.name = name
        self.batch_size = batch_size
        self.block_ms = block_ms
        self.claim_idle_ms = claim_idle_ms
        self.stats = ConsumerStats()
        self._stop = False

    def stop(self) -> None:
        self._stop = True

    def ensure_group(self) -> None:
        try:
            self.redis.xgroup_create(STREAM, GROUP, id="0", mkstream=True)
        except RedisError as error:
            if "BUSYGROUP" not in str(error):
                raise

    def run(self, burst: bool = False) -> ConsumerStats:
        """Consume until stopped (or, with `burst`, until nothing is left to do)."""
        self.ensure_group()
        while not self._stop:
            entries = self._next_entries()
            if entries:
                if not self._handle(entries):
                    time.sleep(RETRY_PAUSE)
            elif burst and not self._pending_anywhere():
                break
        return self.stats

    def _next_entries(self) -> list[tuple[bytes, dict[bytes, bytes]]]:
        own = self.redis.xreadgroup(GROUP, self.name, {STREAM: "0"}, count=self.batch_size)
        entries = own[0][1] if own else []
        if entries:
            return entries
        _cursor, claimed, *_ = self.redis.xautoclaim(
            STREAM, GROUP, self.name, self.claim_idle_ms, start_id="0-0", count=self.batch_size
        )
        if claimed:
            log.info("claimed %d entr(ies) left by a stopped consumer", len(claimed))
            return claimed
        fresh = self.redis.xreadgroup(
            GROUP, self.name, {STREAM: ">"}, count=self.batch_size, block=self.block_ms
        )
        return fresh[0][1] if fresh else []

    def _handle(self, entries: list[tuple[bytes, dict[bytes, bytes]]]) -> bool:
        records, ids, dead = [], [], []
        for entry_id, fields in entries:
            try:
                records.append(decode(fields[FIELD]))
            except (KeyError, msgspec.DecodeError, msgspec.ValidationError) as error:
                dead.append((entry_id, fields, type(error).__name__))
                continue
            ids.append(entry_id)
        if dead:
            self._bury(dead)
        if not records:
            return True
        try:
            result = store_records(records)
        except SQLAlchemyError as error:
            log.error("batch of %d not stored (%s); will retry", len(records), type(error).__name__)
            return False
        finally:
            close_session()
        self.redis.xack(STREAM, GROUP, *ids)
        self.stats.batches += 1
        self.stats.stored += result.stored
        self.stats.duplicates += result.duplicates
        return True

    def _bury(self, dead: list[tuple[bytes, dict[bytes, bytes], str]]) -> None:
        with self.redis.pipeline() as pipe:
            for entry_id, fields, reason in dead:
                pipe.xadd(DEAD_LETTERS, {b"id": entry_id, b"reason": reason, **fields})
                pipe.xack(STREAM, GROUP, entry_id)
            pipe.execute()
        self.stats.dead += len(dead)
        log.warning("%d undecodable entr(ies) moved to %s", len(dead), DEAD_LETTERS)

    def _pending_anywhere(self) -> bool:
        summary = self.redis.xpending(STREAM, GROUP)
        return bool(summary and summary.get("pending"))


__all__ = ["GROUP", "STREAM", "RedisStreamSink", "SinkError", "StreamConsumer"]
