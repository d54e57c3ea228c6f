"""`POST /e`, answered from the WSGI environ before the request reaches Flask.

Every visitor of every tracked site sends this request; nothing else the
server answers comes close in number. Through Flask, a beacon paid for a
request context, URL routing, the before- and after-request hooks and a
response object: twice what the collector's own steps cost
(`bench/request_path.py`). `BeaconEndpoint` wraps the app's WSGI callable,
answers `POST /e` itself, and hands every other request to Flask.

It answers as the collector always has (SPEC.md "Collector HTTP"): 202 when
accepted or dropped on purpose, 400 naming the field, 403 for an unknown site
or a foreign origin or page, 413 over 8 KiB, 429 past the beacon rate, 503
when no sink queued the event, and never a 500. Every answer carries the
collector's security headers (`server.security_headers.collector_headers`).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import TYPE_CHECKING

from flask import Flask
from werkzeug.wsgi import get_input_stream

from server.client_address import client_address
from server.collect.accept import Answer, accept
from server.collect.beacon import MAX_BODY_BYTES, BeaconError, parse_beacon
from server.collect.parts import CollectParts
from server.limits import client_key
from server.security_headers import collector_headers
from server.storage.types import utcnow

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

log = logging.getLogger(__name__)

PATH = "/e"

STATUS_LINES = {
    202: "202 Accepted",
    400: "400 Bad Request",
    403: "403 Forbidden",
    405: "405 Method Not Allowed",
    413: "413 Request Entity Too Large",
    429: "429 Too Many Requests",
    503: "503 Service Unavailable",
}

TOO_LARGE = Answer.refused(413, "body", f"larger than {MAX_BODY_BYTES} bytes")
FAILED = Answer.refused(503, "collector", "temporarily unavailable")
NOT_ALLOWED = Answer.refused(405, "request", "method not allowed")
ALLOWED_METHODS = "POST, OPTIONS"
"""`OPTIONS /e` (the CORS preflight) is Flask's (`server.collect.views`)."""


class BeaconEndpoint:
    """A WSGI app answering `POST /e` with `parts` (405 to any other method
    but the preflight), and passing any other request to `app` (Flask's own
    WSGI callable)."""

    def __init__(self, flask_app: Flask, parts: CollectParts, app: WSGIApplication) -> None:
        self.config = flask_app.config
        self.parts = parts
        self.app = app

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        if environ.get("PATH_INFO") != PATH or environ.get("REQUEST_METHOD") == "OPTIONS":
            return self.app(environ, start_response)
        if environ.get("REQUEST_METHOD") != "POST":
            return self.respond(NOT_ALLOWED, environ, start_response)
        try:
            answer = self.answer(environ)
        except Exception as problem:  # noqa: BLE001  # the last resort: a 503, never a 500
            log.error("collector failure: %s", type(problem).__name__)
            answer = FAILED
        return self.respond(answer, environ, start_response)

    def answer(self, environ: WSGIEnvironment) -> Answer:
        config = self.config
        ip = client_address(environ, config["TRUSTED_PROXIES"])
        rate = self.parts.rate_limit
        if not rate.allows(client_key(ip, config["SECRET_KEY"])):
            return Answer.refused(429, "request", str(rate.item))
        if _content_length(environ) > MAX_BODY_BYTES:
            return TOO_LARGE
        body = get_input_stream(environ).read(MAX_BODY_BYTES + 1)
        if len(body) > MAX_BODY_BYTES:
            return TOO_LARGE
        try:
            beacon = parse_beacon(body)
        except BeaconError as problem:
            return Answer.refused(400, problem.field, problem.reason)
        return accept(self.parts, beacon, environ, ip, utcnow())

    def respond(
        self, answer: Answer, environ: WSGIEnvironment, start_response: StartResponse
    ) -> Iterable[bytes]:
        body = answer.json_body() if answer.error else b""
        headers = collector_headers(environ, self.config)
        if answer.error:
            headers.append(("Content-Type", "application/json"))
        headers.append(("Content-Length", str(len(body))))
        if answer.status == 405:
            headers.append(("Allow", ALLOWED_METHODS))
        if answer.cors:
            if answer.allow_origin:
                headers.append(("Access-Control-Allow-Origin", answer.allow_origin))
            headers.append(("Vary", "Origin"))
        start_response(STATUS_LINES[answer.status], headers)
        return [body]


def _content_length(environ: WSGIEnvironment) -> int:
    """The declared body length; 0 when absent or unreadable (the read is
    capped either way)."""
    try:
        return max(0, int(environ.get("CONTENT_LENGTH") or 0))
    except ValueError:
        return 0


def install(app: Flask, parts: CollectParts) -> None:
    """Answer `POST /e` of `app` with `parts`, before Flask."""
    app.wsgi_app = BeaconEndpoint(app, parts, app.wsgi_app)  # type: ignore[method-assign]  # the documented way to wrap a Flask app in WSGI middleware
