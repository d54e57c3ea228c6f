"""The dashboard: server-rendered pages for sales and marketing.

    /login, /logout          signing in and out (session.py)
    /                         overview: tiers, new hot accounts, traffic mix
    /accounts, /accounts/<id> the hot list and an account's story
    /sites                    sites, their snippet and a live "last event" check
    /model                    the scoring model: edit, validate, preview, save
    /settings                 alert webhook, language

Every page needs a signed-in user and shows only their organisation's rows.
"""

from __future__ import annotations

from flask import Blueprint, Flask

from server.auth import LOGIN_RATE_LIMIT
from server.limits import limiter

bp = Blueprint(
    "web",
    __name__,
    template_folder="templates",
    static_folder="static",
    static_url_path="/static/web",
)


def init_app(app: Flask) -> None:
    from server.web import accounts, formatting, model, overview, session, settings, sites  # noqa: F401

    formatting.init_app(app)

    app.register_blueprint(bp)
    # The limiter checks inside the wrapper it returns: that wrapper must be the view.
    app.view_functions["web.login"] = limiter(app).limit(LOGIN_RATE_LIMIT, methods=["POST"])(
        session.login
    )
