"""Persons: pseudonym codes, names in several scripts, and finding duplicates."""

import uuid
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from sqlalchemy import or_, select
from sqlmodel import Session, col

from tracker.domain.errors import InvalidInput
from tracker.domain.sealing import blind_index, blind_indexes, current_keyring
from tracker.models import Person, PersonName
from tracker.models.base import utc_now
from tracker.services.codes import allocate_code
from tracker.services.consents import may_record_sensitive
from tracker.services.records import (
    create_record,
    get_record,
    id_chunks,
    list_records,
    live,
    restore_record,
    soft_delete_record,
    update_record,
)
from tracker.services.vocabularies import name_values, require_code

ROLE_LETTERS = {
    "V": "victim",
    "W": "witness",
    "P": "perpetrator",
    "S": "source contact",
    "L": "lawyer",
}
PSEUDONYM_WIDTH = 3
PERSON_FIELDS = (
    "real_name",
    "contact_info",
    "exact_address",
    "identity_notes",
    "gender_identity",
    "sexual_orientation",
    "age_band",
    "deceased",
    "description",
)
# Kept only with the person's recorded consent (DOMAIN §2): who is LGBTI is what police seek.
SENSITIVE_FIELDS = ("gender_identity", "sexual_orientation")


def require_person(session: Session, person_id: uuid.UUID | None, field: str) -> Person | None:
    """The live person, or None when no id is given.

    Raises InvalidInput naming the field when the person does not exist, is deleted or merged.
    """
    if person_id is None:
        return None
    person = session.get(Person, person_id)
    if person is None or person.is_deleted:
        raise InvalidInput(f"{field}: no person {person_id} (it does not exist or was deleted)")
    return person


def allocate_pseudonym(session: Session, role_letter: str, year: int) -> str:
    """`V-2017-014`: role letter, year of first record, a sequence per letter and year.

    Raises InvalidInput for an unknown letter or an implausible year.
    """
    if role_letter not in ROLE_LETTERS:
        raise InvalidInput(
            "role_letter: use V victim, W witness, P perpetrator, S source contact or L lawyer"
        )
    if not 1900 <= year <= utc_now().year:
        raise InvalidInput(f"first_recorded_year: {year} is not a plausible year")
    return allocate_code(
        session,
        family="pseudonym",
        column=Person.pseudonym_code,
        prefix=f"{role_letter}-{year}-",
        width=PSEUDONYM_WIDTH,
    )


def check_person_values(session: Session, values: Mapping[str, Any]) -> None:
    """Raises InvalidInput naming the field."""
    if "age_band" in values:
        require_code(session, "age_band", values["age_band"], "age_band")
    if "deceased" in values and not isinstance(values["deceased"], bool):
        raise InvalidInput("deceased: must be true or false")


def create_person(
    session: Session,
    *,
    role_letter: str,
    actor_id: uuid.UUID | None,
    first_recorded_year: int | None = None,
    names: Iterable[str] = (),
    real_name: str = "",
    age_band: str = "unknown",
    deceased: bool = False,
    description: str = "",
) -> Person:
    """A new person with a server-assigned pseudonym code, never derived from who they are.

    Gender identity and orientation are set later, once `record_sensitive` consent is recorded.
    Raises InvalidInput naming the field.
    """
    values = {
        "real_name": real_name,
        "age_band": age_band,
        "deceased": deceased,
        "description": description,
    }
    check_person_values(session, values)
    year = first_recorded_year if first_recorded_year is not None else utc_now().year
    values["pseudonym_code"] = allocate_pseudonym(session, role_letter, year)
    person = create_record(session, Person, actor_id=actor_id, values=values)
    for name in names:
        add_person_name(session, person_id=person.id, text=name, actor_id=actor_id)
    return person


def get_person(session: Session, person_id: uuid.UUID, *, include_deleted: bool = False) -> Person:
    """Raises RecordNotFound."""
    return get_record(session, Person, person_id, include_deleted=include_deleted)


def get_person_by_code(session: Session, pseudonym_code: str) -> Person | None:
    """The person with this pseudonym code, deleted or not; None when there is none."""
    statement = select(Person).where(col(Person.pseudonym_code) == pseudonym_code)
    return session.execute(statement).scalar()


def list_people(
    session: Session, *, include_deleted: bool = False, limit: int | None = None, offset: int = 0
) -> list[Person]:
    """People in the order they were recorded."""
    return list_records(
        session, Person, include_deleted=include_deleted, limit=limit, offset=offset
    )


def check_sensitive_consent(session: Session, person: Person, changes: Mapping[str, Any]) -> None:
    """Raises InvalidInput when sensitive fields would be filled without consent."""
    filled = [field for field in SENSITIVE_FIELDS if changes.get(field)]
    if filled and not may_record_sensitive(session, person):
        raise InvalidInput(
            f"{filled[0]}: record the person's 'record_sensitive' consent first"
            " (or, for the deceased, an organisational decision)"
        )


