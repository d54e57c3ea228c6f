"""No session for beacons: the collector's paths neither read nor write the cookie.

Flask opens the session of every request before it routes it: for a beacon
that meant building a signing serializer, verifying any cookie the request
carried, and answering `Vary: Cookie`. A beacon needs none of it (SPEC.md:
page views are recorded without cookies), so for the collector's paths `open_session` hands
out an empty `BeaconSession` without looking at the cookie, and
`save_session` never writes one, whatever a hook put in it. Every other path
keeps Flask's signed-cookie session unchanged.
"""

from __future__ import annotations

from collections.abc import Iterable

from flask import Flask, Request, Response
from flask.sessions import SecureCookieSession, SecureCookieSessionInterface, SessionMixin


class BeaconSession(SecureCookieSession):
    """An empty session that is never read from, nor saved to, a cookie."""


class BeaconlessSessionInterface(SecureCookieSessionInterface):
    """Flask's signed-cookie session, except on the collector's paths."""

    def __init__(self, beacon_paths: Iterable[str]) -> None:
        self.beacon_paths = frozenset(beacon_paths)

    def open_session(self, app: Flask, request: Request) -> SecureCookieSession | None:
        if request.path in self.beacon_paths:
            return BeaconSession()
        return super().open_session(app, request)

    def save_session(self, app: Flask, session: SessionMixin, response: Response) -> None:
        if isinstance(session, BeaconSession):
            return
        super().save_session(app, session, response)


def init_app(app: Flask, blueprint_name: str) -> None:
    """Serve the paths of `blueprint_name` (registered already) without a session."""
    paths = [
        rule.rule
        for rule in app.url_map.iter_rules()
        if rule.endpoint.startswith(f"{blueprint_name}.") and not rule.arguments
    ]
    app.session_interface = BeaconlessSessionInterface(paths)
