"""What an export covers: the records a command line names, and the persons whose data it holds.

The audit entry of an export lists the persons whose records fed it, so that a withdrawn
consent can later find every file that left with that person's data in it.
"""

import dataclasses
import uuid
from collections.abc import Iterable, Sequence
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlmodel import Session, col

from tracker.domain.date_parsing import parse_fuzzy_date
from tracker.domain.errors import InvalidDate, InvalidInput, RecordNotFound
from tracker.models import Case, Citation, Involvement, Source
from tracker.models.base import TimestampedRecord
from tracker.services.audit import json_safe
from tracker.services.cases import clients_of_case
from tracker.services.incident_queries import IncidentFilters, list_incidents
from tracker.services.organisations import find_organisations
from tracker.services.people import get_person_by_code
from tracker.services.places import find_places
from tracker.services.records import live
from tracker.services.restrictions import Viewer
from tracker.services.vocabularies import require_code

# SQLite accepts a few thousand bound values at most; larger sets are read in chunks.
CHUNK = 500


# --- the records a command line names ----------------------------------------------------------


def parsed_uuid(text: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(text.strip())
    except ValueError:
        return None


def find_case_id(session: Session, text: str) -> uuid.UUID:
    """The id of the case with this id or code (C-2023-004). Raises RecordNotFound."""
    found = parsed_uuid(text)
    if found is not None:
        return found
    code = text.strip().upper()
    statement = live(select(col(Case.id)), Case).where(col(Case.code) == code)
    case_id: uuid.UUID | None = session.execute(statement).scalar()
    if case_id is None:
        raise RecordNotFound(f"case: no case with the code {code}")
    return case_id


def find_person_id(session: Session, text: str) -> uuid.UUID:
    """The id of the person with this id or pseudonym code; never looked up by name, so no
    name is typed, logged or echoed. Raises RecordNotFound."""
    found = parsed_uuid(text)
    if found is not None:
        return found
    code = text.strip().upper()
    person = get_person_by_code(session, code)
    if person is None or person.is_deleted:
        raise RecordNotFound(f"person: no person with the code {code}")
    person_id: uuid.UUID = person.id
    return person_id


def find_place_id(session: Session, text: str) -> uuid.UUID:
    """The id of the place with this id, or of the one place with this name or alias.

    Raises RecordNotFound for none, InvalidInput when several match (their ids listed).
    """
    return parsed_uuid(text) or one_match(find_places(session, text), "place")


def find_organisation_id(session: Session, text: str) -> uuid.UUID:
    """As find_place_id, for organisations."""
    return parsed_uuid(text) or one_match(find_organisations(session, text), "organisation")


SUBJECT_FINDERS = {
    "case": find_case_id,
    "person": find_person_id,
    "place": find_place_id,
    "organisation": find_organisation_id,
}


@dataclasses.dataclass(frozen=True)
class CommandLineFilters:
    """Incident filters as typed on a command line: a type code, and dates as a person says
    them ("2017", "March 2019"), read as the incident list reads its From and To."""

    incident_type: str | None = None
    date_from: str | None = None
    date_to: str | None = None

    def given(self) -> bool:
        return any(value is not None for value in dataclasses.astuple(self))


def command_line_filters(
    session: Session, typed: CommandLineFilters, record_ids: dict[str, uuid.UUID]
) -> IncidentFilters:
    """The filters, narrowed to the records named (by "case", "person", "place",
    "organisation"). Raises InvalidInput for an unknown type or a date without bounds."""
    return IncidentFilters(
        type=known_type(session, typed.incident_type),
        date_from=period_bound(typed.date_from, "from", needs="earliest"),
        date_to=period_bound(typed.date_to, "to", needs="latest"),
        case_id=record_ids.get("case"),
        person_id=record_ids.get("person"),
        place_id=record_ids.get("place"),
        organisation_id=record_ids.get("organisation"),
    )


def known_type(session: Session, code: str | None) -> str | None:
    """The incident type code if the vocabulary knows it. Raises InvalidInput."""
    return None if code is None else require_code(session, "incident_type", code.strip(), "type")


def period_bound(text: str | None, field: str, *, needs: str) -> date | None:
    """A typed date read as a period: "2017" from its first day, or to its last."""
    if text is None:
        return None
    try:
        # A period asked about may reach past today ("to 2030"); incidents' dates may not.
        understood = parse_fuzzy_date(text, today=date.max)
    except InvalidDate as error:
        raise InvalidInput(f"{field}: {error}") from None
    bound: date | None = getattr(understood, needs)
    if bound is None:
        raise InvalidInput(f"{field}: give a date with bounds, e.g. 2019, March 2019 or 8.03.2019")
    return bound


def one_match(matches: Sequence[TimestampedRecord], field: str) -> uuid.UUID:
    # The name typed is not echoed: place and unit names can be sensitive too.
    if not matches:
        raise RecordNotFound(f"{field}: no {field} has that name")
    if len(matches) > 1:
        ids = ", ".join(str(match.id) for match in matches)
        raise InvalidInput(f"{field}: {len(matches)} records have that name; give one id: {ids}")
    return matches[0].id


# --- the persons whose data an export holds ----------------------------------------------------


def visible_to(filters: IncidentFilters, viewer: Viewer) -> IncidentFilters:
    """Live incidents the viewer may see: the same rows the snapshot builder reads."""
    user_id = None if viewer.sees_every_record else viewer.user_id
    return dataclasses.replace(filters, include_deleted=False, visible_to_user_id=user_id)


def persons_of_incidents(
    session: Session,
    filters: IncidentFilters,
    viewer: Viewer,
    extra_person_ids: Iterable[uuid.UUID] = (),
) -> tuple[uuid.UUID, ...]:
    """Persons involved in the incidents, or the contacts of sources cited for them, sorted.

    A superset of those printed is the safe side: a consent withdrawal then finds too many
    earlier exports to review rather than too few.
    """
    incident_ids = [row.id for row in list_incidents(session, filters=visible_to(filters, viewer))]
    found = set(extra_person_ids)
    for start in range(0, len(incident_ids), CHUNK):
        chunk = incident_ids[start : start + CHUNK]
        found |= involved_person_ids(session, chunk) | source_contact_ids(session, chunk)
    return tuple(sorted(found))


def involved_person_ids(session: Session, incident_ids: list[uuid.UUID]) -> set[uuid.UUID]:
    statement = live(select(col(Involvement.person_id)), Involvement).where(
        col(Involvement.incident_id).in_(incident_ids), col(Involvement.person_id).is_not(None)
    )
    return set(session.execute(statement).scalars())


def source_contact_ids(session: Session, incident_ids: list[uuid.UUID]) -> set[uuid.UUID]:
    statement = (
        live(select(col(Source.contact_person_id)), Source)
        .join(Citation, col(Citation.source_id) == col(Source.id))
        .where(
            col(Citation.incident_id).in_(incident_ids),
            col(Citation.deleted_at).is_(None),
            col(Source.contact_person_id).is_not(None),
        )
    )
    return set(session.execute(statement).scalars())


def case_client_ids(session: Session, case_id: uuid.UUID) -> tuple[uuid.UUID, ...]:
    return tuple(client.person_id for client in clients_of_case(session, case_id))


def filters_scope(filters: IncidentFilters) -> dict[str, Any]:
    """The filters as JSON for the audit log: ids, codes and dates only, no free text."""
    values = dataclasses.asdict(filters)
    values.pop("visible_to_user_id", None)
    values.pop("include_deleted", None)
    return {key: json_safe(value) for key, value in values.items() if value is not None}
