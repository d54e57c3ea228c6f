"""The Integrations page (admins): connect HubSpot, Salesforce or Pipedrive,
test the connection, map Vigie's fields to CRM properties, read the sync log;
and the push buttons of the account page and of the accounts list.

Secrets typed in a form are stored encrypted and never shown back, only their
last four characters; an empty secret field keeps the stored one. The
connection test calls the CRM now and says "connected" or why not ("token
refused (HTTP 401)"); a push refused later for its token says so here too.
"""

from __future__ import annotations

from typing import Any

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from werkzeug.wrappers import Response

from enrich.crm import CRM_NAMES
from enrich.crm.mapping import DEFAULT_MAPPINGS, SECRETS, SETTINGS, VIGIE_FIELDS, mapping_text
from server.accounts.filters import parse_filters
from server.accounts.lookup import crm_status, get_account_or_404, matching_account_ids
from server.auth import current_org_id
from server.crm.connections import (
    check_connection,
    configure,
    connections,
    disconnect,
    enabled_connections,
    settings_with_defaults,
)
from server.crm.push import sync_log
from server.jobs import enqueue
from server.jobs.crm import push_account_to_crm
from server.storage import get_session
from server.storage.types import utcnow
from server.validation import InvalidInput
from server.web.forms import EmptyForm
from server.web.pages import private_page
from server.web.roles import admins, current_actor, members
from server.web.transactions import write_transaction

CRM_LABELS = {"hubspot": "HubSpot", "salesforce": "Salesforce", "pipedrive": "Pipedrive"}

FIELD_LABELS = {
    "base_url": _l("API URL"),
    "login_url": _l("Login URL (client credentials)"),
    "client_id": _l("Client id (consumer key)"),
    "instance_url": _l("Instance URL (with a session token)"),
    "external_id_field": _l("External id field holding the domain"),
    "api_version": _l("API version"),
    "domain_field": _l("API key of the organisation field holding the domain"),
    "token": _l("Access token"),
    "client_secret": _l("Client secret (consumer secret)"),
    "access_token": _l("Session token (instead of client credentials)"),
}

PLACEHOLDERS = {
    "pipedrive.base_url": "https://yourcompany.pipedrive.com",
    "pipedrive.domain_field": "a1b2c3… (Company settings › Data fields)",
    "salesforce.instance_url": "https://yourdomain.my.salesforce.com",
}
"""Examples shown in empty setting fields."""

LOG_PAGE = 200
"""Pushes listed on the sync log page."""


@admins.get("/integrations")
def integrations() -> Response:
    return render_integrations()


@admins.post("/integrations/<crm>")
def integrations_save(crm: str) -> Response:
    """Save a CRM's connection (`action=save`), save and test it (`test`), or remove it (`disconnect`)."""
    if crm not in CRM_NAMES:
        abort(404)
    if not EmptyForm(prefix=crm).validate_on_submit():
        return render_integrations({crm: _("The form expired: try again.")}, 400)
    action = request.form.get("action", "save")
    session = write_transaction()
    org_id = current_org_id()
    if action == "disconnect":
        removed = disconnect(session, org_id, crm, current_actor())
        session.commit()
        if removed:
            flash(
                _("%(crm)s disconnected: its secrets are deleted.", crm=CRM_LABELS[crm]), "success"
            )
        return redirect(url_for("web.integrations"), code=303)
    field = f"{crm}-%s"
    try:
        row = configure(
            session,
            org_id,
            crm,
            current_actor(),
            settings={name: request.form.get(field % name, "") for name in SETTINGS[crm]},
            secrets={name: request.form.get(field % name, "") for name in SECRETS[crm]},
            mapping_text=request.form.get(field % "mapping", ""),
            push_warm=bool(request.form.get(field % "push_warm")),
            enabled=bool(request.form.get(field % "enabled")),
        )
    except InvalidInput as problem:
        session.rollback()
        return render_integrations({crm: str(problem)}, 400)
    session.commit()
    if action == "test":
        message = check_connection(row)
        session.commit()
        category = "success" if row.last_check_ok else "error"
        flash(_("%(crm)s: %(message)s", crm=CRM_LABELS[crm], message=message), category)
    else:
        flash(_("%(crm)s settings saved.", crm=CRM_LABELS[crm]), "success")
    return redirect(url_for("web.integrations"), code=303)