def update_person(
    session: Session,
    *,
    person_id: uuid.UUID,
    expected_version: int,
    changes: Mapping[str, Any],
    actor_id: uuid.UUID | None,
) -> Person:
    """Change a person's fields (never the pseudonym code).

    Raises InvalidInput naming the field, EditConflict, RecordNotFound.
    """
    person = get_person(session, person_id)
    unknown = sorted(set(changes) - set(PERSON_FIELDS))
    if unknown:
        raise InvalidInput(f"person: unknown or read-only fields {', '.join(unknown)}")
    check_person_values(session, changes)
    check_sensitive_consent(session, person, changes)
    return update_record(
        session, person, actor_id=actor_id, expected_version=expected_version, changes=changes
    )


def delete_person(
    session: Session,
    *,
    person_id: uuid.UUID,
    expected_version: int,
    actor_id: uuid.UUID | None,
) -> Person:
    """Soft-delete; the pseudonym code stays taken. Raises EditConflict, RecordNotFound."""
    person = get_person(session, person_id)
    return soft_delete_record(session, person, actor_id=actor_id, expected_version=expected_version)


def restore_person(
    session: Session,
    *,
    person_id: uuid.UUID,
    expected_version: int,
    actor_id: uuid.UUID | None,
) -> Person:
    """Raises InvalidInput when not deleted or merged away (undo the merge instead)."""
    person = get_person(session, person_id, include_deleted=True)
    if person.merged_into_id is not None:
        raise InvalidInput("person: merged into another person; undo the merge instead")
    return restore_record(session, person, actor_id=actor_id, expected_version=expected_version)


# --- names ------------------------------------------------------------------------------------


def add_person_name(
    session: Session,
    *,
    person_id: uuid.UUID,
    text: str,
    actor_id: uuid.UUID | None,
    kind: str = "as_published",
    script: str | None = None,
    citation_id: uuid.UUID | None = None,
) -> PersonName:
    """A name as typed (never re-cased, sealed at rest), with its script and blind index
    (the HMAC of it folded: exact lookups only).

    Raises InvalidInput naming the field.
    """
    require_person(session, person_id, "person_id")
    values = {"person_id": person_id, **name_values(session, text, script, "a name")}
    values["folded"] = blind_index(current_keyring(), text)
    require_code(session, "name_kind", kind, "kind")
    values.update(kind=kind, citation_id=citation_id)
    return create_record(session, PersonName, actor_id=actor_id, values=values)


def names_of(session: Session, person_id: uuid.UUID) -> list[PersonName]:
    """A person's live names, oldest first."""
    statement = live(select(PersonName), PersonName).where(col(PersonName.person_id) == person_id)
    return list(session.execute(statement.order_by(col(PersonName.created_at))).scalars())


def names_of_people(
    session: Session, person_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, list[PersonName]]:
    """names_of for many people in a few queries."""
    found: dict[uuid.UUID, list[PersonName]] = {person_id: [] for person_id in person_ids}
    for chunk in id_chunks(person_ids):
        statement = live(select(PersonName), PersonName).where(col(PersonName.person_id).in_(chunk))
        for name in session.execute(statement.order_by(col(PersonName.created_at))).scalars():
            found[name.person_id].append(name)
    return found


def remove_person_name(
    session: Session, *, name_id: uuid.UUID, expected_version: int, actor_id: uuid.UUID | None
) -> PersonName:
    """Raises RecordNotFound, EditConflict."""
    name = get_record(session, PersonName, name_id)
    return soft_delete_record(session, name, actor_id=actor_id, expected_version=expected_version)


def people_with_name_indexes(
    session: Session, digests: Iterable[str], *, real_names: bool = True
) -> list[Person]:
    """Live people with a live name (or, with REAL_NAMES, a real name) of these blind indexes."""
    keys = sorted(set(digests) - {""})
    if not keys:
        return []
    matching = live(select(col(PersonName.person_id)), PersonName).where(
        col(PersonName.folded).in_(keys)
    )
    found: Any = col(Person.id).in_(matching)
    if real_names:
        found = or_(found, col(Person.name_index).in_(keys))
    statement = live(select(Person), Person).where(found)
    return list(session.execute(statement.order_by(col(Person.pseudonym_code))).scalars())


def find_people_by_name(session: Session, text: str, *, real_names: bool = True) -> list[Person]:
    """Live people with a name (or, with REAL_NAMES, a real name) equal to `text` once folded
    (Əli Məlikov = Eli Melikov), found through the blind index: the whole name, never a part."""
    digests = blind_indexes(current_keyring(), [text])
    return people_with_name_indexes(session, digests, real_names=real_names)


def suggest_duplicates(session: Session, person_id: uuid.UUID) -> list[Person]:
    """Other live people sharing a name (folded): candidates a reviewer may merge."""
    person = get_person(session, person_id, include_deleted=True)
    keys = [name.folded for name in names_of(session, person_id)] + [person.name_index]
    found = people_with_name_indexes(session, keys)
    return [other for other in found if other.id != person_id]
