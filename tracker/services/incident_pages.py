"""What the incident screens show and offer: pickers, the incident page, and what it adds."""

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import func, select
from sqlmodel import Session, col

from tracker.domain.dates import FuzzyDate, parse_fuzzy_date
from tracker.domain.errors import InvalidInput
from tracker.domain.text import fold_for_search
from tracker.models import (
    Case,
    CaseIncident,
    Citation,
    Evidence,
    Incident,
    IncidentLink,
    Involvement,
    LegalAction,
    Organisation,
    Person,
    Place,
    Source,
)
from tracker.models.base import TimestampedRecord
from tracker.services.cases import legal_actions_of_case
from tracker.services.evidence import list_evidence
from tracker.services.involvements import (
    InvolvementDraft,
    add_involvement,
    involvements_of_incident,
)
from tracker.services.links import link_incidents, links_of
from tracker.services.organisations import find_organisations
from tracker.services.people import get_person_by_code
from tracker.services.places import ancestors_of, find_places
from tracker.services.records import live
from tracker.services.restrictions import Viewer, may_view, visible_condition
from tracker.services.sources import citations_of_incident, cite
from tracker.services.vocabularies import label_for, list_terms

# Pickers offer at most this many records; a longer list is unusable on a phone anyway.
PICKER_LIMIT = 500
# Places are few (country to site); the tree is read whole to label each with its path.
PLACE_TREE_LIMIT = 5000
TITLE_LENGTH = 120


# --- pickers ----------------------------------------------------------------------------------


def vocabulary_choices(session: Session, vocabulary: str, language: str) -> list[tuple[str, str]]:
    """(code, label in the language) of a vocabulary's active terms, in display order."""
    return [(term.code, label_for(term, language)) for term in list_terms(session, vocabulary)]


def place_paths(session: Session) -> dict[uuid.UUID, str]:
    """Every live place labelled with its path from the country down, e.g. Baku › Nasimi."""
    places = {
        place.id: place
        for place in session.execute(select(Place).limit(PLACE_TREE_LIMIT)).scalars()
    }
    return {
        place.id: " › ".join(path_names(place, places))
        for place in places.values()
        if not place.is_deleted
    }


def path_names(place: Place, places: dict[uuid.UUID, Place]) -> list[str]:
    names: list[str] = []
    seen: set[uuid.UUID] = set()
    current: Place | None = place
    while current is not None and current.id not in seen:
        seen.add(current.id)
        names.insert(0, current.name)
        current = places.get(current.parent_id) if current.parent_id else None
    return names


def place_choices(session: Session) -> list[tuple[str, str]]:
    """(id, path) of live places, sorted as folded text so Bakı and Baku sit together."""
    paths = place_paths(session)
    ordered = sorted(paths.items(), key=lambda item: fold_for_search(item[1]))
    return [(str(place_id), path) for place_id, path in ordered]


def organisation_choices(session: Session) -> list[tuple[str, str]]:
    statement = live(select(Organisation), Organisation).order_by(col(Organisation.name))
    found = session.execute(statement.limit(PICKER_LIMIT)).scalars()
    return [(str(organisation.id), organisation.name) for organisation in found]


def visible_to(statement: Any, viewer: Viewer, table_name: str, id_column: Any) -> Any:
    """Leave out the records restricted to other users (admins see every record)."""
    if viewer.sees_every_record:
        return statement
    return statement.where(visible_condition(table_name, id_column, viewer.user_id))


# The list's place filter is a select while places are this few, a typed name beyond.
PLACE_SELECT_LIMIT = 50


def place_count(session: Session) -> int:
    statement = live(select(func.count()).select_from(Place), Place)
    return int(session.execute(statement).scalar_one())


@dataclass(frozen=True)
class FilterRecords:
    """The records the list's filter fields name, and the fields that name none.

    `unknown` also holds fields naming a record hidden from the viewer: filtering by a
    restricted person would tell which visible incidents involve them. `ambiguous` holds
    fields whose name fits several records.
    """

    found: dict[str, TimestampedRecord]
    unknown: list[str]
    ambiguous: list[str]

    def id_of(self, field: str) -> uuid.UUID | None:
        record = self.found.get(field)
        return record.id if record is not None else None


FILTER_MODELS: dict[str, type[TimestampedRecord]] = {
    "place": Place,
    "organisation": Organisation,
    "case": Case,
    "person": Person,
}


