"""The audit log page (admins): who changed what, and when, newest first."""

from __future__ import annotations

from flask import render_template, request
from flask_babel import lazy_gettext as _l

from server.audit import list_entries
from server.auth import current_org_id
from server.storage import get_session
from server.web.roles import admins

ACTION_LABELS = {
    "site.added": _l("Site added"),
    "site.edited": _l("Site edited"),
    "site.deleted": _l("Site deleted"),
    "site.networks_set": _l("Site networks set"),
    "model.saved": _l("Scoring model saved"),
    "settings.webhook": _l("Alert webhook changed"),
    "settings.time_zone": _l("Time zone changed"),
    "alert_rule.added": _l("Alert rule added"),
    "alert_rule.removed": _l("Alert rule removed"),
    "webhook.subscribed": _l("Webhook subscription added"),
    "webhook.removed": _l("Webhook subscription removed"),
    "user.added": _l("User added"),
    "user.role_changed": _l("Role changed"),
    "user.disabled": _l("User disabled"),
    "user.enabled": _l("User enabled"),
    "user.password_reset": _l("Password reset"),
    "user.password_changed": _l("Password changed"),
    "token.created": _l("API token created"),
    "token.revoked": _l("API token revoked"),
    "sign_in.succeeded": _l("Signed in"),
    "sign_in.failed": _l("Sign-in failed"),
    "sign_in.throttled": _l("Sign-in held back"),
    "correction.added": _l("Network corrected"),
    "correction.removed": _l("Network correction undone"),
    "account.merged": _l("Accounts merged"),
    "account.renamed": _l("Account renamed"),
}
"""What each recorded action is called on the page; an action not listed shows its code."""


MAX_PAGE = 1_000_000
"""Pages past this one are read as this one: an offset the database can hold."""


@admins.get("/audit")
def audit() -> str:
    page = request.args.get("page", "1")
    number = min(int(page), MAX_PAGE) if page.isdigit() else 1
    return render_template(
        "audit.html",
        log=list_entries(get_session(), current_org_id(), number),
        labels=ACTION_LABELS,
    )
