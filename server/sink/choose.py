"""Which sink an app's collector hands its records to."""

from __future__ import annotations

from flask import Flask

from server.jobs import jobs_of
from server.sink import Sink
from server.sink.batching import GroupCommitSink
from server.sink.stream import RedisStreamSink


def choose_sink(app: Flask) -> Sink:
    """The Redis Stream in scale mode, the database directly otherwise."""
    redis = jobs_of(app).redis
    direct = GroupCommitSink(app)
    return RedisStreamSink(redis, fallback=direct) if redis is not None else direct
