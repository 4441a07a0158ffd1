"""Forms of the case pages: the case itself, its incidents and clients, legal actions."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, IntegerField, SelectField, StringField, SubmitField, TextAreaField
from wtforms.validators import NumberRange, Optional

from tracker.forms.records import LONG_TEXT, text, version_field

CASE_FIELDS = ("title", "summary", "status", "lead_lawyer_id")


class CaseForm(FlaskForm):  # type: ignore[misc]
    title = StringField(_l("Title"), validators=text(300, required=True))
    summary = TextAreaField(_l("Summary"), validators=text(LONG_TEXT))
    status = SelectField(_l("Status"))
    lead_lawyer_id = SelectField(_l("Lead lawyer"), default="")
    submit = SubmitField(_l("Save"))


class CaseEditForm(CaseForm):
    version = version_field()


class IncidentCodeForm(FlaskForm):  # type: ignore[misc]
    incident_code = StringField(_l("Incident code"), validators=text(20, required=True))
    submit = SubmitField(_l("Add incident"))


class ClientForm(FlaskForm):  # type: ignore[misc]
    pseudonym_code = StringField(_l("Pseudonym code"), validators=text(12, required=True))
    submit = SubmitField(_l("Add client"))


class LegalActionForm(FlaskForm):  # type: ignore[misc]
    kind = SelectField(_l("Kind"))
    forum = StringField(_l("Court or body"), validators=text(300))
    filed_on_text = StringField(_l("Filed on"), validators=text(200))
    decided_on_text = StringField(_l("Decided on"), validators=text(200))
    served_on_text = StringField(_l("Served on"), validators=text(200))
    is_final_domestic = BooleanField(_l("Final domestic decision (starts the ECtHR time limit)"))
    outcome = TextAreaField(_l("Outcome"), validators=text(LONG_TEXT))
    sentence_months = IntegerField(
        _l("Sentence in months"), validators=[Optional(), NumberRange(min=0, max=1200)]
    )
    notes = TextAreaField(_l("Notes"), validators=text(LONG_TEXT))
    submit = SubmitField(_l("Add legal action"))


class LegalActionEditForm(LegalActionForm):
    version = version_field()
    submit = SubmitField(_l("Save"))


class LegalActionDeleteForm(FlaskForm):  # type: ignore[misc]
    """The small delete button on each legal action row: no reason asked, the audit keeps it."""

    version = version_field()
    submit = SubmitField(_l("Delete"))
