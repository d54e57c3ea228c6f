"""Sites: add one, copy its snippet, watch for its first event."""

from __future__ import annotations

from flask import flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import login_required
from sqlalchemy import select
from werkzeug.wrappers import Response

from server.auth import current_org_id
from server.snippet import script_tag
from server.storage import get_session
from server.storage.models import Organisation, Site
from server.storage.tenancy import create_site
from server.validation import InvalidInput
from server.web import bp
from server.web.forms import SiteForm


@bp.route("/sites", methods=["GET", "POST"])
@login_required
def sites() -> str | Response:
    session = get_session()
    form = SiteForm()
    errors: dict[str, str] = {}
    if form.validate_on_submit():
        organisation = session.get(Organisation, current_org_id())
        domains = [d.strip().lower() for d in (form.domains.data or "").replace(",", " ").split()]
        try:
            site = create_site(session, organisation, (form.name.data or "").strip(), domains)
        except InvalidInput as error:
            session.rollback()
            errors[error.field] = error.reason
        else:
            session.commit()
            flash(
                _("Site %(name)s added: paste its snippet into your pages.", name=site.name),
                "success",
            )
            return redirect(url_for("web.sites", _anchor=f"site-{site.id}"))
    rows = session.scalars(
        select(Site).where(Site.org_id == current_org_id()).order_by(Site.name)
    ).all()
    snippets = {site.id: script_tag(request.host_url, site.public_key) for site in rows}
    return render_template("sites.html", sites=rows, snippets=snippets, form=form, errors=errors)


@bp.route("/sites/<int:site_id>/status")
@login_required
def site_status(site_id: int) -> Response:
    """Whether the site's snippet has sent anything yet (polled by the sites page)."""
    site = get_session().scalar(
        select(Site).where(Site.id == site_id, Site.org_id == current_org_id())
    )
    if site is None:
        return jsonify(error="no such site"), 404  # type: ignore[return-value]
    last = site.last_event_at
    return jsonify(receiving=last is not None, last_event_at=last.isoformat() if last else None)
