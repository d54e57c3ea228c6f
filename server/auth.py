"""Who is asking: a dashboard session (Flask-Login) or an API bearer token.

Every page and API view works for one organisation, `current_org_id()`: the
signed-in user's, or the token's. Rows of other organisations are looked up
with that id in the query, so they answer 404 like rows that do not exist.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache, wraps
from math import ceil
from typing import Any

from flask import Config, Flask, abort, current_app, g, jsonify, request
from flask_babel import lazy_gettext as _l
from flask_login import LoginManager, UserMixin, current_user
from flask_wtf.csrf import CSRFProtect
from sqlalchemy import select, update

from server.audit import Actor, record
from server.security import hash_api_token, hash_password, password_matches
from server.storage import get_session, storage
from server.storage.models import ApiToken, User
from server.storage.tenancy import find_user
from server.storage.types import utcnow
from server.throttle import ThrottlePolicy, begin_attempt, clear, forget_old, throttle_key

LOGIN_RATE_LIMIT = "10 per minute"
"""Sign-in attempts per client per minute."""


@dataclass(frozen=True)
class SignedInUser(UserMixin):
    """The signed-in user, as much of the row as a request needs."""

    id: int
    org_id: int
    email: str
    role: str
    locale: str | None
    must_change_password: bool = False

    @classmethod
    def of(cls, user: User) -> SignedInUser:
        return cls(
            user.id, user.org_id, user.email, user.role, user.locale, user.must_change_password
        )


def init_app(app: Flask) -> None:
    protect_cookies(app.config)
    app.config.setdefault("WTF_CSRF_TIME_LIMIT", None)  # valid for the session's life
    login = LoginManager(app)
    login.login_view = "web.login"
    login.login_message = _l("Please sign in to see this page.")
    login.session_protection = "strong"
    login.user_loader(_load_user)
    CSRFProtect(app)


def protect_cookies(config: Config) -> None:
    """Keep the session cookie, and Flask-Login's remember-me one, from scripts
    (HttpOnly) and from other sites' forms (SameSite=Lax), and on https only
    (Secure) when the dashboard is served over it.

    Secure follows `VIGIE_SESSION_COOKIE_SECURE` when it is set, else whether
    `VIGIE_PUBLIC_URL` is https. Set outright: Flask and Flask-Login define
    these keys, so defaults given with `setdefault` would never apply.
    """
    secure = config.get("SESSION_COOKIE_SECURE")
    if secure is None:
        secure = str(config.get("PUBLIC_URL") or "").startswith("https://")
    for cookie in ("SESSION_COOKIE", "REMEMBER_COOKIE"):
        config[f"{cookie}_HTTPONLY"] = True
        config[f"{cookie}_SAMESITE"] = "Lax"
        config[f"{cookie}_SECURE"] = bool(secure)


def _load_user(user_id: str) -> SignedInUser | None:
    user = get_session().get(User, int(user_id)) if user_id.isdigit() else None
    # A disabled user's session ends on their next request.
    return SignedInUser.of(user) if user is not None and not user.disabled else None


class TooManyAttempts(Exception):
    """Sign-ins for an e-mail wait out its failed ones (server/throttle.py)."""

    def __init__(self, retry_after: timedelta) -> None:
        super().__init__(f"sign-ins for this e-mail wait {retry_after}")
        self.retry_after = retry_after


def authenticate(email: str, password: str) -> SignedInUser | None:
    """The user with this e-mail and password, else None: the same answer, in
    about the same time, for an unknown e-mail, a wrong password and a disabled user.

    Every attempt counts in the e-mail's throttle and, when a user has the
    e-mail, goes to their organisation's audit log.

    :raise TooManyAttempts: while attempts for this e-mail must wait; the
        password is then not checked.
    """
    now = utcnow()
    key = throttle_key(current_app.config["SECRET_KEY"], email)
    with storage().writer_session() as session, session.begin():
        wait = begin_attempt(session, key, ThrottlePolicy.of(current_app.config), now)
        user = find_user(session, email)
    if wait is not None:
        _record_attempt(user, "sign_in.throttled", retry_after_seconds=ceil(wait.total_seconds()))
        raise TooManyAttempts(wait)
    # An unknown e-mail costs a hash check too, so timing does not tell it apart.
    matches = password_matches(user.password_hash if user else _decoy_hash(), password)
    if user is None or user.disabled or not matches:
        detail = {"reason": "disabled"} if user is not None and user.disabled and matches else {}
        _record_attempt(user, "sign_in.failed", **detail)
        return None
    with storage().writer_session() as session, session.begin():
        clear(session, key)
        session.execute(update(User).where(User.id == user.id).values(last_login_at=now))
        record(session, user.org_id, Actor(user.email, user.id), "sign_in.succeeded")
    return SignedInUser.of(user)


def _record_attempt(user: User | None, action: str, **detail: Any) -> None:
    """Audit a refused sign-in in its own transaction; an unknown e-mail has no
    organisation to log it in, but takes a writer turn all the same (timing)."""
    with storage().writer_session() as session, session.begin():
        forget_old(session, utcnow())
        if user is not None:
            record(session, user.org_id, Actor(user.email, user.id), action, **detail)


@cache
def _decoy_hash() -> str:
    """A hash no password matches, checked when the e-mail is no user's."""
    return hash_password(secrets.token_urlsafe(32))


def current_org_id() -> int:
    """The organisation the request works for (token or signed-in user)."""
    org_id = g.get("token_org_id")
    if org_id is not None:
        return org_id
    if current_user.is_authenticated:
        return current_user.org_id
    abort(401)


def token_or_login_required(view: Callable[..., Any]) -> Callable[..., Any]:
    """For API views: a valid `Authorization: Bearer` token or a signed-in
    session, else 401 in JSON."""

    @wraps(view)
    def guarded(*args: Any, **kwargs: Any) -> Any:
        header = request.headers.get("Authorization", "")
        if header.startswith("Bearer "):
            org_id = _token_org(header.removeprefix("Bearer ").strip())
            if org_id is None:
                return _unauthorised("invalid or revoked API token")
            g.token_org_id = org_id
        elif not current_user.is_authenticated:
            return _unauthorised("sign in or send an API token (Authorization: Bearer …)")
        return view(*args, **kwargs)

    return guarded


def _token_org(token: str) -> int | None:
    session = get_session()
    row = session.scalar(select(ApiToken).where(ApiToken.token_hash == hash_api_token(token)))
    if row is None or row.revoked_at is not None:
        return None
    now = utcnow()
    if row.last_used_at is None or (now - row.last_used_at).total_seconds() > 60:
        mark_token_used(row.id, now)  # at most one write a minute per token
    return row.org_id


def mark_token_used(token_id: int, now: datetime) -> None:
    """Record when a token was last used, in a short transaction of its own that
    begins as a writer: a read-only request's session cannot turn into a writer
    while beacons are being stored."""
    with storage().writer_session() as session, session.begin():
        session.execute(update(ApiToken).where(ApiToken.id == token_id).values(last_used_at=now))


def _unauthorised(message: str) -> Any:
    response = jsonify(error=message)
    response.status_code = 401
    response.headers["WWW-Authenticate"] = 'Bearer realm="vigie"'
    return response
