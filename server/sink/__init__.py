"""Sinks: where the collector hands accepted records, to be stored later.

Every request appends its record to the inbox (`embedded.py`): one `write()`
to its process's spool file (`spool.py`), durable when the request answers.
One writer thread among the serving processes then drains the inbox:

* embedded: into the database (the ingest loop, `consumer.py`);
* scale mode: to the Redis Stream, a batch per pipelined round trip
  (`forward.py`), which `vigie ingest` consumers drain (`stream.py`) with
  the same loop; while Redis is down, into the database directly.

The loop stores batches through `server.after_store`.
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
