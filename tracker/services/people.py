"""Persons: pseudonym codes, names in several scripts, consent, and finding duplicates."""

import uuid
from collections.abc import Iterable, Mapping
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlmodel import Session, col

from tracker.domain.errors import InvalidInput
from tracker.domain.text import fold_for_search
from tracker.models import (
    CaseClient,
    Consent,
    Incident,
    Involvement,
    Person,
    PersonMerge,
    PersonName,
    Source,
)
from tracker.models.base import TimestampedRecord, utc_now
from tracker.services.codes import allocate_code
from tracker.services.records import (
    create_record,
    get_record,
    list_records,
    live,
    restore_record,
    soft_delete_record,
    update_record,
)
from tracker.services.vocabularies import detect_script, require_code

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
REFUSED = "refused"


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


def may_record_sensitive(session: Session, person: Person) -> bool:
    if current_consent(session, person.id, "record_sensitive") == "granted":
        return True
    return person.deceased and (
        current_consent(session, person.id, "organisational_decision") == "granted"
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
    """A name as typed (never re-cased), with its script and folded search key.

    Raises InvalidInput naming the field.
    """
    require_person(session, person_id, "person_id")
    if not text.strip():
        raise InvalidInput("text: a name cannot be empty")
    require_code(session, "name_kind", kind, "kind")
    chosen_script = script or detect_script(text)
    require_code(session, "script", chosen_script, "script")
    values = {
        "person_id": person_id,
        "text": text,
        "kind": kind,
        "script": chosen_script,
        "citation_id": citation_id,
        "folded": fold_for_search(text),
    }
    return create_record(session, PersonName, actor_id=actor_id, values=values)


def names_of(session: Session, person_id: uuid.UUID) -> list[PersonName]:
    """A person's live names, oldest first."""
    statement = live(select(PersonName), PersonName).where(col(PersonName.person_id) == person_id)
    return list(session.execute(statement.order_by(col(PersonName.created_at))).scalars())


def remove_person_name(
    session: Session, *, name_id: uuid.UUID, expected_version: int, actor_id: uuid.UUID | None
) -> PersonName:
    """Raises RecordNotFound, EditConflict."""
    name = get_record(session, PersonName, name_id)
    return soft_delete_record(session, name, actor_id=actor_id, expected_version=expected_version)


def people_with_folded_names(session: Session, folded: Iterable[str]) -> list[Person]:
    keys = sorted(set(folded))
    if not keys:
        return []
    matching = live(select(col(PersonName.person_id)), PersonName).where(
        col(PersonName.folded).in_(keys)
    )
    statement = live(select(Person), Person).where(col(Person.id).in_(matching))
    return list(session.execute(statement.order_by(col(Person.pseudonym_code))).scalars())


def find_people_by_name(session: Session, text: str) -> list[Person]:
    """Live people with a name equal to `text` once folded (Əli Məlikov = Eli Melikov)."""
    key = fold_for_search(text)
    return people_with_folded_names(session, [key]) if key else []


def suggest_duplicates(session: Session, person_id: uuid.UUID) -> list[Person]:
    """Other live people sharing a folded name: candidates a reviewer may merge."""
    keys = [name.folded for name in names_of(session, person_id)]
    return [person for person in people_with_folded_names(session, keys) if person.id != person_id]


# --- consent ----------------------------------------------------------------------------------


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
    person = require_person(session, person_id, "person_id")
    require_code(session, "consent_scope", scope, "scope")
    require_code(session, "consent_status", status, "status")
    if not isinstance(decided_on, date):
        raise InvalidInput("decided_on: the date of the decision is required")
    if decided_on > utc_now().date():
        raise InvalidInput("decided_on: a decision cannot be dated in the future")
    if scope == "organisational_decision" and person is not None and not person.deceased:
        raise InvalidInput("scope: an organisational decision stands in only for the deceased")
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


def current_consent(session: Session, person_id: uuid.UUID, scope: str) -> str:
    """The status that holds now for one scope: latest wins; none means refused."""
    for consent in consents_of(session, person_id):
        if consent.scope == scope:
            return consent.status
    return REFUSED


# --- merging duplicates -----------------------------------------------------------------------

# Rows that follow a person into a merge: table → (model, the column naming the person).
MOVABLE: dict[str, tuple[type[TimestampedRecord], str]] = {
    "person_name": (PersonName, "person_id"),
    "involvement": (Involvement, "person_id"),
    "consent": (Consent, "person_id"),
    "case_client": (CaseClient, "person_id"),
    "source": (Source, "contact_person_id"),
}


def rows_pointing_at(session: Session, table: str, person_id: uuid.UUID) -> list[Any]:
    """Every row of one table naming the person, deleted rows included (they move too)."""
    model, column = MOVABLE[table]
    statement = select(model).where(getattr(model, column) == person_id)
    return list(session.execute(statement.order_by(col(model.id))).scalars())


def check_shared_roles(session: Session, survivor_id: uuid.UUID, merged_id: uuid.UUID) -> None:
    """Raises InvalidInput when both hold the same role in one incident (no role twice)."""
    statement = live(select(Involvement), Involvement).where(
        col(Involvement.person_id).in_([survivor_id, merged_id])
    )
    seen: dict[tuple[uuid.UUID, str], uuid.UUID | None] = {}
    for involvement in session.execute(statement).scalars():
        key = (involvement.incident_id, involvement.role)
        if key in seen and seen[key] != involvement.person_id:
            incident = session.get(Incident, involvement.incident_id)
            raise InvalidInput(
                f"merged_id: both people are {involvement.role} in incident"
                f" {incident.code if incident else ''}; remove one of those involvements first"
            )
        seen[key] = involvement.person_id


def check_merge(session: Session, survivor_id: uuid.UUID, merged_id: uuid.UUID) -> None:
    """Raises InvalidInput naming the field."""
    if survivor_id == merged_id:
        raise InvalidInput("merged_id: a person cannot be merged into themselves")
    require_person(session, survivor_id, "survivor_id")
    require_person(session, merged_id, "merged_id")
    check_shared_roles(session, survivor_id, merged_id)


def move_rows(
    session: Session,
    table: str,
    rows: list[Any],
    to_person_id: uuid.UUID,
    *,
    actor_id: uuid.UUID | None,
    action: str,
    reason: str,
) -> None:
    """Point each row at another person, versioned and audited."""
    column = MOVABLE[table][1]
    for row in rows:
        update_record(
            session,
            row,
            actor_id=actor_id,
            expected_version=row.version,
            changes={column: to_person_id},
            action=action,
            reason=reason,
        )


def merge_persons(
    session: Session,
    *,
    survivor_id: uuid.UUID,
    merged_id: uuid.UUID,
    reason: str,
    actor_id: uuid.UUID | None,
) -> PersonMerge:
    """A reviewer's decision that two records are one person: the merged person's names
    (kept as aliases), involvements, consents, case clients and source contacts move to the
    survivor; the merged person is marked and soft-deleted. The snapshot lists what moved.

    Raises InvalidInput naming the field; RecordNotFound.
    """
    if not reason.strip():
        raise InvalidInput("reason: say why these records are the same person")
    check_merge(session, survivor_id, merged_id)
    snapshot: dict[str, Any] = {}
    for table in MOVABLE:
        rows = rows_pointing_at(session, table, merged_id)
        snapshot[table] = [str(row.id) for row in rows]
        move_rows(
            session, table, rows, survivor_id, actor_id=actor_id, action="merge", reason=reason
        )
    retire_merged(session, merged_id, survivor_id, actor_id=actor_id, reason=reason)
    values = {
        "survivor_id": survivor_id,
        "merged_id": merged_id,
        "reason": reason,
        "snapshot": snapshot,
    }
    return create_record(session, PersonMerge, actor_id=actor_id, values=values)


def retire_merged(
    session: Session,
    merged_id: uuid.UUID,
    survivor_id: uuid.UUID,
    *,
    actor_id: uuid.UUID | None,
    reason: str,
) -> None:
    merged = get_person(session, merged_id)
    update_record(
        session,
        merged,
        actor_id=actor_id,
        expected_version=merged.version,
        changes={"merged_into_id": survivor_id},
        action="merge",
        reason=reason,
    )
    soft_delete_record(
        session, merged, actor_id=actor_id, expected_version=merged.version, reason=reason
    )


def undo_merge(session: Session, *, merge_id: uuid.UUID, actor_id: uuid.UUID | None) -> PersonMerge:
    """Put every row the merge moved back and restore the merged person.

    Raises InvalidInput when the merge was already undone; RecordNotFound.
    """
    merge = get_record(session, PersonMerge, merge_id)
    if merge.undone_at is not None:
        raise InvalidInput("merge: this merge was already undone")
    reason = f"undo merge {merge.id}"
    for table, row_ids in merge.snapshot.items():
        model = MOVABLE[table][0]
        rows = [session.get(model, uuid.UUID(row_id)) for row_id in row_ids]
        move_rows(
            session,
            table,
            [row for row in rows if row is not None],
            merge.merged_id,
            actor_id=actor_id,
            action="undo_merge",
            reason=reason,
        )
    bring_back_merged(session, merge.merged_id, actor_id=actor_id, reason=reason)
    return update_record(
        session,
        merge,
        actor_id=actor_id,
        expected_version=merge.version,
        changes={"undone_at": utc_now(), "undone_by": actor_id},
        action="undo_merge",
    )


def bring_back_merged(
    session: Session, merged_id: uuid.UUID, *, actor_id: uuid.UUID | None, reason: str
) -> None:
    merged = get_person(session, merged_id, include_deleted=True)
    update_record(
        session,
        merged,
        actor_id=actor_id,
        expected_version=merged.version,
        changes={"merged_into_id": None},
        action="undo_merge",
        reason=reason,
    )
    if merged.is_deleted:
        restore_record(
            session, merged, actor_id=actor_id, expected_version=merged.version, reason=reason
        )
