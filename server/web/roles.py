"""Who may change what in the dashboard: admins manage sites, members read.

`admin_required` goes under `login_required`, so a signed-out visitor is sent
to the sign-in page first and a signed-in member gets 403.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import abort
from flask_login import current_user

ADMIN = "admin"
"""The role that may add, edit and delete sites (`User.role`)."""


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
