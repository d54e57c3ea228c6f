"""Which sink an app's collector hands its records to."""

from __future__ import annotations

from flask import Flask

from server.redis_client import redis_of
from server.sink import Sink
from server.sink.embedded import InboxSink, inbox_of, inbox_path, local_writer
from server.sink.stream import RedisStreamSink


def choose_sink(app: Flask) -> Sink:
    """The Redis Stream in scale mode, the inbox file otherwise (and when Redis
    fails). Concurrent requests' appends to the stream go out together."""
    local = InboxSink(app)
    writer = local_writer(app)
    if writer is not None and inbox_path(app).exists() and inbox_of(app).waiting():
        writer.start()  # records accepted before a stop are stored first
    redis = redis_of(app)
    if redis is None:
        return local
    return RedisStreamSink(redis, fallback=local)
