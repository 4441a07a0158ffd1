"""What the record forms share: safe text fields, the hidden version, delete and restore,
and service errors placed at the field they name."""

from collections.abc import Mapping
from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import Field, HiddenField, IntegerField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, Optional, ValidationError
from wtforms.widgets import HiddenInput

from tracker.domain.errors import InvalidInput
from tracker.domain.text import has_control_characters

LONG_TEXT = 100_000  # narratives and notes; the database takes more, nobody types more


def no_control_characters(_form: Any, field: Field) -> None:
    """NUL and other control characters never reach the database (tabs and newlines may)."""
    if isinstance(field.data, str) and has_control_characters(field.data):
        raise ValidationError(_l("Remove the control characters (such as NUL) from this text."))


def text(max_length: int, *, required: bool = False) -> list[Any]:
    """Validators of a text field: length, no control characters, and required if asked."""
    first = DataRequired() if required else Optional()
    return [first, Length(max=max_length), no_control_characters]


def version_field() -> IntegerField:
    """The version the user loaded; a save names it so nothing is overwritten silently."""
    return IntegerField(widget=HiddenInput(), validators=[InputRequired()])


class DeleteForm(FlaskForm):  # type: ignore[misc]
    version = version_field()
    reason = TextAreaField(_l("Why delete it?"), validators=text(2_000, required=True))
    submit = SubmitField(_l("Delete"))


class RestoreForm(FlaskForm):  # type: ignore[misc]
    version = version_field()
    submit = SubmitField(_l("Restore"))


class RemoveForm(FlaskForm):  # type: ignore[misc]
    """A button removing one item (a name, an alias) named by its id."""

    item_id = HiddenField(validators=[DataRequired(), Length(max=40)])
    submit = SubmitField(_l("Remove"))


def field_name_of(error: InvalidInput) -> tuple[str, str]:
    """A service message `field: message` split in two; no field gives ("", message)."""
    message = str(error)
    field, separator, rest = message.partition(": ")
    if separator and field.replace("_", "").isalnum():
        return field, rest
    return "", message


def show_error(form: FlaskForm, error: InvalidInput, renames: Mapping[str, str] = {}) -> None:
    """Put a service's InvalidInput at the field it names, else at the top of the form."""
    field, message = field_name_of(error)
    name = renames.get(field, field)
    if name and name in form._fields and name != "csrf_token":
        form[name].errors = [*form[name].errors, message]
    else:
        form.form_errors.append(str(error))


def field_values(form: FlaskForm, names: tuple[str, ...]) -> dict[str, Any]:
    return {name: form[name].data for name in names}


def stripped(value: str | None) -> str:
    return (value or "").strip()
