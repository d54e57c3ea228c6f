"""Column types shared by the models: UTC timestamps and 64-bit keys."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import BigInteger, DateTime, Integer
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator

BigId = BigInteger().with_variant(Integer(), "sqlite")
"""64-bit primary key; plain INTEGER on SQLite, where only that is a rowid alias."""


class UTCDateTime(TypeDecorator[datetime]):
    """An aware UTC `datetime` in Python, a UTC timestamp in the database.

    SQLite keeps no time zone, so values are normalised to UTC on the way in and
    marked UTC on the way out; both databases then answer the same.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; Vigie stores aware UTC times")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


def utcnow() -> datetime:
    """The current aware UTC time."""
    return datetime.now(UTC)
