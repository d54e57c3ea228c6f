"""Sinks: where collected records go.

* `GroupCommitSink` (embedded, `batching.py`): written to the database before
  the request answers, many requests per transaction.
* `RedisStreamSink` (scale mode, `stream.py`): appended to a Redis Stream that
  `vigie ingest` consumers bulk-insert; if Redis fails, written directly.

Both end in `direct.store_records` → `server.storage.ingest.ingest`, which enqueues enrichment of new
accounts and tells the scoring hook which accounts were touched.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from server.records import Record


class SinkError(RuntimeError):
    """No sink could store the records; the collector answers 503."""


class Sink(Protocol):
    def store(self, records: Sequence[Record]) -> None:
        """Store `records` durably or raise `SinkError`."""
