"""The dashboard's blueprint, which every page module registers its views on.

It lives apart from `server/web/__init__.py` so that the page modules can
import it while the package imports them, without a cycle.
"""

from __future__ import annotations

from flask import Blueprint, Response, send_from_directory

bp = Blueprint(
    "web",
    "server.web",
    template_folder="templates",
    static_folder="static",
    static_url_path="/static/web",
)

FAVICON_MAX_AGE = 7 * 24 * 3600
"""How long browsers may keep the favicon without asking again, in seconds."""


@bp.get("/favicon.ico")
def favicon() -> Response:
    """The SVG mark at the path browsers ask for when a page names no icon."""
    assert bp.static_folder is not None
    return send_from_directory(
        bp.static_folder, "favicon.svg", mimetype="image/svg+xml", max_age=FAVICON_MAX_AGE
    )
