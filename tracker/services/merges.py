"""Merge two records of one person on a reviewer's decision, and undo the merge."""

import uuid
from typing import Any

from sqlalchemy import or_, select
from sqlmodel import Session, col

from tracker.domain.errors import InvalidInput
from tracker.models import (
    CaseClient,
    Consent,
    Incident,
    Involvement,
    PersonMerge,
    PersonName,
    Source,
)
from tracker.models.base import TimestampedRecord, utc_now
from tracker.services.people import get_person, require_person
from tracker.services.records import (
    create_record,
    get_record,
    live,
    restore_record,
    soft_delete_record,
    update_record,
)

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


def merges_of_person(session: Session, person_id: uuid.UUID) -> list[PersonMerge]:
    """Merges the person survived or was merged away in, undone ones included, oldest first."""
    statement = select(PersonMerge).where(
        or_(col(PersonMerge.survivor_id) == person_id, col(PersonMerge.merged_id) == person_id)
    )
    ordered = statement.order_by(col(PersonMerge.created_at), col(PersonMerge.id))
    return list(session.execute(ordered).scalars())


def undo_merge(session: Session, *, merge_id: uuid.UUID, actor_id: uuid.UUID | None) -> PersonMerge:
    """Put every row the merge moved back and restore the merged person.

    Raises InvalidInput when the merge was already undone; RecordNotFound.
    """
    merge = get_record(session, PersonMerge, merge_id)
    if merge.undone_at is not None:
        raise InvalidInput("merge: this merge was already undone")
    reason = f"undo merge {merge.id}"
    move_back(session, merge, actor_id=actor_id, reason=reason)
    bring_back_merged(session, merge.merged_id, actor_id=actor_id, reason=reason)
    return update_record(
        session,
        merge,
        actor_id=actor_id,
        expected_version=merge.version,
        changes={"undone_at": utc_now(), "undone_by": actor_id},
        action="undo_merge",
    )


def move_back(
    session: Session, merge: PersonMerge, *, actor_id: uuid.UUID | None, reason: str
) -> None:
    """Point the rows listed in the merge's snapshot at the merged person again."""
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
