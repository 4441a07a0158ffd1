"""The one disclosure gate: build timeline and dossier snapshots with the level applied once.

Check the level first, then read only records the viewer may see, then whitelist every value
field by field (snapshot_people, snapshot_timeline, snapshot_dossier). Renderers get frozen
plain data (tracker.reporting.model) and never the database.
"""

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session

from tracker.domain.disclosure import DisclosureLevel, require_level
from tracker.domain.errors import InvalidInput
from tracker.models import Case, Organisation, Person, Place
from tracker.reporting.model import Dossier, Timeline
from tracker.reporting.snapshot_context import SnapshotContext, make_context, place_label
from tracker.reporting.snapshot_dossier import (
    case_summary,
    dossier_evidence,
    dossier_perpetrators,
    dossier_persons,
    dossier_sources,
    legal_action_entries,
    upcoming_deadlines,
)
from tracker.reporting.snapshot_people import organisation_label
from tracker.reporting.snapshot_timeline import (
    gather_facts,
    load_incidents,
    make_header,
    timeline_of,
    visible_filters,
    with_redactor,
)
from tracker.services.cases import clients_of_case
from tracker.services.incident_queries import IncidentFilters
from tracker.services.restrictions import Viewer, get_visible_record

SUBJECT_KINDS = ("case", "person", "place", "organisation", "filter")


@dataclass(frozen=True)
class TimelineSubject:
    """What a timeline is about: a record by id, or any incident filter."""

    kind: str  # one of SUBJECT_KINDS
    record_id: uuid.UUID | None = None
    filters: IncidentFilters | None = None


def build_timeline(
    session: Session,
    *,
    subject: TimelineSubject,
    level: DisclosureLevel,
    viewer: Viewer,
    generated_at: datetime,
    generated_by: str,
    language: str = "en",
) -> Timeline:
    """The subject's live, visible incidents in DOMAIN §4 order, at the level.

    Raises DisclosureRefused when the viewer's roles may not use the level, RecordNotFound
    for an unknown, deleted or hidden subject, InvalidInput for a malformed subject.
    """
    require_level(viewer.roles, level)
    context = make_context(session, level=level, viewer=viewer, language=language)
    filters, subject_label = resolve_subject(context, subject)
    facts = gather_facts(session, load_incidents(session, visible_filters(filters, context)))
    context = with_redactor(context, facts)
    header = make_header(
        context,
        title="Timeline",
        subject=subject_label,
        generated_at=generated_at,
        generated_by=generated_by,
    )
    return timeline_of(context, header, facts)


def build_dossier(
    session: Session,
    *,
    case_id: uuid.UUID,
    level: DisclosureLevel,
    viewer: Viewer,
    generated_at: datetime,
    generated_by: str,
    language: str = "en",
) -> Dossier:
    """A case file at the level: chronology, persons, perpetrators, legal actions, sources,
    evidence. Raises DisclosureRefused for a level the viewer's roles may not use and
    RecordNotFound for an unknown, deleted or hidden case."""
    require_level(viewer.roles, level)
    context = make_context(session, level=level, viewer=viewer, language=language)
    case = get_visible_record(session, viewer, Case, case_id)
    filters = visible_filters(IncidentFilters(case_id=case.id), context)
    clients = [client.person_id for client in clients_of_case(session, case.id)]
    facts = gather_facts(session, load_incidents(session, filters), extra_person_ids=clients)
    context = with_redactor(context, facts)
    header = make_header(
        context,
        title="Case dossier",
        subject=f"Case {case.code}",
        generated_at=generated_at,
        generated_by=generated_by,
    )
    legal_actions = legal_action_entries(context, case)
    return Dossier(
        header=header,
        case_code=case.code,
        case_title=context.redact(case.title),
        case_status=context.label("case_status", case.status),
        summary=case_summary(context, case, facts, clients),
        chronology=timeline_of(context, header, facts),
        persons=dossier_persons(context, facts, clients),
        perpetrators=dossier_perpetrators(context, facts),
        legal_actions=legal_actions,
        upcoming_deadlines=upcoming_deadlines(legal_actions, generated_at.date()),
        sources=dossier_sources(context, facts),
        evidence=dossier_evidence(context, facts),
    )


# --- subjects ---------------------------------------------------------------------------------


def resolve_subject(
    context: SnapshotContext, subject: TimelineSubject
) -> tuple[IncidentFilters, str]:
    """The filters finding the subject's incidents, and the subject as the level may name it.

    Raises RecordNotFound for an unknown, deleted or hidden record; InvalidInput otherwise.
    """
    if subject.kind == "filter":
        if subject.filters is None:
            raise InvalidInput("subject: a filter timeline needs filters")
        return subject.filters, "Selected incidents"
    if subject.kind not in SUBJECT_KINDS:
        raise InvalidInput(f"subject: unknown kind; use {', '.join(SUBJECT_KINDS)}")
    if subject.record_id is None:
        raise InvalidInput(f"subject: a {subject.kind} timeline needs the record's id")
    return RECORD_SUBJECTS[subject.kind](context, subject.record_id)


def case_subject(context: SnapshotContext, case_id: uuid.UUID) -> tuple[IncidentFilters, str]:
    case = get_visible_record(context.session, context.viewer, Case, case_id)
    return IncidentFilters(case_id=case.id), f"Case {case.code}"


def person_subject(context: SnapshotContext, person_id: uuid.UUID) -> tuple[IncidentFilters, str]:
    person = get_visible_record(context.session, context.viewer, Person, person_id)
    # Pseudonym codes are withheld in public: the subject is then named by nothing.
    label = "One person" if context.level is DisclosureLevel.PUBLIC else person.pseudonym_code
    return IncidentFilters(person_id=person.id), f"Person {label}"


def place_subject(context: SnapshotContext, place_id: uuid.UUID) -> tuple[IncidentFilters, str]:
    place = get_visible_record(context.session, context.viewer, Place, place_id)
    label = place_label(context, place.id) or "(withheld)"
    return IncidentFilters(place_id=place.id), f"Place {label}"


def organisation_subject(
    context: SnapshotContext, organisation_id: uuid.UUID
) -> tuple[IncidentFilters, str]:
    organisation = get_visible_record(
        context.session, context.viewer, Organisation, organisation_id
    )
    label = organisation_label(context, organisation, perpetrator=True)
    return IncidentFilters(organisation_id=organisation.id), f"Organisation {label}"


RECORD_SUBJECTS = {
    "case": case_subject,
    "person": person_subject,
    "place": place_subject,
    "organisation": organisation_subject,
}
