"""Generic record operations every entity family shares: create, get, update, delete, restore.

Services flush but never commit: the caller's unit of work commits once, or rolls back.
"""

import uuid
from collections.abc import Iterator, Mapping, Sequence
from typing import Any, TypeVar

from sqlalchemy import Select, select, update
from sqlalchemy.orm.attributes import set_committed_value
from sqlmodel import Session, col

from tracker.domain.errors import EditConflict, InvalidInput, RecordNotFound
from tracker.domain.text import has_control_characters
from tracker.models.base import TimestampedRecord, utc_now
from tracker.services.audit import add_audit_entry, diff_values, json_safe, record_values

RecordT = TypeVar("RecordT", bound=TimestampedRecord)
MAX_TEXT_LENGTH = 200_000


# SQLite accepts a few thousand bound values at most; larger IN lists are read in chunks.
IN_CHUNK = 500


def id_chunks(ids: Sequence[uuid.UUID], size: int = IN_CHUNK) -> Iterator[Sequence[uuid.UUID]]:
    """ids in slices small enough for one IN (...) on every engine."""
    for start in range(0, len(ids), size):
        yield ids[start : start + size]


def table_name_of(model: type[TimestampedRecord]) -> str:
    return str(model.__tablename__)


def label_of(model: type[TimestampedRecord]) -> str:
    """A word for the record type in messages: `case_file` → `case file`."""
    return table_name_of(model).replace("_", " ")


def check_text_values(model: type[TimestampedRecord], values: Mapping[str, Any]) -> None:
    """Refuse NUL and control characters and absurd lengths in any text field.

    Raises InvalidInput naming the field.
    """
    for field, value in values.items():
        if not isinstance(value, str):
            continue
        if has_control_characters(value):
            raise InvalidInput(f"{field}: contains control characters (such as NUL)")
        limit = column_length(model, field) or MAX_TEXT_LENGTH
        if len(value) > limit:
            raise InvalidInput(f"{field}: longer than {limit} characters")


def column_length(model: type[TimestampedRecord], field: str) -> int | None:
    column = model.__table__.columns.get(field)  # type: ignore[attr-defined]
    return getattr(column.type, "length", None) if column is not None else None


def check_known_fields(model: type[TimestampedRecord], values: Mapping[str, Any]) -> None:
    """Refuse fields the record does not have, or may not be set directly."""
    columns = set(model.__table__.columns.keys())  # type: ignore[attr-defined]
    protected = {
        "id",
        "created_at",
        "created_by",
        "updated_at",
        "updated_by",
        "version",
        "deleted_at",
        "deleted_by",
    }
    unknown = sorted(set(values) - (columns - protected))
    if unknown:
        raise InvalidInput(f"{label_of(model)}: unknown or read-only fields {', '.join(unknown)}")


def create_record(
    session: Session,
    model: type[RecordT],
    *,
    actor_id: uuid.UUID | None,
    values: Mapping[str, Any],
    record_id: uuid.UUID | None = None,
) -> RecordT:
    """Insert a record and audit it.

    Raises InvalidInput for unknown fields or unsafe text.
    """
    check_known_fields(model, values)
    check_text_values(model, values)
    now = utc_now()
    record = model(
        **values, created_by=actor_id, updated_by=actor_id, created_at=now, updated_at=now
    )
    if record_id is not None:
        record.id = record_id
    session.add(record)
    session.flush([record])
    add_audit_entry(
        session,
        actor_id=actor_id,
        action="create",
        table_name=table_name_of(model),
        record_id=record.id,
        changes=diff_values({}, record_values(record)),
    )
    return record


def get_record(
    session: Session, model: type[RecordT], record_id: uuid.UUID, *, include_deleted: bool = False
) -> RecordT:
    """One record by id.

    Raises RecordNotFound when there is none, or it is deleted and not asked for.
    """
    record = session.get(model, record_id)
    if record is None or (record.is_deleted and not include_deleted):
        raise RecordNotFound(f"No {label_of(model)} {record_id}.")
    return record


def require_live(
    session: Session, model: type[RecordT], record_id: uuid.UUID | None, field: str
) -> RecordT:
    """Raises InvalidInput naming the field when the record is missing or deleted."""
    record = session.get(model, record_id) if record_id is not None else None
    if record is None or record.is_deleted:
        label = str(model.__tablename__).replace("_", " ")
        raise InvalidInput(f"{field}: no {label} {record_id} (it does not exist or was deleted)")
    return record


def live(statement: Select[Any], model: type[TimestampedRecord]) -> Select[Any]:
    """Leave soft-deleted records out of a query."""
    return statement.where(col(model.deleted_at).is_(None))


