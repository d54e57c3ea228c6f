"""Who may change what in the dashboard: admins manage, members read.

Admins manage sites, the scoring model, the organisation's settings, users and
API tokens; members read every page, give sales feedback and export. Each
route's side is listed in `tests/server/test_roles.py`, so a new route needs a
decision there.

`admin_required` goes under `login_required`, so a signed-out visitor is sent
to the sign-in page first and a signed-in member gets 403, on GET and POST.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import abort
from flask_login import current_user

from server.audit import Actor

ADMIN = "admin"
"""The role that manages the organisation (`User.role`)."""

MEMBER = "member"
"""The role that reads, gives sales feedback and exports (`User.role`)."""


def is_admin() -> bool:
    """Whether the signed-in user is an admin of their organisation."""
    return bool(current_user.is_authenticated and current_user.role == ADMIN)


def admin_required(view: Callable[..., Any]) -> Callable[..., Any]:
    """Run `view` for admins only.

    :raise 403: for a signed-in user who is not an admin.
    """

    @wraps(view)
    def guarded(*args: Any, **kwargs: Any) -> Any:
        if not is_admin():
            abort(403)
        return view(*args, **kwargs)

    return guarded


def current_actor() -> Actor:
    """The signed-in user, as the audit log names them."""
    return Actor(current_user.email, current_user.id)
