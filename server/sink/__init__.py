"""Sinks: where the collector hands accepted records, to be stored later.

* `InboxSink` (embedded, `embedded.py`): appended to a SQLite inbox file of
  its own; a writer drains it into the database.
* `RedisStreamSink` (scale mode, `stream.py`): appended to a Redis Stream that
  `vigie ingest` consumers drain; if Redis fails, to the inbox.

Both are wrapped in a `GroupWriter` (`batching.py`), so the appends of
concurrent requests go out together. Draining is one loop for both queues
(`consumer.py`), which stores batches through `server.storage.ingest`.
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
