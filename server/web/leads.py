"""The Leads page: the organisation's lead lists, scored, beside their companies'
web scores; uploading a list and choosing its columns; erasing a list.

Members may import lists (they are sales's own data) and read and export the
leads; erasing a whole list is for admins, who answer data protection
requests. Imports and erasures are in the audit log.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy.orm import Session
from werkzeug.wrappers import Response

from server.audit import record
from server.auth import current_org_id
from server.jobs import enqueue
from server.jobs.leads import fetch_lead_websites
from server.leads.importing import (
    check_mapping,
    check_region,
    find_or_create_list,
    guess_mapping,
    import_leads,
)
from server.leads.query import (
    EMAIL_CLASSES,
    TIERS,
    lead_countries,
    lead_lists,
    list_leads,
    parse_lead_filters,
    remembered_mapping,
)
from server.leads.reading import LeadFile, LeadFileError, open_lead_file
from server.leads.reasons import describe_lead_reason, email_class_name, phone_class_name
from server.leads.uploads import (
    UPLOAD_FOLDER,
    UploadTooLarge,
    discard,
    save_upload,
    upload_path,
)
from server.leads.website_facts import opted_in, set_opted_in, website_counts
from server.storage import get_session
from server.storage.erasure import erase_lead_list
from server.storage.models import LeadList
from server.storage.types import utcnow
from server.validation import InvalidInput
from server.web.forms import EmptyForm
from server.web.roles import admins, current_actor, members


def _upload_folder() -> Path:
    return Path(current_app.instance_path) / UPLOAD_FOLDER


def _max_bytes() -> int:
    return int(current_app.config["LEAD_UPLOAD_MAX_MB"]) * 1_000_000


@members.route("/leads")
def leads() -> str:
    session = get_session()
    org_id = current_org_id()
    error = None
    try:
        filters = parse_lead_filters(request.args)
    except InvalidInput as problem:  # a filter that cannot be used: all leads, and why
        error = str(problem)
        filters = parse_lead_filters({})
    return render_template(
        "leads.html",
        page=list_leads(session, org_id, filters),
        filters=filters,
        args=filters.query_args(),
        error=error,
        lists=lead_lists(session, org_id),
        countries=lead_countries(session, org_id),
        email_classes=EMAIL_CLASSES,
        tiers=TIERS,
        form=EmptyForm(),
        max_mb=current_app.config["LEAD_UPLOAD_MAX_MB"],
        describe_lead_reason=describe_lead_reason,
        email_class_name=email_class_name,
        phone_class_name=phone_class_name,
        website_facts=opted_in(session, org_id),
        websites=website_counts(session, org_id),
    )


@members.route("/leads/upload", methods=["POST"])
def leads_upload() -> Response | tuple[str, int]:
    """Keep the uploaded file and show its columns to map."""
    if (request.content_length or 0) > _max_bytes() + 64 * 1024:
        return _upload_refused(_("file: larger than %(n)d MB", n=_max_bytes() // 1_000_000), 413)
    if not EmptyForm().validate_on_submit():
        return _upload_refused(_("The form expired: try again."), 400)
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        return _upload_refused(_("file: choose a CSV file to upload"), 400)
    try:
        token = save_upload(_upload_folder(), current_org_id(), upload.stream, _max_bytes())
    except UploadTooLarge:
        return _upload_refused(_("file: larger than %(n)d MB", n=_max_bytes() // 1_000_000), 413)
    name = Path(upload.filename).stem[:200] or "leads"
    return redirect(url_for("web.leads_map", token=token, name=name))


def _upload_refused(message: str, status: int) -> tuple[str, int]:
    flash(message, "error")
    return leads(), status


@members.route("/leads/import/<token>", methods=["GET", "POST"])
def leads_map(token: str) -> str | Response | tuple[str, int]:
    """Choose the file's e-mail, phone, country and language columns, then import."""
    session = get_session()
    org_id = current_org_id()
    try:
        path = upload_path(_upload_folder(), org_id, token)
        lead_file = open_lead_file(path) if path.exists() else None
    except LookupError:
        lead_file = None
    except LeadFileError as failure:
        discard(path)
        flash(_("The file cannot be imported: %(why)s", why=str(failure)), "error")
        return redirect(url_for("web.leads"))
    if lead_file is None:
        flash(
            _("That upload is gone (imported, or waited too long): upload the file again."), "error"
        )
        return redirect(url_for("web.leads"))
    form = EmptyForm()
    values = request.form if request.method == "POST" else request.args
    list_name = (values.get("list") or values.get("name") or "").strip()
    error = None
    if request.method == "POST":
        if not form.validate_on_submit():
            error = _("The form expired: try again.")
        else:
            try:
                return _run_import(session, org_id, lead_file, list_name, values)
            except InvalidInput as problem:
                session.rollback()
                error = str(problem)
    remembered = remembered_mapping(session, org_id, list_name)
    chosen = {
        name: values.get(f"{name}_column") for name in ("email", "phone", "country", "language")
    }
    return render_template(
        "leads_map.html",
        lead_file=lead_file,
        token=token,
        list_name=list_name,
        region=values.get("region", "FR") if request.method == "POST" else "FR",
        chosen={k: v for k, v in chosen.items() if v}
        or guess_mapping(lead_file.headers, remembered),
        lists=lead_lists(session, org_id),
        form=form,
        error=error,
    ), (400 if error else 200)