def filter_records(session: Session, viewer: Viewer, texts: dict[str, str]) -> FilterRecords:
    """Read each filter field (an id, a pseudonym or case code, a place or organisation name).

    One query or two per field, whatever the number of records: the list offers no pickers.
    """
    found: dict[str, TimestampedRecord] = {}
    unknown: list[str] = []
    ambiguous: list[str] = []
    for field, model in FILTER_MODELS.items():
        text = (texts.get(field) or "").strip()
        if not text:
            continue
        candidates = [
            record
            for record in filter_candidates(session, model, text)
            if record_is_visible(session, viewer, model, record.id)
        ]
        if len(candidates) == 1:
            found[field] = candidates[0]
        else:
            (ambiguous if candidates else unknown).append(field)
    return FilterRecords(found, unknown, ambiguous)


def filter_candidates(
    session: Session, model: type[TimestampedRecord], text: str
) -> list[TimestampedRecord]:
    """The records `text` may name, before visibility is checked."""
    record_id = uuid_of(text)
    if record_id is not None:
        record = session.get(model, record_id)
        return [record] if record is not None else []
    if model is Person:
        person = get_person_by_code(session, text.upper())
        return [person] if person is not None else []
    if model is Case:
        case = session.execute(select(Case).where(col(Case.code) == text.upper())).scalar()
        return [case] if case is not None else []
    if model is Organisation:
        return list(find_organisations(session, text))
    return list(find_places(session, text))


