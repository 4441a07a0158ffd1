"""Forms of the organisation pages: a body or unit in its hierarchy, and its aliases."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectField, StringField, SubmitField, TextAreaField

from tracker.forms.records import LONG_TEXT, text, version_field

ORGANISATION_FIELDS = (
    "name",
    "kind",
    "parent_id",
    "state_relation",
    "perpetrator_type",
    "place_id",
    "description",
)


class OrganisationForm(FlaskForm):  # type: ignore[misc]
    name = StringField(_l("Name"), validators=text(300, required=True))
    kind = SelectField(_l("Kind"))
    parent_id = SelectField(_l("Part of"), default="")
    state_relation = SelectField(_l("Relation to the state"))
    perpetrator_type = SelectField(_l("Perpetrator type"))
    place_id = SelectField(_l("Place"), default="")
    description = TextAreaField(_l("Description"), validators=text(LONG_TEXT))
    submit = SubmitField(_l("Save"))


class OrganisationEditForm(OrganisationForm):
    version = version_field()


class OrganisationAliasForm(FlaskForm):  # type: ignore[misc]
    text = StringField(_l("Alias as written"), validators=text(300, required=True))
    script = SelectField(_l("Script"), default="")
    submit = SubmitField(_l("Add alias"))
