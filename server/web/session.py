"""Signing in and out."""

from __future__ import annotations

from datetime import timedelta
from math import ceil
from urllib.parse import urlsplit

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import login_user, logout_user
from werkzeug.wrappers import Response

from server.auth import TooManyAttempts, authenticate
from server.web.blueprint import bp
from server.web.forms import EmptyForm, LoginForm
from server.web.roles import members


@bp.route("/login", methods=["GET", "POST"])
def login() -> str | Response | tuple[str, int, dict[str, str]]:
    """The sign-in form. Past the failures allowed for one e-mail, attempts for
    it are refused with 429 until its wait is over, whoever sends them."""
    form = LoginForm()
    if form.validate_on_submit():
        try:
            user = authenticate(form.email.data or "", form.password.data or "")
        except TooManyAttempts as refusal:
            return _too_many_attempts(form, refusal.retry_after)
        if user is not None:
            login_user(user)
            return redirect(_safe_next(request.args.get("next")))
        flash(_("Wrong e-mail or password."), "error")
    return render_template("login.html", form=form)


def _too_many_attempts(form: LoginForm, retry_after: timedelta) -> tuple[str, int, dict[str, str]]:
    seconds = max(1, ceil(retry_after.total_seconds()))
    minutes = ceil(seconds / 60)
    flash(
        ngettext(
            "Too many attempts for this e-mail address: try again in %(num)d minute.",
            "Too many attempts for this e-mail address: try again in %(num)d minutes.",
            minutes,
        ),
        "error",
    )
    return render_template("login.html", form=form), 429, {"Retry-After": str(seconds)}


@members.route("/logout", methods=["POST"])
def logout() -> Response:
    if EmptyForm().validate_on_submit():
        logout_user()
    return redirect(url_for("web.login"))


def _safe_next(target: str | None) -> str:
    """Only a path on this site: a sign-in link must not send users elsewhere."""
    if target and target.startswith("/") and not urlsplit(target).netloc:
        return target
    return url_for("web.overview")
