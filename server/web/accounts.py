"""The hot list and an account's story, with the sales team's feedback."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.orm import Session
from werkzeug.wrappers import Response

from server.accounts.filters import AccountFilters, parse_filters
from server.accounts.listing import AccountPage, account_detail, list_accounts
from server.accounts.lookup import distinct_values, get_account_or_404
from server.accounts.reasons import is_persona
from server.auth import current_org_id
from server.enrichment import organisation_settings, provider_entries
from server.jobs import enqueue
from server.jobs.enrichment import enrich_account
from server.leads.query import account_leads
from server.scoring_models import model_for
from server.storage import get_session
from server.storage.models import Account, Outcome
from server.storage.tenancy import list_sites
from server.validation import InvalidInput
from server.web.corrections import identification_context
from server.web.forms import EmptyForm, OutcomeForm, form_problems
from server.web.integrations import crm_context
from server.web.roles import is_admin, members

PERIODS = ("7d", "30d", "90d")


@members.route("/accounts")
def accounts() -> str:
    session = get_session()
    org_id = current_org_id()
    filters, page, error = _asked_page(session, org_id)
    return render_template(
        "accounts.html",
        page=page,
        filters=filters,
        args=filters.query_args(),
        error=error,
        sites=list_sites(session, org_id),
        countries=distinct_values(session, org_id, Account.country),
        industries=distinct_values(session, org_id, Account.industry),
        periods=PERIODS,
    )


def _asked_page(session: Session, org_id: int) -> tuple[AccountFilters, AccountPage, str | None]:
    """The filters the query string asks for, their page of accounts and None;
    for filters that cannot be used, the first page of all accounts and why."""
    try:
        filters = parse_filters(request.args)
        return filters, list_accounts(session, org_id, filters), None
    except InvalidInput as problem:
        filters = parse_filters({})
        return filters, list_accounts(session, org_id, filters), str(problem)


@members.route("/accounts/<id:account_id>")
def account(account_id: int) -> str:
    session = get_session()
    org_id = current_org_id()
    detail = account_detail(session, org_id, account_id)
    if detail is None:
        abort(404)
    model = model_for(session, org_id)
    return render_template(
        "account.html",
        account=detail,
        persona=next((c for c in detail["explanation"] if is_persona(c)), None),
        model=model,
        outcome_form=OutcomeForm(),
        enrich_form=EmptyForm(prefix="enrich"),
        account_leads=account_leads(session, org_id, account_id),
        **identification_context(account_id, is_admin()),
        **crm_context(account_id),
    )


@members.route("/accounts/<id:account_id>/outcome", methods=["POST"])
def record_outcome(account_id: int) -> Response:
    """Sales feedback: accepted, rejected (with a reason), won or lost."""
    session = get_session()
    row = get_account_or_404(session, current_org_id(), account_id)
    form = OutcomeForm()
    if not form.validate_on_submit():
        flash(_("The feedback could not be recorded: %(why)s", why=form_problems(form)), "error")
    elif form.outcome.data == "rejected" and not (form.reason.data or "").strip():
        flash(_("Say why the account is rejected: marketing learns from it."), "error")
    else:
        session.add(
            Outcome(
                org_id=row.org_id,
                account_id=row.id,
                domain=row.domain,
                outcome=form.outcome.data,
                reason=(form.reason.data or "").strip() or None,
                user_id=current_user.id,
            )
        )
        session.commit()
        flash(_("Feedback recorded."), "success")
    return redirect(url_for("web.account", account_id=account_id))


@members.route("/accounts/<id:account_id>/enrich", methods=["POST"])
def reenrich(account_id: int) -> Response:
    """Enrich the account again. The job leaves when this request's transaction
    commits: left open, the teardown would roll it back and the job be dropped."""
    session = get_session()
    row = get_account_or_404(session, current_org_id(), account_id)
    if not EmptyForm(prefix="enrich").validate_on_submit():
        flash(_("The form expired: try again."), "error")
    elif not provider_entries(organisation_settings(session, row.org_id)):
        flash(_("No enrichment provider is configured: nothing to ask."), "error")
    else:
        enqueue(enrich_account, row.id)
        session.commit()
        flash(_("Enrichment requested."), "success")
    return redirect(url_for("web.account", account_id=account_id))
