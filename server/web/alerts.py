"""The Alerts page: rules that announce accounts, and their recent alerts.

Every member keeps their own e-mail alerts and digests (always to their own
address); admins also keep the organisation's Slack and Teams channel rules.
A rule's webhook URL is its secret: the page shows its host only.
"""

from __future__ import annotations

from flask import (
    abort,
    current_app,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response

from server.alerts import dispatch, store
from server.alerts.mailer import MailFailed, mail_configured
from server.alerts.posting import WebhookFailed, host_of
from server.alerts.rules import CHANNEL_TRIGGERS, Channel, Trigger, describe, rule_values
from server.alerts.timing import format_clock
from server.auth import current_org_id
from server.storage import get_session
from server.storage.models import AlertRule
from server.validation import InvalidInput
from server.web.forms import EmptyForm
from server.web.roles import current_actor, is_admin, members
from server.web.transactions import committed


@members.page("/alerts")
def alerts(error: str | None = None, status: int = 200) -> Response:
    """The Alerts page; with `error` (and `status`) as the answer to a refused change."""
    session = get_session()
    rules = store.visible_rules(session, current_org_id(), current_user.id)
    channels = [Channel.EMAIL] + ([Channel.SLACK, Channel.TEAMS] if is_admin() else [])
    page = render_template(
        "alerts.html",
        rules=[describe_rule(rule) for rule in rules],
        recent=store.recent_alerts(session, current_org_id(), [rule.id for rule in rules]),
        channels=channels,
        triggers=[
            (t.value, describe(t.value, "N" if t.needs_threshold else None)) for t in Trigger
        ],
        channel_triggers=[t.value for t in CHANNEL_TRIGGERS],
        form=request.form if status != 200 else {},
        error=error,
        mail_ready=mail_configured(current_app.config),
        action_form=EmptyForm(),
    )
    return make_response(page, status)


@members.post("/alerts")
def alerts_add() -> Response:
    if not EmptyForm().validate_on_submit():
        return alerts(error=_("The form expired: try again."), status=400)
    try:
        values = rule_values(request.form, channel_allowed=is_admin())
    except PermissionError:
        abort(403)
    except InvalidInput as problem:
        return alerts(error=str(problem), status=400)
    committed(lambda session: store.add_rule(session, current_org_id(), current_actor(), values))
    flash(_("Alert rule added."), "success")
    return redirect(url_for("web.alerts"), code=303)


@members.post("/alerts/<id(bits=32):rule_id>/delete")
def alerts_remove(rule_id: int) -> Response:
    if not EmptyForm().validate_on_submit():
        return alerts(error=_("The form expired: try again."), status=400)
    committed(
        lambda session: store.remove_rule(
            session, current_org_id(), current_actor(), managed_rule_or_abort(rule_id)
        )
    )
    flash(_("Alert rule removed."), "success")
    return redirect(url_for("web.alerts"), code=303)


@members.post("/alerts/<id(bits=32):rule_id>/test")
def alerts_test(rule_id: int) -> Response:
    """Send a sample alert through the rule now and say what became of it."""
    if not EmptyForm().validate_on_submit():
        return alerts(error=_("The form expired: try again."), status=400)
    rule = managed_rule_or_abort(rule_id)
    try:
        outcome = dispatch.send_test(get_session(), rule)
    except (WebhookFailed, MailFailed) as failure:
        flash(_("Test alert not delivered: %(why)s", why=str(failure)), "error")
    else:
        flash(_("Test alert %(outcome)s.", outcome=outcome), "success")
    return redirect(url_for("web.alerts"), code=303)


def managed_rule_or_abort(rule_id: int) -> AlertRule:
    """The rule, if the signed-in user may change it.

    :raise 404: when the organisation has no such rule.
    :raise 403: for another user's e-mail rule, or a channel rule and a member.
    """
    rule = store.rule_of(get_session(), current_org_id(), rule_id)
    if rule is None:
        abort(404)
    if not store.may_manage(rule, current_user.id, is_admin()):
        abort(403)
    return rule


def describe_rule(rule: AlertRule) -> dict[str, object]:
    """What the page says of a rule; a webhook by its host only."""
    target = host_of(rule.target) if rule.target else current_user.email
    return {
        "rule": rule,
        "target": target,
        "trigger": describe(rule.trigger, rule.threshold),
        "quiet": (
            f"{format_clock(rule.quiet_start)}–{format_clock(rule.quiet_end)}"
            if rule.quiet_start is not None
            else ""
        ),
        "mine": store.may_manage(rule, current_user.id, is_admin()),
    }
