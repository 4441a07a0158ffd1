"""Forms of the report pages: annual report, case dossier and timeline downloads."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, IntegerField, PasswordField, SelectField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, EqualTo, Length, NumberRange, Optional

from tracker.domain.disclosure import LEVEL_ORDER, DisclosureLevel
from tracker.forms.records import no_control_characters

LEVEL_LABELS = {
    DisclosureLevel.INTERNAL: _l("Internal: everything, for the organisation only"),
    DisclosureLevel.LEGAL: _l("Legal: names as consented, for court"),
    DisclosureLevel.PARTNER: _l("Partner: pseudonymised, for trusted partners"),
    DisclosureLevel.PUBLIC: _l("Public: aggregates and consented narratives"),
}
LEVEL_NAMES = {
    DisclosureLevel.INTERNAL: _l("internal"),
    DisclosureLevel.LEGAL: _l("legal"),
    DisclosureLevel.PARTNER: _l("partner"),
    DisclosureLevel.PUBLIC: _l("public"),
}
REPORT_LANGUAGES = (
    SelectChoice("en", "English"),
    SelectChoice("az", "Azərbaycanca"),
    SelectChoice("ru", "Русский"),
)
# The PDF alone, or the PDF with what belongs beside it (manifest JSON, CSV tables) in a ZIP.
PACKAGES = (SelectChoice("pdf", _l("PDF")), SelectChoice("zip", _l("PDF with its files (ZIP)")))
TIMELINE_SUBJECTS = ("case", "person", "place", "organisation")
# Whoever receives an encrypted dossier gets the password another way; make it worth guessing.
MIN_PASSWORD_LENGTH = 12
FIRST_YEAR, LAST_YEAR = 1901, 9999


def level_field() -> SelectField:
    """Every level is a valid answer; views offer only the user's own and refuse the rest."""
    return SelectField(
        _l("Disclosure level"),
        choices=[SelectChoice(level.value, LEVEL_LABELS[level]) for level in LEVEL_ORDER],
        validators=[DataRequired()],
    )


def package_field() -> SelectField:
    return SelectField(_l("Download"), choices=list(PACKAGES), default="pdf")


class AnnualReportForm(FlaskForm):  # type: ignore[misc]
    year = IntegerField(
        _l("Year"),
        validators=[
            DataRequired(_l("Give a year such as 2023.")),
            NumberRange(FIRST_YEAR, LAST_YEAR, _l("Give a year such as 2023.")),
        ],
    )
    level = level_field()
    language = SelectField(_l("Language of the report"), choices=list(REPORT_LANGUAGES))
    region_id = SelectField(_l("Region"), default="")
    incident_type = SelectField(_l("Type of incident"), default="")
    package = package_field()


class DossierForm(FlaskForm):  # type: ignore[misc]
    level = level_field()
    password = PasswordField(
        _l("Password to encrypt the PDF (optional)"),
        validators=[
            Optional(),
            Length(MIN_PASSWORD_LENGTH, 200, _l("Use between %(min)d and %(max)d characters.")),
            no_control_characters,
        ],
    )
    password_confirmation = PasswordField(
        _l("Password again"),
        validators=[EqualTo("password", _l("The two passwords differ."))],
    )
    package = package_field()


class TimelineDownloadForm(FlaskForm):  # type: ignore[misc]
    subject = HiddenField(validators=[DataRequired(), Length(max=20)])
    # None for a filter subject, whose filters are posted beside it as the list's fields.
    record_id = HiddenField(validators=[Optional(), Length(max=40)])
    level = level_field()
