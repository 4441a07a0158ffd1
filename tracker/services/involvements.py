"""Involvements: a person or organisation in an incident, in one role, with that role's details."""

import dataclasses
import re
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlmodel import Session, col

from tracker.domain.errors import InvalidInput
from tracker.models import Incident, Involvement, Organisation
from tracker.services.people import require_person
from tracker.services.records import (
    create_record,
    get_record,
    live,
    require_live,
    restore_record,
    soft_delete_record,
    update_record,
)
from tracker.services.vocabularies import known_codes, require_code

# Criminal charges are too many to list: any article of the Criminal Code, e.g. AZ-CC-150.1.
CRIMINAL_CHARGE = re.compile(r"^AZ-CC-\d+(\.\d+)*$")
PERPETRATOR_ROLE = "alleged_perpetrator"
WITNESS_ROLE = "witness"


@dataclass(frozen=True)
class InvolvementDraft:
    """One role of one person or organisation in an incident; exactly one of the two is set."""

    role: str
    person_id: uuid.UUID | None = None
    organisation_id: uuid.UUID | None = None
    injuries: str = ""
    duration_text: str = ""
    duration_days_min: int | None = None
    duration_days_max: int | None = None
    charges: tuple[str, ...] = ()
    outcome: str = ""
    perpetrator_type: str | None = None
    unit_organisation_id: uuid.UUID | None = None
    identified: bool | None = None
    witness_kind: str | None = None
    notes: str = ""


DRAFT_FIELDS = frozenset(field.name for field in dataclasses.fields(InvolvementDraft))


def check_party(session: Session, draft: InvolvementDraft) -> None:
    """Raises InvalidInput unless exactly one live person or organisation is named."""
    if (draft.person_id is None) == (draft.organisation_id is None):
        raise InvalidInput("person_id: name either a person or an organisation, not both or none")
    require_person(session, draft.person_id, "person_id")
    if draft.organisation_id is not None:
        require_live(session, Organisation, draft.organisation_id, "organisation_id")
    if draft.unit_organisation_id is not None:
        require_live(session, Organisation, draft.unit_organisation_id, "unit_organisation_id")


def check_duration(draft: InvolvementDraft) -> None:
    """Raises InvalidInput for negative or inverted detention durations."""
    low, high = draft.duration_days_min, draft.duration_days_max
    for field, value in (("duration_days_min", low), ("duration_days_max", high)):
        if value is not None and (
            isinstance(value, bool) or not isinstance(value, int) or value < 0
        ):
            raise InvalidInput(f"{field}: a whole number of days, 0 or more")
    if low is not None and high is not None and low > high:
        raise InvalidInput(f"duration_days_min: {low} is more than duration_days_max {high}")


def check_charges(session: Session, charges: tuple[str, ...]) -> None:
    """Raises InvalidInput for a charge that is neither a known code nor AZ-CC-<article>."""
    known = known_codes(session, "charge")
    for charge in charges:
        if charge not in known and not CRIMINAL_CHARGE.match(str(charge)):
            raise InvalidInput(
                f"charges: unknown charge '{charge}'; known: {', '.join(sorted(known))},"
                " or a Criminal Code article as AZ-CC-<article>"
            )
    if len(set(charges)) != len(charges):
        raise InvalidInput("charges: a charge is listed twice")


def check_role_details(session: Session, draft: InvolvementDraft) -> None:
    """Perpetrator and witness details belong to those roles only."""
    if draft.perpetrator_type is not None:
        if draft.role != PERPETRATOR_ROLE:
            raise InvalidInput("perpetrator_type: only an alleged perpetrator has one")
        require_code(session, "perpetrator_type", draft.perpetrator_type, "perpetrator_type")
    if draft.witness_kind is not None:
        if draft.role != WITNESS_ROLE:
            raise InvalidInput("witness_kind: only a witness is direct or hearsay")
        require_code(session, "witness_kind", draft.witness_kind, "witness_kind")


def check_role_unique(
    session: Session,
    incident_id: uuid.UUID,
    draft: InvolvementDraft,
    involvement_id: uuid.UUID | None = None,
) -> None:
    """DOMAIN §2: no role twice per incident for the same person or organisation."""
    statement = live(select(col(Involvement.id)), Involvement).where(
        col(Involvement.incident_id) == incident_id,
        col(Involvement.role) == draft.role,
        col(Involvement.person_id) == draft.person_id
        if draft.person_id is not None
        else col(Involvement.organisation_id) == draft.organisation_id,
    )
    found = [
        found_id for found_id in session.execute(statement).scalars() if found_id != involvement_id
    ]
    if found:
        raise InvalidInput(f"role: already recorded as {draft.role} in this incident")


