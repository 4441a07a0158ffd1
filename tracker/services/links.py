"""Typed links between incidents: precedes, retaliation_for, same_operation, duplicate_of."""

import uuid

from sqlalchemy import ColumnElement, and_, or_, select
from sqlmodel import Session, col

from tracker.domain.errors import InvalidInput
from tracker.models import Incident, IncidentLink
from tracker.services.records import (
    create_record,
    get_record,
    live,
    require_live,
    restore_record,
    soft_delete_record,
    update_record,
)
from tracker.services.vocabularies import require_code

SYMMETRIC_TYPES = frozenset({"same_operation"})


def live_links(
    session: Session, link_type: str, *conditions: ColumnElement[bool]
) -> list[IncidentLink]:
    statement = live(select(IncidentLink), IncidentLink).where(
        col(IncidentLink.link_type) == link_type,
        *conditions,
    )
    return list(session.execute(statement).scalars())


def check_not_linked(
    session: Session, from_id: uuid.UUID, to_id: uuid.UUID, link_type: str
) -> None:
    """Raises InvalidInput for a link already there (either way round when symmetric)."""
    same = and_(
        col(IncidentLink.from_incident_id) == from_id, col(IncidentLink.to_incident_id) == to_id
    )
    reverse = and_(
        col(IncidentLink.from_incident_id) == to_id, col(IncidentLink.to_incident_id) == from_id
    )
    condition = or_(same, reverse) if link_type in SYMMETRIC_TYPES else same
    if live_links(session, link_type, condition):
        raise InvalidInput(f"link_type: these incidents are already linked as {link_type}")


def check_retaliation(reprisal: Incident, answered: Incident) -> None:
    """DOMAIN §2: the act answered may not start after the reprisal ends."""
    reprisal_end = reprisal.end_latest if reprisal.end_text is not None else reprisal.start_latest
    if reprisal_end is None or answered.start_earliest is None:
        return
    if answered.start_earliest > reprisal_end:
        raise InvalidInput(
            f"to_incident_id: {answered.code} starts after {reprisal.code} ends, so"
            f" {reprisal.code} cannot be retaliation for it"
        )


def check_duplicate(session: Session, duplicate: Incident, canonical: Incident) -> None:
    """A duplicate points to the canonical record, never to another duplicate."""
    if live_links(session, "duplicate_of", col(IncidentLink.from_incident_id) == canonical.id):
        raise InvalidInput(
            f"to_incident_id: {canonical.code} is itself a duplicate; link to its canonical record"
        )
    if live_links(session, "duplicate_of", col(IncidentLink.from_incident_id) == duplicate.id):
        raise InvalidInput(f"from_incident_id: {duplicate.code} is already marked a duplicate")
    if live_links(session, "duplicate_of", col(IncidentLink.to_incident_id) == duplicate.id):
        raise InvalidInput(
            f"from_incident_id: other records are duplicates of {duplicate.code}; it is canonical"
        )


def link_incidents(
    session: Session,
    *,
    from_incident_id: uuid.UUID,
    to_incident_id: uuid.UUID,
    link_type: str,
    actor_id: uuid.UUID | None,
    note: str = "",
) -> IncidentLink:
    """Link two incidents: "from precedes to", "from is retaliation for to", "from is a
    duplicate of to" (the canonical record), or "same operation" (either way round).

    Raises InvalidInput naming the field.
    """
    require_code(session, "link_type", link_type, "link_type")
    if from_incident_id == to_incident_id:
        raise InvalidInput("to_incident_id: an incident cannot be linked to itself")
    source = require_live(session, Incident, from_incident_id, "from_incident_id")
    target = require_live(session, Incident, to_incident_id, "to_incident_id")
    check_not_linked(session, from_incident_id, to_incident_id, link_type)
    if link_type == "retaliation_for":
        check_retaliation(source, target)
    if link_type == "duplicate_of":
        check_duplicate(session, source, target)
    values = {
        "from_incident_id": from_incident_id,
        "to_incident_id": to_incident_id,
        "link_type": link_type,
        "note": note,
    }
    return create_record(session, IncidentLink, actor_id=actor_id, values=values)


def unlink_incidents(
    session: Session, *, link_id: uuid.UUID, expected_version: int, actor_id: uuid.UUID | None
) -> IncidentLink:
    """Soft-delete a link. Raises EditConflict, RecordNotFound."""
    link = get_record(session, IncidentLink, link_id)
    return soft_delete_record(session, link, actor_id=actor_id, expected_version=expected_version)


def update_link_note(
    session: Session,
    *,
    link_id: uuid.UUID,
    expected_version: int,
    note: str,
    actor_id: uuid.UUID | None,
) -> IncidentLink:
    """Change a link's note; its ends and type never change (unlink and link again).

    Raises EditConflict, RecordNotFound, InvalidInput.
    """
    link = get_record(session, IncidentLink, link_id)
    return update_record(
        session, link, actor_id=actor_id, expected_version=expected_version, changes={"note": note}
    )


def restore_link(
    session: Session, *, link_id: uuid.UUID, expected_version: int, actor_id: uuid.UUID | None
) -> IncidentLink:
    """Bring back an unlinked link, unless its incidents are gone or linked so again meanwhile.

    Raises InvalidInput, EditConflict, RecordNotFound.
    """
    link = get_record(session, IncidentLink, link_id, include_deleted=True)
    if link.is_deleted:
        require_live(session, Incident, link.from_incident_id, "from_incident_id")
        require_live(session, Incident, link.to_incident_id, "to_incident_id")
        check_not_linked(session, link.from_incident_id, link.to_incident_id, link.link_type)
    return restore_record(session, link, actor_id=actor_id, expected_version=expected_version)


def links_of(session: Session, incident_id: uuid.UUID) -> list[IncidentLink]:
    """Live links from or to an incident, oldest first."""
    statement = live(select(IncidentLink), IncidentLink).where(
        or_(
            col(IncidentLink.from_incident_id) == incident_id,
            col(IncidentLink.to_incident_id) == incident_id,
        )
    )
    return list(session.execute(statement.order_by(col(IncidentLink.created_at))).scalars())


def canonical_of(session: Session, incident_id: uuid.UUID) -> uuid.UUID:
    """The record a duplicate points to, or the incident itself."""
    links = live_links(session, "duplicate_of", col(IncidentLink.from_incident_id) == incident_id)
    return links[0].to_incident_id if links else incident_id
