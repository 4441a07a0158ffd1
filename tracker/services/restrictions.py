"""Records restricted to named users: who may see a record, and the condition lists apply.

A record with no live restriction is visible to every signed-in user; once restricted, only
the users named and admins see it. Everyone else is told it does not exist.
"""

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import BindParameter, ColumnElement, Uuid, bindparam, or_, select
from sqlmodel import Session, col

from tracker.domain.errors import RecordNotFound
from tracker.domain.permissions import Permission, has_permission
from tracker.models import RecordRestriction
from tracker.models.base import TimestampedRecord
from tracker.services.records import (
    RecordT,
    create_record,
    get_record,
    label_of,
    restore_record,
    soft_delete_record,
    table_name_of,
)


@dataclass(frozen=True)
class Viewer:
    """Who is asking: a user and their roles."""

    user_id: uuid.UUID
    roles: frozenset[str]

    @property
    def sees_every_record(self) -> bool:
        return "admin" in self.roles

    @property
    def sees_identity(self) -> bool:
        return has_permission(self.roles, Permission.VIEW_IDENTITY)

    def may(self, permission: Permission) -> bool:
        return has_permission(self.roles, permission)


def live_restrictions(table_name: str) -> Any:
    return select(col(RecordRestriction.record_id)).where(
        col(RecordRestriction.table_name) == table_name,
        col(RecordRestriction.deleted_at).is_(None),
    )


def visible_condition(
    table_name: str, id_column: Any, user_id: uuid.UUID | BindParameter[Any]
) -> ColumnElement[bool]:
    """Rows of the table the user may see: unrestricted, or restricted with the user named."""
    granted = live_restrictions(table_name).where(col(RecordRestriction.user_id) == user_id)
    return or_(id_column.not_in(live_restrictions(table_name)), id_column.in_(granted))


def visible_condition_bound(table_name: str, id_column: Any, name: str) -> ColumnElement[bool]:
    """The same, with the user as a bound parameter, for statements built once and cached."""
    return visible_condition(table_name, id_column, bindparam(name, type_=Uuid))


def may_view(
    session: Session, viewer: Viewer, model: type[TimestampedRecord], record_id: uuid.UUID
) -> bool:
    if viewer.sees_every_record:
        return True
    users = restricted_to(session, model, record_id)
    return not users or viewer.user_id in users


def restrictions_by_record(session: Session) -> dict[tuple[str, uuid.UUID], frozenset[uuid.UUID]]:
    """Every live restriction: (table name, record id) to the users it is open to.

    Restrictions are few (a handful of sensitive records), so a report reads them all at once
    instead of asking about each record it prints.
    """
    statement = select(
        col(RecordRestriction.table_name),
        col(RecordRestriction.record_id),
        col(RecordRestriction.user_id),
    ).where(col(RecordRestriction.deleted_at).is_(None))
    users: dict[tuple[str, uuid.UUID], set[uuid.UUID]] = {}
    for table_name, record_id, user_id in session.execute(statement):
        users.setdefault((table_name, record_id), set()).add(user_id)
    return {key: frozenset(value) for key, value in users.items()}


def restricted_to(
    session: Session, model: type[TimestampedRecord], record_id: uuid.UUID
) -> frozenset[uuid.UUID]:
    """The users a record is restricted to; empty when it is not restricted."""
    statement = select(col(RecordRestriction.user_id)).where(
        col(RecordRestriction.table_name) == table_name_of(model),
        col(RecordRestriction.record_id) == record_id,
        col(RecordRestriction.deleted_at).is_(None),
    )
    return frozenset(session.execute(statement).scalars())


def get_visible_record(
    session: Session,
    viewer: Viewer,
    model: type[RecordT],
    record_id: uuid.UUID,
    *,
    include_deleted: bool = False,
) -> RecordT:
    """The record, if this viewer may see it.

    Raises RecordNotFound both when it does not exist and when the viewer may not see it.
    """
    record = get_record(session, model, record_id, include_deleted=include_deleted)
    if not may_view(session, viewer, model, record_id):
        raise RecordNotFound(f"No {label_of(model)} {record_id}.")
    return record


def set_restriction(
    session: Session,
    *,
    model: type[TimestampedRecord],
    record_id: uuid.UUID,
    user_ids: Iterable[uuid.UUID],
    actor_id: uuid.UUID,
) -> None:
    """Restrict a record to exactly these users (none: lift the restriction); audited."""
    wanted = frozenset(user_ids)
    table_name = table_name_of(model)
    rows = {row.user_id: row for row in restriction_rows(session, table_name, record_id)}
    for user_id in sorted(wanted):
        grant(session, rows.get(user_id), (table_name, record_id, user_id), actor_id)
    for user_id, row in sorted(rows.items()):
        if user_id not in wanted and not row.is_deleted:
            soft_delete_record(session, row, actor_id=actor_id, expected_version=row.version)


def grant(
    session: Session,
    row: RecordRestriction | None,
    key: tuple[str, uuid.UUID, uuid.UUID],
    actor_id: uuid.UUID,
) -> None:
    """Name a user on a restriction: a new row, or the user's earlier row restored."""
    if row is None:
        values = dict(zip(("table_name", "record_id", "user_id"), key, strict=True))
        create_record(session, RecordRestriction, actor_id=actor_id, values=values)
    elif row.is_deleted:
        restore_record(session, row, actor_id=actor_id, expected_version=row.version)


def restriction_rows(
    session: Session, table_name: str, record_id: uuid.UUID
) -> list[RecordRestriction]:
    """Every restriction row of the record, lifted ones included."""
    statement = select(RecordRestriction).where(
        col(RecordRestriction.table_name) == table_name,
        col(RecordRestriction.record_id) == record_id,
    )
    return list(session.execute(statement).scalars())
