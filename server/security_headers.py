"""Security headers on every answer: the browser's own defences, switched on.

* Dashboard, API, health and static files: a Content-Security-Policy that lets
  scripts run only from Vigie's own files or an inline `<script>` carrying the
  request's nonce (`{{ csp_nonce() }}` in templates), never from injected
  markup; the page may not be framed by any site.
* The collector's public paths (`/e`, `/p.gif`, `/v.js`), which other sites
  call: a minimal policy, since they answer no document; their CORS headers
  are left as the collector set them.
* Everywhere: `nosniff`, no framing, a referrer cut to the origin across
  sites, and HSTS when the dashboard is served over https.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from typing import Any

from flask import Flask, Response, current_app, g, request

COLLECTOR_BLUEPRINTS = frozenset({"collect", "tracker"})
"""Blueprints answering third-party pages: beacons and the snippet."""

HSTS_MAX_AGE = 365 * 24 * 3600
"""How long browsers keep to https once they saw the dashboard over it: a year."""

HSTS = f"max-age={HSTS_MAX_AGE}; includeSubDomains"

NONCE_BYTES = 18
"""Random bytes of a per-request script nonce (24 characters of base64)."""

EVERYWHERE = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "strict-origin-when-cross-origin",
}
"""Headers of every answer, whoever asked."""

COLLECTOR_POLICY = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'"
"""Nothing the collector answers is a page: it may load and run nothing."""


def init_app(app: Flask) -> None:
    app.jinja_env.globals["csp_nonce"] = csp_nonce
    app.after_request(add_security_headers)


def csp_nonce() -> str:
    """The request's script nonce, made when a template first asks for it."""
    if "csp_nonce" not in g:
        g.csp_nonce = secrets.token_urlsafe(NONCE_BYTES)
    return str(g.csp_nonce)


def add_security_headers(response: Response) -> Response:
    headers = response.headers
    headers.update(EVERYWHERE)
    if request.blueprint in COLLECTOR_BLUEPRINTS:
        headers["Content-Security-Policy"] = COLLECTOR_POLICY
    else:
        headers["Content-Security-Policy"] = dashboard_policy(g.get("csp_nonce"))
    if served_over_https(request.environ, current_app.config):
        headers["Strict-Transport-Security"] = HSTS
    return response


def collector_headers(
    environ: Mapping[str, str], config: Mapping[str, Any]
) -> list[tuple[str, str]]:
    """The security headers of an answer of the collector's, for a request
    answered without Flask (`server.collect.endpoint`)."""
    headers = [*EVERYWHERE.items(), ("Content-Security-Policy", COLLECTOR_POLICY)]
    if served_over_https(environ, config):
        headers.append(("Strict-Transport-Security", HSTS))
    return headers


def dashboard_policy(nonce: str | None) -> str:
    """The dashboard's policy; an inline script or style runs only with `nonce`.

    Without a nonce (no template asked for one) nothing inline runs at all.
    """
    inline = f" 'nonce-{nonce}'" if nonce else ""
    return "; ".join(
        [
            "default-src 'self'",
            f"script-src 'self'{inline}",
            f"style-src 'self'{inline}",
            "img-src 'self' data:",
            "object-src 'none'",
            "base-uri 'self'",
            "form-action 'self'",
            "frame-ancestors 'none'",
        ]
    )


def served_over_https(environ: Mapping[str, str], config: Mapping[str, Any]) -> bool:
    """Whether users reach the dashboard over https: `VIGIE_PUBLIC_URL` says so,
    or the request came over https, directly or through the trusted proxies."""
    public_url = config.get("PUBLIC_URL") or ""
    if public_url.startswith("https://"):
        return True
    return request_scheme(environ, config["TRUSTED_PROXIES"]) == "https"


def request_scheme(environ: Mapping[str, str], trusted_proxies: int) -> str:
    """The scheme the client used, trusting `X-Forwarded-Proto` only from proxies.

    With N trusted proxies the N-th value from the right is the one the
    outermost trusted proxy saw (as for `X-Forwarded-For`); with none, or
    fewer values than proxies, the header is ignored.
    """
    scheme = environ.get("wsgi.url_scheme", "http")
    if trusted_proxies <= 0:
        return scheme
    forwarded = [
        part.strip().lower() for part in environ.get("HTTP_X_FORWARDED_PROTO", "").split(",")
    ]
    forwarded = [part for part in forwarded if part]
    if len(forwarded) < trusted_proxies:
        return scheme
    return forwarded[-trusted_proxies]
