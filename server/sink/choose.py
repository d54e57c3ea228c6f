"""Which sink an app's collector hands its records to: the inbox, in both modes.

In scale mode the inbox's writer forwards what it holds to the Redis Stream
(`server.sink.forward`), so no request waits for a Redis round trip.
"""

from __future__ import annotations

from flask import Flask

from server.sink import Sink
from server.sink.embedded import InboxSink, inbox_of, inbox_path, local_writer


def choose_sink(app: Flask) -> Sink:
    """The app's inbox; its writer starts at once if records wait from an earlier run."""
    writer = local_writer(app)
    if writer is not None and inbox_path(app).exists() and inbox_of(app).waiting():
        writer.start()  # records accepted before a stop are stored first
    return InboxSink(app)
