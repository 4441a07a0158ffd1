"""Forms of the incident screens: list filters, the full form, quick entry, delete and restore."""

import uuid
from collections.abc import Iterable
from datetime import date
from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    Field,
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
    InputRequired,
    Length,
    NumberRange,
    Optional,
    ValidationError,
)
from wtforms.widgets import TextInput

from tracker.domain.dates import FuzzyDate, parse_fuzzy_date
from tracker.domain.errors import InvalidDate
from tracker.forms.records import no_control_characters
from tracker.models import Incident
from tracker.services.incident_entry import NewPlace, QuickEntry
from tracker.services.incident_queries import DateMatch, IncidentFilters
from tracker.services.incidents import IncidentDraft

Choices = Iterable[tuple[str, str]]
# Text that finds records (codes, names, dates to filter by) or goes to the audit log as a
# reason: never searched for or stored with a NUL, which PostgreSQL refuses outright. Fields
# saved through the services are checked there, with the services' own message.
LOOKUP_TEXT = (Optional(), no_control_characters)
MAX_SUMMARY = 20_000
MAX_NARRATIVE = 200_000
MAX_COUNT = 10_000_000


def select_choices(choices: Choices, blank: Any = None) -> list[SelectChoice]:
    """Choices for a select, after an empty option labelled `blank` when given."""
    first = [SelectChoice("", str(blank))] if blank is not None else []
    return first + [SelectChoice(value, label) for value, label in choices]


def uuid_or_none(text: str | None) -> uuid.UUID | None:
    """Raises ValueError for text that is not a UUID."""
    return uuid.UUID(text) if text else None


def strip(text: str | None) -> str | None:
    return text.strip() if text else text


def check_uuid(_form: Any, field: Field) -> None:
    try:
        uuid_or_none(field.data)
    except ValueError:
        raise ValidationError(_l("Choose one of the listed records.")) from None


def keep_unlisted(field: SelectField, label: str) -> None:
    """A chosen id that the bounded list does not show (a link from elsewhere) stays chosen."""
    if field.data and all(choice.value != field.data for choice in field.choices):
        field.choices = [*field.choices, SelectChoice(field.data, label)]


# --- list filters -----------------------------------------------------------------------------


class SelectOrTextField(SelectField):  # type: ignore[misc]
    """A select that the view may turn into a text input (its widget) when choices are many."""

    def _value(self) -> str:
        return str(self.data) if self.data is not None else ""

    def as_text_input(self) -> None:
        self.choices: list[SelectChoice] = []
        self.widget = TextInput()


SORT_LABELS = (
    ("-date", _l("Date, newest first")),
    ("date", _l("Date, oldest first")),
    ("-code", _l("Code, newest first")),
    ("code", _l("Code, oldest first")),
    ("updated", _l("Recently changed")),
    ("-created", _l("Recently recorded")),
    ("created", _l("First recorded")),
)


