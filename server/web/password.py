"""Choosing one's own password, and having to after a one-time password.

A user whose password an admin generated (a new user, or a reset) is sent
here from every dashboard page until they chose their own: the one-time
password was seen by the admin, so it must not stay in use.
"""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response
from wtforms import PasswordField

from server.audit import record
from server.auth import current_org_id
from server.passwords import check_new_password as check_policy
from server.security import hash_password, password_matches
from server.storage.models import User
from server.validation import InvalidInput
from server.web.blueprint import bp
from server.web.roles import current_actor, members
from server.web.transactions import write_transaction

ALLOWED_BEFORE_CHANGE = frozenset(
    {"web.change_password", "web.logout", "web.login", "web.static", "web.favicon"}
)
"""Pages a user who must change their password may still open."""


class PasswordForm(FlaskForm):
    current = PasswordField(_l("Current password"))
    new = PasswordField(_l("New password"))
    again = PasswordField(_l("New password, again"))


@bp.before_request
def send_to_password_change() -> Response | None:
    """Hold a user with a one-time password on the password page."""
    if (
        current_user.is_authenticated
        and current_user.must_change_password
        and request.endpoint not in ALLOWED_BEFORE_CHANGE
    ):
        flash(_("Choose your own password to go on."), "info")
        return redirect(url_for("web.change_password"))
    return None


@members.route("/password", methods=["GET", "POST"])
def change_password() -> tuple[str, int] | Response:
    form = PasswordForm()
    errors: dict[str, str] = {}
    if form.validate_on_submit():
        session = write_transaction()
        user = session.get(User, current_user.id)
        assert user is not None  # the signed-in user
        try:
            new = check_new_password(user, form)
        except InvalidInput as error:
            session.rollback()
            errors[error.field] = error.reason
        else:
            user.password_hash = hash_password(new)
            user.must_change_password = False
            record(session, current_org_id(), current_actor(), "user.password_changed", user.email)
            session.commit()
            flash(_("Your password is changed."), "success")
            return redirect(url_for("web.overview"))
    return render_template("team_password.html", form=form, errors=errors), (400 if errors else 200)


def check_new_password(user: User, form: PasswordForm) -> str:
    """The new password typed in `form`.

    :raise InvalidInput: for a wrong current password, a new one the password
        policy refuses (server/passwords.py), two that differ, or the current one again.
    """
    current = form.current.data or ""
    new = form.new.data or ""
    if not password_matches(user.password_hash, current):
        raise InvalidInput("current", _("this is not your current password"))
    check_policy(new, user.email, user.organisation.name, field="new")
    if new != (form.again.data or ""):
        raise InvalidInput("again", _("the two new passwords differ"))
    if new == current:
        raise InvalidInput("new", _("choose a password other than the current one"))
    return new
