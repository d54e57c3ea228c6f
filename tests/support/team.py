"""An organisation with an admin and a member, signed in through the login
form as a browser would, for the role, team and audit tests."""

from __future__ import annotations

import html
import re
from dataclasses import dataclass

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from werkzeug.test import TestResponse

from server.storage import session_scope
from server.storage.models import ApiToken
from server.storage.tenancy import (
    SiteSettings,
    create_api_token,
    create_organisation,
    create_site,
    create_user,
)
from tests.support.accounts import make_account

PASSWORD = "correct horse battery"
ADMIN = "boss@acme.example"
MEMBER = "sales@acme.example"
OUTSIDER = "boss@other.example"
CSRF = re.compile(r'<meta name="csrf-token" content="([^"]+)"')


@dataclass(frozen=True)
class Team:
    org_id: int
    admin_id: int
    member_id: int
    site_id: int
    account_id: int
    token_id: int
    outsider_id: int


def make_team(app: Flask) -> Team:
    """Acme (admin, member, a site, an account, an API token) and Other (one admin)."""
    with app.app_context(), session_scope() as session:
        acme = create_organisation(session, "Acme")
        other = create_organisation(session, "Other")
        admin = create_user(session, acme, ADMIN, PASSWORD, role="admin")
        member = create_user(session, acme, MEMBER, PASSWORD, role="member")
        outsider = create_user(session, other, OUTSIDER, PASSWORD, role="admin")
        site = create_site(session, acme, SiteSettings("Shop", ["shop.example"]))
        account = make_account(session, acme.id, "Hot Corp", domain="hot.example")
        create_api_token(session, acme.id, "CRM sync", user_id=admin.id)
        token_id = session.scalar(select(ApiToken.id).where(ApiToken.org_id == acme.id))
        return Team(acme.id, admin.id, member.id, site.id, account.id, token_id, outsider.id)


def sign_in(app: Flask, email: str, password: str = PASSWORD) -> FlaskClient:
    """A client signed in as `email`."""
    client = app.test_client()
    answer = client.post(
        "/login", data={"email": email, "password": password, "csrf_token": csrf(client)}
    )
    assert answer.status_code == 302, f"{email} could not sign in"
    return client


def csrf(client: FlaskClient, path: str = "/login") -> str:
    """The session's CSRF token, read from a page as a browser's script would."""
    return CSRF.search(client.get(path).get_data(as_text=True)).group(1)


def page_text(answer: TestResponse) -> str:
    return html.unescape(answer.get_data(as_text=True))
