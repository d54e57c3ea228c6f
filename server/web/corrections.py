"""Correcting identification from the dashboard (admins): corrections, merges, renames.

    /corrections                          the organisation's corrections, to undo
    /corrections/<id>/undo                undo one
    /accounts/<id>/correct                "this is an ISP / a data centre / company X"
    /accounts/<id>/merge                  merge another account into this one
    /accounts/<id>/rename                 name and domain chosen by a user

A correction reaches the collector of this process at once and the others
within the site cache's refresh. Applied retroactively, it moves or removes
the stored events at once and queues the rescoring of the accounts it changed.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_wtf import FlaskForm
from sqlalchemy.orm import Session
from werkzeug.wrappers import Response
from wtforms import BooleanField, SelectChoice, SelectField, StringField  # type: ignore[attr-defined]  # new in WTForms 3.3; types-WTForms stops at 3.2
from wtforms.validators import Length

from enrich.corrections import Correction, CorrectionError, Effect, Scope
from server.accounts.lookup import find_account_by_name, get_account_or_404
from server.auth import current_org_id
from server.corrections.accounts import merge_accounts, rename_account
from server.corrections.retroactive import apply_retroactively
from server.corrections.store import (
    get_correction,
    list_corrections,
    remove_correction,
    save_correction,
)
from server.jobs import enqueue
from server.jobs.rescoring import rescore_accounts
from server.storage import get_session
from server.storage.models import Account
from server.storage.types import utcnow
from server.validation import InvalidInput
from server.web.forms import EmptyForm, form_problems
from server.web.roles import admins, current_actor
from server.web.sites import collector_reads_sites_again

EFFECT_LABELS = {
    Effect.ISP.value: _l("an ISP (homes, offices of many companies)"),
    Effect.HOSTING.value: _l("a data centre"),
    Effect.COMPANY.value: _l("another company"),
}
"""What a correction says the network is, as the forms and the page word it."""

SCOPE_LABELS = {
    Scope.ASN.value: _l("this ASN"),
    Scope.ORGANISATION.value: _l("this network organisation"),
    Scope.NETWORK.value: _l("this network"),
}
"""What a correction is keyed by, as the forms and the page word it."""

SIGNAL_LABELS = {
    "correction": _l("a correction"),
    "company_database": _l("own company database"),
    "maxmind_organisation": _l("MaxMind organisation"),
    "maxmind_domain": _l("MaxMind domain"),
    "reverse_dns": _l("reverse DNS"),
    "asn_organisation": _l("ASN organisation"),
}
"""The provenance signals as the account page names them."""

CONFIDENCE_LABELS = {"high": _l("high"), "medium": _l("medium"), "low": _l("low")}


class CorrectionForm(FlaskForm):
    effect = SelectField(
        _l("This is"), choices=[SelectChoice(k, v) for k, v in EFFECT_LABELS.items()]
    )
    scope = SelectField(_l("For"), choices=[SelectChoice(k, v) for k, v in SCOPE_LABELS.items()])
    name = StringField(_l("Company name"), validators=[Length(max=255)])
    domain = StringField(_l("Company domain"), validators=[Length(max=255)])
    retroactive = BooleanField(_l("Also correct the visits already stored"))


class MergeForm(FlaskForm):
    other = StringField(_l("Domain or number of the other account"), validators=[Length(max=255)])


class RenameForm(FlaskForm):
    name = StringField(_l("Name"), validators=[Length(max=255)])
    domain = StringField(_l("Domain"), validators=[Length(max=255)])


def identification_context(account_id: int, admin: bool) -> dict[str, Any]:
    """What the account page's identification card needs: the labels, and for
    admins the forms and the keys this account's network can be corrected by."""
    labels = {"signal_labels": SIGNAL_LABELS, "confidence_labels": CONFIDENCE_LABELS}
    if not admin:
        return labels
    account = get_account_or_404(get_session(), current_org_id(), account_id)
    keys = {
        Scope.ASN.value: f"AS{account.asn}" if account.asn else None,
        Scope.ORGANISATION.value: account.network_organisation,
        Scope.NETWORK.value: account.network,
    }
    form = CorrectionForm(prefix="correct")
    form.scope.choices = [
        SelectChoice(scope, f"{SCOPE_LABELS[scope]} ({value})")
        for scope, value in keys.items()
        if value
    ]
    return {
        "correct_form": form,
        "correction_keys": keys,
        "merge_form": MergeForm(prefix="merge"),
        "rename_form": RenameForm(prefix="rename", data={"name": account.name}),
        **labels,
    }