class IncidentFilterForm(FlaskForm):  # type: ignore[misc]
    """The list's filters, sent with GET so a filtered list can be bookmarked and exported."""

    class Meta:
        csrf = False

    type = SelectField(_l("Type"), default="")
    date_from = StringField(
        _l("From"), validators=[*LOOKUP_TEXT, Length(max=200)], render_kw={"inputmode": "text"}
    )
    date_to = StringField(_l("To"), validators=[*LOOKUP_TEXT, Length(max=200)])
    date_match = SelectField(
        _l("Dates must"),
        choices=[
            SelectChoice(DateMatch.OVERLAPS.value, _l("overlap the period")),
            SelectChoice(DateMatch.WHOLLY_WITHIN.value, _l("lie wholly within the period")),
        ],
        default=DateMatch.OVERLAPS.value,
    )
    # Places are a select while few (the view decides); the others are typed, since a list of
    # every person, case or organisation would outweigh the page.
    place = SelectOrTextField(
        _l("Place, with its sub-places"),
        validate_choice=False,
        validators=[*LOOKUP_TEXT, Length(max=300)],
    )
    perpetrator_type = SelectField(_l("Perpetrator type"), default="")
    organisation = StringField(
        _l("Organisation"), validators=[*LOOKUP_TEXT, Length(max=300)], filters=[strip]
    )
    verification_status = SelectField(_l("Verification"), default="")
    case = StringField(_l("Case"), validators=[*LOOKUP_TEXT, Length(max=300)], filters=[strip])
    person = StringField(_l("Person"), validators=[*LOOKUP_TEXT, Length(max=300)], filters=[strip])
    sort = SelectField(
        _l("Sort"), choices=[SelectChoice(v, label) for v, label in SORT_LABELS], default="-date"
    )

    understood_from: FuzzyDate | None = None
    understood_to: FuzzyDate | None = None

    def validate_date_from(self, field: StringField) -> None:
        self.understood_from = period_bound(field.data, needs="earliest")

    def validate_date_to(self, field: StringField) -> None:
        self.understood_to = period_bound(field.data, needs="latest")

    def record_texts(self) -> dict[str, str]:
        """What was typed or chosen for the record filters, to be looked up."""
        return {name: self[name].data or "" for name in ("place", "organisation", "case", "person")}

    def to_filters(
        self, visible_to_user_id: uuid.UUID | None, records: dict[str, uuid.UUID | None]
    ) -> IncidentFilters:
        """The filters asked for, with the ids the record fields were found to name.

        Call after validate().
        """
        return IncidentFilters(
            type=self.type.data or None,
            date_from=self.understood_from.earliest if self.understood_from else None,
            date_to=self.understood_to.latest if self.understood_to else None,
            date_match=DateMatch(self.date_match.data or DateMatch.OVERLAPS.value),
            place_id=records.get("place"),
            perpetrator_type=self.perpetrator_type.data or None,
            organisation_id=records.get("organisation"),
            verification_status=self.verification_status.data or None,
            case_id=records.get("case"),
            person_id=records.get("person"),
            visible_to_user_id=visible_to_user_id,
        )


def period_bound(text: str | None, *, needs: str) -> FuzzyDate | None:
    """A typed date read as a period; "2019" from its first day, to its last. None when empty."""
    if not text or not text.strip():
        return None
    try:
        # A period asked about may reach past today ("to 2030"); incidents' dates may not.
        understood = parse_fuzzy_date(text, today=date.max)
    except InvalidDate as error:
        raise ValidationError(str(error)) from None
    if getattr(understood, needs) is None:
        raise ValidationError(_l("Give a date with bounds, e.g. 2019, March 2019 or 8.03.2019."))
    return understood


# --- the full incident form -------------------------------------------------------------------


class PlacePickerMixin:
    """A place from the list, or a new one typed here and created inside the place chosen."""

    place = SelectField(_l("Place"), validate_choice=False, validators=[check_uuid])
    new_place_name = StringField(_l("Or a new place"), validators=[Optional(), Length(max=200)])
    new_place_kind = SelectField(_l("Kind of the new place"), default="site")

    def new_place(self) -> NewPlace | None:
        name = (self.new_place_name.data or "").strip()
        return NewPlace(name=name, kind=self.new_place_kind.data or "") if name else None


