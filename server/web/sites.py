"""Sites: add, edit and delete one (admins), copy its snippet, watch for its
first event, and see where its traffic came from and its identification funnel."""

from __future__ import annotations

from datetime import timedelta

from flask import abort, current_app, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from server.audit import record
from server.auth import current_org_id
from server.collect.parts import EXTENSION as COLLECT
from server.collect.sites import SITE_CACHE_SECONDS
from server.script_tag import script_tag
from server.sites.funnel import DEFAULT_FUNNEL_DAYS, Period, empty_funnel, site_funnels
from server.sites.removal import delete_site, site_data
from server.sites.traffic import TRAFFIC_DAYS, SiteTraffic, site_traffic, start_of_day
from server.storage import get_session
from server.storage.models import Organisation, Site
from server.storage.tenancy import SiteSettings, create_site, get_site, list_sites, update_site
from server.storage.types import utcnow
from server.validation import (
    InvalidInput,
    normalise_domains,
    normalise_name,
    normalise_query_parameters,
    split_list,
)
from server.web.formatting import datetime_short
from server.web.forms import SiteDeleteForm, SiteEditForm, SiteForm
from server.web.roles import admins, current_actor, is_admin, members
from server.web.transactions import write_transaction

TRAFFIC_PERIOD = timedelta(days=TRAFFIC_DAYS)

ALWAYS_SHOWN = ("business", "unknown", "bot")
"""Rows of a site's traffic shown even at zero: where a test visit may have gone."""


@members.get("/sites")
def sites() -> str:
    return sites_page(SiteForm(), {})


@admins.post("/sites")
def add_site() -> str | Response:
    form = SiteForm()
    errors: dict[str, str] = {}
    if form.validate_on_submit():
        session = write_transaction()
        organisation = session.get(Organisation, current_org_id())
        assert organisation is not None  # the signed-in user's own organisation
        try:
            name, domains = site_identity(form)
            site = create_site(session, organisation, SiteSettings(name, domains))
        except InvalidInput as error:
            session.rollback()
            errors[error.field] = error.reason
        else:
            record(session, organisation.id, current_actor(), "site.added", name, domains=domains)
            session.commit()
            flash(
                _("Site %(name)s added: paste its snippet into your pages.", name=site.name),
                "success",
            )
            return redirect(url_for("web.sites", _anchor=f"site-{site.id}"))
    return sites_page(form, errors)


def sites_page(form: SiteForm, errors: dict[str, str]) -> str:
    """The sites page: each site's snippet, status and traffic, and the add form for admins."""
    session = get_session()
    org_id = current_org_id()
    now = utcnow()
    rows = list_sites(session, org_id)
    today = site_traffic(session, org_id, start_of_day(now))
    recent = site_traffic(session, org_id, now - TRAFFIC_PERIOD)
    snippets = {site.id: script_tag(request.host_url, site.public_key) for site in rows}
    funnels = site_funnels(session, org_id, Period.last_days(DEFAULT_FUNNEL_DAYS, now))
    return render_template(
        "sites.html",
        sites=rows,
        snippets=snippets,
        traffic={
            site.id: (today.get(site.id, SiteTraffic()), recent.get(site.id, SiteTraffic()))
            for site in rows
        },
        always_shown=ALWAYS_SHOWN,
        funnels={site.id: funnels.get(site.id) or empty_funnel() for site in rows},
        traffic_days=TRAFFIC_DAYS,
        local_snippet=script_tag(
            request.host_url, rows[0].public_key if rows else "SITE_KEY", allow_local=True
        ),
        cache_seconds=int(SITE_CACHE_SECONDS),
        form=form,
        errors=errors,
        admin=is_admin(),
    )


@admins.route("/sites/<id(bits=32):site_id>/edit", methods=["GET", "POST"])
def edit_site(site_id: int) -> str | Response:
    site = site_or_404(site_id)
    form = SiteEditForm(
        data={
            "name": site.name,
            "domains": ", ".join(site.domains),
            "allow_query": ", ".join(site.query_allowlist),
            "count_education": site.count_education,
            "count_government": site.count_government,
        }
    )
    errors: dict[str, str] = {}
    if form.validate_on_submit():
        session = write_transaction()
        try:
            name, domains = site_identity(form)
            parameters = normalise_query_parameters(split_list(form.allow_query.data or ""))
            settings = SiteSettings(
                name,
                domains,
                query_allowlist=parameters,
                count_education=bool(form.count_education.data),
                count_government=bool(form.count_government.data),
            )
            update_site(session, site, settings)
        except InvalidInput as error:
            session.rollback()
            errors[error.field] = error.reason
        else:
            record(session, site.org_id, current_actor(), "site.edited", name, domains=domains)
            session.commit()
            collector_reads_sites_again()
            flash(_("Site %(name)s saved.", name=site.name), "success")
            return redirect(url_for("web.sites", _anchor=f"site-{site.id}"))
    return render_template(
        "site_edit.html",
        site=site,
        form=form,
        errors=errors,
        cache_seconds=int(SITE_CACHE_SECONDS),
    )


@admins.route("/sites/<id(bits=32):site_id>/delete", methods=["GET", "POST"])
def remove_site(site_id: int) -> str | Response:
    site = site_or_404(site_id)
    form = SiteDeleteForm()
    error = None
    if form.validate_on_submit():
        session = write_transaction()
        if " ".join((form.confirm_name.data or "").split()) != site.name:
            error = _("Type the name %(name)s exactly to delete the site.", name=site.name)
        else:
            name = site.name
            org_id = site.org_id
            deleted = delete_site(session, site, utcnow())
            record(session, org_id, current_actor(), "site.deleted", name, events=deleted.events)
            session.commit()
            collector_reads_sites_again()
            flash(
                _(
                    "Site %(name)s deleted with %(events)d events and %(visits)d visits; "
                    "%(accounts)d accounts rescored.",
                    name=name,
                    events=deleted.events,
                    visits=deleted.visits,
                    accounts=deleted.accounts,
                ),
                "success",
            )
            return redirect(url_for("web.sites"))
    return render_template(
        "site_delete.html",
        site=site,
        data=site_data(get_session(), site.id),
        form=form,
        error=error,
    )


@members.route("/sites/<id(bits=32):site_id>/status")
def site_status(site_id: int) -> Response | tuple[Response, int]:
    """Whether the site's snippet has sent anything yet (polled by the sites page)."""
    site = get_site(get_session(), current_org_id(), site_id)
    if site is None:
        return jsonify(error="no such site"), 404
    last = site.last_event_at
    if last is None:
        return jsonify(receiving=False, last_event_at=None)
    # `shown` is the time as the page words it: the reader's language, the organisation's zone.
    return jsonify(receiving=True, last_event_at=last.isoformat(), shown=datetime_short(last))


def site_identity(form: SiteForm) -> tuple[str, list[str]]:
    """The name and domains typed in `form`, checked as `vigie sites add` checks them.

    :raise InvalidInput: naming the field and the first bad value.
    """
    name = normalise_name(form.name.data or "")
    return name, normalise_domains(split_list(form.domains.data or ""))


def site_or_404(site_id: int) -> Site:
    """The site of the current organisation.

    :raise 404: for a site that does not exist or is another organisation's.
    """
    site = get_site(get_session(), current_org_id(), site_id)
    if site is None:
        abort(404)
    return site


def collector_reads_sites_again() -> None:
    """The collector of this process sees a site's change on its next beacon;
    other processes within `SITE_CACHE_SECONDS`."""
    parts = current_app.extensions.get(COLLECT)
    if parts is not None:
        parts.sites.expire()
