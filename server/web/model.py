"""The scoring model page: edit, check (errors in place), preview the tier
changes, save (a new version with its author) and rescore in the background."""

from __future__ import annotations

from flask import flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response

from scoring.model import ModelError, parse_model
from server.audit import record
from server.auth import current_org_id
from server.jobs import enqueue
from server.jobs.leads import rescore_leads
from server.jobs.rescoring import rescore_organisation
from server.model_editing import TierPreview, preview_tier_changes, rescore_progress
from server.scoring_models import model_text_for, model_versions, newest_model, store_model
from server.storage import get_session
from server.storage.types import utcnow
from server.web.forms import ModelForm
from server.web.roles import admins, current_actor


@admins.route("/model", methods=["GET", "POST"])
def model() -> str | Response:
    session = get_session()
    org_id = current_org_id()
    form = ModelForm()
    problems: list[tuple[int | None, str]] = []
    preview: TierPreview | None = None
    action = request.form.get("action", "check")
    if form.validate_on_submit():
        text = form.text.data or ""
        try:
            candidate = parse_model(text)
        except ModelError as error:
            problems = error.problems
        else:
            if action == "save":
                version = store_model(session, org_id, text, changed_by=current_user.email)
                record(session, org_id, current_actor(), "model.saved", f"v{version.version}")
                session.commit()
                enqueue(rescore_organisation, org_id)
                enqueue(rescore_leads, org_id)
                flash(
                    _("Model version %(n)d saved; accounts are being rescored.", n=version.version),
                    "success",
                )
                return redirect(url_for("web.model"))
            preview = preview_tier_changes(session, org_id, candidate, utcnow())
    elif request.method == "GET":
        form.text.data = model_text_for(session, org_id)
    newest = newest_model(session, org_id)
    return render_template(
        "model.html",
        form=form,
        problems=problems,
        preview=preview,
        versions=model_versions(session, org_id)[:20],
        newest=newest,
    )


@admins.route("/model/progress")
def model_progress() -> Response:
    """How far the rescoring after the last model change is."""
    session = get_session()
    org_id = current_org_id()
    newest = newest_model(session, org_id)
    if newest is None:
        return jsonify(done=0, total=0, finished=True)
    done, total = rescore_progress(session, org_id, newest.created_at)
    return jsonify(done=done, total=total, finished=done >= total)
