"""The team, API tokens and audit log pages as an admin uses them, on SQLite
and PostgreSQL: one-time passwords, roles, disabling, the last admin, tokens
shown once, and every admin change in the audit log."""

from __future__ import annotations

import re

from sqlalchemy import func, select

from server.audit import PAGE_SIZE, record
from server.security import hash_api_token
from server.storage import session_scope
from server.storage.models import ApiToken, AuditEntry, User
from tests.support.team import (
    ADMIN,
    MEMBER,
    PASSWORD,
    csrf,
    make_team,
    page_text,
    sign_in,
)

ONE_TIME = re.compile(r'id="one-time-secret">([^<]+)<')
TOKEN = re.compile(r'id="token-secret">([^<]+)<')
NEW_PASSWORD = "a brand new passphrase"


def user_row(app, email):
    with app.app_context(), session_scope() as session:
        user = session.scalar(select(User).where(User.email == email))
        session.expunge(user)
        return user


def actions(app, org_id):
    """The organisation's audit actions but sign-ins, newest first, as the page lists them."""
    with app.app_context(), session_scope() as session:
        return session.scalars(
            select(AuditEntry.action)
            .where(AuditEntry.org_id == org_id, AuditEntry.action.not_like("sign_in.%"))
            .order_by(AuditEntry.at.desc(), AuditEntry.id.desc())
        ).all()


def signs_in(app, email, password):
    client = app.test_client()
    answer = client.post(
        "/login", data={"email": email, "password": password, "csrf_token": csrf(client)}
    )
    return answer.status_code == 302


def add_user(admin, email, role="member"):
    return admin.post("/team", data={"email": email, "role": role, "csrf_token": csrf(admin)})


def test_an_added_user_gets_a_one_time_password_shown_once(app):
    """The password is on the answer to the POST only; the user must choose their own."""
    team = make_team(app)
    admin = sign_in(app, ADMIN)
    answer = add_user(admin, " New.Person@Acme.example ")
    assert answer.status_code == 200 and answer.headers["Cache-Control"] == "no-store"
    password = ONE_TIME.search(answer.get_data(as_text=True)).group(1)
    assert password not in page_text(admin.get("/team"))
    assert "new.person@acme.example" in page_text(admin.get("/team"))
    stored = user_row(app, "new.person@acme.example")
    assert stored.role == "member" and stored.must_change_password
    assert password not in stored.password_hash

    newcomer = sign_in(app, "new.person@acme.example", password)
    held = newcomer.get("/accounts")
    assert held.status_code == 302 and held.headers["Location"].endswith("/password")
    changed = newcomer.post(
        "/password",
        data={
            "current": password,
            "new": NEW_PASSWORD,
            "again": NEW_PASSWORD,
            "csrf_token": csrf(newcomer),
        },
    )
    assert changed.status_code == 302
    assert newcomer.get("/accounts").status_code == 200
    assert not signs_in(app, "new.person@acme.example", password)
    assert signs_in(app, "new.person@acme.example", NEW_PASSWORD)
    assert actions(app, team.org_id)[:2] == ["user.password_changed", "user.added"]


def test_adding_a_user_names_the_field_at_fault(app):
    """A bad or taken e-mail, or an unknown role, answers 400 with the field."""
    make_team(app)
    admin = sign_in(app, ADMIN)
    for email, role, field in (
        ("not-an-email", "member", "email"),
        (MEMBER, "member", "email"),
        ("boss@other.example", "admin", "email"),
        ("new@acme.example", "owner", "role"),
    ):
        answer = add_user(admin, email, role)
        assert answer.status_code == 400, email
        assert f'data-field="{field}"' in answer.get_data(as_text=True) or field in page_text(
            answer
        )
    assert "already a user" in page_text(add_user(admin, MEMBER))


