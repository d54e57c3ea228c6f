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
    from server.web import formatting, overview, session  # noqa: F401  (views register on bp)

    formatting.init_app(app)

    limiter(app).limit(LOGIN_RATE_LIMIT, methods=["POST"])(session.login)
    app.register_blueprint(bp)
