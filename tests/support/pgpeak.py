"""Counting the PostgreSQL connections of one test run, to keep the suite well
under the server's `max_connections` (100, shared with other runs).

Every connection of the run carries the run's `application_name` (the test
schema's URL sets it, so subprocess servers given that URL carry it too); a
thread samples `pg_stat_activity` for that name and keeps the peak, which the
run prints at its end.
"""

from __future__ import annotations

import threading

from sqlalchemy import Engine, create_engine, text
from sqlalchemy.exc import SQLAlchemyError

SAMPLE_SECONDS = 0.2
"""Between two counts: shorter spikes can be missed, so the peak is a lower bound."""


class ConnectionPeak:
    """Samples the connections named `application_name` until stopped."""

    def __init__(self, admin_url: str, application_name: str) -> None:
        self.application_name = application_name
        self.peak = 0
        self.samples = 0
        self._engine: Engine = create_engine(admin_url, pool_size=1, max_overflow=0)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="pg-peak", daemon=True)

    def start(self) -> ConnectionPeak:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        self._engine.dispose()

    def _run(self) -> None:
        query = text("SELECT count(*) FROM pg_stat_activity WHERE application_name = :name")
        while not self._stop.wait(SAMPLE_SECONDS):
            try:
                with self._engine.connect() as connection:
                    count = connection.scalar(query, {"name": self.application_name}) or 0
            except SQLAlchemyError:
                continue  # the server full for a moment: this sample is lost, not the run
            self.peak = max(self.peak, count)
            self.samples += 1