def test_a_new_password_is_checked(app):
    """Wrong current password, short or mismatched new ones answer 400 naming the field."""
    make_team(app)
    member = sign_in(app, MEMBER)
    token = csrf(member)
    for data, field in (
        ({"current": "wrong", "new": NEW_PASSWORD, "again": NEW_PASSWORD}, "current"),
        ({"current": PASSWORD, "new": "short", "again": "short"}, "new"),
        ({"current": PASSWORD, "new": NEW_PASSWORD, "again": "other one!!"}, "again"),
    ):
        answer = member.post("/password", data={**data, "csrf_token": token})
        assert answer.status_code == 400 and f"{field}:" in page_text(answer), field
    assert signs_in(app, MEMBER, PASSWORD)


def test_a_role_change_takes_effect_at_once(app):
    """A member made admin opens the admin pages on their next request, and back."""
    team = make_team(app)
    admin = sign_in(app, ADMIN)
    member = sign_in(app, MEMBER)
    assert member.get("/team").status_code == 403
    answer = admin.post(
        f"/team/{team.member_id}/role", data={"role": "admin", "csrf_token": csrf(admin)}
    )
    assert answer.status_code == 303
    assert member.get("/team").status_code == 200
    admin.post(f"/team/{team.member_id}/role", data={"role": "member", "csrf_token": csrf(admin)})
    assert member.get("/team").status_code == 403
    with app.app_context(), session_scope() as session:
        entry = session.scalars(
            select(AuditEntry)
            .where(AuditEntry.action == "user.role_changed")
            .order_by(AuditEntry.id)
        ).first()
        assert (entry.actor_label, entry.target, entry.detail) == (
            ADMIN,
            MEMBER,
            {"old": "member", "new": "admin"},
        )


def test_a_disabled_user_is_signed_out_and_cannot_sign_in(app):
    """Disabling ends the user's session at once; enabling lets them back in."""
    team = make_team(app)
    admin = sign_in(app, ADMIN)
    member = sign_in(app, MEMBER)
    assert member.get("/accounts").status_code == 200
    admin.post(f"/team/{team.member_id}/disable", data={"csrf_token": csrf(admin)})
    answer = member.get("/accounts")
    assert answer.status_code == 302 and "/login" in answer.headers["Location"]
    assert not signs_in(app, MEMBER, PASSWORD)
    assert user_row(app, MEMBER).disabled_at is not None
    assert "disabled" in page_text(admin.get("/team"))
    admin.post(f"/team/{team.member_id}/enable", data={"csrf_token": csrf(admin)})
    assert signs_in(app, MEMBER, PASSWORD)
    assert actions(app, team.org_id)[:2] == ["user.enabled", "user.disabled"]


def test_the_last_active_admin_cannot_demote_or_disable_themselves(app):
    """Refused with 400 naming the role; once another admin exists it is allowed."""
    team = make_team(app)
    admin = sign_in(app, ADMIN)
    for path, data in (
        (f"/team/{team.admin_id}/role", {"role": "member"}),
        (f"/team/{team.admin_id}/disable", {}),
    ):
        answer = admin.post(path, data={**data, "csrf_token": csrf(admin)})
        assert answer.status_code == 400, path
        assert "role: the organisation needs an active admin" in page_text(answer)
    assert user_row(app, ADMIN).role == "admin" and not user_row(app, ADMIN).disabled
    admin.post(f"/team/{team.member_id}/role", data={"role": "admin", "csrf_token": csrf(admin)})
    answer = admin.post(
        f"/team/{team.admin_id}/role", data={"role": "member", "csrf_token": csrf(admin)}
    )
    assert answer.status_code == 303 and user_row(app, ADMIN).role == "member"
    assert admin.get("/team").status_code == 403


def test_a_password_reset_replaces_the_old_password(app):
    """The old password stops working; the one-time one is shown once and must be changed."""
    team = make_team(app)
    admin = sign_in(app, ADMIN)
    answer = admin.post(f"/team/{team.member_id}/password", data={"csrf_token": csrf(admin)})
    password = ONE_TIME.search(answer.get_data(as_text=True)).group(1)
    assert not signs_in(app, MEMBER, PASSWORD)
    member = sign_in(app, MEMBER, password)
    assert member.get("/").headers["Location"].endswith("/password")
    assert "user.password_reset" in actions(app, team.org_id)


