"""Forms of the person pages: the person, names, consent and merges of duplicates."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    HiddenField,
    IntegerField,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from tracker.forms.records import LONG_TEXT, text, version_field

# What reveals who someone is: written by documenters, read only by roles that may see it.
IDENTITY_FIELDS = (
    "real_name",
    "contact_info",
    "exact_address",
    "identity_notes",
    "gender_identity",
    "sexual_orientation",
)
PERSON_FIELDS = (*IDENTITY_FIELDS, "age_band", "deceased", "description")
CREATE_FIELDS = (
    "real_name",
    "contact_info",
    "exact_address",
    "identity_notes",
    "age_band",
    "deceased",
    "description",
)
ROLE_LETTERS = (
    SelectChoice("V", _l("V – victim")),
    SelectChoice("W", _l("W – witness")),
    SelectChoice("P", _l("P – perpetrator")),
    SelectChoice("S", _l("S – source contact")),
    SelectChoice("L", _l("L – lawyer")),
)


class PersonIdentityFields(FlaskForm):  # type: ignore[misc]
    real_name = StringField(_l("Real name"), validators=text(200))
    contact_info = TextAreaField(_l("Contact information"), validators=text(LONG_TEXT))
    exact_address = TextAreaField(_l("Exact address"), validators=text(LONG_TEXT))
    identity_notes = TextAreaField(_l("Identity notes"), validators=text(LONG_TEXT))
    age_band = SelectField(_l("Age band"))
    deceased = BooleanField(_l("Deceased"))
    description = TextAreaField(_l("Description (no names)"), validators=text(LONG_TEXT))
    submit = SubmitField(_l("Save"))


class PersonForm(PersonIdentityFields):
    role_letter = SelectField(_l("First recorded as"), choices=ROLE_LETTERS)
    first_recorded_year = IntegerField(
        _l("Year first recorded"), validators=[Optional(), NumberRange(min=1900, max=2100)]
    )


class PersonEditForm(PersonIdentityFields):
    gender_identity = StringField(_l("Gender identity (self-described)"), validators=text(200))
    sexual_orientation = StringField(_l("Sexual orientation"), validators=text(200))
    version = version_field()


class NameForm(FlaskForm):  # type: ignore[misc]
    text = StringField(_l("Name as written"), validators=text(200, required=True))
    kind = SelectField(_l("Kind of name"))
    script = SelectField(_l("Script"), default="")
    submit = SubmitField(_l("Add name"))


class ConsentForm(FlaskForm):  # type: ignore[misc]
    scope = SelectField(_l("Scope"))
    status = SelectField(_l("Decision"))
    decided_on = DateField(_l("Date of the decision"), validators=[InputRequired()])
    method = StringField(_l("How it was given"), validators=text(200))
    note = TextAreaField(_l("Note"), validators=text(LONG_TEXT))
    submit = SubmitField(_l("Record consent"))


class MergeForm(FlaskForm):  # type: ignore[misc]
    merged_code = StringField(
        _l("Pseudonym code of the duplicate to merge into this person"),
        validators=text(12, required=True),
    )
    reason = TextAreaField(
        _l("Why are they the same person?"), validators=text(2_000, required=True)
    )
    submit = SubmitField(_l("Merge"))


class UndoMergeForm(FlaskForm):  # type: ignore[misc]
    merge_id = HiddenField(validators=[DataRequired(), Length(max=40)])
    submit = SubmitField(_l("Undo merge"))
