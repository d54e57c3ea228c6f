"""Roles on every route: each rule of the app is public, open to members, or
for admins only, and a route added without a decision here fails the first test.

Admins manage sites, the scoring model, settings, users and API tokens;
members read, give sales feedback and export (SPEC.md, API and dashboard).
"""

from __future__ import annotations

import pytest
from flask import url_for

from tests.support.team import ADMIN, MEMBER, csrf, make_team, page_text, sign_in

PUBLIC = {
    # `POST /e` is answered before Flask routes anything (server.collect.endpoint): public too
    "collect.preflight",
    "collect.pixel",
    "health.healthz",
    "health.readyz",
    "openapi.openapi",
    "tracker.snippet",
    "static",
    "web.static",
    "web.favicon",
    "web.login",
    "web.webhook_schema",  # the JSON Schemas of webhook events, for receivers
}
"""Routes that need no sign-in: the collector, the snippet, health, sign-in."""

MEMBER_MAY = {
    "web.overview",
    "web.accounts",
    "web.account",
    "web.record_outcome",  # sales feedback
    "web.reenrich",  # refreshes what members read; changes no setting
    "web.crm_push_account",  # sends one account to the CRMs an admin connected
    "web.sites",  # snippets and traffic; the add form is for admins
    "web.site_status",
    "web.alerts",  # own e-mail alerts and digests; channel rules are admins' (below)
    "web.alerts_add",
    "web.alerts_remove",
    "web.alerts_test",
    "web.settings",  # own language; the webhook and time zone are admins' (below)
    "web.change_password",
    "web.logout",
    "api.accounts",
    "api.account",
    "api.accounts_csv",  # export
    "api.funnel",  # traffic counts, as the overview shows them
    "web.leads",
    "web.leads_upload",  # lead lists are sales's own data: members import them
    "web.leads_map",
    "api.leads",
    "api.leads_csv",
}
"""Routes every signed-in user may use."""

ADMIN_ONLY = {
    "web.add_site",
    "web.edit_site",
    "web.remove_site",
    "web.model",
    "web.model_progress",
    "web.team_page",
    "web.team_add",
    "web.team_role",
    "web.team_disable",
    "web.team_enable",
    "web.team_reset_password",
    "web.tokens",
    "web.tokens_create",
    "web.tokens_revoke",
    "web.audit",
    "web.corrections",
    "web.correction_undo",
    "web.account_correct",  # network corrections change every site's identification
    "web.account_merge",
    "web.account_rename",
    "web.webhooks",
    "web.webhooks_add",
    "web.webhooks_remove",
    "web.webhooks_redeliver",
    "web.integrations",  # CRM connections hold the organisation's CRM secrets
    "web.integrations_save",
    "web.crm_log",
    "web.crm_push_list",  # a whole filtered list at once
    "web.leads_erase_list",  # erasure answers data protection requests
    "web.leads_website_facts",  # makes Vigie call the companies of every list
}
"""Routes that answer 403 to members, on every method."""

ADMIN_SETTINGS_ACTIONS = ("save-webhook", "test-webhook", "time-zone")
"""The settings page's forms that only admins may post."""


def test_every_route_has_a_role_decision(sqlite_app):
    """A new route fails here until it is put in exactly one of the three sets."""
    endpoints = {rule.endpoint for rule in sqlite_app.url_map.iter_rules()}
    assert not (PUBLIC & MEMBER_MAY or PUBLIC & ADMIN_ONLY or MEMBER_MAY & ADMIN_ONLY)
    assert endpoints - (PUBLIC | MEMBER_MAY | ADMIN_ONLY) == set(), "decide these routes' roles"
    assert (PUBLIC | MEMBER_MAY | ADMIN_ONLY) - endpoints == set(), "these routes are gone"


def admin_only_requests(app, team):
    """(method, url) of every admin-only rule, each method it answers."""
    values = {
        "site_id": team.site_id,
        "user_id": team.member_id,
        "token_id": team.token_id,
        "account_id": team.account_id,
        "correction_id": 1,  # refused before it is looked up
        "subscription_id": 1,  # members are refused before any lookup
        "delivery_id": 1,
        "list_id": 1,  # refused before the list is looked up
        "crm": "hubspot",
    }
    with app.test_request_context():
        for rule in app.url_map.iter_rules():
            if rule.endpoint in ADMIN_ONLY:
                url = url_for(rule.endpoint, **{name: values[name] for name in rule.arguments})
                for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
                    yield method, url