def list_records(
    session: Session,
    model: type[RecordT],
    *,
    include_deleted: bool = False,
    limit: int | None = None,
    offset: int = 0,
) -> list[RecordT]:
    """Records of one type in creation order."""
    statement = select(model)
    if not include_deleted:
        statement = live(statement, model)
    statement = statement.order_by(col(model.created_at), col(model.id))
    return list(session.execute(statement.offset(offset).limit(limit)).scalars())


def update_record(
    session: Session,
    record: RecordT,
    *,
    actor_id: uuid.UUID | None,
    expected_version: int,
    changes: Mapping[str, Any],
    action: str = "update",
    reason: str = "",
) -> RecordT:
    """Apply changes if nobody saved since `expected_version`; audit the differences.

    Raises EditConflict when the record moved on, InvalidInput for bad fields.
    """
    model = type(record)
    check_known_fields(model, changes)
    check_text_values(model, changes)
    check_reason(reason)
    check_version(record, expected_version)
    before = record_values(record)
    proposed = {**before, **{field: json_safe(value) for field, value in changes.items()}}
    differences = diff_values(before, proposed)
    if not differences:
        return record
    changed = {field: changes[field] for field in differences}
    write_versioned(
        session, record, actor_id=actor_id, expected_version=expected_version, values=changed
    )
    add_audit_entry(
        session,
        actor_id=actor_id,
        action=action,
        table_name=table_name_of(model),
        record_id=record.id,
        changes=differences,
        reason=reason,
    )
    return record


def check_reason(reason: str) -> None:
    """The reason goes into the audit log as typed. Raises InvalidInput for NUL or other
    control characters in it."""
    if has_control_characters(reason):
        raise InvalidInput("reason: contains control characters (such as NUL)")


def check_version(record: TimestampedRecord, expected_version: int) -> None:
    """Raises EditConflict when the record is no longer at the version the user saw."""
    if record.version != expected_version:
        raise EditConflict(
            f"This {label_of(type(record))} was changed by someone else (now version"
            f" {record.version}; you edited version {expected_version}). Review both versions."
        )


def write_versioned(
    session: Session,
    record: TimestampedRecord,
    *,
    actor_id: uuid.UUID | None,
    expected_version: int,
    values: dict[str, Any],
) -> None:
    """Write with the version check inside the UPDATE, so two writers cannot both win.

    Raises EditConflict when another transaction saved first.
    """
    model = type(record)
    stamp = {"version": expected_version + 1, "updated_at": utc_now(), "updated_by": actor_id}
    result = session.execute(
        update(model)
        .where(model.id == record.id, model.version == expected_version)  # type: ignore[arg-type]
        .values(**values, **stamp)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        raise EditConflict(
            f"This {label_of(model)} was changed by someone else meanwhile. Review both versions."
        )
    for field, value in {**values, **stamp}.items():
        set_committed_value(record, field, value)


def soft_delete_record(
    session: Session,
    record: RecordT,
    *,
    actor_id: uuid.UUID | None,
    expected_version: int,
    reason: str = "",
) -> RecordT:
    """Mark a record deleted; it stays in the database and can be restored.

    Raises EditConflict when the record moved on, InvalidInput when already deleted.
    """
    if record.is_deleted:
        raise InvalidInput(f"This {label_of(type(record))} is already deleted.")
    values = {"deleted_at": utc_now(), "deleted_by": actor_id}
    return change_deletion(
        session,
        record,
        actor_id=actor_id,
        action="delete",
        expected_version=expected_version,
        values=values,
        reason=reason,
    )


def restore_record(
    session: Session,
    record: RecordT,
    *,
    actor_id: uuid.UUID | None,
    expected_version: int,
    reason: str = "",
) -> RecordT:
    """Bring a soft-deleted record back.

    Raises InvalidInput when it is not deleted, EditConflict when it moved on.
    """
    if not record.is_deleted:
        raise InvalidInput(f"This {label_of(type(record))} is not deleted.")
    values = {"deleted_at": None, "deleted_by": None}
    return change_deletion(
        session,
        record,
        actor_id=actor_id,
        action="restore",
        expected_version=expected_version,
        values=values,
        reason=reason,
    )


def change_deletion(
    session: Session,
    record: RecordT,
    *,
    actor_id: uuid.UUID | None,
    action: str,
    expected_version: int,
    values: dict[str, Any],
    reason: str,
) -> RecordT:
    """Set or clear the deletion mark, versioned and audited. Raises InvalidInput for a
    reason holding control characters."""
    check_reason(reason)
    check_version(record, expected_version)
    before = json_safe(record.deleted_at)
    write_versioned(
        session, record, actor_id=actor_id, expected_version=expected_version, values=values
    )
    add_audit_entry(
        session,
        actor_id=actor_id,
        action=action,
        table_name=table_name_of(type(record)),
        record_id=record.id,
        changes={"deleted_at": [before, json_safe(record.deleted_at)]},
        reason=reason,
    )
    return record
