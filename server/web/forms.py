"""The dashboard's forms (Flask-WTF: each carries its CSRF token)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    EmailField,
    PasswordField,
    SelectChoice,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length

from server.i18n import LANGUAGES
from server.web.formatting import OUTCOME_LABELS


class LoginForm(FlaskForm):
    email = EmailField(_l("E-mail"), validators=[DataRequired()])
    password = PasswordField(_l("Password"), validators=[DataRequired()])


class EmptyForm(FlaskForm):
    """A button that changes something: only the CSRF token travels."""


class SiteForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=200)])
    domains = StringField(_l("Domains"), validators=[DataRequired()])


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
