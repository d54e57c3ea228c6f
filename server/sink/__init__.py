"""Sinks: where the collector hands accepted records, to be stored later.

* `InboxSink` (embedded, `embedded.py`): appended to a SQLite inbox file of
  its own; a writer drains it into the database.
* `RedisStreamSink` (scale mode, `stream.py`): appended to a Redis Stream that
  `vigie ingest` consumers drain; if Redis fails, to the inbox.

Each request appends its own record and answers: handing records to a thread
that writes those of concurrent requests together was measured slower (every
handoff waits for the interpreter lock). Draining is one loop for both queues
(`consumer.py`), which stores batches through `server.after_store`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from server.records import Record


class SinkError(RuntimeError):
    """No sink could queue the records; the collector answers 503."""


class Sink(Protocol):
    def store(self, records: Sequence[Record]) -> None:
        """Queue `records` durably or raise `SinkError`."""