class IncidentForm(PlacePickerMixin, FlaskForm):  # type: ignore[misc]
    title = StringField(_l("Title"), validators=[Optional(), Length(max=300)])
    type = SelectField(_l("Type"), validators=[InputRequired()], default="")
    secondary_types = SelectMultipleField(_l("Also"))
    start_text = StringField(
        _l("When (as said)"), validators=[Optional(), Length(max=200)], default="unknown"
    )
    end_text = StringField(_l("Until (if it lasted)"), validators=[Optional(), Length(max=200)])
    summary = TextAreaField(_l("Summary"), validators=[Optional(), Length(max=MAX_SUMMARY)])
    narrative = TextAreaField(_l("Narrative"), validators=[Optional(), Length(max=MAX_NARRATIVE)])
    verification_status = SelectField(_l("Verification"), default="unverified")
    violations = SelectMultipleField(_l("Violations (ECHR articles)"))
    reported_victims_text = StringField(
        _l("Reported victims, as said"), validators=[Optional(), Length(max=200)]
    )
    reported_victims_min = IntegerField(
        _l("At least"), validators=[Optional(), NumberRange(min=0, max=MAX_COUNT)]
    )
    reported_victims_max = IntegerField(
        _l("At most"), validators=[Optional(), NumberRange(min=0, max=MAX_COUNT)]
    )
    sector = StringField(
        _l("Sector (for discrimination)"), validators=[Optional(), Length(max=100)]
    )
    inferred_note = StringField(
        _l("What was inferred, not stated"), validators=[Optional(), Length(max=500)]
    )
    publishable = BooleanField(_l("May appear in public reports"))
    version = HiddenField()
    check = SubmitField(_l("Check the dates"))
    submit = SubmitField(_l("Save"))

    def to_draft(self, *, may_review: bool) -> IncidentDraft:
        """The typed incident; verification stays unverified unless a reviewer sets it."""
        return IncidentDraft(
            verification_status=self.verification_status.data if may_review else "unverified",
            **self.plain_values(),
        )

    def to_changes(self, *, may_review: bool) -> dict[str, Any]:
        changes = self.plain_values()
        if may_review:
            changes["verification_status"] = self.verification_status.data
        return changes

    def plain_values(self) -> dict[str, Any]:
        return {
            "title": self.title.data or "",
            "type": self.type.data,
            "secondary_types": tuple(self.secondary_types.data or ()),
            "start_text": self.start_text.data or "",
            "end_text": (self.end_text.data or "").strip() or None,
            "place_id": uuid_or_none(self.place.data),
            "summary": self.summary.data or "",
            "narrative": self.narrative.data or "",
            "violations": tuple(self.violations.data or ()),
            "reported_victims_text": self.reported_victims_text.data or "",
            "reported_victims_min": self.reported_victims_min.data,
            "reported_victims_max": self.reported_victims_max.data,
            "sector": self.sector.data or "",
            "inferred_note": self.inferred_note.data or "",
            "publishable": bool(self.publishable.data),
        }

    @property
    def expected_version(self) -> int:
        """Raises ValueError when the hidden version is missing or not a number."""
        return int(self.version.data or "")

    @property
    def checking(self) -> bool:
        """The user asked to see how the dates were read, not to save."""
        return bool(self.check.data)


def incident_form_data(incident: Incident) -> dict[str, Any]:
    """The incident as the form's values, dates as they were typed."""
    return {
        "title": incident.title,
        "type": incident.type,
        "secondary_types": list(incident.secondary_types),
        "start_text": incident.start_text,
        "end_text": incident.end_text or "",
        "place": str(incident.place_id) if incident.place_id else "",
        "summary": incident.summary,
        "narrative": incident.narrative,
        "verification_status": incident.verification_status,
        "violations": list(incident.violations),
        "reported_victims_text": incident.reported_victims_text,
        "reported_victims_min": incident.reported_victims_min,
        "reported_victims_max": incident.reported_victims_max,
        "sector": incident.sector,
        "inferred_note": incident.inferred_note,
        "publishable": incident.publishable,
        "version": str(incident.version),
    }


# --- quick entry ------------------------------------------------------------------------------


class QuickEntryForm(PlacePickerMixin, FlaskForm):  # type: ignore[misc]
    """What happened, when, where, who and how we know, in under a minute on a phone."""

    type = SelectField(_l("Kind of incident"), validators=[InputRequired()], default="")
    summary = TextAreaField(_l("In a few words"), validators=[Optional(), Length(max=MAX_SUMMARY)])
    start_text = StringField(_l("When"), validators=[Optional(), Length(max=200)], default="")
    new_victim = BooleanField(_l("Record a new victim (gets a code such as V-2024-001)"))
    victim_real_name = StringField(
        _l("Their real name (optional)"), validators=[Optional(), Length(max=200)]
    )
    victim_code = StringField(
        _l("Or the code of a person already recorded"), validators=[*LOOKUP_TEXT, Length(max=20)]
    )
    source_kind = SelectField(_l("How we know"), default="")
    source_text = TextAreaField(
        _l("Short citation or link"), validators=[Optional(), Length(max=2000)]
    )
    check = SubmitField(_l("Check the date"))
    submit = SubmitField(_l("Save"))

    def validate_victim_code(self, field: StringField) -> None:
        if (field.data or "").strip() and (self.new_victim.data or self.victim_real_name.data):
            raise ValidationError(_l("Either a new victim or a recorded one, not both."))

    def to_entry(self) -> QuickEntry:
        return QuickEntry(
            type=self.type.data,
            summary=self.summary.data or "",
            start_text=self.start_text.data or "",
            place_id=uuid_or_none(self.place.data),
            new_place=self.new_place(),
            new_victim=bool(self.new_victim.data),
            victim_real_name=self.victim_real_name.data or "",
            victim_code=self.victim_code.data or "",
            source_kind=self.source_kind.data or "",
            source_text=self.source_text.data or "",
        )

    @property
    def checking(self) -> bool:
        return bool(self.check.data)


