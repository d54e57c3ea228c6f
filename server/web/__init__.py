"""The dashboard: server-rendered pages for sales and marketing.

    /login, /logout          signing in and out (session.py)
    /                         overview: tiers, new hot accounts, traffic mix
    /accounts, /accounts/<id> the hot list and an account's story
    /leads                    lead lists: import, scored leads beside their company's web score
    /sites                    sites, their snippet and a live "last event" check
    /model                    the scoring model: edit, validate, preview, save
    /settings                 alert webhook and time zone (admins), language
    /alerts                   alert rules: own e-mails and digests; Slack and Teams (admins)
    /webhooks                 signed webhook subscriptions and deliveries (admins)
    /schemas/<event>.json     the JSON Schema of each webhook event (public)
    /team, /tokens, /audit    users, API tokens and the audit log (admins)
    /corrections              network corrections, merges and renames (admins)
    /integrations             CRM connections and their sync log (admins)
    /password                 choosing one's own password
    /favicon.ico              Vigie's mark (static/favicon.svg), for browsers asking the default path

Every page needs a signed-in user and shows only their organisation's rows.
HTTP errors get pages in the same layout and language (errors.py).
"""

from __future__ import annotations

from types import ModuleType

from flask import Flask

from server.auth import LOGIN_RATE_LIMIT
from server.limits import limiter
from server.web import (
    accounts,
    alerts,
    audit,
    corrections,
    errors,
    formatting,
    integrations,
    leads,
    model,
    overview,
    password,
    roles,
    session,
    settings,
    sites,
    team,
    tokens,
    webhooks,
)
from server.web.blueprint import bp

PAGES: tuple[ModuleType, ...] = (
    accounts,
    alerts,
    audit,
    corrections,
    integrations,
    leads,
    model,
    overview,
)
PAGES += (password, settings, sites, team, tokens, webhooks)
"""The modules whose views are on `bp`: importing them registers their views."""


def init_app(app: Flask) -> None:
    formatting.init_app(app)
    app.jinja_env.globals["signed_in_admin"] = roles.is_admin  # the navigation shows admins' pages
    errors.init_app(app)

    app.register_blueprint(bp)
    # The limiter checks inside the wrapper it returns: that wrapper must be the view.
    app.view_functions["web.login"] = limiter(app).limit(LOGIN_RATE_LIMIT, methods=["POST"])(
        session.login
    )
