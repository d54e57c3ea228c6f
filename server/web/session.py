"""Signing in and out."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import login_required, login_user, logout_user
from werkzeug.wrappers import Response

from server.auth import authenticate
from server.web import bp
from server.web.forms import EmptyForm, LoginForm


@bp.route("/login", methods=["GET", "POST"])
def login() -> str | Response:
    form = LoginForm()
    if form.validate_on_submit():
        user = authenticate(form.email.data or "", form.password.data or "")
        if user is not None:
            login_user(user)
            return redirect(_safe_next(request.args.get("next")))
        flash(_("Wrong e-mail or password."), "error")
    return render_template("login.html", form=form)


@bp.route("/logout", methods=["POST"])
@login_required
def logout() -> Response:
    if EmptyForm().validate_on_submit():
        logout_user()
    return redirect(url_for("web.login"))


def _safe_next(target: str | None) -> str:
    """Only a path on this site: a sign-in link must not send users elsewhere."""
    if target and target.startswith("/") and not urlsplit(target).netloc:
        return target
    return url_for("web.overview")
