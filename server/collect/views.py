"""The collector's HTTP face: `POST /e`, `OPTIONS /e`, `GET /p.gif`.

Answers (SPEC.md "Collector HTTP"): 202 when accepted or dropped on purpose,
400 naming the field, 403 for an unknown site or a foreign origin or page,
413 over 8 KiB, 429 past the rate limit (counted per serving process, see
`server.limits`), 503 only when no sink stored the event. Never a 500: the
last-resort handler logs the error type and answers 503.
"""

from __future__ import annotations

import base64
import logging

from flask import Blueprint, Response, current_app, jsonify, request
from werkzeug.exceptions import HTTPException

from server.client_address import client_address
from server.collect.beacon import (
    MAX_BODY_BYTES,
    Beacon,
    BeaconError,
    beacon_from_fields,
    parse_beacon,
)
from server.collect.parts import CollectParts, collect_parts
from server.collect.sites import SiteInfo
from server.limits import rate_limit_key
from server.sink import SinkError
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


def accepted() -> Response:
    return Response(status=202)


@bp.before_request
def within_rate_limit() -> Response | None:
    """Past the client's beacon rate: 429 (the pixel still answers its GIF, silently)."""
    rate = collect_parts().rate_limit
    if rate.allows(rate_limit_key()):
        return None
    if request.endpoint == "collect.pixel":
        return pixel_image()
    return error(429, "request", str(rate.item))


@bp.post("/e", provide_automatic_options=False)
def collect_event() -> Response:
    if (request.content_length or 0) > MAX_BODY_BYTES:
        return error(413, "body", f"larger than {MAX_BODY_BYTES} bytes")
    body = request.stream.read(MAX_BODY_BYTES + 1)
    if len(body) > MAX_BODY_BYTES:
        return error(413, "body", f"larger than {MAX_BODY_BYTES} bytes")
    try:
        beacon = parse_beacon(body)
    except BeaconError as problem:
        return error(400, problem.field, problem.reason)
    return handle(beacon)


def handle(beacon: Beacon) -> Response:
    """Check the beacon's site, origin and page, then collect it.

    Answers from here on carry CORS headers for the site's own origins.
    """
    collect = collect_parts()
    site = collect.sites.get(beacon.site)
    if site is None:
        return error(403, "site", "unknown site key")
    origin = request.headers.get("Origin")
    if origin and not site.owns_url(origin):
        return error(403, "origin", "not a domain of this site")
    response = _collect(collect, site, beacon)
    if origin:
        response.headers["Access-Control-Allow-Origin"] = origin
    response.headers["Vary"] = "Origin"
    return response


def _collect(collect: CollectParts, site: SiteInfo, beacon: Beacon) -> Response:
    if not site.owns_url(beacon.url):
        return error(403, "url", "not a domain of this site")
    if request.headers.get("Sec-GPC") == "1" or request.headers.get("DNT") == "1":
        return accepted()
    ip = client_address(request.environ, current_app.config["TRUSTED_PROXIES"])
    try:
        record = collect.pipeline.process(beacon, site, ip, request.user_agent.string, utcnow())
    except BeaconError as problem:  # a field that only cleaning shows unfit to store
        return error(400, problem.field, problem.reason)
    try:
        collect.sink.store([record])
    except SinkError as problem:
        log.error("event not stored: %s", problem)
        return error(503, "storage", "temporarily unavailable")
    return accepted()


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
        handle(beacon)
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
