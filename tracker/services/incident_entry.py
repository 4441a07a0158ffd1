"""Incident entry: the full form and the quick entry, with places and people made inline."""

import dataclasses
import uuid
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlmodel import Session

from tracker.domain.errors import InvalidInput
from tracker.models import Citation, Incident, Person, Place
from tracker.services.incident_pages import fields_renamed, person_by_code, title_from
from tracker.services.incidents import IncidentDraft, record_incident, update_incident
from tracker.services.involvements import InvolvementDraft, add_involvement
from tracker.services.people import create_person
from tracker.services.places import create_place, require_place
from tracker.services.restrictions import Viewer
from tracker.services.sources import cite, create_source

# A new place sits inside the chosen one and is never coarser than it (DOMAIN §5).
KIND_PRECISION = {
    "country": 4,
    "first_level_unit": 3,
    "district": 2,
    "town": 2,
    "site": 1,
    "online": 5,
}


@dataclass(frozen=True)
class NewPlace:
    """A place typed into the picker; it is created inside the place chosen, if any."""

    name: str
    kind: str


def add_new_place(
    session: Session, *, parent_id: uuid.UUID | None, new_place: NewPlace, actor_id: uuid.UUID
) -> Place:
    """Create a place inside parent_id. Raises InvalidInput naming new_place_* or place."""
    with fields_renamed({"parent_id": "place"}, prefix="new_place_"):
        parent = require_place(session, parent_id, "parent_id")
        precision = KIND_PRECISION.get(new_place.kind, 5)
        if parent is not None:
            precision = min(precision, parent.geo_precision)
        return create_place(
            session,
            name=new_place.name,
            kind=new_place.kind,
            parent_id=parent_id,
            geo_precision=precision,
            actor_id=actor_id,
        )


def with_new_place(
    session: Session, draft: IncidentDraft, new_place: NewPlace | None, actor_id: uuid.UUID
) -> IncidentDraft:
    if new_place is None:
        return draft
    place = add_new_place(session, parent_id=draft.place_id, new_place=new_place, actor_id=actor_id)
    return dataclasses.replace(draft, place_id=place.id)


INCIDENT_FIELDS = {"place_id": "place", "start": "start_text", "end": "end_text"}


def create_incident(
    session: Session,
    *,
    draft: IncidentDraft,
    new_place: NewPlace | None,
    actor_id: uuid.UUID,
    today: date | None = None,
) -> Incident:
    """Record an incident, creating its new place first in the same transaction.

    Raises InvalidInput naming the form's field.
    """
    draft = with_new_place(session, draft, new_place, actor_id)
    with fields_renamed(INCIDENT_FIELDS):
        return record_incident(session, draft=draft, actor_id=actor_id, today=today)


def edit_incident(
    session: Session,
    *,
    incident_id: uuid.UUID,
    expected_version: int,
    changes: dict[str, Any],
    new_place: NewPlace | None,
    actor_id: uuid.UUID,
    today: date | None = None,
) -> Incident:
    """Change an incident, creating a new place first if one was typed.

    Raises InvalidInput naming the form's field, EditConflict, RecordNotFound.
    """
    if new_place is not None:
        place = add_new_place(
            session, parent_id=changes.get("place_id"), new_place=new_place, actor_id=actor_id
        )
        changes = {**changes, "place_id": place.id}
    with fields_renamed(INCIDENT_FIELDS):
        return update_incident(
            session,
            incident_id=incident_id,
            expected_version=expected_version,
            changes=changes,
            actor_id=actor_id,
            today=today,
        )


@dataclass(frozen=True)
class QuickEntry:
    """An activist's five answers: what, when, where, who (optional), how we know (optional)."""

    type: str
    summary: str
    start_text: str
    place_id: uuid.UUID | None = None
    new_place: NewPlace | None = None
    new_victim: bool = False
    victim_real_name: str = ""
    victim_code: str = ""
    source_kind: str = ""
    source_text: str = ""


@dataclass(frozen=True)
class QuickEntryResult:
    incident: Incident
    victim: Person | None


def record_quick_entry(
    session: Session, *, entry: QuickEntry, viewer: Viewer, today: date | None = None
) -> QuickEntryResult:
    """The incident with its new place, victim and source, all in the caller's transaction.

    Raises InvalidInput naming the quick-entry form's field; the caller rolls back.
    """
    existing = existing_victim(session, viewer, entry.victim_code)
    draft = IncidentDraft(
        type=entry.type,
        start_text=entry.start_text,
        place_id=entry.place_id,
        title=title_from(entry.summary),
        summary=entry.summary,
    )
    incident = create_incident(
        session, draft=draft, new_place=entry.new_place, actor_id=viewer.user_id, today=today
    )
    victim = existing or new_victim(session, entry, viewer.user_id)
    if victim is not None:
        as_victim = InvolvementDraft(role="victim", person_id=victim.id)
        add_involvement(session, incident_id=incident.id, draft=as_victim, actor_id=viewer.user_id)
    add_quick_source(session, entry, incident.id, viewer.user_id)
    return QuickEntryResult(incident, victim if existing is None else None)


def existing_victim(session: Session, viewer: Viewer, code: str) -> Person | None:
    """Raises InvalidInput at victim_code."""
    return person_by_code(session, viewer, code, "victim_code")


def new_victim(session: Session, entry: QuickEntry, actor_id: uuid.UUID) -> Person | None:
    """A victim with a fresh V- code; the real name, if given, is kept but not shown back."""
    if not (entry.new_victim or entry.victim_real_name.strip()):
        return None
    with fields_renamed({"real_name": "victim_real_name"}, prefix="victim_"):
        return create_person(
            session, role_letter="V", real_name=entry.victim_real_name.strip(), actor_id=actor_id
        )


SOURCE_FIELDS = {
    "kind": "source_kind",
    "title": "source_text",
    "citation_text": "source_text",
    "url": "source_text",
}


def add_quick_source(
    session: Session, entry: QuickEntry, incident_id: uuid.UUID, actor_id: uuid.UUID
) -> Citation | None:
    """A source from its kind and a short citation or link, cited ungraded (F6, never A1)."""
    text = entry.source_text.strip()
    if not (entry.source_kind or text):
        return None
    if not entry.source_kind:
        raise InvalidInput("source_kind: say what kind of source this is")
    is_link = text.startswith(("https://", "http://"))
    with fields_renamed(SOURCE_FIELDS):
        source = create_source(
            session,
            kind=entry.source_kind,
            title="" if is_link else title_from(text),
            citation_text="" if is_link else text,
            url=text if is_link else "",
            actor_id=actor_id,
        )
    return cite(session, source_id=source.id, incident_id=incident_id, actor_id=actor_id)
