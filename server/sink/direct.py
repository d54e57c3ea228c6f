"""Storing records from the current app context: `server.after_store.store_batch`.

Kept as `store_records` for the sinks that still call it by this name.
"""

from __future__ import annotations

from server.after_store import store_batch

store_records = store_batch

__all__ = ["store_records"]
