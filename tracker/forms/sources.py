"""Forms of the source pages: a source and its reliability grade."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, SelectField, StringField, SubmitField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Optional

from tracker.forms.records import LONG_TEXT, text, version_field

SOURCE_FIELDS = (
    "kind",
    "title",
    "citation_text",
    "url",
    "published_text",
    "accessed_on",
    "reliability",
)
# NATO/Admiralty source reliability (DOMAIN §2); unset means F, never A.
RELIABILITY = (
    SelectChoice("A", _l("A – completely reliable")),
    SelectChoice("B", _l("B – usually reliable")),
    SelectChoice("C", _l("C – fairly reliable")),
    SelectChoice("D", _l("D – not usually reliable")),
    SelectChoice("E", _l("E – unreliable")),
    SelectChoice("F", _l("F – reliability cannot be judged")),
)


class SourceForm(FlaskForm):  # type: ignore[misc]
    kind = SelectField(_l("Kind"))
    title = StringField(_l("Title"), validators=text(500))
    citation_text = TextAreaField(_l("Citation"), validators=text(LONG_TEXT))
    url = StringField(_l("Web address"), validators=text(2_000))
    published_text = StringField(_l("Published (as written)"), validators=text(200))
    accessed_on = DateField(_l("Accessed on"), validators=[Optional()])
    reliability = SelectField(_l("Reliability"), choices=RELIABILITY, default="F")
    submit = SubmitField(_l("Save"))


class SourceEditForm(SourceForm):
    version = version_field()
