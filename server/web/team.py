"""The team page (admins): the organisation's users, adding one, changing a
role, disabling or enabling, and resetting a password.

A new user and a reset get a one-time password, shown on the answer to the
POST only (never flashed: the session cookie is signed, not encrypted) and
never again; the user chooses their own at their next sign-in (password.py).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

from flask import abort, flash, redirect, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy.orm import Session
from werkzeug.wrappers import Response
from wtforms import EmailField, SelectChoice, SelectField  # type: ignore[attr-defined]  # new in WTForms 3.3; types-WTForms stops at 3.2

from server.auth import current_org_id
from server.storage import get_session
from server.storage.models import User
from server.team import add_user, change_role, get_member, reset_password, set_disabled, team
from server.validation import InvalidInput
from server.web.forms import EmptyForm, form_problems
from server.web.pages import private_page
from server.web.roles import ADMIN, MEMBER, admins, current_actor
from server.web.transactions import committed

ROLE_CHOICES = [SelectChoice(ADMIN, _l("Admin")), SelectChoice(MEMBER, _l("Member"))]


class AddUserForm(FlaskForm):
    email = EmailField(_l("E-mail"))
    role = SelectField(_l("Role"), choices=ROLE_CHOICES, default=MEMBER)


class RoleForm(FlaskForm):
    role = SelectField(_l("Role"), choices=ROLE_CHOICES)


@admins.page("/team")
def team_page(
    form: AddUserForm | None = None,
    errors: dict[str, str] | None = None,
    status: int = 200,
    secret: tuple[str, str] | None = None,
) -> Response:
    """The team page, with an empty add form unless `form` is given back with its
    `errors`; `secret` is (e-mail, one-time password) to show this once."""
    return private_page(
        "team.html",
        status,
        users=team(get_session(), current_org_id()),
        form=form if form is not None else AddUserForm(formdata=None),
        action_form=EmptyForm(),
        errors=errors or {},
        secret=secret,
        me=current_user.id,
    )


@admins.post("/team")
def team_add() -> Response:
    form = AddUserForm()
    if not form.validate_on_submit():
        return team_page(form, errors={"email": form_problems(form)}, status=400)
    try:
        user, password = committed(
            lambda session: add_user(
                session, current_org_id(), current_actor(), form.email.data or "", form.role.data
            )
        )
    except InvalidInput as error:
        return team_page(form, errors={error.field: error.reason}, status=400)
    return team_page(secret=(user.email, password))


@admins.post("/team/<id(bits=32):user_id>/role")
def team_role(user_id: int) -> Response:
    user = member_or_404(user_id)
    form = RoleForm()
    return apply_change(
        form,
        lambda session: change_role(
            session, current_org_id(), current_actor(), user, form.role.data
        ),
        lambda: _("%(email)s is now %(role)s.", email=user.email, role=form.role.data),
    )


def change_access(user_id: int, disabled: bool) -> Response:
    """Disable a user (signed out at once), or enable them again; the view of
    both `team_disable` and `team_enable`."""
    user = member_or_404(user_id)
    return apply_change(
        EmptyForm(),
        lambda session: set_disabled(session, current_org_id(), current_actor(), user, disabled),
        lambda: (
            _("%(email)s is disabled: signed out and unable to sign in.", email=user.email)
            if disabled
            else _("%(email)s may sign in again.", email=user.email)
        ),
    )


for action, disabled in (("disable", True), ("enable", False)):
    admins.add_url_rule(
        f"/team/<id(bits=32):user_id>/{action}",
        f"team_{action}",
        partial(change_access, disabled=disabled),
        methods=["POST"],
    )


@admins.post("/team/<id(bits=32):user_id>/password")
def team_reset_password(user_id: int) -> Response:
    user = member_or_404(user_id)
    if not EmptyForm().validate_on_submit():
        return team_page(errors={"role": _("The form expired: try again.")}, status=400)
    password = committed(
        lambda session: reset_password(session, current_org_id(), current_actor(), user)
    )
    return team_page(secret=(user.email, password))


def apply_change(
    form: FlaskForm, change: Callable[[Session], bool], done: Callable[[], str]
) -> Response:
    """Run `change(session)` in a write transaction and go back to the team page
    with `done()` said; a refused change (the last admin) or an invalid `form`
    shows the page again with why (400)."""
    if not form.validate_on_submit():
        return team_page(errors={"role": form_problems(form)}, status=400)
    try:
        changed, message = committed(lambda session: (change(session), done()))
    except InvalidInput as error:
        return team_page(errors={error.field: error.reason}, status=400)
    if changed:
        flash(message, "success")
    return redirect(url_for("web.team_page"), code=303)


def member_or_404(user_id: int) -> User:
    """The user of the current organisation.

    :raise 404: for a user who does not exist or is another organisation's.
    """
    user = get_member(get_session(), current_org_id(), user_id)
    if user is None:
        abort(404)
    return user
