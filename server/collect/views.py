"""The collector's Flask face: `OPTIONS /e` (the CORS preflight) and `GET /p.gif`.

`POST /e` itself is answered before Flask (`server.collect.endpoint`); the
pixel goes through the same checks (`server.collect.accept`) but always
answers its GIF. A preflight answers 204 for an origin of a known site, 403
otherwise; both answer 429 past the beacon rate (the pixel with its GIF,
silently). Never a 500: the last-resort handler logs the error type and
answers 503.
"""

from __future__ import annotations

import base64
import logging

from flask import Blueprint, Response, current_app, jsonify, request
from werkzeug.exceptions import HTTPException

from server.client_address import client_address
from server.collect.accept import accept
from server.collect.beacon import BeaconError, beacon_from_fields
from server.collect.parts import collect_parts
from server.limits import rate_limit_key
from server.storage.types import utcnow

log = logging.getLogger(__name__)

bp = Blueprint("collect", __name__)

PIXEL = base64.b64decode("R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7")
"""A transparent 1×1 GIF."""

CORS_MAX_AGE = "86400"


def error(status: int, field: str, reason: str) -> Response:
    response = jsonify(error=f"{field}: {reason}")
    response.status_code = status
    return response


@bp.before_request
def within_rate_limit() -> Response | None:
    """Past the client's beacon rate: 429 (the pixel still answers its GIF, silently)."""
    rate = collect_parts().rate_limit
    if rate.allows(rate_limit_key()):
        return None
    if request.endpoint == "collect.pixel":
        return pixel_image()
    return error(429, "request", str(rate.item))


@bp.route("/e", methods=["OPTIONS"], provide_automatic_options=False)
def preflight() -> Response:
    origin = request.headers.get("Origin")
    if not collect_parts().sites.any_owns_origin(origin):
        return Response(status=403)
    response = Response(status=204)
    response.headers.update(
        {
            "Access-Control-Allow-Origin": origin or "",
            "Access-Control-Allow-Methods": "POST, OPTIONS",
            "Access-Control-Allow-Headers": "Content-Type",
            "Access-Control-Max-Age": CORS_MAX_AGE,
            "Vary": "Origin",
        }
    )
    return response


@bp.get("/p.gif")
def pixel() -> Response:
    """The `<noscript>` beacon: a pageview from query parameters, always a GIF."""
    query = request.args
    fields = {"site": query.get("site", ""), "type": "pageview", "url": query.get("url", "")}
    if query.get("ref"):
        fields["referrer"] = query["ref"]
    try:
        beacon = beacon_from_fields(fields)
    except BeaconError:
        beacon = None  # an image either way: the pixel never says what was wrong
    if beacon is not None:
        ip = client_address(request.environ, current_app.config["TRUSTED_PROXIES"])
        accept(collect_parts(), beacon, request.environ, ip, utcnow())
    return pixel_image()


def pixel_image() -> Response:
    response = Response(PIXEL, mimetype="image/gif")
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.errorhandler(Exception)
def last_resort(problem: Exception) -> Response:
    """Kept unreached by tests; answers 503 rather than 500, logging the type only."""
    if isinstance(problem, HTTPException):
        return error(
            problem.code or 400, "request", (problem.description or "").split(".")[0].lower()
        )
    log.error("collector failure: %s", type(problem).__name__)
    return error(503, "collector", "temporarily unavailable")