def test_another_organisations_users_and_tokens_are_not_found(app):
    """Ids of another organisation answer 404 and change nothing."""
    team = make_team(app)
    outsider = sign_in(app, "boss@other.example")
    token = csrf(outsider)
    for path in (
        f"/team/{team.member_id}/disable",
        f"/team/{team.member_id}/password",
        f"/tokens/{team.token_id}/revoke",
    ):
        assert outsider.post(path, data={"csrf_token": token}).status_code == 404, path
    assert signs_in(app, MEMBER, PASSWORD)
    assert MEMBER not in page_text(outsider.get("/team"))


def test_every_new_form_refuses_a_missing_csrf_token(app):
    team = make_team(app)
    admin = sign_in(app, ADMIN)
    for path, data in (
        ("/team", {"email": "x@acme.example", "role": "member"}),
        (f"/team/{team.member_id}/role", {"role": "admin"}),
        (f"/team/{team.member_id}/disable", {}),
        (f"/team/{team.member_id}/enable", {}),
        (f"/team/{team.member_id}/password", {}),
        ("/tokens", {"name": "x"}),
        (f"/tokens/{team.token_id}/revoke", {}),
        ("/password", {"current": PASSWORD, "new": NEW_PASSWORD, "again": NEW_PASSWORD}),
    ):
        answer = admin.post(path, data=data)
        assert answer.status_code == 400 and "CSRF" in answer.get_data(as_text=True), path
    assert user_row(app, MEMBER).role == "member"


def test_a_token_is_shown_once_stored_hashed_and_revoked(app):
    """The secret works on the API until revoked; only its hash is kept."""
    team = make_team(app)
    admin = sign_in(app, ADMIN)
    answer = admin.post("/tokens", data={"name": " Data  warehouse ", "csrf_token": csrf(admin)})
    assert answer.status_code == 200 and answer.headers["Cache-Control"] == "no-store"
    secret = TOKEN.search(answer.get_data(as_text=True)).group(1)
    listing = page_text(admin.get("/tokens"))
    assert secret not in listing and "Data warehouse" in listing and ADMIN in listing
    with app.app_context(), session_scope() as session:
        row = session.scalar(select(ApiToken).where(ApiToken.name == "Data warehouse"))
        assert row.token_hash == hash_api_token(secret) and row.user_id == team.admin_id
        token_id = row.id
    api = app.test_client()
    bearer = {"Authorization": f"Bearer {secret}"}
    assert api.get("/api/accounts", headers=bearer).status_code == 200
    assert "never" not in page_text(admin.get("/tokens")).split("Data warehouse")[1][:200]
    revoked = admin.post(f"/tokens/{token_id}/revoke", data={"csrf_token": csrf(admin)})
    assert revoked.status_code == 303
    assert api.get("/api/accounts", headers=bearer).status_code == 401
    assert "revoked" in page_text(admin.get("/tokens"))
    assert actions(app, team.org_id)[:2] == ["token.revoked", "token.created"]
    empty = admin.post("/tokens", data={"name": "  ", "csrf_token": csrf(admin)})
    assert empty.status_code == 400 and "name: must not be empty" in page_text(empty)