@admins.get("/integrations/log")
def crm_log() -> str:
    """Every recent push to a CRM: when, which account, what came of it."""
    return render_template(
        "crm_log.html",
        syncs=sync_log(get_session(), current_org_id(), limit=LOG_PAGE),
        labels=CRM_LABELS,
    )


@members.post("/accounts/<id:account_id>/crm")
def crm_push_account(account_id: int) -> Response:
    """Push the account to the connected CRMs now (a job; the sync log tells the outcome)."""
    session = get_session()
    org_id = current_org_id()
    get_account_or_404(session, org_id, account_id)
    if not EmptyForm(prefix="crm").validate_on_submit():
        flash(_("The form expired: try again."), "error")
    elif not enabled_connections(session, org_id):
        flash(_("No CRM is connected: an admin connects one on the Integrations page."), "error")
    else:
        enqueue(push_account_to_crm, account_id, "manual")
        session.commit()  # the job leaves with the commit
        flash(_("Push to the CRM requested: its outcome appears below in a moment."), "success")
    return redirect(url_for("web.account", account_id=account_id))


@admins.post("/accounts/crm")
def crm_push_list() -> Response:
    """Push the accounts the list's filters (in the query string) select, at most `CRM_PUSH_LIMIT`."""
    session = get_session()
    org_id = current_org_id()
    filters_query: dict[str, Any] = request.args.to_dict()  # the first value of each, as `**`
    back = redirect(url_for("web.accounts", **filters_query), code=303)
    if not EmptyForm(prefix="crm").validate_on_submit():
        flash(_("The form expired: try again."), "error")
        return back
    if not enabled_connections(session, org_id):
        flash(_("No CRM is connected: an admin connects one on the Integrations page."), "error")
        return back
    limit = current_app.config["CRM_PUSH_LIMIT"]
    try:
        filters = parse_filters(request.args)
        ids = matching_account_ids(session, org_id, filters, utcnow(), limit)
    except InvalidInput as problem:
        flash(str(problem), "error")
        return back
    for account_id in ids:
        enqueue(push_account_to_crm, account_id, "list")
    session.commit()
    flash(
        _(
            "Push of %(count)d account(s) to the CRM requested (at most %(limit)d at a time).",
            count=len(ids),
            limit=limit,
        ),
        "success",
    )
    return back


def render_integrations(errors: dict[str, str] | None = None, status: int = 200) -> Response:
    session = get_session()
    rows = connections(session, current_org_id())
    cards = [
        {
            "crm": crm,
            "label": CRM_LABELS[crm],
            "row": rows.get(crm),
            "settings": settings_with_defaults(crm, rows.get(crm)),
            "secrets": SECRETS[crm],
            "mapping": mapping_text(rows[crm].mapping if crm in rows else DEFAULT_MAPPINGS[crm]),
            "form": EmptyForm(prefix=crm),
            "error": (errors or {}).get(crm),
        }
        for crm in CRM_NAMES
    ]
    return private_page(
        "integrations.html",
        status,
        cards=cards,
        field_labels=FIELD_LABELS,
        placeholders=PLACEHOLDERS,
        vigie_fields=VIGIE_FIELDS,
        syncs=sync_log(session, current_org_id(), limit=10),
        labels=CRM_LABELS,
    )


def crm_context(account_id: int) -> dict[str, object]:
    """What the account page's CRM block shows: the status read back, the latest
    pushes and the push button (when a CRM is connected)."""
    session = get_session()
    org_id = current_org_id()
    return {
        "crm_status": crm_status(session, org_id, account_id),
        "crm_syncs": sync_log(session, org_id, account_id, limit=10),
        "crm_connected": bool(enabled_connections(session, org_id)),
        "crm_form": EmptyForm(prefix="crm"),
        "crm_labels": CRM_LABELS,
    }