def uuid_of(text: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(text)
    except ValueError:
        return None


def record_is_visible(
    session: Session, viewer: Viewer, model: type[TimestampedRecord], record_id: uuid.UUID
) -> bool:
    record = session.get(model, record_id)
    return (
        record is not None and not record.is_deleted and may_view(session, viewer, model, record_id)
    )


def understand_date(text: str, *, today: date | None = None) -> FuzzyDate:
    """How the tracker reads a typed date, before anything is saved. Raises InvalidDate."""
    return parse_fuzzy_date(text, today=today)


# --- the incident page ------------------------------------------------------------------------


@dataclass(frozen=True)
class InvolvementRow:
    """A role in the incident; `person` is None when the viewer may not see that person."""

    involvement: Involvement
    person: Person | None
    organisation: Organisation | None
    unit: Organisation | None


@dataclass(frozen=True)
class CitationRow:
    citation: Citation
    source: Source | None


@dataclass(frozen=True)
class LinkRow:
    """A link seen from this incident: outgoing reads "this <type> other"."""

    link: IncidentLink
    other: Incident
    outgoing: bool


@dataclass(frozen=True)
class CaseRow:
    case: Case
    legal_actions: list[LegalAction]


@dataclass(frozen=True)
class IncidentPage:
    incident: Incident
    place: Place | None
    place_ancestors: list[Place]
    involvements: list[InvolvementRow]
    citations: list[CitationRow]
    evidence: list[Evidence]
    links: list[LinkRow]
    cases: list[CaseRow]


def gather_incident_page(session: Session, viewer: Viewer, incident: Incident) -> IncidentPage:
    """Everything the incident page shows, leaving out records the viewer may not see."""
    place = session.get(Place, incident.place_id) if incident.place_id else None
    return IncidentPage(
        incident=incident,
        place=place,
        place_ancestors=list(reversed(ancestors_of(session, place))) if place else [],
        involvements=involvement_rows(session, viewer, incident.id),
        citations=[
            CitationRow(citation, session.get(Source, citation.source_id))
            for citation in citations_of_incident(session, incident.id)
        ],
        evidence=list_evidence(session, incident_id=incident.id),
        links=link_rows(session, viewer, incident.id),
        cases=case_rows(session, viewer, incident.id),
    )


def involvement_rows(
    session: Session, viewer: Viewer, incident_id: uuid.UUID
) -> list[InvolvementRow]:
    def visible_person(person_id: uuid.UUID | None) -> Person | None:
        if person_id is None or not may_view(session, viewer, Person, person_id):
            return None
        return session.get(Person, person_id)

    def organisation(organisation_id: uuid.UUID | None) -> Organisation | None:
        return session.get(Organisation, organisation_id) if organisation_id else None

    return [
        InvolvementRow(
            involvement,
            visible_person(involvement.person_id),
            organisation(involvement.organisation_id),
            organisation(involvement.unit_organisation_id),
        )
        for involvement in involvements_of_incident(session, incident_id)
    ]


def link_rows(session: Session, viewer: Viewer, incident_id: uuid.UUID) -> list[LinkRow]:
    """Links both ways; a linked incident that is deleted or hidden from the viewer is left out."""
    rows = []
    for link in links_of(session, incident_id):
        outgoing = link.from_incident_id == incident_id
        other_id = link.to_incident_id if outgoing else link.from_incident_id
        other = session.get(Incident, other_id)
        if other is not None and record_is_visible(session, viewer, Incident, other_id):
            rows.append(LinkRow(link, other, outgoing))
    return rows


def case_rows(session: Session, viewer: Viewer, incident_id: uuid.UUID) -> list[CaseRow]:
    """The live cases holding the incident that the viewer may see, with their legal actions."""
    members = live(select(col(CaseIncident.case_id)), CaseIncident).where(
        col(CaseIncident.incident_id) == incident_id
    )
    statement = live(select(Case), Case).where(col(Case.id).in_(members)).order_by(col(Case.code))
    statement = visible_to(statement, viewer, "case_file", col(Case.id))
    return [
        CaseRow(case, legal_actions_of_case(session, case.id))
        for case in session.execute(statement).scalars()
    ]


# --- helpers the entry forms share -----------------------------------------------------------


@contextmanager
def fields_renamed(names: dict[str, str], prefix: str = "") -> Iterator[None]:
    """Re-raise a service's InvalidInput naming the form's field instead of the record's."""
    try:
        yield
    except InvalidInput as error:
        field, separator, message = str(error).partition(": ")
        if not separator:
            raise
        raise type(error)(f"{names.get(field, prefix + field)}: {message}") from None


def title_from(summary: str) -> str:
    """A list title from the description's first line, shortened at a word."""
    first_line = summary.strip().splitlines()[0] if summary.strip() else ""
    if len(first_line) <= TITLE_LENGTH:
        return first_line
    return first_line[:TITLE_LENGTH].rsplit(" ", 1)[0] + "…"


def person_by_code(session: Session, viewer: Viewer, code: str, field: str) -> Person | None:
    """The live person with this pseudonym code whom the viewer may see; None for no code.

    Raises InvalidInput naming the field, alike for unknown and hidden people.
    """
    if not code.strip():
        return None
    person = get_person_by_code(session, code.strip())
    if person is None or not record_is_visible(session, viewer, Person, person.id):
        raise InvalidInput(f"{field}: no person {code.strip()} is recorded")
    return person


# --- involvements, citations and links added on the incident page ---------------------------


def source_choices(session: Session) -> list[tuple[str, str]]:
    """(id, a readable name) of live sources, newest first."""
    statement = live(select(Source), Source).order_by(col(Source.created_at).desc())
    found = session.execute(statement.limit(PICKER_LIMIT)).scalars()
    return [(str(source.id), source_name(source)) for source in found]


def source_name(source: Source) -> str:
    text = source.title or title_from(source.citation_text) or source.url or source.kind
    return f"{text} ({source.reliability})"


def add_party(
    session: Session,
    *,
    viewer: Viewer,
    incident_id: uuid.UUID,
    role: str,
    person_code: str,
    organisation_id: uuid.UUID | None,
    perpetrator_type: str | None,
) -> Involvement:
    """A person (by pseudonym code) or an organisation in the incident, in one role.

    Raises InvalidInput naming the page form's field.
    """
    person = person_by_code(session, viewer, person_code, "person_code")
    draft = InvolvementDraft(
        role=role,
        person_id=person.id if person else None,
        organisation_id=organisation_id,
        perpetrator_type=perpetrator_type,
    )
    with fields_renamed({"person_id": "person_code", "organisation_id": "organisation"}):
        return add_involvement(
            session, incident_id=incident_id, draft=draft, actor_id=viewer.user_id
        )


def cite_source(
    session: Session,
    *,
    incident_id: uuid.UUID,
    source_id: uuid.UUID,
    locator: str,
    claim: str,
    credibility: int,
    actor_id: uuid.UUID,
) -> Citation:
    """Raises InvalidInput naming the page form's field."""
    with fields_renamed({"source_id": "source"}):
        return cite(
            session,
            source_id=source_id,
            incident_id=incident_id,
            locator=locator,
            claim=claim,
            credibility=credibility,
            actor_id=actor_id,
        )


def link_by_code(
    session: Session,
    *,
    viewer: Viewer,
    incident_id: uuid.UUID,
    other_code: str,
    link_type: str,
    note: str,
) -> IncidentLink:
    """Link this incident to the one with that code: "this <link type> other".

    Raises InvalidInput naming the page form's field, alike for unknown and hidden incidents.
    """
    other = visible_incident_by_code(session, viewer, other_code)
    with fields_renamed({"to_incident_id": "other_code", "from_incident_id": "other_code"}):
        return link_incidents(
            session,
            from_incident_id=incident_id,
            to_incident_id=other.id,
            link_type=link_type,
            note=note,
            actor_id=viewer.user_id,
        )


def visible_incident_by_code(session: Session, viewer: Viewer, code: str) -> Incident:
    """Raises InvalidInput at other_code."""
    statement = select(Incident).where(col(Incident.code) == code.strip())
    incident: Incident | None = session.execute(statement).scalar_one_or_none()
    if incident is None or not record_is_visible(session, viewer, Incident, incident.id):
        raise InvalidInput(f"other_code: no incident {code.strip()} is recorded")
    return incident
