"""Error pages: 403, 404 and 500 in the dashboard's layout and language.

One app-level handler answers every HTTP error that no blueprint handled
itself. The collector (`collect`) and the API (`api`) keep their own JSON
handlers, which Flask asks first because they are registered on their
blueprints. A URL that matches no route (an unknown path, an id out of range,
a method not allowed) belongs to no blueprint, so it is answered here: in the
API's JSON shape under `/api/`, in the collector's (`request: <reason>`) on
its JSON endpoint, as a page elsewhere. Other codes of the dashboard (400,
401, 405, 429…) keep the answer they had.
"""

from __future__ import annotations

import logging

from flask import Flask, Response, render_template, request
from flask_babel import lazy_gettext as _l
from werkzeug.exceptions import HTTPException

from server.api import bp as api_bp
from server.api import http_error_response

log = logging.getLogger(__name__)

PAGES = {
    403: (
        _l("Access denied"),
        _l("Your account may not open this page. An admin of your organisation can help."),
    ),
    404: (
        _l("Page not found"),
        _l("This page does not exist, or it belongs to another organisation."),
    ),
    500: (
        _l("Something went wrong"),
        _l("Vigie could not show this page. The error was logged; please try again in a moment."),
    ),
}
"""Title and explanation of each error with a page of its own."""

COLLECTOR_JSON_PATHS = frozenset({"/e"})
"""The collector's endpoints that answer JSON (the pixel answers an image)."""


def init_app(app: Flask) -> None:
    app.register_error_handler(HTTPException, http_error)


def http_error(error: HTTPException) -> Response | HTTPException:
    """JSON under `/api/` and on the collector, a styled page for 403/404/500,
    else the error as it was."""
    code = error.code or 500
    if _is_api_path(request.path):
        return http_error_response(error)
    if request.path in COLLECTOR_JSON_PATHS:
        return http_error_response(error, f"request: {error.name.lower()}")
    if code not in PAGES:
        return error
    return error_page(code)


def error_page(code: int) -> Response:
    """The page for `code` (a key of `PAGES`), with that status.

    The page of a 500 shows no detail of the failure: Flask has already logged
    it. Should the page itself fail (the database that broke the request is
    needed to know who is signed in), a one-line text answer replaces it.
    """
    title, message = PAGES[code]
    try:
        body = render_template("error.html", code=code, title=title, message=message)
    except Exception as failure:  # last resort: the error page must answer something
        if code != 500:
            raise
        log.error("error page failed: %s", type(failure).__name__)
        return Response(f"{code} {title}\n", status=code, mimetype="text/plain")
    return Response(body, status=code)


def _is_api_path(path: str) -> bool:
    prefix = api_bp.url_prefix or "/api"
    return path == prefix or path.startswith(prefix + "/")
