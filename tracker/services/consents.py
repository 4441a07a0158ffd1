"""Consent: dated, withdrawable decisions per person and scope; the latest wins, none refuses."""

import uuid
from collections.abc import Sequence
from datetime import date

from sqlalchemy import select
from sqlmodel import Session, col

from tracker.domain.errors import InvalidInput
from tracker.models import Consent, Person
from tracker.models.base import utc_now
from tracker.services.records import create_record, id_chunks, live, require_live
from tracker.services.vocabularies import require_code

REFUSED = "refused"
GRANTED = "granted"


def check_consent(
    session: Session, person: Person, *, scope: str, status: str, decided_on: object
) -> None:
    """Raises InvalidInput naming the field."""
    require_code(session, "consent_scope", scope, "scope")
    require_code(session, "consent_status", status, "status")
    if not isinstance(decided_on, date):
        raise InvalidInput("decided_on: the date of the decision is required")
    if decided_on > utc_now().date():
        raise InvalidInput("decided_on: a decision cannot be dated in the future")
    if scope == "organisational_decision" and not person.deceased:
        raise InvalidInput("scope: an organisational decision stands in only for the deceased")


def record_consent(
    session: Session,
    *,
    person_id: uuid.UUID,
    scope: str,
    status: str,
    decided_on: date,
    method: str,
    actor_id: uuid.UUID | None,
    note: str = "",
) -> Consent:
    """Record a dated decision for one scope; later decisions win, earlier ones stay on record.

    Raises InvalidInput naming the field.
    """
    person = require_live(session, Person, person_id, "person_id")
    check_consent(session, person, scope=scope, status=status, decided_on=decided_on)
    values = {
        "person_id": person_id,
        "scope": scope,
        "status": status,
        "decided_on": decided_on,
        "method": method,
        "recorded_by": actor_id,
        "note": note,
    }
    return create_record(session, Consent, actor_id=actor_id, values=values)


def consents_of(session: Session, person_id: uuid.UUID) -> list[Consent]:
    """A person's consent decisions, latest first."""
    statement = live(select(Consent), Consent).where(col(Consent.person_id) == person_id)
    ordered = statement.order_by(col(Consent.decided_on).desc(), col(Consent.created_at).desc())
    return list(session.execute(ordered).scalars())


def consents_of_people(
    session: Session, person_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, list[Consent]]:
    """consents_of for many people in a few queries: each person's decisions, latest first."""
    found: dict[uuid.UUID, list[Consent]] = {person_id: [] for person_id in person_ids}
    for chunk in id_chunks(person_ids):
        statement = live(select(Consent), Consent).where(col(Consent.person_id).in_(chunk))
        ordered = statement.order_by(col(Consent.decided_on).desc(), col(Consent.created_at).desc())
        for consent in session.execute(ordered).scalars():
            found[consent.person_id].append(consent)
    return found


def current_consent(session: Session, person_id: uuid.UUID, scope: str) -> str:
    """The status that holds now for one scope: latest wins; none means refused."""
    for consent in consents_of(session, person_id):
        if consent.scope == scope:
            return consent.status
    return REFUSED


def may_record_sensitive(session: Session, person: Person) -> bool:
    """Whether gender identity and orientation may be kept: the person's own consent, or for
    the deceased an organisational decision standing in for it."""
    if current_consent(session, person.id, "record_sensitive") == GRANTED:
        return True
    return person.deceased and (
        current_consent(session, person.id, "organisational_decision") == GRANTED
    )
