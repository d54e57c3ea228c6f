"""Pages that show a secret (once, or its last characters): rendered like any
page, but kept out of every cache."""

from __future__ import annotations

from typing import Any

from flask import make_response, render_template
from werkzeug.wrappers import Response


def private_page(template: str, status: int = 200, **context: Any) -> Response:
    """`template` rendered with `context`, answered with `status` and `Cache-Control: no-store`."""
    response = make_response(render_template(template, **context), status)
    response.headers["Cache-Control"] = "no-store"
    return response
