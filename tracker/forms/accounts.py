"""Forms for signing in and for one's own account."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import PasswordField, SelectField, StringField, SubmitField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, EqualTo, Length

from tracker.config import LANGUAGES
from tracker.web.i18n import LANGUAGE_NAMES


class LoginForm(FlaskForm):  # type: ignore[misc]
    username = StringField(_l("Username"), validators=[DataRequired(), Length(max=100)])
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=1000)])
    submit = SubmitField(_l("Sign in"))


class CodeForm(FlaskForm):  # type: ignore[misc]
    code = StringField(
        _l("Code from your authenticator app, or a recovery code"),
        validators=[DataRequired(), Length(max=40)],
        render_kw={"autocomplete": "one-time-code", "inputmode": "numeric"},
    )
    submit = SubmitField(_l("Continue"))


class PasswordChangeForm(FlaskForm):  # type: ignore[misc]
    current_password = PasswordField(_l("Current password"), validators=[DataRequired()])
    new_password = PasswordField(_l("New password"), validators=[DataRequired(), Length(max=1000)])
    repeat_password = PasswordField(
        _l("New password again"),
        validators=[DataRequired(), EqualTo("new_password", message=_l("The two do not match."))],
    )
    submit = SubmitField(_l("Change password"))


class SecondFactorForm(FlaskForm):  # type: ignore[misc]
    code = StringField(
        _l("Code shown by your authenticator app"),
        validators=[DataRequired(), Length(min=6, max=8)],
        render_kw={"autocomplete": "one-time-code", "inputmode": "numeric"},
    )
    submit = SubmitField(_l("Turn on"))


class LanguageForm(FlaskForm):  # type: ignore[misc]
    language = SelectField(
        _l("Language"), choices=[SelectChoice(code, LANGUAGE_NAMES[code]) for code in LANGUAGES]
    )
    submit = SubmitField(_l("Save"))


class ConfirmForm(FlaskForm):  # type: ignore[misc]
    """A button that changes something: only its CSRF token is checked."""

    submit = SubmitField(_l("Confirm"))
