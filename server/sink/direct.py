"""Storing records in the database from the current app context (both sinks end here)."""

from __future__ import annotations

from collections.abc import Sequence

from server.hooks import accounts_touched
from server.jobs import enqueue
from server.jobs.enrichment import enrich_account
from server.records import Record
from server.storage import session_scope
from server.storage.ingest import IngestResult, ingest
from server.storage.types import utcnow


def store_records(records: Sequence[Record]) -> IngestResult:
    """Ingest `records` in the context's session and commit; jobs follow the commit."""
    with session_scope() as session:
        result = ingest(session, records, utcnow())
        for account_id in result.new_account_ids:
            enqueue(enrich_account, account_id)
        accounts_touched(result.touched_account_ids)
    return result