@admins.get("/corrections")
def corrections() -> str:
    return render_template(
        "corrections.html",
        corrections=list_corrections(get_session(), current_org_id()),
        effects=EFFECT_LABELS,
        scopes=SCOPE_LABELS,
        undo_form=EmptyForm(prefix="undo"),
    )


@admins.post("/corrections/<id:correction_id>/undo")
def correction_undo(correction_id: int) -> Response:
    session = get_session()
    row = get_correction(session, current_org_id(), correction_id)
    if row is None:
        abort(404)
    if not EmptyForm(prefix="undo").validate_on_submit():
        flash(_("The form expired: try again."), "error")
    else:
        remove_correction(session, row.org_id, row, current_actor())
        session.commit()
        collector_reads_sites_again()
        flash(_("Correction undone: new visits are identified as before."), "success")
    return redirect(url_for("web.corrections"))


@admins.post("/accounts/<id:account_id>/correct")
def account_correct(account_id: int) -> Response:
    """Save a correction keyed by this account's ASN, organisation or network."""
    session = get_session()
    account = get_account_or_404(session, current_org_id(), account_id)
    form = CorrectionForm(prefix="correct")
    if not form.validate_on_submit():
        return _refused(account_id, form_problems(form))
    key = {
        Scope.ASN.value: {"asn": account.asn},
        Scope.ORGANISATION.value: {"organisation": account.network_organisation},
        Scope.NETWORK.value: {"network": account.network},
    }[form.scope.data]
    correction = Correction(
        scope=Scope(form.scope.data),
        effect=Effect(form.effect.data),
        company_name=form.name.data,
        company_domain=form.domain.data,
        **key,  # type: ignore[arg-type]  # one key, by the scope chosen
    )
    try:
        row = save_correction(session, account.org_id, correction, current_actor(), account.name)
    except CorrectionError as error:
        session.rollback()
        return _refused(account_id, str(error))
    target = url_for("web.corrections")
    if form.retroactive.data:
        summary, rescore = apply_retroactively(session, row, account, utcnow())
        if rescore:
            enqueue(rescore_accounts, *rescore)  # leaves when the transaction commits
        if row.effect == Effect.COMPANY.value and rescore:
            target = url_for("web.account", account_id=rescore[0])
        flash(
            _(
                "Correction saved and applied to the visits already stored: %(accounts)s, %(events)s.",
                accounts=ngettext("%(num)d account", "%(num)d accounts", summary["accounts"]),
                events=ngettext("%(num)d event", "%(num)d events", summary["events"]),
            ),
            "success",
        )
    else:
        flash(_("Correction saved: it applies to new visits."), "success")
    session.commit()
    collector_reads_sites_again()
    return redirect(target)


@admins.post("/accounts/<id:account_id>/merge")
def account_merge(account_id: int) -> Response:
    """Merge another account (by domain, key or number) into this one."""
    kept = get_account_or_404(get_session(), current_org_id(), account_id)
    form = MergeForm(prefix="merge")
    if not form.validate_on_submit():
        return _refused(account_id, _("The form expired: try again."))
    other = find_account_by_name(get_session(), kept.org_id, (form.other.data or "").strip())
    if other is None:
        return _refused(account_id, _("other: no account has this domain or number"))
    return _rescored_change(
        kept,
        lambda session: merge_accounts(session, kept, other, utcnow(), current_actor()),
        _("Accounts merged: their visits are on this account."),
    )


@admins.post("/accounts/<id:account_id>/rename")
def account_rename(account_id: int) -> Response:
    """Give the account the name and domain a user chose (they may weigh in its fit)."""
    account = get_account_or_404(get_session(), current_org_id(), account_id)
    form = RenameForm(prefix="rename")
    if not form.validate_on_submit():
        return _refused(account_id, form_problems(form))
    return _rescored_change(
        account,
        lambda session: rename_account(
            session, account, form.name.data, form.domain.data, utcnow(), current_actor()
        ),
        _("Account renamed."),
    )


def _rescored_change(account: Account, change: Callable[[Session], object], done: str) -> Response:
    """Run `change(session)`, queue the rescoring of `account` (the job leaves
    with the commit) and go back to its page saying `done`; a refused value
    changes nothing and the page says why."""
    session = get_session()
    account_id = account.id
    try:
        change(session)
    except InvalidInput as error:
        session.rollback()
        return _refused(account_id, str(error))
    enqueue(rescore_accounts, account_id)
    session.commit()
    flash(done, "success")
    return redirect(url_for("web.account", account_id=account_id))


def _refused(account_id: int, why: str) -> Response:
    """Back to the account page with why nothing changed (HTTP 400 would lose the page)."""
    flash(_("Nothing changed: %(why)s", why=why), "error")
    return redirect(url_for("web.account", account_id=account_id))
