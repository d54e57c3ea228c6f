"""Scale mode's hop from the inbox to the Redis Stream, in batches.

    request → inbox spool (append, answer 202) → Forwarder → Redis Stream → vigie ingest

A request in scale mode appends to its process's spool like in embedded
mode, and answers: a Redis round trip per request cost more than the rest of
the request (`bench/collector.py`). The forwarder, the writer thread of the
serving processes (one at a time, under the inbox's writer lock), sends what
the spool holds to the stream with the XADDs of a whole batch in one
pipelined round trip, then marks the batch done. A forwarder killed between
the two sends the batch again; `vigie ingest` stores nothing twice (event
ids, count receipts).

While Redis refuses, the forwarder stores batches in the database itself,
through the ingest loop (`Consumer.handle`), as the collector did before it
had a spool: accepted events never wait for Redis to come back.
"""

from __future__ import annotations

import logging

from redis import Redis
from redis.exceptions import RedisError

from server.sink.consumer import Consumer, PassingFailure, QueueLoop, Source
from server.sink.stream import append

log = logging.getLogger(__name__)

BATCH_SIZE = 500
"""Entries sent to the stream per round trip at most."""

LINGER = 0.02
"""Seconds the forwarder waits after a batch smaller than `BATCH_SIZE`, so
that the next one gathers more: each batch costs a round trip to Redis and a
commit of the inbox's offsets, which batches of a few entries would pay per
entry under load. Accepted records reach the stream this much later; the
requests were answered already."""

RETRY_PAUSE = 1.0
"""Seconds to wait when neither Redis nor the database took a batch."""


class Forwarder(QueueLoop):
    """Move the inbox's entries to the stream; into the database while Redis is down.

    Runs where the ingest loop would (`InboxWriter`)."""

    def __init__(self, source: Source, redis: Redis, direct: Consumer) -> None:
        super().__init__(source)
        self.redis = redis
        self.direct = direct

    def stop(self) -> None:
        super().stop()
        self.direct.stop()

    def step(self) -> bool:
        """Forward one batch if there is one; return whether there was."""
        entries = self.source.take(BATCH_SIZE)
        if not entries:
            return False
        try:
            append(self.redis, [entry.payload for entry in entries])
        except RedisError as error:
            log.warning(
                "Redis refused %d record(s) (%s); storing them directly",
                len(entries),
                type(error).__name__,
            )
            try:
                self.direct.handle(entries)
            except PassingFailure as failure:
                log.error("batch of %d not stored (%s); will retry", len(entries), failure)
                self._stop.wait(RETRY_PAUSE)
            return True
        self.source.done([entry.id for entry in entries])
        self.stats.batches += 1
        self.stats.stored += len(entries)
        if len(entries) < BATCH_SIZE:
            self._stop.wait(LINGER)
        return True
