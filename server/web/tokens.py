"""The API tokens page (admins): create one (its secret shown once), list
them (name, created, last used, by whom), revoke one.

The secret is on the answer to the creating POST only, never flashed (the
session cookie is signed, not encrypted) and never stored: only its hash is.
"""

from __future__ import annotations

from flask import abort, flash, redirect, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response
from wtforms import StringField

from server.auth import current_org_id
from server.storage import get_session
from server.tokens import create_token, list_tokens, revoke_token
from server.validation import InvalidInput
from server.web.forms import EmptyForm
from server.web.pages import private_page
from server.web.roles import admins, current_actor
from server.web.transactions import committed


class TokenForm(FlaskForm):
    name = StringField(_l("What the token is for"))


@admins.page("/tokens")
def tokens(
    form: TokenForm | None = None,
    error: str | None = None,
    status: int = 200,
    secret: str | None = None,
) -> Response:
    """The tokens page, with an empty create form unless `form` is given back with
    its `error`; `secret` is a token just created, shown this once."""
    return private_page(
        "tokens.html",
        status,
        tokens=list_tokens(get_session(), current_org_id()),
        form=form if form is not None else TokenForm(formdata=None),
        action_form=EmptyForm(),
        error=error,
        secret=secret,
    )


@admins.post("/tokens")
def tokens_create() -> Response:
    form = TokenForm()
    if not form.validate_on_submit():
        return tokens(form, error=_("The form expired: try again."), status=400)
    try:
        secret = committed(
            lambda session: create_token(
                session, current_org_id(), current_actor(), form.name.data or ""
            )
        )
    except InvalidInput as problem:
        return tokens(form, error=str(problem), status=400)
    return tokens(secret=secret)


@admins.post("/tokens/<id(bits=32):token_id>/revoke")
def tokens_revoke(token_id: int) -> Response:
    if not EmptyForm().validate_on_submit():
        return tokens(error=_("The form expired."), status=400)
    token = committed(
        lambda session: revoke_token(session, current_org_id(), current_actor(), token_id)
    )
    if token is None:
        abort(404)
    flash(_("Token %(name)s revoked: the API refuses it from now on.", name=token.name), "success")
    return redirect(url_for("web.tokens"), code=303)
