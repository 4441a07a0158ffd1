"""The evidence upload form: a file, and what the person adding it says about it."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import SelectField, StringField, SubmitField, TextAreaField

from tracker.forms.records import LONG_TEXT, text


class EvidenceUploadForm(FlaskForm):  # type: ignore[misc]
    file = FileField(_l("File"), validators=[FileRequired(message=_l("Choose a file."))])
    title = StringField(_l("Title"), validators=text(500))
    # Choices are the evidence kinds, after an empty one: "from the file's type".
    kind = SelectField(_l("Kind"), default="")
    description = TextAreaField(_l("Description"), validators=text(LONG_TEXT))
    upload = SubmitField(_l("Store the file"))
