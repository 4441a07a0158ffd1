"""Incidents: record one from a draft, read it, change it, delete and restore it."""

import dataclasses
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlmodel import Session, col

from tracker.domain.dates import (
    UNKNOWN_DATE,
    FuzzyDate,
    parse_fuzzy_date,
    validate_date_order,
)
from tracker.domain.errors import InvalidDate, InvalidInput, RecordNotFound
from tracker.models import Incident
from tracker.services.codes import allocate_code
from tracker.services.places import require_place
from tracker.services.records import (
    create_record,
    get_record,
    restore_record,
    soft_delete_record,
    update_record,
)
from tracker.services.vocabularies import require_code, require_codes

INCIDENT_CODE_PREFIX = "INC-"
INCIDENT_CODE_WIDTH = 6
# Discrimination is only meaningful with the sector it happened in (health, work, housing).
TYPES_NEEDING_SECTOR = frozenset({"DISC"})


@dataclass(frozen=True)
class IncidentDraft:
    """What a documenter entered for one incident, dates as typed."""

    type: str
    start_text: str = "unknown"
    end_text: str | None = None
    secondary_types: tuple[str, ...] = ()
    violations: tuple[str, ...] = ()
    place_id: uuid.UUID | None = None
    title: str = ""
    summary: str = ""
    narrative: str = ""
    reported_victims_text: str = ""
    reported_victims_min: int | None = None
    reported_victims_max: int | None = None
    verification_status: str = "unverified"
    sector: str = ""
    inferred_note: str = ""
    publishable: bool = False


DRAFT_FIELDS = frozenset(field.name for field in dataclasses.fields(IncidentDraft))
DATE_FIELDS = frozenset({"start_text", "end_text"})


# --- validation -------------------------------------------------------------------------------


def parse_date_field(
    text: str, field: str, *, reference_date: date | None, today: date | None
) -> FuzzyDate:
    """Raises InvalidDate naming the field."""
    if not text.strip():
        return UNKNOWN_DATE
    try:
        return parse_fuzzy_date(text, reference_date=reference_date, today=today)
    except InvalidDate as error:
        raise InvalidDate(f"{field}: {error}") from None


def check_types(session: Session, draft: IncidentDraft) -> None:
    """Raises InvalidInput for unknown types, repeats, or DISC without a sector."""
    require_code(session, "incident_type", draft.type, "type")
    secondary = require_codes(
        session, "incident_type", list(draft.secondary_types), "secondary_types"
    )
    if draft.type in secondary:
        raise InvalidInput(f"secondary_types: '{draft.type}' is already the primary type")
    if TYPES_NEEDING_SECTOR & {draft.type, *secondary} and not draft.sector.strip():
        raise InvalidInput("sector: discrimination (DISC) needs the sector, e.g. health, work")
    check_violations(session, draft.violations)


def check_violations(session: Session, violations: tuple[str, ...]) -> None:
    """Raises InvalidInput for unknown codes, or ECHR-14 without another article."""
    codes = require_codes(session, "violation", list(violations), "violations")
    # Article 14 (discrimination) is never engaged alone: it applies with another right.
    if "ECHR-14" in codes and len(set(codes)) == 1:
        raise InvalidInput("violations: ECHR-14 always goes with another article")


def check_victim_counts(draft: IncidentDraft) -> None:
    """Raises InvalidInput for negative or inverted reported counts."""
    low, high = draft.reported_victims_min, draft.reported_victims_max
    for field, value in (("reported_victims_min", low), ("reported_victims_max", high)):
        if value is not None and (
            isinstance(value, bool) or not isinstance(value, int) or value < 0
        ):
            raise InvalidInput(f"{field}: must be a whole number of 0 or more")
    if low is not None and high is not None and low > high:
        raise InvalidInput("reported_victims_min: larger than reported_victims_max")


def check_draft(session: Session, draft: IncidentDraft) -> None:
    """Every rule an incident obeys apart from its dates. Raises InvalidInput naming the field."""
    check_types(session, draft)
    require_place(session, draft.place_id, "place_id")
    check_victim_counts(draft)
    require_code(session, "verification_status", draft.verification_status, "verification_status")
    if not isinstance(draft.publishable, bool):
        raise InvalidInput("publishable: must be true or false")


# --- columns ----------------------------------------------------------------------------------


def start_columns(start: FuzzyDate) -> dict[str, Any]:
    return {
        "start_text": start.original_text,
        "start_earliest": start.earliest,
        "start_latest": start.latest,
        "start_precision": start.precision.value,
        "start_qualifier": start.qualifier.value,
    }


def end_columns(end: FuzzyDate | None) -> dict[str, Any]:
    if end is None:
        return {
            "end_text": None,
            "end_earliest": None,
            "end_latest": None,
            "end_precision": None,
            "end_qualifier": None,
        }
    return {
        "end_text": end.original_text,
        "end_earliest": end.earliest,
        "end_latest": end.latest,
        "end_precision": end.precision.value,
        "end_qualifier": end.qualifier.value,
    }


def plain_columns(draft: IncidentDraft) -> dict[str, Any]:
    """The draft's fields that are stored as they are."""
    values = {name: getattr(draft, name) for name in DRAFT_FIELDS - DATE_FIELDS}
    values["secondary_types"] = list(draft.secondary_types)
    values["violations"] = list(draft.violations)
    return values