def _run_import(
    session: Session, org_id: int, lead_file: LeadFile, list_name: str, values: Mapping[str, str]
) -> Response:
    """:raise InvalidInput: for a list name, region or column that cannot be used."""
    region = check_region(values.get("region"))
    mapping = check_mapping(
        lead_file.headers,
        {name: values.get(f"{name}_column") for name in ("email", "phone", "country", "language")},
    )
    lead_list = find_or_create_list(session, org_id, list_name, region)
    summary = import_leads(session, lead_list, lead_file, mapping, utcnow(), current_actor())
    discard(lead_file.path)
    flash(
        _(
            "%(list)s: %(added)d lead(s) added, %(already)d already in the list, %(bad)d bad row(s).",
            list=summary.list_name, added=summary.added, already=summary.already, bad=summary.bad,
        ),
        "success" if not summary.bad else "error",
    )  # fmt: skip
    for example in summary.bad_examples:
        flash(example, "error")
    return redirect(url_for("web.leads", list=lead_list.id))


@admins.route("/leads/lists/<int:list_id>/erase", methods=["POST"])
def leads_erase_list(list_id: int) -> Response:
    """Erase a list and every lead in it."""
    session = get_session()
    org_id = current_org_id()
    if not EmptyForm().validate_on_submit():
        flash(_("The form expired: try again."), "error")
        return redirect(url_for("web.leads"))
    lead_list = session.get(LeadList, list_id)
    if lead_list is None or lead_list.org_id != org_id:
        abort(404)
    name = lead_list.name
    count = erase_lead_list(session, org_id, list_id)
    record(session, org_id, current_actor(), "leads.list_erased", name, leads=count)
    session.commit()
    flash(_("List %(name)s erased with its %(n)d lead(s).", name=name, n=count or 0), "success")
    return redirect(url_for("web.leads"))


@admins.route("/leads/website-facts", methods=["POST"])
def leads_website_facts() -> Response:
    """Switch company website facts on or off: when on, the homepage of each
    professional lead's company domain is fetched and read."""
    session = get_session()
    org_id = current_org_id()
    if not EmptyForm().validate_on_submit():
        flash(_("The form expired: try again."), "error")
        return redirect(url_for("web.leads"))
    enabled = request.form.get("enabled") == "1"
    set_opted_in(session, org_id, enabled)
    if enabled:
        enqueue(fetch_lead_websites, org_id)  # sent once the commit is done
    record(session, org_id, current_actor(), "leads.website_facts", "on" if enabled else "off")
    session.commit()
    if enabled:
        flash(_("Company websites will be read; leads are rescored as they arrive."), "success")
    else:
        flash(_("Company websites are no longer read."), "success")
    return redirect(url_for("web.leads"))
