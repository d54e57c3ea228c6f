"""Settings: where hot-account alerts go, the organisation's time zone, the interface language."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response

from server.audit import record
from server.auth import current_org_id
from server.i18n import organisation_time_zone
from server.jobs.alerts import WebhookFailed, send_test_message
from server.storage import get_session
from server.storage.models import Organisation, User
from server.validation import InvalidInput, webhook_url
from server.web.forms import LanguageForm, TimeZoneForm, WebhookForm
from server.web.roles import current_actor, is_admin, members


@members.route("/settings", methods=["GET", "POST"])
def settings() -> str | Response:
    session = get_session()
    organisation = session.get(Organisation, current_org_id())
    assert organisation is not None  # the signed-in user's own organisation
    webhook = WebhookForm(prefix="webhook")
    language = LanguageForm(prefix="language")
    time_zone = TimeZoneForm(prefix="zone")
    error = None
    action = request.form.get("action")
    if action in ("save-webhook", "test-webhook", "time-zone") and not is_admin():
        abort(403)
    if action in ("save-webhook", "test-webhook") and webhook.validate_on_submit():
        try:
            url = webhook_url(webhook.url.data or "")
        except InvalidInput as problem:
            error = problem.reason
        else:
            if organisation.settings.get("webhook_url") != (url or None):
                # The host only: the whole URL of a Slack webhook is its secret.
                host = urlsplit(url).hostname if url else None
                record(session, organisation.id, current_actor(), "settings.webhook", host)
            organisation.settings = {**organisation.settings, "webhook_url": url or None}
            session.commit()
            if action == "test-webhook" and url:
                try:
                    send_test_message(url, organisation.name)
                    flash(_("Test message delivered."), "success")
                except WebhookFailed as failure:
                    flash(_("Webhook: %(why)s", why=str(failure)), "error")
            else:
                flash(
                    _("Alerts go to %(url)s.", url=url) if url else _("Alerts are off."), "success"
                )
            return redirect(url_for("web.settings"))
    elif action == "time-zone" and time_zone.validate_on_submit():
        zone = time_zone.time_zone.data
        record(session, organisation.id, current_actor(), "settings.time_zone", zone)
        organisation.settings = {**organisation.settings, "time_zone": zone}
        session.commit()
        flash(_("Dates are shown in %(zone)s.", zone=time_zone.time_zone.data), "success")
        return redirect(url_for("web.settings"))
    elif action == "language" and language.validate_on_submit():
        user = session.get(User, current_user.id)
        assert user is not None  # the signed-in user
        user.locale = language.locale.data or None
        session.commit()
        return redirect(url_for("web.settings"))
    if request.method == "GET":
        webhook.url.data = organisation.settings.get("webhook_url") or ""
        language.locale.data = current_user.locale or ""
        time_zone.time_zone.data = organisation_time_zone(organisation.settings)
    return render_template(
        "settings.html",
        webhook=webhook,
        language=language,
        time_zone=time_zone,
        error=error,
        organisation=organisation,
        is_admin=is_admin(),
    )