def check_involvement(
    session: Session,
    incident_id: uuid.UUID,
    draft: InvolvementDraft,
    involvement_id: uuid.UUID | None = None,
) -> None:
    """Every rule an involvement obeys. Raises InvalidInput naming the field."""
    require_code(session, "involvement_role", draft.role, "role")
    check_party(session, draft)
    check_duration(draft)
    check_charges(session, tuple(draft.charges))
    check_role_details(session, draft)
    check_role_unique(session, incident_id, draft, involvement_id)


def columns_of(draft: InvolvementDraft) -> dict[str, Any]:
    values = {name: getattr(draft, name) for name in DRAFT_FIELDS}
    values["charges"] = list(draft.charges)
    return values


def add_involvement(
    session: Session,
    *,
    incident_id: uuid.UUID,
    draft: InvolvementDraft,
    actor_id: uuid.UUID | None,
) -> Involvement:
    """Put a person or organisation into an incident in one role.

    Raises InvalidInput naming the field.
    """
    require_live(session, Incident, incident_id, "incident_id")
    check_involvement(session, incident_id, draft)
    return create_record(
        session,
        Involvement,
        actor_id=actor_id,
        values={"incident_id": incident_id, **columns_of(draft)},
    )


def get_involvement(
    session: Session, involvement_id: uuid.UUID, *, include_deleted: bool = False
) -> Involvement:
    """Raises RecordNotFound."""
    return get_record(session, Involvement, involvement_id, include_deleted=include_deleted)


def draft_of(involvement: Involvement) -> InvolvementDraft:
    values = {name: getattr(involvement, name) for name in DRAFT_FIELDS}
    values["charges"] = tuple(involvement.charges)
    return InvolvementDraft(**values)


def update_involvement(
    session: Session,
    *,
    involvement_id: uuid.UUID,
    expected_version: int,
    changes: Mapping[str, Any],
    actor_id: uuid.UUID | None,
) -> Involvement:
    """Raises InvalidInput naming the field, EditConflict, RecordNotFound."""
    involvement = get_involvement(session, involvement_id)
    unknown = sorted(set(changes) - DRAFT_FIELDS)
    if unknown:
        raise InvalidInput(f"involvement: unknown or read-only fields {', '.join(unknown)}")
    draft = dataclasses.replace(draft_of(involvement), **changes)
    check_involvement(session, involvement.incident_id, draft, involvement.id)
    columns = {name: value for name, value in columns_of(draft).items() if name in changes}
    return update_record(
        session, involvement, actor_id=actor_id, expected_version=expected_version, changes=columns
    )


def remove_involvement(
    session: Session,
    *,
    involvement_id: uuid.UUID,
    expected_version: int,
    actor_id: uuid.UUID | None,
) -> Involvement:
    """Soft-delete. Raises EditConflict, RecordNotFound."""
    involvement = get_involvement(session, involvement_id)
    return soft_delete_record(
        session, involvement, actor_id=actor_id, expected_version=expected_version
    )


def restore_involvement(
    session: Session,
    *,
    involvement_id: uuid.UUID,
    expected_version: int,
    actor_id: uuid.UUID | None,
) -> Involvement:
    """Raises InvalidInput when the role would now be there twice, EditConflict, RecordNotFound."""
    involvement = get_involvement(session, involvement_id, include_deleted=True)
    if involvement.is_deleted:
        check_role_unique(session, involvement.incident_id, draft_of(involvement), involvement.id)
    return restore_record(
        session, involvement, actor_id=actor_id, expected_version=expected_version
    )


def involvements_of_incident(session: Session, incident_id: uuid.UUID) -> list[Involvement]:
    """An incident's live involvements, oldest first."""
    statement = live(select(Involvement), Involvement).where(
        col(Involvement.incident_id) == incident_id
    )
    return list(session.execute(statement.order_by(col(Involvement.created_at))).scalars())


def involvements_of_person(session: Session, person_id: uuid.UUID) -> list[Involvement]:
    """A person's live involvements, oldest first."""
    statement = live(select(Involvement), Involvement).where(
        col(Involvement.person_id) == person_id
    )
    return list(session.execute(statement.order_by(col(Involvement.created_at))).scalars())
