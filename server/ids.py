"""Row ids in URLs: `<id:account_id>` matches only what the id column can hold.

Werkzeug's `int` converter matches any run of digits, so an id past the
column's range (`/accounts/9223372036854775808`) reached the query and failed
there with a 500 (PostgreSQL refuses the parameter; SQLite's driver cannot
bind it). This converter answers 404 for any id the database could never hold,
as for an id that does not exist.

Most ids are 64-bit (`BIGINT`); the tables with few rows (organisations,
users, sites…) have 32-bit `INTEGER` ids on PostgreSQL, so their routes say
`<id(bits=32):site_id>`.
"""

from __future__ import annotations

from flask import Flask
from werkzeug.routing import IntegerConverter, Map

MAX_ID = 2**63 - 1
"""Largest value of a 64-bit signed integer column (`BIGINT`, SQLite's `INTEGER`)."""

CONVERTER = "id"
"""Name of the converter in route strings: `<id:account_id>`."""


class IdConverter(IntegerConverter):
    """An id from 1 to the largest signed integer of `bits` bits, in ASCII
    digits; anything else matches no route (404)."""

    regex = r"[0-9]+"

    def __init__(self, map: Map, bits: int = 64) -> None:
        super().__init__(map, min=1, max=2 ** (bits - 1) - 1)


def init_app(app: Flask) -> None:
    """Register the converter; before any blueprint whose routes use it."""
    app.url_map.converters[CONVERTER] = IdConverter
