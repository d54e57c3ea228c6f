"""The dashboard's forms (Flask-WTF: each carries its CSRF token)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (  # type: ignore[attr-defined]  # SelectChoice: new in WTForms 3.3; types-WTForms stops at 3.2
    BooleanField,
    EmailField,
    PasswordField,
    SelectChoice,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length

from server.i18n import LANGUAGES, TIME_ZONES
from server.web.formatting import OUTCOME_LABELS


class LoginForm(FlaskForm):
    email = EmailField(_l("E-mail"), validators=[DataRequired()])
    password = PasswordField(_l("Password"), validators=[DataRequired()])


class EmptyForm(FlaskForm):
    """A button that changes something: only the CSRF token travels."""


class SiteForm(FlaskForm):
    """A new site; names and domains are checked by `server.validation`, as in the CLI."""

    name = StringField(_l("Name"))
    domains = StringField(_l("Domains"))


class SiteEditForm(SiteForm):
    allow_query = StringField(_l("Query parameters to keep besides utm_*"))
    count_education = BooleanField(_l("Score visits from education networks"))
    count_government = BooleanField(_l("Score visits from government networks"))


class SiteDeleteForm(FlaskForm):
    """Deleting a site: confirmed by typing its name."""

    confirm_name = StringField(_l("Type the site's name to confirm"))


class WebhookForm(FlaskForm):
    url = StringField(_l("Webhook URL"))


class LanguageForm(FlaskForm):
    locale = SelectField(
        _l("Language"),
        choices=[
            SelectChoice("", _l("Browser's choice")),
            *(SelectChoice(code, name) for code, name in LANGUAGES.items()),
        ],
    )


class OutcomeForm(FlaskForm):
    outcome = SelectField(
        _l("Sales feedback"),
        choices=[SelectChoice(value, label) for value, label in OUTCOME_LABELS.items()],
    )
    reason = TextAreaField(_l("Reason"), validators=[Length(max=2000)])


class ModelForm(FlaskForm):
    text = TextAreaField(_l("Model"), validators=[DataRequired()])


class TimeZoneForm(FlaskForm):
    time_zone = SelectField(
        _l("Time zone"), choices=[SelectChoice(name, name.replace("_", " ")) for name in TIME_ZONES]
    )


def form_problems(form: FlaskForm) -> str:
    """What is wrong with a submitted `form`, on one line: "field: error, error; field: error"."""
    return "; ".join(f"{name}: {', '.join(errors)}" for name, errors in form.errors.items())
