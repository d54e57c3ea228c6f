"""`GET /v.js`: the tracking script, minified once, with ETag, caching and gzip.

The tag that loads it on a site is built by `server/script_tag.py`.
"""

from __future__ import annotations

import gzip
import hashlib
from dataclasses import dataclass
from importlib import resources

import rjsmin
from flask import Blueprint, Flask, Response, current_app, request

bp = Blueprint("tracker", __name__)

EXTENSION = "vigie.tracker"
CACHE_SECONDS = 3600
"""Browsers and CDNs keep the snippet an hour, then revalidate with the ETag."""


@dataclass(frozen=True)
class Snippet:
    plain: bytes
    gzipped: bytes
    etag: str


def build_snippet() -> Snippet:
    """Minify `tracker_js/v.js` and pre-compress it."""
    source = resources.files("tracker_js").joinpath("v.js").read_text("utf-8")
    plain = rjsmin.jsmin(source).encode()
    return Snippet(plain, gzip.compress(plain, 9, mtime=0), hashlib.sha256(plain).hexdigest()[:20])


def init_app(app: Flask) -> None:
    app.extensions[EXTENSION] = build_snippet()
    app.register_blueprint(bp)


@bp.get("/v.js")
def snippet() -> Response:
    served: Snippet = current_app.extensions[EXTENSION]
    headers = {
        "Cache-Control": f"public, max-age={CACHE_SECONDS}",
        "ETag": f'"{served.etag}"',
        "Vary": "Accept-Encoding",
        "Access-Control-Allow-Origin": "*",
    }
    if served.etag in request.if_none_match:
        return Response(status=304, headers=headers)
    body = served.plain
    if "gzip" in request.accept_encodings:
        body = served.gzipped
        headers["Content-Encoding"] = "gzip"
    return Response(body, mimetype="application/javascript", headers=headers)
