"""The embedded sink: records are stored in the database during the request."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.exc import SQLAlchemyError

from server.hooks import accounts_touched
from server.jobs import enqueue
from server.jobs.enrichment import enrich_account
from server.records import Record
from server.sink import SinkError
from server.storage import get_session, session_scope, storage
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


class DirectSink:
    def store(self, records: Sequence[Record]) -> None:
        try:
            store_records(records)
        except SQLAlchemyError as error:
            get_session().rollback()
            raise SinkError(f"database write failed ({type(error).__name__})") from None

    def is_healthy(self) -> bool:
        try:
            storage().ping()
        except SQLAlchemyError:
            return False
        return True