def test_members_get_403_on_every_admin_route(app):
    """Every admin-only page and form answers 403 to a member, GET and POST
    (with a valid CSRF token), and changes nothing."""
    team = make_team(app)
    member = sign_in(app, MEMBER)
    token = csrf(member)
    for method, url in admin_only_requests(app, team):
        answer = member.open(url, method=method, data={"csrf_token": token, "role": "admin"})
        assert answer.status_code == 403, (method, url)
    assert "boss@acme.example" not in page_text(member.get("/"))  # no team list leaked
    assert sign_in(app, MEMBER)  # still a member, still enabled


def test_admins_open_every_admin_page(app):
    """The same GET pages answer 200 to an admin."""
    team = make_team(app)
    admin = sign_in(app, ADMIN)
    for method, url in admin_only_requests(app, team):
        if method == "GET":
            assert admin.get(url).status_code == 200, url


def test_members_use_every_member_page(app):
    """A member reads every page of the dashboard and the API, and exports."""
    team = make_team(app)
    member = sign_in(app, MEMBER)
    for url in (
        "/",
        "/accounts",
        f"/accounts/{team.account_id}",
        "/sites",
        f"/sites/{team.site_id}/status",
        "/settings",
        "/password",
        "/api/accounts",
        f"/api/accounts/{team.account_id}",
        "/api/accounts.csv",
    ):
        assert member.get(url).status_code == 200, url


def test_members_give_sales_feedback(app):
    """The account page's feedback form works for a member."""
    team = make_team(app)
    member = sign_in(app, MEMBER)
    answer = member.post(
        f"/accounts/{team.account_id}/outcome",
        data={"outcome": "won", "csrf_token": csrf(member)},
        follow_redirects=True,
    )
    assert answer.status_code == 200 and "Feedback recorded." in page_text(answer)


@pytest.mark.parametrize("action", ADMIN_SETTINGS_ACTIONS)
def test_members_cannot_post_the_admin_settings(app, action):
    """The webhook and time zone forms of the settings page answer 403 to members."""
    make_team(app)
    member = sign_in(app, MEMBER)
    answer = member.post(
        "/settings",
        data={
            "action": action,
            "webhook-url": "https://hooks.example/x",
            "webhook-csrf_token": csrf(member),
            "zone-time_zone": "Europe/Paris",
            "zone-csrf_token": csrf(member),
        },
    )
    assert answer.status_code == 403


def test_members_still_choose_their_language(app):
    """The language form stays a member's own."""
    make_team(app)
    member = sign_in(app, MEMBER)
    answer = member.post(
        "/settings",
        data={"action": "language", "language-locale": "fr", "language-csrf_token": csrf(member)},
    )
    assert answer.status_code == 302
    assert "Paramètres" in page_text(member.get("/settings"))


def test_navigation_shows_members_only_what_they_may_use(app):
    """Admin pages are linked for admins only; a member sees no admin button."""
    team = make_team(app)
    admin_pages = ("/model", "/team", "/tokens", "/audit")
    member_view = page_text(sign_in(app, MEMBER).get("/sites"))
    admin_view = page_text(sign_in(app, ADMIN).get("/sites"))
    for path in admin_pages:
        assert f'href="{path}"' not in member_view and f'href="{path}"' in admin_view, path
    assert f"/sites/{team.site_id}/edit" not in member_view
    settings = page_text(sign_in(app, MEMBER).get("/settings"))
    assert 'value="save-webhook"' not in settings


def test_signed_out_visitors_are_sent_to_sign_in(app):
    """Admin pages ask for a sign-in before saying anything about roles."""
    team = make_team(app)
    client = app.test_client()
    for method, url in admin_only_requests(app, team):
        if method == "GET":
            answer = client.get(url)
            assert answer.status_code == 302 and "/login" in answer.headers["Location"], url