def test_admin_changes_are_in_the_audit_log(app):
    """Sites, the model, the webhook and the time zone: who, what, when, newest first."""
    team = make_team(app)
    admin = sign_in(app, ADMIN)
    token = csrf(admin)
    admin.post("/sites", data={"name": "Blog", "domains": "blog.example", "csrf_token": token})
    admin.post(
        f"/sites/{team.site_id}/edit",
        data={"name": "Shop", "domains": "shop.example, store.example", "csrf_token": token},
    )
    admin.post(f"/sites/{team.site_id}/delete", data={"confirm_name": "Shop", "csrf_token": token})
    model = "[tiers]\nwarm = 1\nhot = 2\n"
    admin.post("/model", data={"text": model, "action": "save", "csrf_token": token})
    admin.post(
        "/settings",
        data={
            "action": "save-webhook",
            "webhook-url": "https://hooks.example/secret-path",
            "webhook-csrf_token": token,
        },
    )
    admin.post(
        "/settings",
        data={"action": "time-zone", "zone-time_zone": "Europe/Paris", "zone-csrf_token": token},
    )
    assert actions(app, team.org_id) == [
        "settings.time_zone",
        "settings.webhook",
        "model.saved",
        "site.deleted",
        "site.edited",
        "site.added",
    ]
    page = page_text(admin.get("/audit")).split('id="audit"')[1]
    assert page.index("Time zone changed") < page.index("Site added")
    assert "hooks.example" in page and "secret-path" not in page
    assert ADMIN in page and "Blog" in page and "store.example" in page


def test_the_audit_log_is_paginated_and_kept_per_organisation(app):
    """Older entries are on the next page; another organisation's are never shown."""
    team = make_team(app)
    with app.app_context(), session_scope() as session:
        for number in range(PAGE_SIZE + 3):
            record(session, team.org_id, "cli", "site.added", f"site-{number:03d}")
        other = session.scalar(select(User.org_id).where(User.id == team.outsider_id))
        record(session, other, "cli", "site.added", "their-site")
        assert session.scalar(select(func.count()).select_from(AuditEntry)) == PAGE_SIZE + 4
    admin = sign_in(app, ADMIN)
    first = page_text(admin.get("/audit"))
    second = page_text(admin.get("/audit?page=2"))
    assert f"site-{PAGE_SIZE + 2:03d}" in first and "site-000" not in first
    assert "site-000" in second and "command line" in second
    assert "their-site" not in first + second
    assert admin.get("/audit?page=zzz").status_code == 200


def test_command_line_changes_are_in_the_audit_log(app, tmp_path):
    """`vigie init`, `users add`, `sites add`, `sites networks` and `tokens create`
    are recorded with the command line as the actor."""
    from tests.support.cli import cli_for

    vigie = cli_for(app, tmp_path)
    strong = "correct horse battery staple"
    assert vigie("init", "--org", "Beta", "--admin", "sam@beta.io", "--password-stdin",
                 stdin=strong).exit_code == 0  # fmt: skip
    assert vigie("users", "add", "--org", "Beta", "kim@beta.io", "--password-stdin",
                 stdin=strong).exit_code == 0  # fmt: skip
    added = vigie("sites", "add", "--org", "Beta", "--domain", "beta.io")
    assert added.exit_code == 0, added.output
    key = re.search(r"site key: (\S+)", added.output).group(1)
    networks = tmp_path / "networks.toml"
    networks.write_text("")
    assert vigie("sites", "networks", "--site", key, str(networks)).exit_code == 0
    assert vigie("tokens", "create", "--org", "Beta", "--name", "CRM sync").exit_code == 0
    with app.app_context(), session_scope() as session:
        entries = session.execute(
            select(AuditEntry.action, AuditEntry.actor_label, AuditEntry.target).order_by(
                AuditEntry.id
            )
        ).all()
    assert [tuple(entry) for entry in entries] == [
        ("user.added", "cli", "sam@beta.io"),
        ("user.added", "cli", "kim@beta.io"),
        ("site.added", "cli", "beta.io"),
        ("site.networks_set", "cli", "beta.io"),
        ("token.created", "cli", "CRM sync"),
    ]


def test_a_page_past_any_offset_the_database_holds_is_an_empty_page(app):
    make_team(app)
    admin = sign_in(app, ADMIN)
    assert admin.get("/audit?page=99999999999999999999999").status_code == 200
