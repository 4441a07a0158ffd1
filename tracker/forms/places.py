"""Forms of the place pages: a node of the place tree and its aliases."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, FloatField, SelectField, StringField, SubmitField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import NumberRange, Optional

from tracker.forms.records import text, version_field

PLACE_FIELDS = (
    "name",
    "kind",
    "parent_id",
    "geo_precision",
    "latitude",
    "longitude",
    "sensitive",
    "platform",
)
# After ACLED's geo_precision (DOMAIN §5).
PRECISIONS = (
    SelectChoice("1", _l("1 – site")),
    SelectChoice("2", _l("2 – district or town")),
    SelectChoice("3", _l("3 – first-level unit")),
    SelectChoice("4", _l("4 – country")),
    SelectChoice("5", _l("5 – unknown")),
)


class PlaceForm(FlaskForm):  # type: ignore[misc]
    name = StringField(_l("Name"), validators=text(200, required=True))
    kind = SelectField(_l("Kind"))
    parent_id = SelectField(_l("Inside"), default="")
    geo_precision = SelectField(_l("Precision"), choices=PRECISIONS, coerce=int, default=5)
    latitude = FloatField(_l("Latitude"), validators=[Optional(), NumberRange(min=-90, max=90)])
    longitude = FloatField(_l("Longitude"), validators=[Optional(), NumberRange(min=-180, max=180)])
    sensitive = BooleanField(_l("Sensitive (a home, a shelter): never give coordinates"))
    platform = StringField(_l("Platform (online places)"), validators=text(100))
    submit = SubmitField(_l("Save"))


class PlaceEditForm(PlaceForm):
    version = version_field()


class AliasForm(FlaskForm):  # type: ignore[misc]
    text = StringField(_l("Alias as written"), validators=text(200, required=True))
    script = SelectField(_l("Script"), default="")
    submit = SubmitField(_l("Add alias"))
