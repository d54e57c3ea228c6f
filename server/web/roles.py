"""Who may change what in the dashboard: admins manage, members read.

Admins manage sites, the scoring model, the organisation's settings, users and
API tokens; members read every page, give sales feedback and export. Each
route's side is listed in `tests/server/test_roles.py`, so a new route needs a
decision there.

A route's role is part of its declaration: it shows on the line that
declares the route, and no guard can be left off a line below it.

    @members.get("/accounts")        any signed-in user
    @admins.post("/team")            admins only
    @admins.page("/team")            admins only: GET, and the answer of the page's actions
    @bp.get("/schemas/<event>.json") public: only sign-in, the favicon and schemas

A view on `bp` itself is public, so `@bp.get`, `@bp.post` and `@bp.route`
outside that short list are a mistake to look for in review. `admins` checks
the sign-in first, so a signed-out visitor is sent to the sign-in page and a
signed-in member gets 403, on every method.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import wraps
from typing import Any, TypeVar

from flask import Blueprint, abort
from flask_login import current_user, login_required

from server.audit import Actor
from server.web.blueprint import bp

View = Callable[..., Any]
PageView = TypeVar("PageView", bound=View)

ADMIN = "admin"
"""The role that manages the organisation (`User.role`)."""

MEMBER = "member"
"""The role that reads, gives sales feedback and exports (`User.role`)."""


def is_admin() -> bool:
    """Whether the signed-in user is an admin of their organisation."""
    return bool(current_user.is_authenticated and current_user.role == ADMIN)


def admin_required(view: View) -> View:
    """Run `view` for admins only.

    :raise 403: for a signed-in user who is not an admin.
    """

    @wraps(view)
    def guarded(*args: Any, **kwargs: Any) -> Any:
        if not is_admin():
            abort(403)
        return view(*args, **kwargs)

    return guarded


class Routes:
    """Registers views on `blueprint`, each behind `guards` (the first one runs first).

    The endpoint stays `<blueprint>.<view's name>`, as with `blueprint.route`,
    and the name in the view's module is bound to the guarded view.
    """

    def __init__(self, blueprint: Blueprint, *guards: Callable[[View], View]) -> None:
        self.blueprint = blueprint
        self.guards = guards

    def get(self, rule: str) -> Callable[[View], View]:
        return self.route(rule, methods=["GET"])

    def post(self, rule: str) -> Callable[[View], View]:
        return self.route(rule, methods=["POST"])

    def page(self, rule: str) -> Callable[[PageView], PageView]:
        """Register a page: `view` answers GET `rule`, guarded, and its name in the
        module stays bound to `view` itself, so the page's actions answer with it
        (`view(error=…, status=400)` for a refused change)."""

        def register(view: PageView) -> PageView:
            self.add_url_rule(rule, view.__name__, view, ["GET"])
            return view

        return register

    def route(self, rule: str, methods: Sequence[str] = ("GET",)) -> Callable[[View], View]:
        def register(view: View) -> View:
            return self.add_url_rule(rule, view.__name__, view, methods)

        return register

    def add_url_rule(self, rule: str, endpoint: str, view: View, methods: Sequence[str]) -> View:
        """Register `view` under `endpoint`, guarded; return the guarded view."""
        guarded = view
        for guard in reversed(self.guards):
            guarded = guard(guarded)
        self.blueprint.add_url_rule(rule, endpoint, guarded, methods=list(methods))
        return guarded


members = Routes(bp, login_required)
"""Routes for every signed-in user, whatever their role."""

admins = Routes(bp, login_required, admin_required)
"""Routes for admins only: 403 to members."""


def current_actor() -> Actor:
    """The signed-in user, as the audit log names them."""
    return Actor(current_user.email, current_user.id)
