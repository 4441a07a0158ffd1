"""Forms of the admin pages and of record restrictions."""

import uuid
from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    HiddenField,
    IntegerField,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import (
    DataRequired,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    Regexp,
    ValidationError,
)
from wtforms.widgets import CheckboxInput, ListWidget

from tracker.domain.permissions import ROLE_CODES
from tracker.domain.text import has_control_characters

MAX_VERSION = 2**31 - 1
CODE_RULE = r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,39}\Z"


def plain_text(_form: FlaskForm, field: StringField) -> None:
    """Refuse NUL and other control characters before any service sees them."""
    if field.data and has_control_characters(field.data):
        raise ValidationError(_l("Remove the control characters (such as NUL) from this text."))


class CheckboxesField(SelectMultipleField):  # type: ignore[misc]
    """A multiple choice shown as a list of checkboxes (no JavaScript, fine on a phone)."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class VersionField(IntegerField):  # type: ignore[misc]
    """The version of the record the user loaded, sent back with the edit."""

    widget = HiddenField.widget

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(
            validators=[InputRequired(), NumberRange(min=1, max=MAX_VERSION)], **kwargs
        )


def role_choices() -> list[SelectChoice]:
    return [SelectChoice(code, code) for code in ROLE_CODES]


class UserCreateForm(FlaskForm):  # type: ignore[misc]
    username = StringField(
        _l("Username"),
        validators=[
            DataRequired(),
            Length(max=100),
            Regexp(r"^\S+\Z", message=_l("Use no spaces.")),
            plain_text,
        ],
    )
    display_name = StringField(_l("Display name"), validators=[Length(max=200), plain_text])
    roles = CheckboxesField(_l("Roles"), choices=role_choices())
    submit = SubmitField(_l("Create account"))


class RolesForm(FlaskForm):  # type: ignore[misc]
    roles = CheckboxesField(_l("Roles"), choices=role_choices())
    version = VersionField()
    submit = SubmitField(_l("Save roles"))


class UserActionForm(FlaskForm):  # type: ignore[misc]
    """A button acting on an account as the admin last saw it."""

    version = VersionField()
    submit = SubmitField(_l("Confirm"))


class TermLabelsMixin:
    label_en = StringField(
        _l("English label"), validators=[DataRequired(), Length(max=200), plain_text]
    )
    label_az = StringField(_l("Azerbaijani label"), validators=[Length(max=200), plain_text])
    label_ru = StringField(_l("Russian label"), validators=[Length(max=200), plain_text])
    description = TextAreaField(_l("Description"), validators=[Length(max=5000), plain_text])


class TermAddForm(TermLabelsMixin, FlaskForm):  # type: ignore[misc]
    code = StringField(
        _l("Code"),
        validators=[
            DataRequired(),
            Regexp(CODE_RULE, message=_l("Use 1 to 40 letters, digits, _ . or -.")),
        ],
        description=_l("Stored on records and never changed: letters, digits, _ . -"),
    )
    submit = SubmitField(_l("Add term"))


class TermEditForm(TermLabelsMixin, FlaskForm):  # type: ignore[misc]
    sort_order = IntegerField(
        _l("Position in lists"), validators=[InputRequired(), NumberRange(min=0, max=100_000)]
    )
    active = BooleanField(_l("In use (offered in forms)"))
    version = VersionField()
    submit = SubmitField(_l("Save"))

    def term_changes(self) -> dict[str, object]:
        return {
            "label_en": self.label_en.data,
            "label_az": self.label_az.data or "",
            "label_ru": self.label_ru.data or "",
            "description": self.description.data or "",
            "sort_order": self.sort_order.data,
            "active": bool(self.active.data),
        }


def parse_uuid(text: str) -> uuid.UUID:
    try:
        return uuid.UUID(text.strip())
    except ValueError as error:
        raise ValidationError(_l("Not a record id.")) from error


class AuditFilterForm(FlaskForm):  # type: ignore[misc]
    """Filters of the audit log, read from the query string."""

    class Meta:
        csrf = False  # a GET form that only reads

    actor = StringField(_l("User"), validators=[Optional(), Length(max=100), plain_text])
    table = SelectField(_l("Table"), validators=[Optional()])
    record_id = StringField(_l("Record id"), validators=[Optional(), Length(max=40)])
    action = SelectField(_l("Action"), validators=[Optional()])
    date_from = DateField(_l("From (day)"), validators=[Optional()])
    date_to = DateField(_l("To (day)"), validators=[Optional()])
    submit = SubmitField(_l("Filter"))

    def validate_record_id(self, field: StringField) -> None:
        if field.data:
            parse_uuid(field.data)

    def validate_date_to(self, field: DateField) -> None:
        if field.data and self.date_from.data and field.data < self.date_from.data:
            raise ValidationError(_l("The end is before the start."))


class DeletedFilterForm(FlaskForm):  # type: ignore[misc]
    class Meta:
        csrf = False  # a GET form that only reads

    table = SelectField(_l("Kind of record"), validators=[Optional()])
    submit = SubmitField(_l("Show"))


class RestoreForm(FlaskForm):  # type: ignore[misc]
    version = VersionField()
    submit = SubmitField(_l("Restore"))


class RestrictionForm(FlaskForm):  # type: ignore[misc]
    users = CheckboxesField(_l("Only these users may see this record"))
    submit = SubmitField(_l("Save"))

    def chosen_user_ids(self) -> list[uuid.UUID]:
        return [uuid.UUID(value) for value in self.users.data or []]