def parse_dates(
    draft: IncidentDraft, *, reference_date: date | None, today: date | None
) -> tuple[FuzzyDate, FuzzyDate | None]:
    """The draft's start and end, parsed and in order. Raises InvalidDate naming the field."""
    start = parse_date_field(draft.start_text, "start", reference_date=reference_date, today=today)
    end = None
    if draft.end_text is not None and draft.end_text.strip():
        end = parse_date_field(draft.end_text, "end", reference_date=reference_date, today=today)
    check_date_order(start, end)
    return start, end


def check_date_order(start: FuzzyDate, end: FuzzyDate | None) -> None:
    try:
        validate_date_order(start, end)
    except InvalidDate as error:
        raise InvalidDate(f"end: {error}") from None


# --- use-cases --------------------------------------------------------------------------------


def record_incident(
    session: Session,
    *,
    draft: IncidentDraft,
    actor_id: uuid.UUID | None,
    reference_date: date | None = None,
    today: date | None = None,
) -> Incident:
    """Store a new incident with a server-assigned code (INC-000001).

    `reference_date` is when the account was given (for "2 years ago"); `today` bounds future
    dates. Raises InvalidInput (InvalidDate for dates) naming the field; nothing is written.
    """
    check_draft(session, draft)
    start, end = parse_dates(draft, reference_date=reference_date, today=today)
    code = allocate_code(
        session,
        family="incident",
        column=Incident.code,
        prefix=INCIDENT_CODE_PREFIX,
        width=INCIDENT_CODE_WIDTH,
    )
    values = {**plain_columns(draft), **start_columns(start), **end_columns(end), "code": code}
    return create_record(session, Incident, actor_id=actor_id, values=values)


def get_incident(
    session: Session, incident_id: uuid.UUID, *, include_deleted: bool = False
) -> Incident:
    """Raises RecordNotFound."""
    return get_record(session, Incident, incident_id, include_deleted=include_deleted)


def get_incident_by_code(session: Session, code: str) -> Incident:
    """A live incident by its code. Raises RecordNotFound."""
    statement = select(Incident).where(col(Incident.code) == code)
    incident: Incident | None = session.execute(statement).scalar_one_or_none()
    if incident is None or incident.is_deleted:
        raise RecordNotFound(f"No incident {code}.")
    return incident


def draft_of(incident: Incident) -> IncidentDraft:
    """The incident as a draft, dates as they were typed."""
    values = {name: getattr(incident, name) for name in DRAFT_FIELDS}
    values["secondary_types"] = tuple(incident.secondary_types)
    values["violations"] = tuple(incident.violations)
    return IncidentDraft(**values)


def changed_dates(
    incident: Incident,
    changes: Mapping[str, Any],
    *,
    reference_date: date | None,
    today: date | None,
) -> dict[str, Any]:
    """Columns of re-parsed dates; dates not changed keep their stored bounds."""
    start, end = incident.start, incident.end
    columns: dict[str, Any] = {}
    if "start_text" in changes:
        start = parse_date_field(
            changes["start_text"] or "", "start", reference_date=reference_date, today=today
        )
        columns.update(start_columns(start))
    if "end_text" in changes:
        text = changes["end_text"]
        end = (
            None
            if text is None or not text.strip()
            else parse_date_field(text, "end", reference_date=reference_date, today=today)
        )
        columns.update(end_columns(end))
    check_date_order(start, end)
    return columns


def update_incident(
    session: Session,
    *,
    incident_id: uuid.UUID,
    expected_version: int,
    changes: Mapping[str, Any],
    actor_id: uuid.UUID | None,
    reference_date: date | None = None,
    today: date | None = None,
) -> Incident:
    """Change an incident's fields; `start_text`/`end_text` are parsed again.

    Raises InvalidInput naming the field, EditConflict when someone saved first, RecordNotFound.
    """
    incident = get_incident(session, incident_id)
    unknown = sorted(set(changes) - DRAFT_FIELDS)
    if unknown:
        raise InvalidInput(f"incident: unknown or read-only fields {', '.join(unknown)}")
    draft = dataclasses.replace(draft_of(incident), **changes)
    check_draft(session, draft)
    columns = {name: value for name, value in plain_columns(draft).items() if name in changes}
    columns.update(changed_dates(incident, changes, reference_date=reference_date, today=today))
    return update_record(
        session, incident, actor_id=actor_id, expected_version=expected_version, changes=columns
    )


def delete_incident(
    session: Session,
    *,
    incident_id: uuid.UUID,
    expected_version: int,
    actor_id: uuid.UUID | None,
    reason: str = "",
) -> Incident:
    """Soft-delete; the incident can be restored. Raises EditConflict, RecordNotFound."""
    incident = get_incident(session, incident_id)
    return soft_delete_record(
        session, incident, actor_id=actor_id, expected_version=expected_version, reason=reason
    )


def restore_incident(
    session: Session,
    *,
    incident_id: uuid.UUID,
    expected_version: int,
    actor_id: uuid.UUID | None,
    reason: str = "",
) -> Incident:
    """Raises InvalidInput when not deleted, EditConflict, RecordNotFound."""
    incident = get_incident(session, incident_id, include_deleted=True)
    return restore_record(
        session, incident, actor_id=actor_id, expected_version=expected_version, reason=reason
    )