# --- delete and restore -----------------------------------------------------------------------


class DeleteForm(FlaskForm):  # type: ignore[misc]
    version = HiddenField(validators=[InputRequired()])
    reason = StringField(_l("Why"), validators=[*LOOKUP_TEXT, Length(max=500)])
    submit = SubmitField(_l("Delete"))

    @property
    def expected_version(self) -> int:
        """Raises ValueError when the hidden version is not a number."""
        return int(self.version.data or "")


class RestoreForm(DeleteForm):
    submit = SubmitField(_l("Restore"))


# --- small forms on the incident page ---------------------------------------------------------


CREDIBILITY_LABELS = (
    ("6", _l("6 truth cannot be judged")),
    ("1", _l("1 confirmed by other sources")),
    ("2", _l("2 probably true")),
    ("3", _l("3 possibly true")),
    ("4", _l("4 doubtful")),
    ("5", _l("5 improbable")),
)


class InvolvementAddForm(FlaskForm):  # type: ignore[misc]
    """A person by pseudonym code, or an organisation, in one role."""

    role = SelectField(_l("Role"), default="victim")
    person_code = StringField(
        _l("Person's code"),
        validators=[*LOOKUP_TEXT, Length(max=20)],
        render_kw={"autocomplete": "off"},
    )
    organisation = SelectField(
        _l("Or an organisation"), validate_choice=False, validators=[check_uuid], default=""
    )
    perpetrator_type = SelectField(_l("Perpetrator type (alleged perpetrators)"), default="")
    add_involvement = SubmitField(_l("Add"))

    def values(self) -> dict[str, Any]:
        return {
            "role": self.role.data,
            "person_code": self.person_code.data or "",
            "organisation_id": uuid_or_none(self.organisation.data),
            "perpetrator_type": self.perpetrator_type.data or None,
        }


class CitationAddForm(FlaskForm):  # type: ignore[misc]
    """A source's claim about this incident, graded for credibility (unset: 6)."""

    source = SelectField(_l("Source"), validate_choice=False, validators=[check_uuid], default="")
    locator = StringField(_l("Where in the source"), validators=[Optional(), Length(max=500)])
    claim = TextAreaField(_l("What it says"), validators=[Optional(), Length(max=MAX_SUMMARY)])
    credibility = SelectField(
        _l("Credibility"),
        choices=[SelectChoice(value, label) for value, label in CREDIBILITY_LABELS],
        default="6",
    )
    add_citation = SubmitField(_l("Cite"))

    def validate_source(self, field: SelectField) -> None:
        if not field.data:
            raise ValidationError(_l("Choose a source."))

    def values(self) -> dict[str, Any]:
        return {
            "source_id": uuid_or_none(self.source.data),
            "locator": self.locator.data or "",
            "claim": self.claim.data or "",
            "credibility": int(self.credibility.data),
        }


class LinkAddForm(FlaskForm):  # type: ignore[misc]
    """This incident <link type> the incident with that code."""

    link_type = SelectField(_l("This incident"), default="precedes")
    other_code = StringField(
        _l("Incident code"),
        validators=[InputRequired(), Length(max=20), no_control_characters],
        render_kw={"autocomplete": "off", "placeholder": "INC-000123"},
    )
    note = StringField(_l("Note"), validators=[Optional(), Length(max=2000)])
    add_link = SubmitField(_l("Link"))

    def values(self) -> dict[str, Any]:
        return {
            "other_code": self.other_code.data or "",
            "link_type": self.link_type.data,
            "note": self.note.data or "",
        }
